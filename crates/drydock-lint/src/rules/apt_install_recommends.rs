use crate::ctx::{Ctx, Sink, run_commands};
use crate::pkg;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `apt-get install` / `apt install` without `--no-install-recommends`
    /// (or `-o APT::Install-Recommends=false`).
    ///
    /// ## Why is this bad?
    /// Recommended packages are not needed to run the program; they typically double what is installed,
    /// and every extra package is more CVEs for the Trivy gate.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get install -y python3
    /// ```
    ///
    /// ## How to fix
    /// `RUN apt-get install -y --no-install-recommends python3`
    ///
    /// Overlaps hadolint DL3015.
    code: "DD027",
    name: "apt-install-recommends",
    severity: Info,
    hadolint: ["DL3015"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let bad = run_commands(ins).iter().filter_map(pkg::parse).any(|p| {
            matches!(p.manager, "apt-get" | "apt")
                && p.sub == "install"
                && !p.has_opt(&["--no-install-recommends"])
                && !p.options.iter().any(|o| {
                    let l = o.to_ascii_lowercase();
                    l.contains("install-recommends=false") || l.contains("install-recommends=0")
                })
        });
        if bad {
            out.emit(&RULE, ins.span, "`apt-get install` without `--no-install-recommends` pulls in packages nothing needs");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines("FROM debian:12\nRUN apt-get -y install python\n", "DD027"),
            [2]
        );
        assert!(
            lines(
                "FROM debian:12\nRUN apt-get install -y --no-install-recommends python\n",
                "DD027"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM debian:12\nRUN apt-get -o APT::Install-Recommends=false install python\n",
                "DD027"
            )
            .is_empty()
        );
    }
}
