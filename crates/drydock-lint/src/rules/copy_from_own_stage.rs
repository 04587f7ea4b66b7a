use crate::ctx::{Ctx, Sink, flag};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `COPY --from=` naming the stage the instruction is in (by name or index).
    ///
    /// ## Why is this bad?
    /// A stage cannot copy from itself; the build fails with a dependency cycle.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:20 AS web
    /// COPY --from=web /app/dist /srv
    /// ```
    ///
    /// ## How to fix
    /// Copy from the stage that produced the files, or use a plain `COPY`/`RUN cp` inside the stage.
    ///
    /// Overlaps hadolint DL3023.
    code: "DD052",
    name: "copy-from-own-stage",
    severity: Error,
    hadolint: ["DL3023"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in &ctx.df.instructions {
        let inner = crate::ctx::unwrap_onbuild(ins);
        if inner.kind != InstructionKind::Copy {
            continue;
        }
        let (Some(from), Some(s)) = (flag(inner, "from"), ins.stage) else {
            continue;
        };
        let r = ctx.expand_global(from).to_ascii_lowercase();
        let name = ctx.stages.get(s).and_then(|v| v.stage.name.as_deref());
        if r.parse::<usize>().ok() == Some(s) || name == Some(r.as_str()) {
            out.emit(
                &RULE,
                inner.span,
                format!(
                    "`--from={from}` is the stage this COPY is in: a stage cannot copy from itself"
                ),
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
            lines("FROM node:20 AS foo\nCOPY --from=foo bar .\n", "DD052"),
            [2]
        );
        assert!(
            lines(
                "FROM scratch AS build\nFROM node:20 AS run\nCOPY --from=build foo .\n",
                "DD052"
            )
            .is_empty()
        );
    }
}
