use crate::ctx::{Ctx, Sink};
use drydock_dockerfile::ast::{Args, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `CMD`, `ENTRYPOINT` and `HEALTHCHECK CMD` written in shell form (`CMD python app.py`) on a
    /// base that has a shell. (On a base without one, `shell-form-without-shell` reports an error instead.)
    ///
    /// ## Why is this bad?
    /// Shell form runs `/bin/sh -c "…"` as PID 1: the shell does not forward SIGTERM, so `docker stop`
    /// waits out its timeout and kills the program without a graceful shutdown. A shell-form ENTRYPOINT
    /// also ignores `CMD` and `docker run` arguments.
    ///
    /// ## Example
    /// ```dockerfile
    /// CMD gunicorn app:app
    /// ```
    ///
    /// ## How to fix
    /// `CMD ["gunicorn", "app:app"]` (use `exec` inside a wrapper script if you need one).
    ///
    /// Overlaps hadolint DL3025.
    code: "DD040",
    name: "cmd-shell-form",
    severity: Warning,
    hadolint: ["DL3025"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        let what = match (&ins.kind, &ins.args) {
            (InstructionKind::Cmd, Args::Shell(_)) => "CMD",
            (InstructionKind::Entrypoint, Args::Shell(_)) => "ENTRYPOINT",
            (InstructionKind::Healthcheck, Args::Healthcheck { cmd, .. })
                if matches!(**cmd, Args::Shell(_)) =>
            {
                "HEALTHCHECK CMD"
            }
            _ => continue,
        };
        let no_shell = ctx
            .stage_of(ins)
            .and_then(|s| s.facts.as_ref())
            .is_some_and(|f| f.shell == Some(false));
        if no_shell {
            continue;
        }
        out.emit(&RULE, ins.span, format!("{what} in shell form runs under /bin/sh -c, which does not forward signals; use the JSON exec form"));
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM node:20\nENTRYPOINT something\nCMD x\nHEALTHCHECK CMD foo\n",
                "DD040"
            ),
            [2, 3, 4]
        );
        assert!(
            lines(
                "FROM node:20\nCMD [\"foo\", \"bar\"]\nHEALTHCHECK CMD [\"a\"]\n",
                "DD040"
            )
            .is_empty()
        );
        assert!(lines("FROM scratch\nCMD foo\n", "DD040").is_empty());
    }
}
