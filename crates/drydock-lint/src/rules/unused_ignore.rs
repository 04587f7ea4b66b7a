use crate::ctx::{Ctx, Sink};

crate::rules::declare_rule! {
    /// ## What it does
    /// Reports a `# drydock ignore=CODE` (or `global ignore=`) entry that suppressed no finding. A pragma
    /// written inside the continuation lines of an instruction (between `RUN a \` and its last line)
    /// applies to nothing, because BuildKit drops comments there; it is reported here with its own
    /// message rather than silently applied to the instruction that follows.
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
    /// Remove the entry (or the whole comment); move a pragma out of continuation lines to the line
    /// above the instruction.
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
    use crate::testutil::{lines, messages};

    #[test]
    fn pragma_inside_a_continuation_applies_to_nothing() {
        let text = "FROM debian:12\nRUN apt-get update \\\n# drydock ignore=DD020\n && apt-get install -y curl\n# a comment\nRUN apt-get update && apt-get install -y wget\n";
        // Neither the RUN it sits in nor the next RUN is silenced.
        assert_eq!(lines(text, "DD020"), [2, 6]);
        assert_eq!(lines(text, "DD090"), [3]);
        let m = messages(text, "DD090");
        assert!(
            m[0].contains("continuation lines of the instruction on line 2"),
            "{m:?}"
        );
        // A global pragma in a continuation is dropped by BuildKit too.
        let global = "FROM debian:12\nRUN apt-get update \\\n# drydock global ignore=DD020\n && apt-get install -y curl\n";
        assert_eq!(lines(global, "DD020"), [2]);
        assert_eq!(lines(global, "DD090"), [3]);
        // The same pragma above the instruction works.
        let above = "FROM debian:12\n# drydock ignore=DD020\nRUN apt-get update \\\n && apt-get install -y curl\n";
        assert!(lines(above, "DD020").is_empty());
        assert!(lines(above, "DD090").is_empty());
    }

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
