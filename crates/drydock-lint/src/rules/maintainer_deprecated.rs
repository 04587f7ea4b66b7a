use crate::ctx::{Ctx, Sink};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags the deprecated `MAINTAINER` instruction.
    ///
    /// ## Why is this bad?
    /// It has been deprecated since Docker 1.13; tools read the OCI label instead.
    ///
    /// ## Example
    /// ```dockerfile
    /// MAINTAINER Jane <jane@example.com>
    /// ```
    ///
    /// ## How to fix
    /// `LABEL org.opencontainers.image.authors="Jane <jane@example.com>"`
    ///
    /// Overlaps hadolint DL4000.
    code: "DD048",
    name: "maintainer-deprecated",
    severity: Style,
    hadolint: ["DL4000"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind == InstructionKind::Maintainer {
            out.emit(
                &RULE,
                ins.span,
                "MAINTAINER is deprecated; use LABEL org.opencontainers.image.authors=…",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(lines("FROM alpine:3\nMAINTAINER x\n", "DD048"), [2]);
        assert!(lines("FROM alpine:3\nLABEL a=b\n", "DD048").is_empty());
    }
}
