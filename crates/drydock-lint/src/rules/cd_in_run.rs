use crate::ctx::{Ctx, Sink, run_commands};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `cd` inside a RUN.
    ///
    /// ## Why is this bad?
    /// The directory change lasts only for that RUN; readers (and the next RUN) easily assume otherwise.
    /// `WORKDIR` states the directory once and for every later instruction.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN cd /usr/src/app && make
    /// ```
    ///
    /// ## How to fix
    /// ```dockerfile
    /// WORKDIR /usr/src/app
    /// RUN make
    /// ```
    ///
    /// Overlaps hadolint DL3003.
    code: "DD044",
    name: "cd-in-run",
    severity: Style,
    hadolint: ["DL3003"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind == InstructionKind::Run
            && run_commands(ins).iter().any(|c| c.program() == Some("cd"))
        {
            out.emit(
                &RULE,
                ins.span,
                "`cd` in RUN only lasts for this RUN; use WORKDIR",
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
            lines("FROM alpine:3\nRUN cd /usr/src/app && git pull\n", "DD044"),
            [2]
        );
        assert!(lines("FROM alpine:3\nRUN git pull\nRUN echo cd\n", "DD044").is_empty());
    }
}
