use crate::ctx::{Ctx, Sink, cache_mount_covers, removes_path, run_commands};
use crate::pkg;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `dnf`, `yum`, `microdnf` or `zypper` installs in the final image without a `clean all`
    /// (`zypper clean`) or removal of `/var/cache/{dnf,yum}` after it in the same RUN, or a cache mount
    /// there. A clean in a later RUN does not count (the bytes stay in the earlier layer); the message
    /// names its line.
    ///
    /// ## Why is this bad?
    /// Repository metadata and downloaded RPMs stay in the layer: often 100+ MB on UBI and Fedora bases.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN dnf install -y python3
    /// ```
    ///
    /// ## How to fix
    /// `RUN dnf install -y python3 && dnf clean all`
    ///
    /// Overlaps hadolint DL3032 (yum), DL3040 (dnf/microdnf) and DL3036 (zypper). Difference: drydock
    /// only checks stages that end up in the final image.
    code: "DD023",
    name: "dnf-yum-without-clean",
    severity: Warning,
    hadolint: ["DL3032", "DL3040", "DL3036"],
    check: check,
}

fn cleans(ins: &drydock_dockerfile::ast::Instruction) -> bool {
    run_commands(ins).iter().any(|c| {
        removes_path(
            c,
            &[
                "/var/cache/dnf",
                "/var/cache/yum",
                "/var/cache/zypp",
                "/var/cache/libdnf5",
            ],
        ) || pkg::parse(c)
            .is_some_and(|p| p.sub == "clean" && p.manager != "pip" && p.manager != "npm")
    })
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    let runs: Vec<_> = ctx
        .final_image_instructions()
        .into_iter()
        .filter(|i| i.kind == InstructionKind::Run)
        .collect();
    let cleaned: Vec<bool> = runs.iter().map(|r| cleans(r)).collect();
    for (n, &ins) in runs.iter().enumerate() {
        if cache_mount_covers(
            ins,
            &[
                "/var/cache/dnf",
                "/var/cache/yum",
                "/var/cache/zypp",
                "/var/cache/libdnf5",
            ],
        ) {
            continue;
        }
        let cmds = run_commands(ins);
        let caches = [
            "/var/cache/dnf",
            "/var/cache/yum",
            "/var/cache/zypp",
            "/var/cache/libdnf5",
        ];
        for mgr in ["dnf", "yum", "microdnf", "zypper"] {
            // The cache must be cleaned after the last command that fills it.
            let mut dirty = false;
            for c in &cmds {
                if let Some(p) = pkg::parse(c).filter(|p| p.manager == mgr) {
                    if p.installs() || FILLS.contains(&p.sub.as_str()) {
                        dirty = true;
                    } else if (p.sub == "clean" || p.sub == "cc")
                        && (mgr == "zypper" || p.args.iter().any(|a| a == "all"))
                    {
                        dirty = false;
                    }
                } else if removes_path(c, &caches) {
                    dirty = false;
                }
            }
            if dirty {
                let fix = if mgr == "zypper" {
                    "zypper clean".to_string()
                } else {
                    format!("{mgr} clean all")
                };
                let note = crate::ctx::later_cleanup_note(&runs, &cleaned, n);
                out.emit(
                    &RULE,
                    ins.span,
                    format!(
                        "`{mgr}` leaves its cache in this layer; end the RUN with `&& {fix}`{note}"
                    ),
                );
            }
        }
    }
}

/// Subcommands other than install that download into the cache.
const FILLS: &[&str] = &[
    "upgrade",
    "up",
    "upgrade-minimal",
    "update",
    "reinstall",
    "downgrade",
    "distro-sync",
    "dist-upgrade",
    "dup",
    "makecache",
    "group",
    "groupupdate",
    "patch",
    "up-min",
    "rei",
    "dsync",
    "update-minimal",
];

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines("FROM fedora:40\nRUN dnf install -y x\n", "DD023"),
            [2]
        );
        assert_eq!(
            lines(
                "FROM fedora:40\nRUN yum install -y x && dnf clean all\n",
                "DD023"
            ),
            [2]
        );
        assert!(
            lines(
                "FROM fedora:40\nRUN dnf install -y x && dnf clean all\n",
                "DD023"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM fedora:40\nRUN microdnf install x && rm -rf /var/cache/yum\n",
                "DD023"
            )
            .is_empty()
        );
    }
}
