use crate::ctx::{Ctx, Sink, run_commands};
use crate::rules::build_tools_in_final_stage::tools_installed;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Notes a single-stage Dockerfile that compiles: it installs build tools or runs a build
    /// (`go build`, `cargo build`, `make`, `gcc`, `mvn package`, `gradle build`, `npm run build`,
    /// `dotnet publish`…).
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
    for ins in ctx.final_image_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let compiles = run_commands(ins).iter().any(|c| builds(c.argv()));
        if compiles || !tools_installed(ins).is_empty() {
            out.emit(
                &RULE,
                ins.span,
                "this single-stage image compiles; build in a separate stage and copy only the artifacts into a minimal runtime stage",
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

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
    }
}
