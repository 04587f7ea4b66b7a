use crate::ctx::{Ctx, Sink, run_commands};
use crate::rules::build_tools_in_final_stage::tools_installed;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Notes a single-stage Dockerfile that compiles (`go build`, `cargo build`, `make`, `gcc`,
    /// `mvn package`, `gradle build`, `npm run build`, `dotnet publish`…) and so ships its toolchain:
    /// either the base facts say the base brings build tools (golang, rust, gcc, maven, gradle, a JDK,
    /// the .NET SDK, the "full" `python`/`node`/`ruby` images; the same fact `build-tools-in-final-stage`
    /// uses, and the finding names its source) or build tools installed for the build stay installed. A
    /// build whose tools are installed and purged in the same RUN on a plain OS base (as the Docker
    /// official images do) is not reported, nor is a build on a base that brings no compiler (such as
    /// `node:20-slim` running `npm run build`: its toolchain is in `node_modules`, not in the base).
    ///
    /// ## Why is this bad?
    /// Whatever compiled the program ships with it: toolchain, sources, caches. The base-image ADRs all
    /// land on the same answer: compile in a builder stage, ship a minimal runtime stage.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23
    /// COPY . .
    /// RUN go build -o /app .
    /// CMD ["/app"]
    /// ```
    ///
    /// ## How to fix
    /// ```dockerfile
    /// FROM golang:1.23@sha256:… AS build
    /// COPY . .
    /// RUN CGO_ENABLED=0 go build -o /app .
    /// FROM gcr.io/distroless/static-debian12:nonroot@sha256:…
    /// COPY --from=build /app /app
    /// ENTRYPOINT ["/app"]
    /// ```
    code: "DD012",
    name: "compile-in-single-stage",
    severity: Info,
    hadolint: [],
    check: check,
}

fn builds(words: &[String]) -> bool {
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let prog = w(0).rsplit('/').next().unwrap_or("");
    match prog {
        "go" => matches!(w(1), "build" | "install"),
        "cargo" => matches!(w(1), "build" | "install"),
        "make" | "cmake" | "gcc" | "g++" | "cc" | "clang" | "javac" | "ninja" => true,
        "mvn" | "mvnw" | "./mvnw" => words.iter().any(|x| x == "package" || x == "install"),
        "gradle" | "gradlew" => words
            .iter()
            .any(|x| x == "build" || x == "assemble" || x.ends_with("Jar")),
        "npm" | "yarn" | "pnpm" => {
            w(1) == "run" && w(2) == "build" || (prog != "npm" && w(1) == "build")
        }
        "dotnet" => matches!(w(1), "publish" | "build"),
        _ => false,
    }
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    if ctx.stages.len() != 1 {
        return;
    }
    let base = crate::rules::build_tools_in_final_stage::base_tools(ctx);
    let runs: Vec<_> = ctx
        .final_image_instructions()
        .into_iter()
        .filter(|i| i.kind == InstructionKind::Run)
        .collect();
    let tools_stay = runs.iter().any(|r| !tools_installed(r).is_empty());
    if base.is_none() && !tools_stay {
        return;
    }
    let Some(ins) = runs
        .iter()
        .find(|r| run_commands(r).iter().any(|c| builds(c.argv())))
    else {
        return;
    };
    match base {
        Some((sv, facts, tools)) => {
            let image = crate::imageref::display(sv.root_image.as_deref().unwrap_or_default());
            out.emit_with_source(
                &RULE,
                ins.span,
                format!(
                    "this single-stage image compiles and its base `{image}` brings the toolchain ({}); build in a separate stage and copy only the artifacts into a minimal runtime stage",
                    tools.join(", ")
                ),
                Some(&facts.source),
            );
        }
        None => out.emit(
            &RULE,
            ins.span,
            "this single-stage image compiles and the build tools stay installed; build in a separate stage and copy only the artifacts into a minimal runtime stage",
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{lines, lint};

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM golang:1.23\nCOPY . .\nRUN go build -o /app .\nRUN make\n",
                "DD012"
            ),
            [3]
        );
        assert!(lines("FROM golang:1.23 AS b\nRUN go build -o /app .\nFROM scratch\nCOPY --from=b /app /app\n", "DD012").is_empty());
        assert!(lines("FROM debian:12\nRUN echo make\n", "DD012").is_empty());
        let purged = "FROM debian:12\nRUN apt-get install -y gcc make && make && apt-get purge -y gcc make\n";
        assert!(lines(purged, "DD012").is_empty());
        let kept = "FROM debian:12\nRUN apt-get install -y gcc make\nRUN make\n";
        assert_eq!(lines(kept, "DD012"), [3]);
        let f: Vec<_> = lint(kept)
            .into_iter()
            .filter(|f| f.code == "DD012")
            .collect();
        assert_eq!(
            f[0].fact_source, None,
            "installed tools are not a base fact"
        );
    }

    #[test]
    fn toolchain_base_carries_the_fact_source() {
        let t = "FROM golang:1.23\nCOPY . .\nRUN go build -o /app .\n";
        let f: Vec<_> = lint(t).into_iter().filter(|f| f.code == "DD012").collect();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].fact_source.as_deref(), Some("bundled table: golang"));
        assert!(
            f[0].message
                .contains("`golang:1.23` brings the toolchain (g++, gcc, go, make)"),
            "{}",
            f[0].message
        );
        assert_eq!(lines("FROM node:20\nRUN npm run build\n", "DD012"), [2]);
        assert_eq!(
            lines(
                "FROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN dotnet publish -o /out\n",
                "DD012"
            ),
            [2]
        );
        // No compiler in the base and none installed: not reported.
        assert!(lines("FROM node:20-slim\nRUN npm run build\n", "DD012").is_empty());
        assert!(lines("FROM example.com/golang-like:1\nRUN go build .\n", "DD012").is_empty());
    }
}
