use crate::ctx::{Ctx, Sink, run_commands};
use crate::pkg;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags compilers and build dependencies (gcc, g++, make, cmake, build-essential, clang, gfortran,
    /// musl-dev, linux-headers, `*-dev`/`*-devel` packages…) installed by apt-get, apt, apk, dnf, yum,
    /// microdnf or zypper in a layer of the final image (the last stage and the stages it is built
    /// `FROM`). An install removed again in the same RUN (`apk del`, `apt-get purge`) is not reported.
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

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    let multi = ctx.stages.len() > 1;
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
    use crate::testutil::lines;

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
}
