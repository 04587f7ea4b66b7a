use crate::ctx::{Ctx, Sink, cache_mount_covers, later_cleanup_note, removes_path, run_commands};
use crate::pkg;
use drydock_dockerfile::ast::{Instruction, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `apk add` in the final image without `--no-cache` (or `--no-network`, which downloads
    /// nothing), unless the same RUN removes
    /// `/var/cache/apk` or mounts it as a cache/tmpfs. Cleanup in a later RUN is reported too (the message
    /// names its line): the bytes stay in the earlier layer.
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

fn cleans(ins: &Instruction) -> bool {
    run_commands(ins).iter().any(|c| {
        removes_path(c, &["/var/cache/apk"])
            || (c.program() == Some("apk") && c.argv().get(1).map(String::as_str) == Some("cache"))
    })
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    let runs: Vec<&Instruction> = ctx
        .final_image_instructions()
        .into_iter()
        .filter(|i| i.kind == InstructionKind::Run)
        .collect();
    let cleaned: Vec<bool> = runs.iter().map(|r| cleans(r)).collect();
    for (n, ins) in runs.iter().enumerate() {
        if cache_mount_covers(ins, &["/var/cache/apk"]) || cleans(ins) {
            continue;
        }
        let bad = run_commands(ins).iter().filter_map(pkg::parse).any(|p| {
            p.manager == "apk" && p.sub == "add" && !p.has_opt(&["--no-cache", "--no-network"])
        });
        if bad {
            let note = later_cleanup_note(&runs, &cleaned, n);
            out.emit(
                &RULE,
                ins.span,
                format!(
                    "`apk add` without `--no-cache` leaves the package index in this layer{note}"
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
