use crate::ctx::{Ctx, Sink};
use drydock_dockerfile::ast::{Args, Instruction, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// For exec-form `RUN`, `CMD`, `ENTRYPOINT` and `HEALTHCHECK CMD`, checks that the program named
    /// first exists in the stage: present in the base image (per the base facts) or added by the stage
    /// (COPY/ADD to that path or a `bin` directory, or a package install). A `CMD` is only checked when
    /// neither the stage nor the base sets an `ENTRYPOINT` (otherwise it is just arguments).
    ///
    /// ## Why is this bad?
    /// `HEALTHCHECK CMD ["curl", "-f", "http://localhost/"]` on distroless or `python:3.12-slim` (no curl)
    /// builds fine and then fails every probe; `CMD ["sh", …]` on a shell-less base never starts.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM gcr.io/distroless/static-debian12:nonroot
    /// COPY --from=build /app /app
    /// HEALTHCHECK CMD ["curl", "-f", "http://localhost:8080/healthz"]
    /// ```
    ///
    /// ## How to fix
    /// Let the program check itself (`["/app", "healthcheck"]`), copy a static probe binary in, or rely on
    /// the orchestrator's HTTP probe.
    code: "DD014",
    name: "exec-binary-missing",
    severity: Warning,
    hadolint: [],
    check: check,
}

fn exec_args(ins: &Instruction) -> Option<&Vec<String>> {
    match (&ins.kind, &ins.args) {
        (
            InstructionKind::Run | InstructionKind::Cmd | InstructionKind::Entrypoint,
            Args::Exec(v),
        ) => Some(v),
        (InstructionKind::Healthcheck, Args::Healthcheck { cmd, .. }) => match cmd.as_ref() {
            Args::Exec(v) => Some(v),
            _ => None,
        },
        _ => None,
    }
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for (si, sv) in ctx.stages.iter().enumerate() {
        let Some(facts) = &sv.facts else { continue };
        let has_entrypoint = ctx
            .chain_instructions(Some(si))
            .iter()
            .any(|i| i.kind == InstructionKind::Entrypoint);
        for ins in ctx.stage_instructions(sv.stage) {
            let Some(args) = exec_args(ins) else { continue };
            if ins.kind == InstructionKind::Cmd
                && (has_entrypoint || facts.entrypoint != Some(false))
            {
                continue;
            }
            let Some(prog) = args.first() else { continue };
            if prog.is_empty() || prog.contains('$') {
                continue;
            }
            if facts.has_binary(prog) != Some(false)
                || ctx.stage_may_provide(Some(si), prog, facts.shell != Some(false))
            {
                continue;
            }
            let base = crate::imageref::display(sv.root_image.as_deref().unwrap_or_default());
            out.emit_with_source(
                &RULE,
                ins.span,
                format!("`{prog}` is not in base `{base}` and this stage does not add it; the command will fail at run time"),
                Some(&facts.source),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        let t = "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /app /app\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://x\"]\nENTRYPOINT [\"/app\"]\n";
        assert_eq!(lines(t, "DD014"), [3]);
        assert_eq!(
            lines(
                "FROM python:3.12-slim\nHEALTHCHECK CMD [\"curl\", \"-f\", \"x\"]\n",
                "DD014"
            ),
            [3 - 1]
        );
        assert!(lines("FROM python:3.12-slim\nRUN apt-get install -y curl\nHEALTHCHECK CMD [\"curl\", \"x\"]\n", "DD014").is_empty());
        assert!(
            lines(
                "FROM gcr.io/distroless/python3-debian12\nCMD [\"app.py\"]\n",
                "DD014"
            )
            .is_empty()
        );
        assert!(lines("FROM example.com/x:1\nCMD [\"curl\"]\n", "DD014").is_empty());
        assert!(lines("FROM alpine:3.20\nCMD [\"sh\", \"-c\", \"x\"]\n", "DD014").is_empty());
        assert_eq!(
            lines("FROM alpine:3.20\nCMD [\"bash\", \"-c\", \"x\"]\n", "DD014"),
            [2]
        );
    }
}
