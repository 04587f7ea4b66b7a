use crate::ctx::{Ctx, Sink};
use crate::imageref::ImageRef;

crate::rules::declare_rule! {
    /// ## What it does
    /// Notes an image pinned by digest with no tag beside it.
    ///
    /// ## Why is this bad?
    /// It is pinned, which is good, but nobody reading the file can tell which version it is, and update
    /// bots (Renovate, Dependabot) need the tag to know what to bump the digest to.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python@sha256:236173eb74001afe2f60862de935b74fcbd00adfca247b2c27051a70a6a39a2d
    /// ```
    ///
    /// ## How to fix
    /// Write both: `FROM python:3.12-alpine@sha256:…`.
    code: "DD005",
    name: "digest-without-tag",
    severity: Info,
    hadolint: [],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for u in ctx.image_uses() {
        let r = ImageRef::parse(&u.image);
        if r.tag.is_none() && r.digest.is_some() {
            out.emit(
                &RULE,
                u.span,
                format!("`{}` is pinned by digest but has no tag; add the tag so readers and update bots know the version", u.image),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        let d = "a".repeat(64);
        assert_eq!(lines(&format!("FROM python@sha256:{d}\n"), "DD005"), [1]);
        assert!(lines(&format!("FROM python:3.12@sha256:{d}\n"), "DD005").is_empty());
        assert!(lines("FROM python\n", "DD005").is_empty());
    }
}
