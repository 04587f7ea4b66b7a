use crate::ctx::{Ctx, Sink};
use crate::imageref::ImageRef;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags an image digest that is not `sha256:` followed by 64 lowercase hex digits (or `sha512:` and
    /// 128).
    ///
    /// ## Why is this bad?
    /// A truncated or mistyped digest makes the pull fail, or in some tools is silently ignored, so the pin
    /// you think you have is not there.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM ruby@sha256:f1dbca0f5dbc9
    /// ```
    ///
    /// ## How to fix
    /// Copy the full digest from `docker buildx imagetools inspect` or `crane digest`.
    code: "DD004",
    name: "malformed-digest",
    severity: Error,
    hadolint: [],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for u in ctx.image_uses() {
        let r = ImageRef::parse(&u.image);
        if let Some(d) = &r.digest
            && !r.digest_is_well_formed()
        {
            out.emit(
                    &RULE,
                    u.span,
                    format!("digest `{d}` of `{}` is malformed: expected `sha256:` and 64 lowercase hex digits", u.image),
                );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(lines("FROM ruby@sha256:f1dbca0f5dbc9\n", "DD004"), [1]);
        assert_eq!(
            lines(&format!("FROM ruby@sha256:{}\n", "A".repeat(64)), "DD004"),
            [1]
        );
        assert!(lines(&format!("FROM ruby:3@sha256:{}\n", "0".repeat(64)), "DD004").is_empty());
    }
}
