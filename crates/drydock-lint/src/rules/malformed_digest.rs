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

/// What a digest with this algorithm should look like.
fn expected(digest: &str) -> String {
    let alg = digest.split_once(':').map(|(a, _)| a);
    match alg.map(str::to_ascii_lowercase).as_deref() {
        Some("sha512") if alg != Some("sha512") => {
            "the algorithm is written `sha512` and followed by 128 lowercase hex digits".to_string()
        }
        Some("sha256") if alg != Some("sha256") => {
            "the algorithm is written `sha256` and followed by 64 lowercase hex digits".to_string()
        }
        Some("sha512") => "expected `sha512:` and 128 lowercase hex digits".to_string(),
        Some("sha256") => "expected `sha256:` and 64 lowercase hex digits".to_string(),
        Some(other) => format!(
            "unknown algorithm `{other}`; expected `sha256:` and 64 lowercase hex digits (or `sha512:` and 128)"
        ),
        None => "expected `sha256:` and 64 lowercase hex digits (or `sha512:` and 128)".to_string(),
    }
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
                format!(
                    "digest `{d}` of `{}` is malformed: {}",
                    u.image,
                    expected(d)
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{lines, messages};

    #[test]
    fn hits_and_misses() {
        assert_eq!(lines("FROM ruby@sha256:f1dbca0f5dbc9\n", "DD004"), [1]);
        assert_eq!(
            lines(&format!("FROM ruby@sha256:{}\n", "A".repeat(64)), "DD004"),
            [1]
        );
        assert!(lines(&format!("FROM ruby:3@sha256:{}\n", "0".repeat(64)), "DD004").is_empty());
        assert!(
            lines(
                &format!("FROM ruby:3@sha512:{}\n", "0".repeat(128)),
                "DD004"
            )
            .is_empty()
        );
    }

    #[test]
    fn message_names_the_digest_algorithm() {
        let short512 = messages(&format!("FROM ruby@sha512:{}\n", "a".repeat(64)), "DD004");
        assert_eq!(short512.len(), 1);
        assert!(
            short512[0].contains("expected `sha512:` and 128 lowercase hex digits"),
            "{short512:?}"
        );
        assert!(!short512[0].contains("sha256"), "{short512:?}");
        let short256 = messages("FROM ruby@sha256:abc\n", "DD004");
        assert!(
            short256[0].contains("expected `sha256:` and 64"),
            "{short256:?}"
        );
        let md5 = messages("FROM ruby@md5:abc\n", "DD004");
        assert!(md5[0].contains("unknown algorithm `md5`"), "{md5:?}");
        let upper = messages(&format!("FROM ruby@SHA512:{}\n", "a".repeat(128)), "DD004");
        assert!(upper[0].contains("written `sha512`"), "{upper:?}");
    }
}
