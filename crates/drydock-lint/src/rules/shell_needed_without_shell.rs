use crate::ctx::{Ctx, Sink};
use drydock_dockerfile::ast::{Args, Instruction, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// Reports every instruction that needs a shell the stage does not have: shell-form `RUN`, `CMD`,
    /// `ENTRYPOINT` and `HEALTHCHECK CMD`. The shell is the stage's effective `SHELL` (set earlier in the
    /// stage or inherited from the stage it is built `FROM`), else `/bin/sh`.
    ///
    /// - with no `SHELL`, a base without `/bin/sh` (scratch, distroless without `:debug`, Chainguard
    ///   without `-dev`) is reported, unless the stage copies a shell in;
    /// - with a `SHELL`, its first argument is checked as `exec-binary-missing` checks a program: present
    ///   in the base (per the base facts) or added by the stage. `SHELL ["/usr/bin/python3", "-c"]` on
    ///   distroless Python is fine; `SHELL ["/busybox/sh", "-c"]` on distroless static is reported, naming
    ///   `/busybox/sh`; `SHELL ["/bin/bash", "-c"]` on `alpine` is reported unless the stage installs bash.
    ///
    /// The base facts come from the resolver in use (the bundled table, or the real image with
    /// `--resolve`) and each finding says which. Unknown bases, and programs the facts do not list either
    /// way, are not reported.
    ///
    /// ## Why is this bad?
    /// Shell form means `/bin/sh -c "…"` (or the `SHELL` program with its arguments). Without a shell the build fails (`RUN`) or, worse, the image
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
    /// Use exec form (`CMD ["/app/main.py"]`), move `RUN` steps to a builder stage, set a `SHELL` the
    /// base has (`SHELL ["/usr/bin/python3", "-c"]` on distroless Python), or use the base's `:debug` /
    /// `-dev` variant for a debug stage only.
    code: "DD013",
    name: "shell-form-without-shell",
    severity: Error,
    hadolint: [],
    check: check,
}

/// Why a shell-form instruction cannot run: the shell program it needs is absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingShell {
    /// The program: the stage's `SHELL` first argument, or `/bin/sh`.
    pub program: String,
    /// The line of the `SHELL` instruction in effect, if any.
    pub set_on: Option<usize>,
    /// Where the base-image fact came from.
    pub fact_source: String,
}

/// The shell a shell-form `ins` in stage `si` needs, when the base facts say it is missing and the
/// stage does not add it: the effective `SHELL`'s program (checked like `exec-binary-missing` checks a
/// program: present in the base or added by the stage), else `/bin/sh`. `None` when it can run or the
/// facts do not say.
pub fn missing_shell(ctx: &Ctx<'_>, si: usize, ins: &Instruction) -> Option<MissingShell> {
    let facts = ctx.stages.get(si)?.facts.as_ref()?;
    match ctx.shell_at(ins) {
        Some(set) => {
            let prog = set.program()?;
            if prog.contains('$')
                || facts.has_binary(prog) != Some(false)
                || ctx.stage_may_provide(Some(si), prog, facts.shell != Some(false))
            {
                return None;
            }
            Some(MissingShell {
                program: prog.to_string(),
                set_on: Some(set.line),
                fact_source: facts.source.clone(),
            })
        }
        None => {
            if facts.shell != Some(false) || ctx.stage_may_provide(Some(si), "/bin/sh", false) {
                return None;
            }
            Some(MissingShell {
                program: "/bin/sh".to_string(),
                set_on: None,
                fact_source: facts.source.clone(),
            })
        }
    }
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for (si, sv) in ctx.stages.iter().enumerate() {
        if sv.facts.is_none() {
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
            let Some(m) = missing_shell(ctx, si, ins) else {
                continue;
            };
            let message = match m.set_on {
                None => format!(
                    "{what} needs /bin/sh, but base `{base}` has no shell; use exec form or a builder stage"
                ),
                Some(line) => format!(
                    "{what} runs under `{}` (SHELL on line {line}), but base `{base}` has no `{}` and this stage does not add it; use exec form, a SHELL the base has, or a builder stage",
                    m.program, m.program
                ),
            };
            out.emit_with_source(&RULE, ins.span, message, Some(&m.fact_source));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{lines, lint, messages};

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

    #[test]
    fn uses_the_effective_shell() {
        // A SHELL the base has: no shell needed.
        let py = "FROM gcr.io/distroless/python3-debian12\nSHELL [\"/usr/bin/python3\", \"-c\"]\nRUN print(1)\nCMD print(2)\n";
        assert!(lines(py, "DD013").is_empty(), "{:?}", lint(py));
        // Before the SHELL line the default /bin/sh is still needed.
        let before = "FROM gcr.io/distroless/python3-debian12\nRUN print(0)\nSHELL [\"/usr/bin/python3\", \"-c\"]\nRUN print(1)\n";
        assert_eq!(lines(before, "DD013"), [2]);
        // A SHELL the base lacks is named in the message, with the SHELL's line.
        let bb = "FROM gcr.io/distroless/static-debian12\nSHELL [\"/busybox/sh\", \"-c\"]\nRUN echo hi\n";
        let m = messages(bb, "DD013");
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("`/busybox/sh` (SHELL on line 2)"), "{}", m[0]);
        assert!(!m[0].contains("/bin/sh"), "{}", m[0]);
        // ... unless the stage copies it in.
        let copied = "FROM gcr.io/distroless/static-debian12\nCOPY --from=busybox:1.36-musl /bin/busybox /busybox/sh\nSHELL [\"/busybox/sh\", \"-c\"]\nRUN echo hi\n";
        assert!(lines(copied, "DD013").is_empty());
        // Inherited through `FROM stage`.
        let inherit = "FROM gcr.io/distroless/python3-debian12 AS a\nSHELL [\"/usr/bin/python3\", \"-c\"]\nFROM a\nRUN print(1)\nFROM gcr.io/distroless/python3-debian12\nRUN print(1)\n";
        assert_eq!(lines(inherit, "DD013"), [6]);
        // A shell-having base whose binary list is complete: bash is not in alpine.
        let bash = "FROM alpine:3.20\nSHELL [\"/bin/bash\", \"-c\"]\nRUN echo hi\n";
        assert_eq!(lines(bash, "DD013"), [3]);
        let installed = "FROM alpine:3.20\nRUN apk add --no-cache bash\nSHELL [\"/bin/bash\", \"-c\"]\nRUN echo hi\n";
        assert!(lines(installed, "DD013").is_empty());
        // Unknown either way (debian's list is not complete): silent.
        let pwsh = "FROM debian:12\nSHELL [\"/usr/bin/pwsh\", \"-c\"]\nRUN Write-Host hi\n";
        assert!(lines(pwsh, "DD013").is_empty());
    }
}
