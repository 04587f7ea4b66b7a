use crate::ctx::{Ctx, Sink, cache_mount_covers, removes_path, run_commands};
use crate::pkg;
use drydock_dockerfile::ast::{Instruction, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags a RUN in the final image (last stage and the stages it is built `FROM`) that runs
    /// `apt-get update`/`install` (also `apt`, `aptitude`) without removing `/var/lib/apt/lists` in the
    /// same RUN (`rm -rf /var/lib/apt/lists/*`, or `find /var/lib/apt/lists …` with `-delete` or
    /// `-exec rm`). Cleanup in a *later* RUN is reported too, with its own message: the bytes stay in the
    /// earlier layer. A `--mount=type=cache` (or `tmpfs`) on `/var/lib/apt/lists` or `/var/lib/apt` is
    /// fine (plus `/var/cache/apt` when `docker-clean` was removed).
    ///
    /// ## Why is this bad?
    /// The package lists are tens of megabytes that nothing at run time needs, and they date the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl
    /// RUN rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// ## How to fix
    /// ```dockerfile
    /// RUN apt-get update \
    ///  && apt-get install -y --no-install-recommends curl \
    ///  && rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// Overlaps hadolint DL3009 (which also only looks at the final image's stages). Difference: an
    /// `ONBUILD RUN` in a builder stage is not reported by drydock (it does not run in this build and the
    /// stage does not ship); hadolint reports it.
    code: "DD020",
    name: "apt-lists-not-removed",
    severity: Warning,
    hadolint: ["DL3009"],
    check: check,
}

const LISTS: &[&str] = &["/var/lib/apt/lists"];

fn uses_apt(ins: &Instruction) -> bool {
    run_commands(ins).iter().any(|c| {
        let argv = c.argv();
        let prog = c.program().unwrap_or("");
        if prog == "aptitude" {
            return argv.iter().any(|w| w == "update" || w == "install");
        }
        pkg::parse(c).is_some_and(|p| {
            matches!(p.manager, "apt-get" | "apt") && matches!(p.sub.as_str(), "update" | "install")
        })
    })
}

fn cleans(ins: &Instruction) -> bool {
    run_commands(ins).iter().any(|c| removes_path(c, LISTS))
}

fn removes_docker_clean(ins: &Instruction) -> bool {
    run_commands(ins)
        .iter()
        .any(|c| removes_path(c, &["/etc/apt/apt.conf.d/docker-clean"]))
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    let instrs: Vec<&Instruction> = ctx
        .final_image_instructions()
        .into_iter()
        .filter(|i| i.kind == InstructionKind::Run)
        .collect();
    let cleaned: Vec<bool> = instrs.iter().map(|i| cleans(i)).collect();
    let mut docker_clean_removed = false;
    for (n, ins) in instrs.iter().enumerate() {
        docker_clean_removed |= removes_docker_clean(ins);
        if !uses_apt(ins) || cleaned[n] {
            continue;
        }
        let lists_mounted = cache_mount_covers(ins, &["/var/lib/apt/lists", "/var/lib/apt"]);
        let archives_ok = !docker_clean_removed || cache_mount_covers(ins, &["/var/cache/apt"]);
        if lists_mounted && archives_ok {
            continue;
        }
        if lists_mounted {
            out.emit(&RULE, ins.span, "docker-clean was removed but /var/cache/apt is not a cache mount: downloaded .deb files stay in this layer");
            continue;
        }
        match (n + 1..instrs.len()).find(|&i| cleaned[i]).map(|i| instrs[i]) {
            Some(later) => out.emit(
                &RULE,
                ins.span,
                format!(
                    "apt lists are removed in a later RUN (line {}): the bytes stay in this layer; clean up in the same RUN",
                    later.span.start_line
                ),
            ),
            None => out.emit(
                &RULE,
                ins.span,
                "apt lists stay in this layer; end the RUN with `&& rm -rf /var/lib/apt/lists/*`",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{lines, messages};

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM debian:12\nRUN apt-get update && apt-get install -y python3\n",
                "DD020"
            ),
            [2]
        );
        assert!(lines("FROM debian:12\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n", "DD020").is_empty());
        assert!(
            lines(
                "FROM debian:12 AS b\nRUN apt-get update && apt-get install -y x\nFROM scratch\n",
                "DD020"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM debian:12\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get update\n",
                "DD020"
            )
            .is_empty()
        );
        for find in [
            "find /var/lib/apt/lists -type f -delete",
            "find /var/lib/apt/lists/ -mindepth 1 -delete",
            "find -L /var/lib/apt/lists -type f -exec rm -f {} +",
            "find /var/lib/apt/lists -type f -exec /bin/rm {} \\;",
        ] {
            let t =
                format!("FROM debian:12\nRUN apt-get update && apt-get install -y x && {find}\n");
            assert!(lines(&t, "DD020").is_empty(), "{find}");
        }
        for not_cleanup in [
            "find /var/lib/apt/lists -type f",
            "find /var/lib/apt/lists -type f -exec ls {} +",
            "find /tmp -delete",
        ] {
            let t = format!(
                "FROM debian:12\nRUN apt-get update && apt-get install -y x && {not_cleanup}\n"
            );
            assert_eq!(lines(&t, "DD020"), [2], "{not_cleanup}");
        }
        let later = "FROM debian:12\nRUN apt-get update && apt-get install -y x\nRUN rm -rf /var/lib/apt/lists/*\n";
        assert_eq!(lines(later, "DD020"), [2]);
        assert!(messages(later, "DD020")[0].contains("later RUN (line 3)"));
    }
}
