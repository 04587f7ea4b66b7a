use crate::ctx::{Ctx, Sink, flag};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `COPY --from=<name>` where `<name>` is a bare word (no `:`, `/`, `@` or `.`) that names no
    /// stage defined *before* this instruction, and `COPY --from=<n>` with a stage index that does not
    /// exist yet.
    ///
    /// ## Why is this bad?
    /// BuildKit then pulls an image called `<name>:latest` from Docker Hub: a typo in a stage name (or a
    /// stage moved below its use) silently copies files from a stranger's image.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM gcr.io/distroless/static-debian12
    /// COPY --from=biulder /out/app /app
    /// FROM golang:1.23 AS builder
    /// ```
    ///
    /// ## How to fix
    /// Define the stage first and spell it the same; for an image write it in full
    /// (`--from=docker.io/library/busybox:1.36@sha256:…`). A named build context (`--build-context`) is
    /// legitimate: ignore the finding for that line.
    ///
    /// Overlaps hadolint DL3022.
    code: "DD051",
    name: "copy-from-unknown-stage",
    severity: Warning,
    hadolint: ["DL3022"],
    check: check,
}

/// True if `r` is a bare word that BuildKit would treat as a stage name if one existed.
pub fn bare_word(r: &str) -> bool {
    !r.is_empty() && !r.contains([':', '/', '@', '.', '$'])
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in &ctx.df.instructions {
        let ins = crate::ctx::unwrap_onbuild(ins);
        if ins.kind != InstructionKind::Copy {
            continue;
        }
        let Some(from) = flag(ins, "from") else {
            continue;
        };
        let r = ctx.expand_global(from).to_ascii_lowercase();
        if !bare_word(&r) || r == "scratch" {
            continue;
        }
        let current = ins.stage.unwrap_or(0);
        let defined_before = match r.parse::<usize>() {
            Ok(n) => ins.stage.is_some() && n < current,
            Err(_) => ctx
                .stages
                .iter()
                .take(current)
                .any(|s| s.stage.name.as_deref() == Some(r.as_str())),
        };
        let own = ins.stage.is_some_and(|s| {
            r.parse::<usize>().ok() == Some(s)
                || ctx.stages.get(s).and_then(|v| v.stage.name.as_deref()) == Some(r.as_str())
        });
        if defined_before || own {
            continue;
        }
        out.emit(&RULE, ins.span, format!("`--from={from}` names no earlier stage: BuildKit will pull an image called `{from}:latest`"));
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM scratch\nCOPY --from=build foo .\nFROM node:20 AS build\n",
                "DD051"
            ),
            [2]
        );
        assert_eq!(lines("COPY --from=0 bar .\n", "DD051"), [1]);
        assert!(
            lines(
                "FROM scratch AS build\nFROM node:20\nCOPY --from=build foo .\nCOPY --from=0 a b\n",
                "DD051"
            )
            .is_empty()
        );
        assert!(lines("FROM node:20\nCOPY --from=haskell:latest bar .\n", "DD051").is_empty());
    }
}
