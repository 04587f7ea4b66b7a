use crate::ctx::{Ctx, Sink, run_commands};
use drydock_dockerfile::ast::{Args, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags a shell-form RUN with a pipe (`a | b`) when the stage's shell is not set to fail on a broken
    /// pipe: no `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` (bash, zsh, ksh, ash) in the stage or the
    /// stages it is built `FROM`, and no `set -o pipefail` at the start of the RUN. A `SHELL` that is not
    /// a POSIX shell (PowerShell, `cmd`, an interpreter such as `["/usr/bin/python3", "-c"]`) is not
    /// reported: a `|` means something else there.
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

/// `Some(true)` for a shell set up with pipefail, `Some(false)` for a POSIX shell without it (or a SHELL
/// not in JSON form), `None` for anything that is not a POSIX shell (PowerShell, cmd, an interpreter
/// such as `python3 -c`): pipes mean something else there.
fn shell_pipefail(argv: &[String]) -> Option<bool> {
    let Some(first) = argv.first() else {
        return Some(false);
    };
    let prog = first
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(first)
        .to_ascii_lowercase();
    let supports = matches!(
        prog.as_str(),
        "bash" | "zsh" | "ksh" | "mksh" | "ash" | "busybox"
    );
    if !supports && !matches!(prog.as_str(), "sh" | "dash" | "posh" | "yash") {
        return None;
    }
    let has = argv
        .windows(2)
        .any(|w| w[0].starts_with('-') && w[0].ends_with('o') && w[1] == "pipefail");
    Some(supports && has)
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in &ctx.df.instructions {
        let run = crate::ctx::unwrap_onbuild(ins);
        if run.kind != InstructionKind::Run || !matches!(run.args, Args::Shell(_)) {
            continue;
        }
        // The SHELL in effect: set earlier in the stage or inherited from a `FROM stage`.
        let pipefail = match ctx.shell_at(ins) {
            Some(set) => shell_pipefail(&set.argv),
            None => Some(false),
        };
        if pipefail != Some(false) {
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
        // A shell the stage does not have is shell-form-without-shell's error, not pipefail advice.
        let no_shell = ins.stage.is_some_and(|si| {
            crate::rules::shell_needed_without_shell::missing_shell(ctx, si, ins).is_some()
        });
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
        let python =
            "FROM python:3.12-slim\nSHELL [\"/usr/local/bin/python3\", \"-c\"]\nRUN print(1 | 2)\n";
        assert!(lines(python, "DD035").is_empty());
        let dash = "FROM debian:12\nSHELL [\"/bin/dash\", \"-c\"]\nRUN a | b\n";
        assert_eq!(lines(dash, "DD035"), [3]);
    }
}
