use crate::ctx::{Ctx, Sink};
use drydock_dockerfile::ast::{Args, Instruction, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `CMD`, `ENTRYPOINT` and `HEALTHCHECK CMD` written in shell form (`CMD python app.py`) when
    /// the stage has the shell they run under. (Where it does not, `shell-form-without-shell` reports an
    /// error instead.) The message names the effective shell: the stage's `SHELL`, `cmd /S /C` on a
    /// Windows base, else `/bin/sh -c`.
    ///
    /// ## Why is this bad?
    /// Shell form runs `/bin/sh -c "…"` (or the `SHELL`) as PID 1: the shell does not forward SIGTERM, so `docker stop`
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

/// The shell a shell-form instruction runs under, as written in messages.
fn shell_text(ctx: &Ctx<'_>, ins: &Instruction) -> String {
    if let Some(set) = ctx.shell_at(ins)
        && !set.argv.is_empty()
    {
        return set.argv.join(" ");
    }
    let windows = ctx
        .stage_of(ins)
        .and_then(|s| s.facts.as_ref())
        .is_some_and(|f| f.os.as_deref() == Some("windows"));
    if windows { "cmd /S /C" } else { "/bin/sh -c" }.to_string()
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
        // Where the shell is missing, shell-form-without-shell reports an error instead.
        let no_shell = ins.stage.is_some_and(|si| {
            crate::rules::shell_needed_without_shell::missing_shell(ctx, si, ins).is_some()
        });
        if no_shell {
            continue;
        }
        let shell = shell_text(ctx, ins);
        out.emit(&RULE, ins.span, format!("{what} in shell form runs under `{shell}`, which does not forward signals; use the JSON exec form"));
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{lines, messages};

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

    #[test]
    fn names_the_effective_shell() {
        let m = messages("FROM node:20\nCMD x\n", "DD040");
        assert!(m[0].contains("`/bin/sh -c`"), "{m:?}");
        let win = messages(
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD ping -t localhost\n",
            "DD040",
        );
        assert_eq!(win.len(), 1);
        assert!(
            win[0].contains("`cmd /S /C`") && !win[0].contains("/bin/sh"),
            "{win:?}"
        );
        let node_win = messages(
            "FROM node:20-windowsservercore-ltsc2022\nCMD node app.js\n",
            "DD040",
        );
        assert!(node_win[0].contains("`cmd /S /C`"), "{node_win:?}");
        let pwsh = messages(
            "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL [\"powershell\", \"-Command\"]\nCMD Start-Sleep 1\n",
            "DD040",
        );
        assert!(pwsh[0].contains("`powershell -Command`"), "{pwsh:?}");
        // distroless Python with a python SHELL: the CMD runs, so the signal advice applies.
        let py = "FROM gcr.io/distroless/python3-debian12\nSHELL [\"/usr/bin/python3\", \"-c\"]\nCMD print(1)\n";
        assert_eq!(lines(py, "DD040"), [3]);
        assert!(messages(py, "DD040")[0].contains("`/usr/bin/python3 -c`"));
    }
}
