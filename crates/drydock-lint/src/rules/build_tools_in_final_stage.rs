use crate::ctx::{Ctx, Sink, run_commands};
use crate::pkg;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags compilers and build dependencies in the final image (the last stage and the stages it is
    /// built `FROM`), whether the base brings them or a RUN installs them.
    ///
    /// - brought by the base image: a toolchain image (`golang`, `rust`, `gcc`, `maven`, a JDK, the .NET
    ///   SDK…) or a "full" official image built on `buildpack-deps` (`python:3.12`, `node:20`, not their
    ///   `-slim`/`-alpine` variants). The message names the base, its tools and where that fact came from
    ///   (the bundled table, or with `--resolve` the compilers found in the real image);
    /// - installed by apt-get, apt, apk, dnf, yum, microdnf or zypper (gcc, g++, make, cmake,
    ///   build-essential, clang, gfortran, musl-dev, linux-headers, `*-dev`/`*-devel` packages…). An
    ///   install removed again in the same RUN (`apk del`, `apt-get purge`) is not reported.
    ///
    /// ## Why is this bad?
    /// Build tools are the first thing an attacker with code execution wants, they add hundreds of
    /// megabytes, and they bring their own CVEs into the runtime image's scan.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-alpine
    /// RUN apk add --no-cache gcc musl-dev && pip install --no-cache-dir -r requirements.txt
    /// ```
    ///
    /// ## How to fix
    /// Build in a `builder` stage and `COPY --from=builder` only the artifacts (wheels, a virtualenv built
    /// for the same base, a static binary) into a runtime stage without the tools.
    code: "DD011",
    name: "build-tools-in-final-stage",
    severity: Warning,
    hadolint: [],
    check: check,
}

/// True for package names that are compilers or build-only dependencies.
pub fn is_build_tool(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    const EXACT: &[&str] = &[
        "gcc",
        "g++",
        "c++",
        "cc",
        "make",
        "cmake",
        "build-essential",
        "build-base",
        "clang",
        "llvm",
        "gfortran",
        "musl-dev",
        "libc-dev",
        "libc6-dev",
        "glibc-devel",
        "linux-headers",
        "autoconf",
        "automake",
        "libtool",
        "pkg-config",
        "pkgconf",
        "pkgconfig",
        "binutils",
        "ninja-build",
        "ninja",
        "meson",
        "bison",
        "flex",
        "cargo",
        "rust",
        "rustc",
        "golang",
        "go",
        "gcc-c++",
        "kernel-headers",
        "kernel-devel",
        "alpine-sdk",
        "dpkg-dev",
    ];
    EXACT.contains(&n.as_str())
        || n.ends_with("-dev")
        || n.ends_with("-devel")
        || (n.starts_with("gcc-") && n[4..].starts_with(|c: char| c.is_ascii_digit()))
        || (n.starts_with("g++-") && n[4..].starts_with(|c: char| c.is_ascii_digit()))
        || (n.starts_with("clang-") && n[6..].starts_with(|c: char| c.is_ascii_digit()))
}

/// Build tools installed by a RUN and not removed again within it.
pub fn tools_installed(ins: &drydock_dockerfile::ast::Instruction) -> Vec<String> {
    let cmds = run_commands(ins);
    let mut found = Vec::new();
    let mut removes_everything = false;
    let mut removed: Vec<String> = Vec::new();
    for c in &cmds {
        let Some(p) = pkg::parse(c) else { continue };
        if p.installs() && p.manager != "pip" && p.manager != "npm" {
            let virtual_name = p
                .options
                .windows(2)
                .find(|w| w[0] == "--virtual" || w[0] == "-t")
                .map(|w| w[1].clone());
            for a in &p.args {
                if a.starts_with('$') {
                    continue;
                }
                let name = pkg::package_name(a, p.manager);
                if is_build_tool(&name) {
                    found.push((name, virtual_name.clone()));
                }
            }
        }
        let removing = matches!(
            (p.manager, p.sub.as_str()),
            ("apk", "del")
                | ("apt-get" | "apt", "purge" | "remove" | "autoremove")
                | (
                    "dnf" | "yum" | "microdnf",
                    "remove" | "erase" | "autoremove"
                )
        );
        if removing {
            if p.args.iter().any(|a| a.starts_with('$')) || p.args.is_empty() {
                removes_everything = true;
            }
            removed.extend(p.args.iter().map(|a| pkg::package_name(a, p.manager)));
        }
    }
    if removes_everything {
        return Vec::new();
    }
    let mut out: Vec<String> = found
        .into_iter()
        .filter(|(n, v)| !removed.contains(n) && !v.as_ref().is_some_and(|v| removed.contains(v)))
        .map(|(n, _)| n)
        .collect();
    out.dedup();
    out
}

