use crate::ctx::{Ctx, Sink, words};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `EXPOSE 22`.
    ///
    /// ## Why is this bad?
    /// An SSH daemon in a container is a second way in, with its own keys and CVEs, that bypasses the
    /// orchestrator's access control and audit. Use `docker exec` / `kubectl exec` (or a `:debug` image)
    /// to get a shell.
    ///
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 22 8080
    /// ```
    ///
    /// ## How to fix
    /// Remove port 22 and the SSH server.
    code: "DD046",
    name: "expose-ssh",
    severity: Warning,
    hadolint: [],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Expose {
            continue;
        }
        if words(ins).iter().any(|w| w.split('/').next() == Some("22")) {
            out.emit(&RULE, ins.span, "port 22 is exposed: an SSH server in a container bypasses exec-based access control");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(lines("FROM alpine:3\nEXPOSE 22/tcp 80\n", "DD046"), [2]);
        assert!(lines("FROM alpine:3\nEXPOSE 2222 80\n", "DD046").is_empty());
    }
}
