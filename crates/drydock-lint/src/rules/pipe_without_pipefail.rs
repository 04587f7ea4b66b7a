use crate::ctx::{Ctx, Sink, run_commands};
use drydock_dockerfile::ast::{Args, Instruction, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags a shell-form RUN with a pipe (`a | b`) when the stage's shell is not set to fail on a broken
    /// pipe: no `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` (bash, zsh, ksh, ash) in the stage or the
    /// stages it is built `FROM`, and no `set -o pipefail` at the start of the RUN. PowerShell and `cmd`
    /// shells are not reported.
    ///
    /// ## Why is this bad?
    /// `/bin/sh -c` returns the status of the *last* command of a pipeline: `curl … | tar -x` succeeds
    /// when the download fails, and the build ships an image without the file (or with half of it).
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /usr/local/bin
    /// ```
    ///
    /// ## How to fix
    /// ```dockerfile
    /// SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    /// RUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /usr/local/bin
    /// ```
    ///
    /// Overlaps hadolint DL4006. Difference: drydock also accepts `set -o pipefail` at the start of the RUN
    /// and a SHELL inherited from the stage named in `FROM` (Docker keeps it in the image config); and on a
    /// base without a shell (scratch, distroless) it stays silent because `shell-form-without-shell`
    /// already reports the RUN as an error.
    code: "DD035",
    name: "pipe-without-pipefail",
    severity: Warning,
    hadolint: ["DL4006"],
    check: check,
}

/// `Some(true)` for a shell set up with pipefail, `Some(false)` for a POSIX shell without it, `None` for
/// a non-POSIX shell (PowerShell, cmd).
fn shell_pipefail(shell: &Instruction) -> Option<bool> {
    let Args::Exec(v) = &shell.args else {
        return Some(false);
    };
    let prog = v.first().map(|p| {
        p.rsplit(['/', '\\'])
            .next()
            .unwrap_or(p)
            .to_ascii_lowercase()
    })?;
    if prog.starts_with("pwsh") || prog.starts_with("powershell") || prog.starts_with("cmd") {
        return None;
    }
    let supports = matches!(
        prog.as_str(),
        "bash" | "zsh" | "ksh" | "mksh" | "ash" | "busybox"
    );
    let has = v
        .windows(2)
        .any(|w| w[0].starts_with('-') && w[0].ends_with('o') && w[1] == "pipefail");
    Some(supports && has)
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    // Walk in order, tracking the SHELL in effect per stage (inherited from a `FROM stage`).
    let mut stage_shell: Vec<Option<Option<bool>>> = vec![None; ctx.stages.len()];
    let mut no_stage_shell: Option<Option<bool>> = None;
    for ins in &ctx.df.instructions {
        let current = |ss: &Vec<Option<Option<bool>>>| -> Option<Option<bool>> {
            match ins.stage {
                None => no_stage_shell,
                Some(s) => ctx
                    .chain_of(s)
                    .iter()
                    .find_map(|&c| ss.get(c).copied().flatten()),
            }
        };
        if ins.kind == InstructionKind::Shell {
            let v = shell_pipefail(ins);
            match ins.stage {
                None => no_stage_shell = Some(v),
                Some(s) => {
                    if let Some(slot) = stage_shell.get_mut(s) {
                        *slot = Some(v);
                    }
                }
            }
            continue;
        }
        let run = crate::ctx::unwrap_onbuild(ins);
        if run.kind != InstructionKind::Run || !matches!(run.args, Args::Shell(_)) {
            continue;
        }
        let shell = current(&stage_shell);
        if matches!(shell, Some(None) | Some(Some(true))) {
            continue;
        }
        let cmds = run_commands(run);
        if !cmds.iter().any(|c| c.op_before == "|" && !c.nested) {
            continue;
        }
        let sets_pipefail = cmds.iter().take(2).any(|c| {
            c.program() == Some("set")
                && c.words
                    .windows(2)
                    .any(|w| w[0].ends_with('o') && w[1] == "pipefail")
        });
        if sets_pipefail {
            continue;
        }
        let no_shell = ctx
            .stage_of(ins)
            .and_then(|s| s.facts.as_ref())
            .is_some_and(|f| f.shell == Some(false));
        if no_shell {
            continue;
        }
        out.emit(&RULE, ins.span, "a pipe without pipefail hides failures of all but the last command; set `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]`");
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines("FROM debian:12\nRUN curl -fsSL x | tar -xz\n", "DD035"),
            [2]
        );
        assert!(lines("FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl x | tar -xz\n", "DD035").is_empty());
        assert!(
            lines(
                "FROM debian:12\nRUN set -eux -o pipefail; curl x | tar -xz\n",
                "DD035"
            )
            .is_empty()
        );
        assert!(lines("FROM debian:12\nRUN a || b && c\n", "DD035").is_empty());
        let inherit = "FROM debian:12 AS a\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nFROM a\nRUN x | y\nFROM debian:12\nRUN x | y\n";
        assert_eq!(lines(inherit, "DD035"), [6]);
        assert_eq!(
            lines(
                "FROM debian:12\nSHELL [\"/bin/sh\", \"-o\", \"pipefail\", \"-c\"]\nRUN x | y\n",
                "DD035"
            ),
            [3]
        );
    }
}
