use crate::ctx::{Ctx, Sink};
use crate::imageref::ImageRef;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags an image reference with neither a tag nor a digest, in `FROM`, `COPY --from=` and
    /// `RUN --mount=from=` (stage names and `scratch` are not images and are skipped).
    ///
    /// ## Why is this bad?
    /// An untagged reference means `:latest`: whatever the registry serves today. The build is not
    /// reproducible and a rebuild can silently switch the OS, libc or language runtime.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python
    /// ```
    ///
    /// ## How to fix
    /// Name the version and pin the digest:
    /// ```dockerfile
    /// FROM python:3.12-slim@sha256:<digest>
    /// ```
    ///
    /// Overlaps hadolint DL3006 (which, unlike drydock, does not look at `COPY --from` and mounts).
    code: "DD001",
    name: "base-image-untagged",
    severity: Warning,
    hadolint: ["DL3006"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for u in ctx.image_uses() {
        let r = ImageRef::parse(&u.image);
        if r.tag.is_none() && r.digest.is_none() {
            out.emit(
                &RULE,
                u.span,
                format!(
                    "{} `{}` has no tag or digest (it means `:latest`); pin it: `{}:<version>@sha256:<digest>`",
                    u.kind.describe(),
                    u.image,
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
        assert_eq!(lines("FROM debian\n", "DD001"), [1]);
        assert_eq!(
            lines(
                "FROM alpine:3.20 AS b\nCOPY --from=docker.io/library/nginx /a /b\nRUN --mount=from=busybox,target=/x true\n",
                "DD001"
            ),
            [2, 3]
        );
        assert!(
            lines(
                "FROM debian:12 AS build\nFROM build\nCOPY --from=build /a /b\n",
                "DD001"
            )
            .is_empty()
        );
        assert!(lines("FROM scratch\n", "DD001").is_empty());
        assert!(lines("ARG V\nFROM ${V}\n", "DD001").is_empty());
        assert!(lines("FROM ruby@sha256:f1dbca0f5dbc9\n", "DD001").is_empty());
        assert_eq!(lines("ARG B=debian\nFROM $B\n", "DD001"), [2]);
    }
}
