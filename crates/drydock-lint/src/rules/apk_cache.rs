use crate::ctx::{Ctx, Sink, cache_mount_covers, removes_path, run_commands};
use crate::pkg;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `apk add` in the final image without `--no-cache`, unless the same RUN removes
    /// `/var/cache/apk` or mounts it as a cache/tmpfs.
    ///
    /// ## Why is this bad?
    /// The APKINDEX and downloaded packages stay in the layer: a few megabytes on an image chosen for being
    /// a few megabytes.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apk add curl
    /// ```
    ///
    /// ## How to fix
    /// `RUN apk add --no-cache curl`
    ///
    /// Overlaps hadolint DL3019. Difference: drydock only checks stages that end up in the final image,
    /// and also accepts `rm -rf /var/cache/apk/*` in the same RUN.
    code: "DD021",
    name: "apk-add-without-no-cache",
    severity: Warning,
    hadolint: ["DL3019"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.final_image_instructions() {
        if ins.kind != InstructionKind::Run || cache_mount_covers(ins, &["/var/cache/apk"]) {
            continue;
        }
        let cmds = run_commands(ins);
        if cmds.iter().any(|c| removes_path(c, &["/var/cache/apk"])) {
            continue;
        }
        let bad = cmds
            .iter()
            .filter_map(pkg::parse)
            .any(|p| p.manager == "apk" && p.sub == "add" && !p.has_opt(&["--no-cache"]));
        if bad {
            out.emit(
                &RULE,
                ins.span,
                "`apk add` without `--no-cache` leaves the package index in this layer",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(lines("FROM alpine:3\nRUN apk add flex\n", "DD021"), [2]);
        assert!(lines("FROM alpine:3\nRUN apk add --no-cache flex\n", "DD021").is_empty());
        assert!(
            lines(
                "FROM alpine:3\nRUN --mount=type=cache,target=/var/cache/apk apk add -U curl\n",
                "DD021"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM alpine:3\nRUN apk add curl && rm -rf /var/cache/apk/*\n",
                "DD021"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM alpine:3 AS b\nRUN apk add gcc\nFROM scratch\n",
                "DD021"
            )
            .is_empty()
        );
    }
}
