use crate::ctx::{Ctx, Sink, unquote, words};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `COPY`/`ADD` of files that usually hold secrets: `.env` (not `.env.example`), SSH keys
    /// (`id_rsa`, `id_ed25519`, `id_ecdsa`), `*.pem`, `*.key`, `*.p12`, `*.pfx`, `.npmrc`, `.pypirc`,
    /// `.netrc`, `.git-credentials`, `credentials.json`. A `*.pem`/`*.crt` copied into a CA-certificates
    /// directory is a public certificate and not reported.
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

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if !matches!(ins.kind, InstructionKind::Copy | InstructionKind::Add) {
            continue;
        }
        let w = words(ins);
        let Some(dest) = w.last() else { continue };
        let to_ca_dir =
            dest.contains("ca-certificates") || dest.contains("/certs") || dest.contains("/pki/");
        for s in &w[..w.len() - 1] {
            let s = unquote(s);
            if s.contains("://") || !secret_file(&s) || (to_ca_dir && !s.ends_with(".key")) {
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
}
