use crate::ctx::{Ctx, Sink, unquote, words};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `COPY`/`ADD` of files that usually hold secrets: `.env` (not `.env.example`), SSH keys
    /// (`id_rsa`, `id_ed25519`, `id_ecdsa`), `*.pem`, `*.key`, `*.p12`, `*.pfx`, `.npmrc`, `.pypirc`,
    /// `.netrc`, `.git-credentials`, `credentials.json`. A `*.pem`/`*.crt`/`*.cer` copied anywhere under
    /// a certificate directory (`/etc/ssl/`, `/etc/pki/`, `/usr/local/share/ca-certificates/`,
    /// `/usr/share/ca-certificates/`, `/etc/ca-certificates/`, or any directory named `certs`) is taken
    /// for a public certificate and not reported, except under a `private/` directory
    /// (`/etc/ssl/private/`, `/etc/pki/tls/private/`), where keys live. `*.key`, `*.p12`, `*.pfx` are
    /// reported wherever they go.
    ///
    /// ## Why is this bad?
    /// Everything copied is in a layer forever, even if a later RUN deletes it; anyone who can pull the
    /// image can read it.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY .env id_rsa /app/
    /// ```
    ///
    /// ## How to fix
    /// Add the files to `.dockerignore`; use `RUN --mount=type=secret` or `--mount=type=ssh` at build time
    /// and inject runtime secrets from the orchestrator.
    code: "DD034",
    name: "secret-file-copied",
    severity: Error,
    hadolint: [],
    check: check,
}

fn secret_file(path: &str) -> bool {
    let base = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    if base.contains("example")
        || base.contains("sample")
        || base.contains("template")
        || base.contains("dist")
    {
        return false;
    }
    base == ".env"
        || base.starts_with(".env.")
        || matches!(
            base.as_str(),
            "id_rsa"
                | "id_dsa"
                | "id_ecdsa"
                | "id_ed25519"
                | ".npmrc"
                | ".pypirc"
                | ".netrc"
                | ".git-credentials"
                | "credentials.json"
                | "credentials"
        )
        || [".pem", ".key", ".p12", ".pfx", ".jks"]
            .iter()
            .any(|e| base.ends_with(e))
}

/// True when `dest` (a COPY/ADD destination) lies in a directory that holds public certificates.
fn certificate_dir(dest: &str) -> bool {
    let d = format!("{}/", dest.trim_end_matches('/'));
    if d.split('/').any(|c| c == "private") {
        return false;
    }
    [
        "/etc/ssl/",
        "/etc/pki/",
        "/usr/local/share/ca-certificates/",
        "/usr/share/ca-certificates/",
        "/etc/ca-certificates/",
    ]
    .iter()
    .any(|p| d.starts_with(p))
        || d.split('/').any(|c| c == "certs" || c == "ca-certificates")
}

/// Certificate file names (public material when they go to a certificate directory).
fn certificate_file(path: &str) -> bool {
    let l = path.to_ascii_lowercase();
    [".pem", ".crt", ".cer"].iter().any(|e| l.ends_with(e))
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if !matches!(ins.kind, InstructionKind::Copy | InstructionKind::Add) {
            continue;
        }
        let w = words(ins);
        let Some(dest) = w.last() else { continue };
        let to_cert_dir = certificate_dir(&ctx.expand_global(&unquote(dest)));
        for s in &w[..w.len() - 1] {
            let s = unquote(s);
            if s.contains("://") || !secret_file(&s) || (to_cert_dir && certificate_file(&s)) {
                continue;
            }
            out.emit(
                &RULE,
                ins.span,
                format!("`{s}` looks like a secret; copied files stay in the image layers"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM alpine:3\nCOPY .env /app/\nCOPY keys/id_rsa /root/.ssh/\nADD tls.key /etc/\n",
                "DD034"
            ),
            [2, 3, 4]
        );
        assert!(lines("FROM alpine:3\nCOPY .env.example /app/\nCOPY ca.pem /usr/local/share/ca-certificates/\n", "DD034").is_empty());
    }

    #[test]
    fn certificates_in_certificate_directories() {
        for ok in [
            "COPY ca-bundle.pem /etc/ssl/",
            "COPY corp-root.pem /etc/ssl/certs/corp-root.pem",
            "COPY corp.pem /etc/pki/ca-trust/source/anchors/",
            "COPY corp.pem /etc/pki",
            "COPY corp.pem /usr/local/share/ca-certificates/extra/corp.crt",
            "COPY a.pem b.pem /usr/share/ca-certificates/corp/",
            "COPY root.pem /app/certs/",
        ] {
            let t = format!("FROM alpine:3\n{ok}\n");
            assert!(lines(&t, "DD034").is_empty(), "{ok}");
        }
        for bad in [
            "COPY server.pem /etc/ssl/private/",
            "COPY server.pem /etc/pki/tls/private/server.pem",
            "COPY tls.key /etc/ssl/",
            "COPY client.p12 /etc/pki/",
            "COPY ca-bundle.pem /etc/sslx/",
            "COPY ca-bundle.pem /app/",
        ] {
            let t = format!("FROM alpine:3\n{bad}\n");
            assert_eq!(lines(&t, "DD034"), [2], "{bad}");
        }
    }
}
