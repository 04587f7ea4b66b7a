use crate::ctx::{Ctx, Sink, unquote, words};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `COPY`/`ADD` with several sources whose destination does not end with `/`.
    ///
    /// ## Why is this bad?
    /// With more than one source the destination must be a directory; BuildKit rejects the instruction.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY package.json package-lock.json /app
    /// ```
    ///
    /// ## How to fix
    /// `COPY package.json package-lock.json /app/`
    ///
    /// Overlaps hadolint DL3021.
    code: "DD056",
    name: "copy-multiple-sources-dest",
    severity: Error,
    hadolint: ["DL3021"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if !matches!(ins.kind, InstructionKind::Copy | InstructionKind::Add) {
            continue;
        }
        let w = words(ins);
        if w.len() < 3 {
            continue;
        }
        let dest = unquote(&w[w.len() - 1]);
        if !dest.ends_with('/') && !dest.ends_with('\\') && !dest.contains('$') {
            out.emit(
                &RULE,
                ins.span,
                format!(
                    "{} sources need a directory destination: end `{dest}` with `/`",
                    w.len() - 1
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
            lines(
                "FROM alpine:3\nCOPY foo bar baz\nCOPY foo bar \"baz\"\n",
                "DD056"
            ),
            [2, 3]
        );
        assert!(lines("FROM alpine:3\nCOPY foo bar baz/\nCOPY foo bar\n", "DD056").is_empty());
    }
}
