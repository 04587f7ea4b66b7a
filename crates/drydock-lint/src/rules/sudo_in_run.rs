use crate::ctx::{Ctx, Sink, run_commands};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `sudo` in a RUN.
    ///
    /// ## Why is this bad?
    /// Builds run as root unless a `USER` says otherwise; `sudo` adds a setuid binary and its
    /// configuration to the image, unpredictable TTY and signal behaviour, and a privilege-escalation path
    /// at run time.
    ///
    /// ## Example
    /// ```dockerfile
    /// USER app
    /// RUN sudo apt-get install -y curl
    /// ```
    ///
    /// ## How to fix
    /// Do the root steps before `USER app`, or switch with `USER root` … `USER app` around them.
    ///
    /// Overlaps hadolint DL3004.
    code: "DD045",
    name: "sudo-in-run",
    severity: Warning,
    hadolint: ["DL3004"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let uses = run_commands(ins).iter().any(|c| {
            c.words
                .iter()
                .find(|w| !w.contains('='))
                .map(String::as_str)
                == Some("sudo")
        });
        if uses {
            out.emit(
                &RULE,
                ins.span,
                "do not use sudo in RUN; order the steps with USER instead",
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
            lines("FROM alpine:3\nRUN sudo apt-get install\n", "DD045"),
            [2]
        );
        assert!(lines("FROM alpine:3\nRUN apt-get install sudo\n", "DD045").is_empty());
    }
}
