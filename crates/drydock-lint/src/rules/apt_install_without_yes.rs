use crate::ctx::{Ctx, Sink, run_commands};
use crate::pkg;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `apt-get install` / `apt install` without `-y` (`--yes`, `--assume-yes`, `-qq`, `-q=2` or
    /// `-o APT::Get::Assume-Yes=true`).
    ///
    /// ## Why is this bad?
    /// Without it apt asks for confirmation, gets EOF, and aborts the build.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get install python3
    /// ```
    ///
    /// ## How to fix
    /// `RUN apt-get install -y --no-install-recommends python3`
    ///
    /// Overlaps hadolint DL3014.
    code: "DD026",
    name: "apt-install-without-yes",
    severity: Warning,
    hadolint: ["DL3014"],
    check: check,
}

fn assumes_yes(p: &pkg::PkgCmd) -> bool {
    let quiet_count: usize = p
        .options
        .iter()
        .map(|o| {
            if o == "--quiet" {
                1
            } else if o == "-q=2" || o == "--quiet=2" {
                2
            } else if o.starts_with('-') && !o.starts_with("--") {
                o.matches('q').count()
            } else {
                0
            }
        })
        .sum();
    p.has_opt(&["--yes", "--assume-yes", "--force-yes"])
        || p.has_short('y')
        || quiet_count >= 2
        || p.options
            .iter()
            .any(|o| o.to_ascii_lowercase().contains("assume-yes=true"))
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let bad = run_commands(ins).iter().filter_map(pkg::parse).any(|p| {
            matches!(p.manager, "apt-get" | "apt") && p.sub == "install" && !assumes_yes(&p)
        });
        if bad {
            out.emit(
                &RULE,
                ins.span,
                "`apt-get install` without `-y` waits for a confirmation the build cannot give",
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
            lines("FROM debian:12\nRUN apt-get install -q python\n", "DD026"),
            [2]
        );
        for ok in [
            "-yq",
            "-y",
            "--yes",
            "--assume-yes",
            "-qq",
            "-q -q",
            "-q=2",
            "--quiet --quiet",
        ] {
            let t = format!("FROM debian:12\nRUN apt-get install {ok} python\n");
            assert!(lines(&t, "DD026").is_empty(), "{ok}");
        }
    }
}
