use crate::ctx::{Ctx, Sink};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Notes a final stage that serves something (it `EXPOSE`s a port) but has no `HEALTHCHECK` (in it or
    /// the stages it is built `FROM`), when the base facts say the base has a shell. `HEALTHCHECK NONE`
    /// counts as a decision. Shell-less and unknown bases are not reported: there a health check usually
    /// belongs to the orchestrator's probe. Images without `EXPOSE` (tools, jobs, base images) are not
    /// reported either.
    ///
    /// ## Why is this bad?
    /// Without a health check, plain Docker and Compose report a hung service as running.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// EXPOSE 8000
    /// CMD ["python", "-m", "http.server"]
    /// ```
    ///
    /// ## How to fix
    /// `HEALTHCHECK CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://localhost:8000')"]`,
    /// or `HEALTHCHECK NONE` when a Kubernetes probe does the job.
    code: "DD049",
    name: "no-healthcheck",
    severity: Info,
    hadolint: [],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    let Some(fin) = ctx.final_stage() else { return };
    let Some(facts) = &fin.facts else { return };
    if facts.shell != Some(true) {
        return;
    }
    let chain: Vec<_> = ctx
        .final_chain()
        .iter()
        .flat_map(|&s| ctx.stage_instructions(ctx.stages[s].stage))
        .collect();
    let has = chain.iter().any(|i| i.kind == InstructionKind::Healthcheck);
    let serves = chain.iter().any(|i| i.kind == InstructionKind::Expose);
    if serves && !has {
        out.emit_with_source(
            &RULE,
            fin.stage.from.span,
            "the final stage has no HEALTHCHECK (add one, or `HEALTHCHECK NONE` if the orchestrator probes)",
            Some(&facts.source),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM debian:12 AS b\nFROM python:3.12-slim\nEXPOSE 80\n",
                "DD049"
            ),
            [2]
        );
        assert!(lines("FROM python:3.12-slim\nHEALTHCHECK NONE\n", "DD049").is_empty());
        assert!(lines("FROM gcr.io/distroless/static\n", "DD049").is_empty());
        assert!(lines("FROM example.com/a:1\n", "DD049").is_empty());
    }
}
