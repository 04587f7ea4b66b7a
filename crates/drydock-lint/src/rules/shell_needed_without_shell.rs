use crate::ctx::{Ctx, Sink};
use drydock_dockerfile::ast::{Args, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// In a stage whose base has no `/bin/sh` (scratch, distroless without `:debug`, Chainguard without
    /// `-dev`), reports every instruction that needs one: shell-form `RUN`, `CMD`, `ENTRYPOINT` and
    /// `HEALTHCHECK CMD`. The base facts come from the resolver in use (the bundled table, or the real
    /// image with `--resolve`) and each finding says which. A stage that copies a shell in is not reported.
    ///
    /// ## Why is this bad?
    /// Shell form means `/bin/sh -c "…"`. Without a shell the build fails (`RUN`) or, worse, the image
    /// builds and the container fails at start (`CMD`/`ENTRYPOINT`) or is marked unhealthy forever
    /// (`HEALTHCHECK`). hadolint cannot know this: it does not know what a base contains.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM gcr.io/distroless/python3-debian12:nonroot
    /// COPY app /app
    /// CMD python3 /app/main.py
    /// ```
    ///
    /// ## How to fix
    /// Use exec form (`CMD ["/app/main.py"]`), move `RUN` steps to a builder stage, or use the base's
    /// `:debug` / `-dev` variant for a debug stage only.
    code: "DD013",
    name: "shell-form-without-shell",
    severity: Error,
    hadolint: [],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for (si, sv) in ctx.stages.iter().enumerate() {
        let Some(facts) = &sv.facts else { continue };
        if facts.shell != Some(false) {
            continue;
        }
        if ctx.stage_may_provide(Some(si), "/bin/sh", false) {
            continue;
        }
        let base = crate::imageref::display(sv.root_image.as_deref().unwrap_or_default());
        for ins in ctx.stage_instructions(sv.stage) {
            let what = match (&ins.kind, &ins.args) {
                (InstructionKind::Run, Args::Shell(_)) => "RUN in shell form",
                (InstructionKind::Run, Args::Exec(_)) if !ins.heredocs.is_empty() => {
                    "RUN with a heredoc"
                }
                (InstructionKind::Cmd, Args::Shell(_)) => "CMD in shell form",
                (InstructionKind::Entrypoint, Args::Shell(_)) => "ENTRYPOINT in shell form",
                (InstructionKind::Healthcheck, Args::Healthcheck { cmd, .. })
                    if matches!(**cmd, Args::Shell(_)) =>
                {
                    "HEALTHCHECK CMD in shell form"
                }
                _ => continue,
            };
            out.emit_with_source(
                &RULE,
                ins.span,
                format!("{what} needs /bin/sh, but base `{base}` has no shell; use exec form or a builder stage"),
                Some(&facts.source),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{lines, lint};

    #[test]
    fn hits_and_misses() {
        let t = "FROM gcr.io/distroless/python3-debian12:nonroot\nRUN pip install x\nCMD python3 app.py\nHEALTHCHECK CMD curl -f localhost\nENTRYPOINT [\"python3\"]\n";
        assert_eq!(lines(t, "DD013"), [2, 3, 4]);
        let f = lint(t);
        assert!(
            f.iter()
                .filter(|f| f.code == "DD013")
                .all(|f| f.fact_source.as_deref() == Some("bundled table: gcr.io/distroless/*"))
        );
        assert!(lines("FROM gcr.io/distroless/base:debug\nRUN ls\n", "DD013").is_empty());
        assert!(
            lines(
                "FROM cgr.dev/chainguard/python:latest-dev\nRUN pip install x\n",
                "DD013"
            )
            .is_empty()
        );
        assert!(lines("FROM debian:12\nCMD echo hi\n", "DD013").is_empty());
        assert!(lines("FROM example.com/x:1\nCMD echo hi\n", "DD013").is_empty());
        assert!(
            lines(
                "FROM scratch\nCOPY --from=busybox:1 /bin/sh /bin/sh\nRUN echo\n",
                "DD013"
            )
            .is_empty()
        );
        assert_eq!(lines("FROM scratch AS s\nFROM s\nCMD run\n", "DD013"), [3]);
        let installs = "FROM gcr.io/distroless/java17-debian12\nCOPY --from=busybox:1 /bin/busybox /busybox/busybox\nRUN [\"/busybox/busybox\", \"--install\", \"/bin\"]\nRUN echo ok\n";
        assert!(lines(installs, "DD013").is_empty());
    }
}
