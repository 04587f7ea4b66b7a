use crate::ctx::{Ctx, Sink, run_commands};
use crate::pkg;
use drydock_dockerfile::ast::InstructionKind;
use std::collections::HashMap;

crate::rules::declare_rule! {
    /// ## What it does
    /// Notes OS packages installed without a version: `apt-get install curl` (not `curl=7.88.1-10`),
    /// `apk add curl` (not `curl=8.9.1-r0`), `dnf/yum/microdnf/zypper install curl` (not `curl-8.9.1`).
    ///
    /// ## Why is this bad?
    /// The build installs whatever the mirror has that day. With a digest-pinned base this is the last
    /// source of drift between two builds of one commit. It is info, not a warning: pinning OS packages
    /// has a cost (pins break when the distribution drops the old version), and many teams pin the base
    /// digest instead and rebuild on purpose.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apk add --no-cache curl
    /// ```
    ///
    /// ## How to fix
    /// `RUN apk add --no-cache curl=8.9.1-r0`, or accept the drift and ignore this rule in `.drydock.toml`.
    ///
    /// Overlaps hadolint DL3008 (apt), DL3018 (apk), DL3033 (yum), DL3041 (dnf) and DL3037 (zypper).
    code: "DD028",
    name: "os-package-unpinned",
    severity: Info,
    hadolint: ["DL3008", "DL3018", "DL3033", "DL3041", "DL3037"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    // Like hadolint, let an ARG default from any stage resolve a version variable.
    let mut all_args: HashMap<String, String> = HashMap::new();
    for a in ctx
        .df
        .instructions
        .iter()
        .filter(|i| i.kind == InstructionKind::Arg)
    {
        for (k, v) in crate::ctx::arg_defaults(a) {
            if let Some(v) = v {
                all_args.entry(k).or_insert(v);
            }
        }
    }
    let mut per_stage: HashMap<Option<usize>, HashMap<String, String>> = HashMap::new();
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let mut unpinned = Vec::new();
        let vars = per_stage.entry(ins.stage).or_insert_with(|| {
            let mut v = ctx.visible_vars(ins.stage).clone();
            for (k, val) in &all_args {
                v.entry(k.clone()).or_insert_with(|| val.clone());
            }
            v
        });
        for p in run_commands(ins).iter().filter_map(pkg::parse) {
            let os = matches!(
                p.manager,
                "apt-get" | "apt" | "apk" | "dnf" | "yum" | "microdnf" | "zypper"
            );
            let install = (p.manager == "apk" && p.sub == "add")
                || (p.manager != "apk" && p.sub == "install");
            if !os || !install {
                continue;
            }
            for a in &p.args {
                if a.starts_with('$') || a.starts_with('@') || a.ends_with(".txt") {
                    continue;
                }
                // Versions often come from ARG/ENV: judge the expanded word; an unresolved variable
                // pins nothing.
                let expanded = crate::ctx::expand_vars(a, vars);
                if expanded.contains('$') || !pkg::is_pinned(&expanded, p.manager) {
                    unpinned.push(a.clone());
                }
            }
        }
        if !unpinned.is_empty() {
            out.emit(
                &RULE,
                ins.span,
                format!(
                    "OS packages without a pinned version: {}",
                    unpinned.join(", ")
                ),
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
            lines("FROM debian:12\nRUN apt-get install -y python\n", "DD028"),
            [2]
        );
        assert!(
            lines(
                "FROM debian:12\nRUN apt-get install -y python=3.11\n",
                "DD028"
            )
            .is_empty()
        );
        assert_eq!(
            lines("FROM alpine:3\nRUN apk add --no-cache curl\n", "DD028"),
            [2]
        );
        assert!(
            lines(
                "FROM alpine:3\nRUN apk add --no-cache curl=8.9.1-r0\n",
                "DD028"
            )
            .is_empty()
        );
    }
}
