use crate::ctx::{Ctx, Sink, flag, run_commands, unquote, words};
use crate::facts::Libc;
use crate::pkg;
use drydock_dockerfile::ast::{Instruction, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `COPY --from=<stage>` of a Python environment or of `node_modules` between stages whose C
    /// library (glibc vs musl) or language runtime version (Python `major.minor`, Node major) differ
    /// according to the base facts. What counts as such a copy:
    ///
    /// - a source path that names one: a virtualenv, `site-packages`/`dist-packages`, `lib/pythonX.Y`,
    ///   `~/.local`, `node_modules`;
    /// - a source path that is (or contains) the directory a RUN of the source stage installed into with
    ///   `pip install --prefix=DIR` / `--target=DIR` / `--root=DIR` (`COPY --from=b /install /usr/local`);
    /// - a source directory that contains the `node_modules` a RUN of the source stage created with
    ///   `npm ci` / `npm install` (not `-g`): in the `WORKDIR` in effect (or after `cd DIR` in the same
    ///   RUN, or `--prefix DIR`). When no `WORKDIR` was set, the base's working directory is unknown and
    ///   the copy is not reported. A `node_modules` copy followed by `npm rebuild`/`npm ci`/`npm install`
    ///   in the destination stage is not reported (the native modules are rebuilt there).
    ///
    /// ## Limits
    /// Only what the Dockerfile shows is followed: installs done by a script the RUN calls, a `WORKDIR`
    /// set by the base image's config, or paths built from variables that are not defined in the file
    /// are not seen, so such copies are not reported (no guessing).
    ///
    /// ## Why is this bad?
    /// Compiled extension modules are built for one libc and one interpreter ABI. A venv built on
    /// `python:3.12-slim` (glibc, 3.12) copied onto `python:3.11-alpine` (musl, 3.11) imports nothing:
    /// the interpreter does not look in `python3.12/site-packages`, and the `.so` files cannot load on musl.
    /// The image builds and fails at start.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim AS builder
    /// RUN python -m venv /opt/venv && /opt/venv/bin/pip install -r requirements.txt
    /// FROM python:3.11-alpine
    /// COPY --from=builder /opt/venv /opt/venv
    /// ```
    ///
    /// ## How to fix
    /// Use the same base family and version for builder and runtime (e.g. `cgr.dev/chainguard/python:latest-dev`
    /// → `cgr.dev/chainguard/python:latest`, or `python:3.12-slim` → `gcr.io/distroless/python3` only when
    /// both are 3.11 on Debian 12), pinned by digest in both stages.
    code: "DD015",
    name: "runtime-mismatch-copy",
    severity: Error,
    hadolint: [],
    check: check,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Python,
    Node,
}

fn kind_of(path: &str) -> Option<Kind> {
    let p = path.to_ascii_lowercase();
    if p.contains("node_modules") {
        Some(Kind::Node)
    } else if p.contains("site-packages")
        || p.contains("dist-packages")
        || p.contains("venv")
        || p.contains("virtualenv")
        || p.contains("/.local")
        || p.contains("lib/python")
    {
        Some(Kind::Python)
    } else {
        None
    }
}

/// Normalise a `COPY --from` source: sources are relative to the source stage's root.
fn abs_source(src: &str) -> Option<String> {
    let s = unquote(src);
    if s.contains(['*', '?', '[', '$']) {
        return None;
    }
    let trimmed = s.trim_end_matches('/');
    Some(if trimmed.starts_with('/') {
        trimmed.to_string()
    } else if trimmed.is_empty() || trimmed == "." {
        "/".to_string()
    } else {
        format!("/{}", trimmed.trim_start_matches("./"))
    })
}

