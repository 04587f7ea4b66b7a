use crate::ctx::{Ctx, Sink};

crate::rules::declare_rule! {
    /// ## What it does
    /// Reports what BuildKit refuses when it turns the parsed file into build steps: unknown or malformed
    /// flags, `ONBUILD ONBUILD`, instructions before the first `FROM`, bad stage names, healthcheck
    /// durations below 1 ms, malformed `--mount` options, and the like. (What BuildKit's parser itself
    /// refuses, such as `ENV` without a value, is a parse error: exit code 2.)
    ///
    /// ## Why is this bad?
    /// The file parses, but the build fails before it starts. Where another rule already explains the
    /// same line as an error (for example an invalid port), only that rule's finding is kept.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM --platfrom=linux/amd64 debian:12
    /// ONBUILD ONBUILD RUN make
    /// ```
    ///
    /// ## How to fix
    /// Follow the message, which uses BuildKit's own wording: `FROM --platform=…`, one `ONBUILD`.
    code: "DD000",
    name: "buildkit-rejects",
    severity: Error,
    hadolint: [],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for e in drydock_dockerfile::validate(ctx.df) {
        out.emit(&RULE, e.span, e.message);
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{lines, lint};

    #[test]
    fn hits_and_misses() {
        assert_eq!(lines("FROM alpine:3\nCOPY --frm=x a b\n", "DD000"), vec![2]);
        assert_eq!(lines("FROM --bogus=1 alpine:3\n", "DD000"), vec![1]);
        assert_eq!(
            lines("FROM alpine:3\nONBUILD ONBUILD RUN x\n", "DD000"),
            vec![2]
        );
        assert!(lines("FROM alpine:3\nENV PATH=/bin\nEXPOSE 80\n", "DD000").is_empty());
        // An invalid port is explained by its own rule; BuildKit's generic error is not repeated.
        let f = lint("FROM alpine:3\nEXPOSE 80000\n");
        assert!(f.iter().any(|f| f.code == "DD047"));
        assert!(f.iter().all(|f| f.code != "DD000"), "{f:?}");
    }
}