/// The build tools the final image's base brings: the base's facts, the stage whose `FROM` names it, and
/// the tools, when the facts list any.
pub fn base_tools<'c>(
    ctx: &'c Ctx<'_>,
) -> Option<(
    &'c crate::ctx::StageView<'c>,
    &'c crate::facts::BaseFacts,
    Vec<String>,
)> {
    let root = *ctx.final_chain().last()?;
    let sv = ctx.stages.get(root)?;
    let facts = sv.facts.as_ref()?;
    let tools: Vec<String> = facts.build_tools.as_ref()?.iter().cloned().collect();
    (!tools.is_empty()).then_some((sv, facts, tools))
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    let multi = ctx.stages.len() > 1;
    if let Some((sv, facts, tools)) = base_tools(ctx) {
        let base = crate::imageref::display(sv.root_image.as_deref().unwrap_or_default());
        let hint = if multi {
            "build in an earlier stage and ship a runtime base without them"
        } else {
            "build in a separate stage and ship a runtime base without them"
        };
        out.emit_with_source(
            &RULE,
            sv.stage.from.image_span,
            format!(
                "build tools in the final image: base `{base}` brings {}; {hint}",
                tools.join(", ")
            ),
            Some(&facts.source),
        );
    }
    for ins in ctx.final_image_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let tools = tools_installed(ins);
        if tools.is_empty() {
            continue;
        }
        let hint = if multi {
            "move the build to an earlier stage and COPY --from only the artifacts"
        } else {
            "build in a separate stage and COPY --from only the artifacts"
        };
        out.emit(
            &RULE,
            ins.span,
            format!(
                "build tools in the final image: {}; {hint}",
                tools.join(", ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{lines, lint, messages};

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM python:3.12-alpine\nRUN apk add --no-cache gcc musl-dev\n",
                "DD011"
            ),
            [2]
        );
        assert_eq!(
            lines(
                "FROM debian:12 AS b\nRUN apt-get install -y libssl-dev\nFROM b\n",
                "DD011"
            ),
            [2]
        );
        let builder = "FROM debian:12 AS build\nRUN apt-get install -y build-essential\nFROM debian:12-slim\nCOPY --from=build /a /a\n";
        assert!(lines(builder, "DD011").is_empty());
        assert!(
            lines(
                "FROM alpine:3\nRUN apk add --virtual .deps gcc && make && apk del .deps\n",
                "DD011"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM debian:12\nRUN apt-get install -y curl ca-certificates\n",
                "DD011"
            )
            .is_empty()
        );
        assert!(lines("FROM debian:12\nRUN apt-get install -y $buildDeps && apt-get purge -y $buildDeps\n", "DD011").is_empty());
    }

    #[test]
    fn tools_the_base_brings() {
        for (base, tools) in [
            ("golang:1.22", "g++, gcc, go, make"),
            ("python:3.12", "g++, gcc, make"),
            ("node:20", "g++, gcc, make"),
            ("gcc:14", "g++, gcc, make"),
            ("rust:1.80", "cargo, g++, gcc, make, rustc"),
        ] {
            let t = format!("FROM {base}\nCOPY app /app\nCMD [\"/app\"]\n");
            let f: Vec<_> = lint(&t).into_iter().filter(|f| f.code == "DD011").collect();
            assert_eq!(f.len(), 1, "{base}: {f:?}");
            assert_eq!((f[0].span.line, f[0].span.col), (1, 6), "{base}");
            assert!(
                f[0].message
                    .contains(&format!("base `{base}` brings {tools}")),
                "{base}: {}",
                f[0].message
            );
            assert!(
                f[0].fact_source
                    .as_deref()
                    .is_some_and(|s| s.starts_with("bundled table: ")),
                "{base}"
            );
        }
        // Inherited through a `FROM stage` chain: reported at the FROM that names the image.
        let chain = "FROM golang:1.22-alpine AS dev\nFROM dev\n";
        assert_eq!(lines(chain, "DD011"), [1]);
        assert!(messages(chain, "DD011")[0].contains("brings go;"));
        // Slim and alpine variants bring none; neither does a builder stage that does not ship.
        for ok in [
            "FROM python:3.12-slim\n",
            "FROM node:20-alpine\n",
            "FROM golang:1.22 AS b\nRUN go build -o /app .\nFROM gcr.io/distroless/static-debian12\nCOPY --from=b /app /app\n",
            "FROM example.com/team/base:1\n",
        ] {
            assert!(lines(ok, "DD011").is_empty(), "{ok}");
        }
    }
}
