use crate::ctx::{Ctx, Sink};

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags a `FROM … AS name` whose name (case-insensitive) an earlier stage already uses.
    ///
    /// ## Why is this bad?
    /// BuildKit rejects the file; older builders silently resolved `--from=name` to one of the two.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:20 AS build
    /// FROM golang:1.23 AS build
    /// ```
    ///
    /// ## How to fix
    /// Give every stage its own name.
    ///
    /// Overlaps hadolint DL3024.
    code: "DD053",
    name: "duplicate-stage-name",
    severity: Error,
    hadolint: ["DL3024"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for (i, sv) in ctx.stages.iter().enumerate() {
        let Some(name) = &sv.stage.name else { continue };
        if ctx.stages[..i]
            .iter()
            .any(|p| p.stage.name.as_deref() == Some(name.as_str()))
        {
            out.emit(
                &RULE,
                sv.stage.from.span,
                format!("stage name `{name}` is already used by an earlier stage"),
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
            lines("FROM node:20 AS foo\nRUN x\nFROM scratch AS FOO\n", "DD053"),
            [3]
        );
        assert!(lines("FROM node:20 AS a\nFROM scratch AS b\n", "DD053").is_empty());
    }
}
