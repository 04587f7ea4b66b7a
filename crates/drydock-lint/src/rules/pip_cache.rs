use crate::ctx::{Ctx, Sink, cache_mount_covers, removes_path, run_commands, truthy};
use crate::pkg;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `pip install` (`pip`, `pip3`, `python -m pip`) in the final image without `--no-cache-dir`,
    /// unless `PIP_NO_CACHE_DIR` is switched on (by `ENV` in the stage chain, on the command, or by an
    /// earlier `export` in the same RUN), the pip cache is a cache/tmpfs mount, or the RUN removes it
    /// (`rm -rf /root/.cache`, `pip cache purge`). Removal in a later RUN does not count: the bytes stay in
    /// the earlier layer, and the message says so.
    ///
    /// ## Why is this bad?
    /// pip keeps every downloaded wheel in `~/.cache/pip`: often larger than the installed packages.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN pip install -r requirements.txt
    /// ```
    ///
    /// ## How to fix
    /// `RUN pip install --no-cache-dir -r requirements.txt`, or
    /// `RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt`.
    ///
    /// Overlaps hadolint DL3042. Difference: drydock only checks stages that end up in the final image.
    code: "DD022",
    name: "pip-install-without-no-cache-dir",
    severity: Warning,
    hadolint: ["DL3042"],
    check: check,
}

fn cleans(ins: &drydock_dockerfile::ast::Instruction) -> bool {
    run_commands(ins).iter().any(|c| {
        removes_path(c, &["/root/.cache", "~/.cache", "$HOME/.cache"])
            || (c.program().is_some_and(|p| p.starts_with("pip"))
                && c.argv().get(1).map(String::as_str) == Some("cache"))
    })
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    let runs: Vec<_> = ctx
        .final_image_instructions()
        .into_iter()
        .filter(|i| i.kind == InstructionKind::Run)
        .collect();
    let cleaned: Vec<bool> = runs.iter().map(|r| cleans(r)).collect();
    for (n, &ins) in runs.iter().enumerate() {
        let env = ctx.stage_env(ins.stage);
        let mut off = env.get("PIP_NO_CACHE_DIR").is_some_and(|v| truthy(v));
        if env.get("PIP_NO_CACHE_DIR").is_some_and(|v| !truthy(v)) {
            off = false;
        }
        if cache_mount_covers(
            ins,
            &["/root/.cache/pip", "/root/.cache", "/home/app/.cache/pip"],
        ) || mounts_pip_cache(ins)
        {
            continue;
        }
        if cleans(ins) {
            continue;
        }
        let cmds = run_commands(ins);
        let mut exported = off;
        let mut bad = false;
        for c in &cmds {
            // `export PIP_NO_CACHE_DIR=1` or `PIP_NO_CACHE_DIR=1 pip …`.
            for w in &c.words {
                if let Some(v) = w.strip_prefix("PIP_NO_CACHE_DIR=")
                    && (c.program() == Some("export")
                        || c.words.first() == Some(w) && c.argv().is_empty())
                {
                    exported = truthy(v);
                }
            }
            let Some(p) = pkg::parse(c) else { continue };
            if p.manager != "pip" || p.sub != "install" {
                continue;
            }
            let inline = c
                .words
                .iter()
                .take_while(|w| w.contains('='))
                .find_map(|w| w.strip_prefix("PIP_NO_CACHE_DIR="));
            let disabled = match inline {
                Some(v) => truthy(v),
                None => exported,
            };
            if !disabled && !p.has_opt(&["--no-cache-dir", "--no-cache"]) {
                bad = true;
            }
        }
        if bad {
            let note = crate::ctx::later_cleanup_note(&runs, &cleaned, n);
            out.emit(
                &RULE,
                ins.span,
                format!("`pip install` keeps its download cache in this layer; add `--no-cache-dir`{note}"),
            );
        }
    }
}

fn mounts_pip_cache(ins: &drydock_dockerfile::ast::Instruction) -> bool {
    crate::ctx::mounts(ins).iter().any(|m| {
        matches!(
            m.get("type").map(String::as_str),
            Some("cache") | Some("tmpfs")
        ) && m
            .get("target")
            .or(m.get("dst"))
            .is_some_and(|t| t.contains(".cache/pip"))
    })
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines("FROM python:3.12\nRUN pip3 install flask\n", "DD022"),
            [2]
        );
        assert_eq!(
            lines(
                "FROM python:3.12\nENV PIP_NO_CACHE_DIR=off\nRUN pip install flask\n",
                "DD022"
            ),
            [3]
        );
        assert!(
            lines(
                "FROM python:3.12\nRUN pip install --no-cache-dir flask\n",
                "DD022"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM python:3.12\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n",
                "DD022"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM python:3.12\nRUN export PIP_NO_CACHE_DIR=on && pip install x\n",
                "DD022"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM python:3.12\nRUN PIP_NO_CACHE_DIR=1 pip install x\n",
                "DD022"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install x\n",
                "DD022"
            )
            .is_empty()
        );
        assert!(lines("FROM python:3.12\nRUN pipx install x\n", "DD022").is_empty());
    }
}
