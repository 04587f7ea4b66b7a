use crate::ctx::{Ctx, Sink};

crate::rules::declare_rule! {
    /// ## What it does
    /// Reports a `# drydock ignore=CODE` (or `global ignore=`) entry that suppressed no finding.
    ///
    /// ## Why is this bad?
    /// A stale ignore hides the next real finding of that rule on that line, and tells readers about a
    /// problem that is no longer there (cargo-deny reports unmatched ignores for the same reason).
    ///
    /// ## Example
    /// ```dockerfile
    /// # drydock ignore=DD003 pinned by renovate
    /// FROM python:3.12@sha256:…
    /// ```
    ///
    /// ## How to fix
    /// Remove the entry (or the whole comment).
    code: "DD090",
    name: "unused-ignore",
    severity: Warning,
    hadolint: [],
    check: check,
}

// Computed by the engine after all rules ran (see `lint_source`).
fn check(_ctx: &Ctx<'_>, _out: &mut Sink) {}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        let used = "# drydock ignore=DD002 reason\nFROM debian:latest\n";
        assert!(lines(used, "DD090").is_empty());
        assert!(lines(used, "DD002").is_empty());
        let unused = "# drydock ignore=base-image-latest\nFROM debian:12\n";
        assert_eq!(lines(unused, "DD090"), [1]);
        assert_eq!(
            lines("# drydock global ignore=DD046\nFROM debian:12\n", "DD090"),
            [1]
        );
        assert!(
            lines(
                "# drydock global ignore=DD046\nFROM debian:12\nEXPOSE 22\n",
                "DD090"
            )
            .is_empty()
        );
        let silenced =
            "# drydock global ignore=unused-ignore\n# drydock ignore=DD046\nFROM debian:12\n";
        assert!(lines(silenced, "DD090").is_empty());
    }
}
