use crate::ctx::{Ctx, Sink};

crate::rules::declare_rule! {
    /// ## What it does
    /// Reports an id in a `# drydock ignore=` pragma that names no drydock rule (neither a code like
    /// `DD003` nor a name like `base-image-not-digest-pinned`).
    ///
    /// ## Why is this bad?
    /// A typo in an ignore silently suppresses nothing, and the finding it was meant for shows up anyway,
    /// or worse, a hadolint code put in a drydock pragma looks like it does something.
    ///
    /// ## Example
    /// ```dockerfile
    /// # drydock ignore=DL3008
    /// RUN apt-get install -y curl
    /// ```
    ///
    /// ## How to fix
    /// Use the drydock code (see docs/rules/README.md); `# hadolint ignore=DL3008` is honoured for the
    /// drydock rules that overlap DL3008.
    code: "DD091",
    name: "unknown-ignore-code",
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
        assert_eq!(
            lines("# drydock ignore=DL3008,DD999\nFROM debian:12\n", "DD091"),
            [1, 1]
        );
        assert!(lines("# hadolint ignore=DL3008\nFROM debian:12\n", "DD091").is_empty());
        assert!(lines("# hadolint ignore=DL3007\nFROM debian:latest\n", "DD002").is_empty());
    }
}