/// `dir` joined to `base` (an absolute `dir` wins); `None` when a part is unknown or has a variable.
fn join(base: Option<&str>, dir: &str) -> Option<String> {
    if dir.contains('$') {
        return None;
    }
    let joined = if dir.starts_with('/') {
        dir.to_string()
    } else {
        format!("{}/{dir}", base?.trim_end_matches('/'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// True when copying `src` copies `path` (`src` is `path` or one of its parent directories).
fn covers(src: &str, path: &str) -> bool {
    src == "/" || src == path || path.starts_with(&format!("{src}/"))
}

/// Directories a stage chain's RUNs install into: `(kind, dir, line)`. Python: `pip install --prefix`,
/// `--target` or `--root`; Node: the `node_modules` `npm ci`/`npm install` creates.
fn install_dirs(ctx: &Ctx<'_>, stage: usize) -> Vec<(Kind, String, usize)> {
    let mut out = Vec::new();
    let mut workdir: Option<String> = None;
    for ins in ctx.chain_instructions(Some(stage)) {
        match ins.kind {
            InstructionKind::Workdir => {
                let w = words(ins).join(" ");
                workdir = join(workdir.as_deref(), &ctx.expand_global(&unquote(&w)));
            }
            InstructionKind::Run => run_install_dirs(ins, workdir.as_deref(), &mut out),
            _ => {}
        }
    }
    out
}

fn run_install_dirs(
    ins: &Instruction,
    workdir: Option<&str>,
    out: &mut Vec<(Kind, String, usize)>,
) {
    let line = ins.span.start_line;
    let mut cwd = workdir.map(str::to_string);
    for c in run_commands(ins) {
        if c.program() == Some("cd") {
            cwd = c.argv().get(1).and_then(|d| join(cwd.as_deref(), d));
            continue;
        }
        let Some(p) = pkg::parse(&c) else { continue };
        match p.manager {
            "pip" if p.sub == "install" => {
                if let Some(dir) = p
                    .opt_value(&["--prefix", "--target", "-t", "--root"])
                    .and_then(|d| join(cwd.as_deref(), d))
                {
                    out.push((Kind::Python, dir, line));
                }
            }
            "npm"
                if matches!(p.sub.as_str(), "ci" | "install" | "i" | "clean-install")
                    && !p.has_opt(&["-g", "--global"]) =>
            {
                let dir = match p.opt_value(&["--prefix"]) {
                    Some(d) => join(cwd.as_deref(), d),
                    None => cwd.clone(),
                };
                if let Some(dir) = dir {
                    out.push((
                        Kind::Node,
                        join(Some(&dir), "node_modules").unwrap_or_default(),
                        line,
                    ));
                }
            }
            _ => {}
        }
    }
}

/// True when a RUN of the destination stage after `copy` rebuilds node modules.
fn node_rebuilt_after(ctx: &Ctx<'_>, copy: &Instruction) -> bool {
    ctx.chain_instructions(copy.stage)
        .into_iter()
        .filter(|i| i.kind == InstructionKind::Run && i.span.start_line > copy.span.start_line)
        .any(|i| {
            run_commands(i).iter().filter_map(pkg::parse).any(|p| {
                p.manager == "npm" && matches!(p.sub.as_str(), "rebuild" | "ci" | "install" | "i")
            })
        })
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Copy {
            continue;
        }
        let Some(from) = flag(ins, "from") else {
            continue;
        };
        let Some(src) = ctx.stage_by_ref(&ctx.expand_global(from)) else {
            continue;
        };
        let Some(dst) = ctx.stage_of(ins) else {
            continue;
        };
        let (Some(sf), Some(df)) = (&src.facts, &dst.facts) else {
            continue;
        };
        let w = words(ins);
        let sources = &w[..w.len().saturating_sub(1)];
        // By name first; else a source that holds what the source stage installed.
        let found = sources
            .iter()
            .find_map(|s| kind_of(s).map(|k| (k, None)))
            .or_else(|| {
                let src_index = ctx.stages.iter().position(|s| std::ptr::eq(s, src))?;
                let dirs = install_dirs(ctx, src_index);
                sources.iter().filter_map(|s| abs_source(s)).find_map(|s| {
                    dirs.iter()
                        .find(|(_, d, _)| covers(&s, d))
                        .map(|(k, _, line)| (k.clone(), Some((s.clone(), *line))))
                })
            });
        let Some((kind, via)) = found else {
            continue;
        };
        if kind == Kind::Node && node_rebuilt_after(ctx, ins) {
            continue;
        }
        let mut problems = Vec::new();
        // A destination without libc (scratch, static) cannot run the environment at all: another problem.
        if let (Some(a), Some(b)) = (sf.libc, df.libc)
            && a != b
            && a != Libc::None
            && b != Libc::None
        {
            problems.push(format!("libc differs ({} → {})", a.as_str(), b.as_str()));
        }
        let (a, b, what) = match kind {
            Kind::Python => (&sf.python, &df.python, "Python"),
            Kind::Node => (&sf.node, &df.node, "Node.js"),
        };
        if let (Some(a), Some(b)) = (a, b)
            && a != b
        {
            problems.push(format!("{what} differs ({a} → {b})"));
        }
        if problems.is_empty() {
            continue;
        }
        let sources_text = if sf.source == df.source {
            sf.source.clone()
        } else {
            format!("{}; {}", sf.source, df.source)
        };
        out.emit_with_source(
            &RULE,
            ins.span,
            format!(
                "copies {}{} built on `{}` into `{}`, but {}: compiled modules will not load",
                if kind == Kind::Node {
                    "node_modules"
                } else {
                    "a Python environment"
                },
                match &via {
                    Some((dir, line)) => format!(" (in `{dir}`, installed on line {line})"),
                    None => String::new(),
                },
                crate::imageref::display(src.root_image.as_deref().unwrap_or_default()),
                crate::imageref::display(dst.root_image.as_deref().unwrap_or_default()),
                problems.join(" and ")
            ),
            Some(&sources_text),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{lines, messages};

    #[test]
    fn hits_and_misses() {
        let bad = "FROM python:3.12-slim AS builder\nRUN python -m venv /opt/venv\nFROM python:3.11-alpine\nCOPY --from=builder /opt/venv /opt/venv\n";
        assert_eq!(lines(bad, "DD015"), [4]);
        let musl = "FROM python:3.12-slim AS builder\nFROM python:3.12-alpine\nCOPY --from=builder /usr/local/lib/python3.12/site-packages /x\n";
        assert_eq!(lines(musl, "DD015"), [3]);
        let ok = "FROM cgr.dev/chainguard/python:3.12-dev AS b\nFROM cgr.dev/chainguard/python:3.12\nCOPY --from=b /app/venv /app/venv\n";
        assert!(lines(ok, "DD015").is_empty());
        let node = "FROM node:20 AS b\nFROM node:22-slim\nCOPY --from=b /app/node_modules ./node_modules\n";
        assert_eq!(lines(node, "DD015"), [3]);
        assert!(
            lines(
                "FROM node:20 AS b\nFROM node:22\nCOPY --from=b /app/dist ./dist\n",
                "DD015"
            )
            .is_empty()
        );
    }

    #[test]
    fn pip_prefix_copied_between_stages() {
        let bad = "FROM python:3.12-slim AS b\nRUN pip install --prefix=/install -r requirements.txt\nFROM python:3.12-alpine\nCOPY --from=b /install /usr/local\n";
        assert_eq!(lines(bad, "DD015"), [4]);
        let m = messages(bad, "DD015");
        assert!(
            m[0].contains("(in `/install`, installed on line 2)") && m[0].contains("libc differs"),
            "{m:?}"
        );
        let sep = "FROM python:3.11-slim AS b\nWORKDIR /build\nRUN python -m pip install --prefix deps flask\nFROM python:3.12-slim\nCOPY --from=b /build/deps /usr/local\n";
        assert_eq!(lines(sep, "DD015"), [5]);
        assert!(messages(sep, "DD015")[0].contains("Python differs (3.11 → 3.12)"));
        // Options before the subcommand.
        let opts = "FROM python:3.12-slim AS b\nRUN pip --no-cache-dir install --prefix=/install flask\nFROM python:3.12-alpine\nCOPY --from=b /install /usr/local\n";
        assert_eq!(lines(opts, "DD015"), [4]);
        // Not pip: pipx, pipenv, a module that only starts with `pip`.
        for other in [
            "RUN pipx install --prefix=/install tool",
            "RUN pipenv install --target /install",
            "RUN python -m pipx install --prefix=/install tool",
        ] {
            let df = format!(
                "FROM python:3.12-slim AS b\n{other}\nFROM python:3.12-alpine\nCOPY --from=b /install /usr/local\n"
            );
            assert!(lines(&df, "DD015").is_empty(), "{df}");
        }
        let same = "FROM python:3.12-slim AS b\nRUN pip install --prefix=/install flask\nFROM python:3.12-slim-bookworm\nCOPY --from=b /install /usr/local\n";
        assert!(lines(same, "DD015").is_empty());
        let other = "FROM python:3.12-slim AS b\nRUN pip install --prefix=/install flask\nFROM python:3.12-alpine\nCOPY --from=b /app/static /app/static\n";
        assert!(lines(other, "DD015").is_empty());
    }

    #[test]
    fn node_modules_inside_a_copied_app_dir() {
        let bad = "FROM node:20 AS b\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nFROM node:20-alpine\nCOPY --from=b /app /app\n";
        assert_eq!(lines(bad, "DD015"), [6]);
        assert!(
            messages(bad, "DD015")[0].contains("node_modules (in `/app`, installed on line 4)")
        );
        let cd = "FROM node:22 AS b\nRUN cd /srv/web && npm install\nFROM node:20\nCOPY --from=b /srv /srv\n";
        assert_eq!(lines(cd, "DD015"), [4]);
        // Options before the subcommand, `--prefix` included.
        let prefix = "FROM node:22 AS b\nRUN npm --prefix /srv/web --no-audit ci\nFROM node:20\nCOPY --from=b /srv /srv\n";
        assert_eq!(lines(prefix, "DD015"), [4]);
        assert!(messages(prefix, "DD015")[0].contains("(in `/srv`, installed on line 2)"));
        // No WORKDIR: where npm ran is unknown, not guessed.
        let unknown =
            "FROM node:20 AS b\nRUN npm ci\nFROM node:20-alpine\nCOPY --from=b /app /app\n";
        assert!(lines(unknown, "DD015").is_empty());
        // Only the build output is copied, or a global install, or a rebuild in the destination.
        for ok in [
            "FROM node:20 AS b\nWORKDIR /app\nRUN npm ci && npm run build\nFROM node:20-alpine\nCOPY --from=b /app/dist /app/dist\n",
            "FROM node:20 AS b\nWORKDIR /app\nRUN npm install -g pnpm\nFROM node:20-alpine\nCOPY --from=b /app /app\n",
            "FROM node:20 AS b\nWORKDIR /app\nRUN npm ci\nFROM node:20-alpine\nCOPY --from=b /app /app\nRUN npm rebuild\n",
            "FROM node:20 AS b\nWORKDIR /app\nRUN npm ci\nFROM node:20-alpine\nCOPY --from=b /app /app\nRUN npm --no-audit rebuild\n",
            "FROM node:20 AS b\nWORKDIR /app\nRUN npm --global install pnpm\nFROM node:20-alpine\nCOPY --from=b /app /app\n",
            "FROM node:20 AS b\nWORKDIR /app\nRUN npm ci\nFROM node:20-bookworm\nCOPY --from=b /app /app\n",
        ] {
            assert!(lines(ok, "DD015").is_empty(), "{ok}");
        }
    }
}
