use crate::ctx::{Ctx, Sink, unquote};
use drydock_dockerfile::ast::{Args, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `WORKDIR` with a relative path (variables and Windows drive paths are accepted).
    ///
    /// ## Why is this bad?
    /// A relative `WORKDIR` is resolved against the previous one, which may come from the base image and
    /// change with it; the final directory is not visible from the line itself.
    ///
    /// ## Example
    /// ```dockerfile
    /// WORKDIR app
    /// ```
    ///
    /// ## How to fix
    /// `WORKDIR /app`
    ///
    /// Overlaps hadolint DL3000.
    code: "DD043",
    name: "relative-workdir",
    severity: Warning,
    hadolint: ["DL3000"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Workdir {
            continue;
        }
        let raw = match &ins.args {
            Args::Text(t) => t.clone(),
            _ => ins.args_text.clone(),
        };
        let p = unquote(&raw);
        let b = p.as_bytes();
        let windows = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
        if p.is_empty()
            || p.starts_with('/')
            || p.starts_with('$')
            || p.starts_with('\\')
            || windows
        {
            continue;
        }
        out.emit(
            &RULE,
            ins.span,
            format!("WORKDIR `{p}` is relative; use an absolute path"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM alpine:3\nWORKDIR relative/dir\nWORKDIR 'rel'\n",
                "DD043"
            ),
            [2, 3]
        );
        assert!(
            lines(
                "FROM alpine:3\nWORKDIR /usr/local\nWORKDIR ${work}\nWORKDIR C:/\nWORKDIR \"/x\"\n",
                "DD043"
            )
            .is_empty()
        );
    }
}
