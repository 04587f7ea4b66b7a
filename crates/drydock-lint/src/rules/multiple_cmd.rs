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
    let mut groups: Vec<(Option<usize>, usize)> = Vec::new();
    for ins in &ctx.df.instructions {
        if ins.kind != InstructionKind::Cmd {
            continue;
        }
        match groups.iter_mut().find(|(s, _)| *s == ins.stage) {
            Some((_, n)) => {
                *n += 1;
                out.emit(
                    &RULE,
                    ins.span,
                    "more than one CMD in this stage: only the last one takes effect",
                );
            }
            None => groups.push((ins.stage, 1)),
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
