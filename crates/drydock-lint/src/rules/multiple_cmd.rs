use crate::ctx::{Ctx, Sink};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags a stage with more than one `CMD`; each one after the first is reported.
    ///
    /// ## Why is this bad?
    /// Only the last `CMD` of a stage takes effect; the earlier ones are dead code that misleads
    /// readers about how the container starts.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12
    /// CMD ["a"]
    /// RUN foo
    /// CMD ["b"]
    /// ```
    ///
    /// ## How to fix
    /// Keep one `CMD` per stage.
    ///
    /// Overlaps hadolint DL4003.
    code: "DD041",
    name: "multiple-cmd",
    severity: Warning,
    hadolint: ["DL4003"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    report_repeats(ctx, out, &RULE, InstructionKind::Cmd, "CMD");
}

/// Reports every `kind` instruction after the first in its stage (shared with `multiple-entrypoint`).
pub(crate) fn report_repeats(
    ctx: &Ctx<'_>,
    out: &mut Sink,
    rule: &crate::rules::Rule,
    kind: InstructionKind,
    keyword: &str,
) {
    let mut seen = std::collections::HashSet::new();
    for ins in ctx.df.instructions.iter().filter(|i| i.kind == kind) {
        if !seen.insert(ins.stage) {
            out.emit(
                rule,
                ins.span,
                format!("more than one {keyword} in this stage: only the last one takes effect"),
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
            lines("FROM debian:12\nCMD bash\nRUN foo\nCMD another\n", "DD041"),
            [4]
        );
        assert!(
            lines(
                "FROM debian:12 AS a\nCMD bash\nFROM debian:12 AS b\nCMD x\n",
                "DD041"
            )
            .is_empty()
        );
    }
}
