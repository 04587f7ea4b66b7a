use crate::ctx::{Ctx, Sink, flag, words};
use crate::facts::Libc;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `COPY --from=<stage>` of a Python virtualenv / `site-packages` / `~/.local`, or of
    /// `node_modules`, between stages whose C library (glibc vs musl) or language runtime version
    /// (Python `major.minor`, Node major) differ according to the base facts.
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

#[derive(PartialEq)]
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
        let Some(kind) = sources.iter().find_map(|s| kind_of(s)) else {
            continue;
        };
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
                "copies {} built on `{}` into `{}`, but {}: compiled modules will not load",
                if kind == Kind::Node {
                    "node_modules"
                } else {
                    "a Python environment"
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
    use crate::testutil::lines;

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
}
