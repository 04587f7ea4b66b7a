use crate::ctx::{Ctx, Sink, run_commands};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags a stage that uses both `curl` and `wget`: every RUN that uses one of them once the other has
    /// been used in the same stage is reported.
    ///
    /// ## Why is this bad?
    /// Two download tools means two packages, two sets of CVEs and two TLS stacks to keep current in the
    /// image, for one job.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN wget -q https://example.com/a.tgz
    /// RUN curl -fsSLO https://example.com/b.tgz
    /// ```
    ///
    /// ## How to fix
    /// Pick one (`curl -fsSL` or `wget -qO-`) and remove the other package.
    ///
    /// Overlaps hadolint DL4001.
    code: "DD037",
    name: "curl-and-wget",
    severity: Style,
    hadolint: ["DL4001"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    let mut seen: Vec<(Option<usize>, bool, bool)> = Vec::new();
    for ins in &ctx.df.instructions {
        let run = crate::ctx::unwrap_onbuild(ins);
        if run.kind != InstructionKind::Run {
            continue;
        }
        let cmds = run_commands(run);
        let curl = cmds.iter().any(|c| c.program() == Some("curl"));
        let wget = cmds.iter().any(|c| c.program() == Some("wget"));
        if !curl && !wget {
            continue;
        }
        let idx = match seen.iter().position(|(s, _, _)| *s == ins.stage) {
            Some(i) => i,
            None => {
                seen.push((ins.stage, false, false));
                seen.len() - 1
            }
        };
        let entry = &mut seen[idx];
        entry.1 |= curl;
        entry.2 |= wget;
        if entry.1 && entry.2 {
            out.emit(
                &RULE,
                run.span,
                "this stage uses both curl and wget; use one download tool",
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
                "FROM node:20\nRUN wget a\nRUN curl b\nRUN echo\nRUN wget c\n",
                "DD037"
            ),
            [3, 5]
        );
        assert!(
            lines(
                "FROM node:20\nRUN wget a\nFROM scratch\nRUN curl b\n",
                "DD037"
            )
            .is_empty()
        );
    }
}
