use crate::ctx::{Ctx, Sink};
use crate::imageref::ImageRef;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags a final stage (the default build target) built on the debug variant of a minimal base:
    /// `gcr.io/distroless/*:debug*` (busybox shell) or a Chainguard `-dev` tag (shell and apk).
    ///
    /// ## Why is this bad?
    /// The point of distroless/Chainguard is a runtime without shell or package manager. The usual layout
    /// is builder → release → debug; if the debug stage is last, a plain `docker build` (no `--target`)
    /// ships the debug image to production, shell included.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM gcr.io/distroless/static-debian12:nonroot AS release
    /// COPY --from=build /app /app
    /// FROM gcr.io/distroless/static-debian12:debug-nonroot AS debug
    /// COPY --from=build /app /app
    /// ```
    ///
    /// ## How to fix
    /// Put the release stage last (build the debug image with `--target debug`), or base the final stage on
    /// the non-debug variant.
    code: "DD016",
    name: "debug-variant-in-final-stage",
    severity: Warning,
    hadolint: [],
    check: check,
}

/// `Some(description)` if the reference is a debug/dev variant of a minimal base.
pub fn debug_variant(image: &str) -> Option<&'static str> {
    let r = ImageRef::parse(image);
    let name = r.canonical_name();
    let tag = r.tag.unwrap_or_default().to_ascii_lowercase();
    if name.starts_with("gcr.io/distroless/") && tag.contains("debug") {
        Some("the distroless `:debug` variant (busybox shell)")
    } else if name.starts_with("cgr.dev/chainguard/")
        && (tag.ends_with("-dev") || tag == "dev" || tag.contains("-dev-"))
    {
        Some("the Chainguard `-dev` variant (shell and apk)")
    } else {
        None
    }
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    if ctx.stages.len() < 2 {
        return;
    }
    let Some(fin) = ctx.final_stage() else { return };
    let Some(image) = fin.root_image.as_deref() else {
        return;
    };
    if let Some(what) = debug_variant(image) {
        out.emit(
            &RULE,
            fin.stage.from.span,
            format!("the default build target is built on {what}; put the release stage last or use the non-debug variant"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        let t = "FROM golang:1 AS build\nFROM gcr.io/distroless/static-debian12:nonroot AS release\nFROM gcr.io/distroless/static-debian12:debug-nonroot AS debug\n";
        assert_eq!(lines(t, "DD016"), [3]);
        let ok = "FROM golang:1 AS build\nFROM gcr.io/distroless/static-debian12:debug AS debug\nFROM gcr.io/distroless/static-debian12:nonroot AS release\n";
        assert!(lines(ok, "DD016").is_empty());
        assert_eq!(
            lines(
                "FROM cgr.dev/chainguard/python:latest-dev AS b\nFROM cgr.dev/chainguard/python:latest-dev\n",
                "DD016"
            ),
            [2]
        );
        assert!(lines("FROM cgr.dev/chainguard/python:latest-dev AS b\nFROM cgr.dev/chainguard/python:latest\n", "DD016").is_empty());
    }
}
