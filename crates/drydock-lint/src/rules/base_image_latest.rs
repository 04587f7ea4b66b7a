use crate::ctx::{Ctx, Sink};
use crate::imageref::ImageRef;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags an image reference tagged `latest` without a digest, in `FROM`, `COPY --from=` and
    /// `RUN --mount=from=`.
    ///
    /// ## Why is this bad?
    /// `latest` moves. Two builds of the same commit can get different bases, and the base-image ADR's
    /// facts (libc, shell, user) can change under you.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:latest
    /// ```
    ///
    /// ## How to fix
    /// Use a version tag and pin the digest: `FROM debian:12-slim@sha256:<digest>`.
    /// A `latest` tag that also carries a digest is pinned and not reported (as in hadolint DL3007).
    code: "DD002",
    name: "base-image-latest",
    severity: Warning,
    hadolint: ["DL3007"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for u in ctx.image_uses() {
        let r = ImageRef::parse(&u.image);
        if r.tag.as_deref() == Some("latest") && r.digest.is_none() {
            out.emit(
                &RULE,
                u.span,
                format!(
                    "{} `{}` uses the moving `latest` tag; use a version tag and pin its digest",
                    u.kind.describe(),
                    u.image
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
        assert_eq!(lines("FROM debian:latest AS b\n", "DD002"), [1]);
        assert_eq!(
            lines("FROM alpine:3\nCOPY --from=nginx:latest /a /b\n", "DD002"),
            [2]
        );
        assert!(lines("FROM debian:jessie\n", "DD002").is_empty());
        assert!(
            lines(
                &format!("FROM debian:latest@sha256:{}\n", "a".repeat(64)),
                "DD002"
            )
            .is_empty()
        );
    }
}
