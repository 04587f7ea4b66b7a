use crate::ctx::{Ctx, Sink};
use crate::imageref::ImageRef;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags an image reference that has a version tag but no `@sha256:` digest, in every stage's `FROM`,
    /// in `COPY --from=` and in `RUN --mount=from=`. (Untagged and `latest` references are reported by
    /// `base-image-untagged` and `base-image-latest` instead.)
    ///
    /// ## Why is this bad?
    /// Tags are mutable: `python:3.12-slim` is rebuilt every few days, and a registry (or an attacker with
    /// push rights) can move it. Only a digest names exact bytes, which is what a Trivy gate, an SBOM or a
    /// signature was computed for. hadolint has no such rule (its issue #773).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-alpine AS builder
    /// ```
    ///
    /// ## How to fix
    /// Keep the tag for readers and add the digest (let a bot such as Renovate bump it):
    /// ```dockerfile
    /// FROM python:3.12-alpine@sha256:236173eb74001afe2f60862de935b74fcbd00adfca247b2c27051a70a6a39a2d AS builder
    /// ```
    code: "DD003",
    name: "base-image-not-digest-pinned",
    severity: Warning,
    hadolint: [],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for u in ctx.image_uses() {
        let r = ImageRef::parse(&u.image);
        match (&r.tag, &r.digest) {
            (Some(t), None) if t != "latest" && !t.is_empty() => out.emit(
                &RULE,
                u.span,
                format!(
                    "{} `{}` is pinned by tag only; tags move, add `@sha256:<digest>`",
                    u.kind.describe(),
                    u.image
                ),
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        let t = "FROM python:3.12-alpine AS builder\nFROM builder AS test\nFROM gcr.io/distroless/python3:nonroot\nCOPY --from=builder /a /b\nCOPY --from=ghcr.io/x/y:1 /a /b\n";
        assert_eq!(lines(t, "DD003"), [1, 3, 5]);
        let pinned = format!("FROM python:3.12-alpine@sha256:{}\n", "a".repeat(64));
        assert!(lines(&pinned, "DD003").is_empty());
        assert!(lines("FROM scratch\nFROM debian\nFROM debian:latest\n", "DD003").is_empty());
    }
}
