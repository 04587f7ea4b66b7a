use crate::ctx::{Ctx, Sink, flag, unquote, words};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `ADD https://…` (or `http://`) without `--checksum=sha256:…`.
    ///
    /// ## Why is this bad?
    /// The file is fetched at build time with no integrity check: whatever the server (or anyone in the
    /// path) returns goes into the image, and the cache key does not change when the content does.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD https://example.com/tool.tar.gz /opt/
    /// ```
    ///
    /// ## How to fix
    /// `ADD --checksum=sha256:<hex> https://example.com/tool.tar.gz /opt/`, or download in a builder
    /// stage with `curl` and verify with `sha256sum -c`.
    code: "DD030",
    name: "add-remote-url",
    severity: Warning,
    hadolint: [],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Add || flag(ins, "checksum").is_some() {
            continue;
        }
        let w = words(ins);
        let sources = &w[..w.len().saturating_sub(1)];
        for s in sources {
            let s = unquote(s);
            let l = s.to_ascii_lowercase();
            if (l.starts_with("http://") || l.starts_with("https://")) && !l.contains(".git") {
                out.emit(
                    &RULE,
                    ins.span,
                    format!("ADD of `{s}` without `--checksum`: the download is not verified"),
                );
            }
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
                "FROM alpine:3\nADD https://x.example/a.tgz /opt/\n",
                "DD030"
            ),
            [2]
        );
        assert!(
            lines(
                "FROM alpine:3\nADD --checksum=sha256:aa https://x.example/a.tgz /opt/\n",
                "DD030"
            )
            .is_empty()
        );
        assert!(lines("FROM alpine:3\nADD a.tgz /opt/\n", "DD030").is_empty());
    }
}
