use crate::ctx::{Ctx, Sink};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags a stage with more than one `ENTRYPOINT`; each one after the first is reported.
    ///
    /// ## Why is this bad?
    /// Only the last `ENTRYPOINT` of a stage takes effect; the earlier ones are dead code that misleads
    /// readers about how the container starts.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12
    /// ENTRYPOINT ["a"]
    /// RUN foo
    /// ENTRYPOINT ["b"]
    /// ```
    ///
    /// ## How to fix
    /// Keep one `ENTRYPOINT` per stage.
    ///
    /// Overlaps hadolint DL4004.
    code: "DD042",
    name: "multiple-entrypoint",
    severity: Warning,
    hadolint: ["DL4004"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    super::multiple_cmd::report_repeats(ctx, out, &RULE, InstructionKind::Entrypoint, "ENTRYPOINT");
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM debian:12\nENTRYPOINT bash\nRUN foo\nENTRYPOINT another\n",
                "DD042"
            ),
            [4]
        );
        assert!(
            lines(
                "FROM debian:12 AS a\nENTRYPOINT bash\nFROM debian:12 AS b\nENTRYPOINT x\n",
                "DD042"
            )
            .is_empty()
        );
    }
}
