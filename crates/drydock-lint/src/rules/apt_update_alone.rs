use crate::ctx::{Ctx, Sink, run_commands};
use crate::pkg;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags a RUN that runs `apt-get update` (or `apt update`) but installs or upgrades nothing.
    ///
    /// ## Why is this bad?
    /// Docker caches that layer. A later `RUN apt-get install` keeps using the lists from whenever the
    /// cache was filled, so it installs stale versions or fails with 404s once the mirror moves on.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update
    /// RUN apt-get install -y curl
    /// ```
    ///
    /// ## How to fix
    /// Update and install in one RUN, and clean up in it:
    /// `RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*`
    code: "DD025",
    name: "apt-update-alone",
    severity: Warning,
    hadolint: [],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let parsed: Vec<_> = run_commands(ins).iter().filter_map(pkg::parse).collect();
        let apt = |p: &pkg::PkgCmd| matches!(p.manager, "apt-get" | "apt");
        let updates = parsed.iter().any(|p| apt(p) && p.sub == "update");
        let acts = parsed.iter().any(|p| {
            apt(p)
                && matches!(
                    p.sub.as_str(),
                    "install"
                        | "upgrade"
                        | "dist-upgrade"
                        | "full-upgrade"
                        | "build-dep"
                        | "source"
                        | "download"
                )
        });
        if updates && !acts {
            out.emit(&RULE, ins.span, "`apt-get update` alone in a RUN: its cached layer goes stale; update and install in the same RUN");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y x\n",
                "DD025"
            ),
            [2]
        );
        assert!(
            lines(
                "FROM debian:12\nRUN apt-get update && apt-get install -y x\n",
                "DD025"
            )
            .is_empty()
        );
        assert!(lines("FROM debian:12\nRUN echo apt-get update\n", "DD025").is_empty());
    }
}
