use crate::ctx::{Ctx, Sink};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Notes a final stage without a `HEALTHCHECK`: none in the stage, none in the stages it is built
    /// `FROM`, and none in the base image's config (known with `--resolve`; the images in the bundled
    /// table set none). `HEALTHCHECK NONE` counts as a decision and is not reported. Bases without a shell
    /// (scratch, distroless, Chainguard without `-dev`) are not reported: there the orchestrator's probe
    /// is the usual health check. Bases the facts do not know are not reported either (no guesses).
    ///
    /// ## Why is this bad?
    /// Without a health check, plain Docker and Compose report a hung service as running, and
    /// `depends_on: condition: service_healthy` cannot work.
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
    /// or `HEALTHCHECK NONE` when a Kubernetes probe does the job (or `# drydock global ignore=no-healthcheck`).
    ///
    /// Overlaps hadolint DL3057. Difference: hadolint reports every final stage without a HEALTHCHECK,
    /// `FROM scratch` included; drydock does not report a base without a shell (nothing in the image
    /// could run a check command) nor an unknown base, so hadolint's cases on `scratch` that expect a
    /// warning are listed as disagreements.
    code: "DD049",
    name: "no-healthcheck",
    severity: Info,
    hadolint: ["DL3057"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    let Some(fin) = ctx.final_stage() else { return };
    let Some(facts) = &fin.facts else { return };
    if facts.shell != Some(true) || facts.healthcheck == Some(true) {
        return;
    }
    let decided = ctx
        .final_chain()
        .iter()
        .flat_map(|&s| ctx.stage_instructions(ctx.stages[s].stage))
        .any(|i| i.kind == InstructionKind::Healthcheck);
    if !decided {
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
    use crate::testutil::{lines, lint};
    use crate::{BaseFacts, BaseResolver, BundledResolver, Config, FirstOf, lint_source};

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM debian:12 AS b\nFROM python:3.12-slim\nEXPOSE 80\n",
                "DD049"
            ),
            [2]
        );
        // No EXPOSE needed: a worker has no health check either.
        assert_eq!(
            lines(
                "FROM python:3.12-slim\nCMD [\"python\", \"worker.py\"]\n",
                "DD049"
            ),
            [1]
        );
        let f = lint("FROM node:20\n");
        let hit = f.iter().find(|f| f.code == "DD049").expect("reported");
        assert_eq!(hit.fact_source.as_deref(), Some("bundled table: node"));
        // The builder stage's HEALTHCHECK does not reach an unrelated final stage.
        assert_eq!(
            lines(
                "FROM debian:12 AS b\nHEALTHCHECK CMD [\"true\"]\nFROM debian:12\n",
                "DD049"
            ),
            [3]
        );
        assert!(lines("FROM python:3.12-slim\nHEALTHCHECK NONE\n", "DD049").is_empty());
        assert!(
            lines(
                "FROM python:3.12-slim\nHEALTHCHECK CMD [\"python\", \"-c\", \"1\"]\n",
                "DD049"
            )
            .is_empty()
        );
        // Inherited from the stage the final stage is built FROM, across several stages.
        let chain =
            "FROM debian:12 AS a\nHEALTHCHECK CMD [\"true\"]\nFROM a AS b\nFROM b\nCMD [\"x\"]\n";
        assert!(lines(chain, "DD049").is_empty());
        // Shell-less and unknown bases stay silent.
        assert!(lines("FROM gcr.io/distroless/static\n", "DD049").is_empty());
        assert!(lines("FROM scratch\n", "DD049").is_empty());
        assert!(lines("FROM example.com/a:1\n", "DD049").is_empty());
    }

    #[test]
    fn base_config_healthcheck_counts() {
        struct WithHealthcheck;
        impl BaseResolver for WithHealthcheck {
            fn resolve(&self, image_ref: &str) -> Option<BaseFacts> {
                let mut f = BaseFacts::new("image oci:/x@sha256:00");
                f.shell = Some(true);
                f.healthcheck = Some(image_ref.contains("checked"));
                Some(f)
            }
        }
        let r = FirstOf(vec![&WithHealthcheck, &BundledResolver]);
        let run = |t: &str| {
            lint_source("Dockerfile", t, &Config::default(), &r)
                .unwrap()
                .into_iter()
                .filter(|f| f.code == "DD049")
                .count()
        };
        assert_eq!(run("FROM reg.example/checked:1\n"), 0);
        assert_eq!(run("FROM reg.example/plain:1\n"), 1);
    }
}
