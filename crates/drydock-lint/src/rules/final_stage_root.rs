use crate::ctx::{Ctx, Sink, words};
use crate::facts::is_root_user;
use drydock_dockerfile::ast::{Args, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// Checks the user the final image runs as: the last `USER` of the final stage or of the stages it is
    /// built `FROM`, or else the base image's default user from the base facts. Reports an explicit
    /// `USER root`/`0`/`0:0`, and a final stage with no `USER` on a base whose default user is root.
    /// A base whose default user is not root (distroless `:nonroot`, Chainguard, Red Hat language images)
    /// passes without a `USER`. An unknown base with no `USER` is not reported.
    ///
    /// ## Why is this bad?
    /// A process running as root in the container is root on the host's kernel: a container escape or a
    /// writable host mount becomes a full compromise. Builder stages may run as root; only the shipped
    /// stage matters.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// COPY app /app
    /// CMD ["python", "/app/main.py"]
    /// ```
    ///
    /// ## How to fix
    /// Add `USER 10001` (or a named user you create) after the last step that needs root, or use a
    /// nonroot base such as `gcr.io/distroless/python3-debian12:nonroot`.
    ///
    /// Overlaps hadolint DL3002. Differences: hadolint reports an explicit `USER root` as the last `USER`
    /// of *any* stage, drydock only for the stage that ships; and drydock also reports the implicit root of
    /// a base without `USER` when the base facts say its default user is root (e.g. `FROM scratch`).
    code: "DD010",
    name: "final-stage-runs-as-root",
    severity: Warning,
    hadolint: ["DL3002"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    // Snippets without FROM: judge the last USER alone.
    if ctx.stages.is_empty() {
        if let Some(u) = ctx
            .df
            .instructions
            .iter()
            .rev()
            .find(|i| i.kind == InstructionKind::User)
        {
            report_user(ctx, out, u);
        }
        return;
    }
    for &s in &ctx.final_chain() {
        let sv = &ctx.stages[s];
        if let Some(u) = ctx
            .stage_instructions(sv.stage)
            .filter(|i| i.kind == InstructionKind::User)
            .last()
        {
            report_user(ctx, out, u);
            return;
        }
    }
    let Some(fin) = ctx.final_stage() else { return };
    let Some(facts) = &fin.facts else { return };
    if facts.runs_as_root() == Some(true) {
        let base =
            crate::imageref::display(fin.root_image.as_deref().unwrap_or(&fin.stage.from.image));
        out.emit_with_source(
            &RULE,
            fin.stage.from.span,
            format!("the final stage has no USER and its base `{base}` runs as root by default; add `USER <non-root uid>`"),
            Some(&facts.source),
        );
    }
}

fn report_user(ctx: &Ctx<'_>, out: &mut Sink, u: &drydock_dockerfile::ast::Instruction) {
    let user = match &u.args {
        Args::Text(t) => t.trim().to_string(),
        _ => words(u).join(" "),
    };
    let written = crate::ctx::unquote(&user);
    // `USER ${APP_UID}` is judged by the ARG/ENV default it expands to.
    let user = crate::ctx::expand_vars(&written, ctx.visible_vars(u.stage));
    if !user.contains('$') && is_root_user(&user) && !user.is_empty() {
        let shown = if user == written {
            format!("`{user}`")
        } else {
            format!("`{written}` (= `{user}`)")
        };
        out.emit(
            &RULE,
            u.span,
            format!("the final image runs as {shown}; switch to a non-root user after the steps that need root"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{lines, lint};

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines("FROM python:3.12-slim\nCMD [\"python\"]\n", "DD010"),
            [1]
        );
        assert_eq!(
            lines("FROM alpine:3.20\nUSER app\nUSER 0:0\n", "DD010"),
            [3]
        );
        assert_eq!(
            lines(
                "FROM debian:12 AS base\nUSER root\nFROM base\nRUN x\n",
                "DD010"
            ),
            [2]
        );
        assert!(
            lines(
                "FROM debian:12 AS base\nUSER root\nFROM base\nUSER app\n",
                "DD010"
            )
            .is_empty()
        );
        assert!(lines("FROM gcr.io/distroless/static-debian12:nonroot\n", "DD010").is_empty());
        assert!(lines("FROM cgr.dev/chainguard/python:latest\n", "DD010").is_empty());
        assert!(lines("FROM example.com/unknown/base:1\n", "DD010").is_empty());
        assert!(lines("FROM debian:12 AS b\nFROM alpine:3 \nUSER ${U}\n", "DD010").is_empty());
        assert_eq!(
            lines("FROM alpine:3\nARG UID=0\nUSER ${UID}\n", "DD010"),
            [3]
        );
        assert!(lines("FROM alpine:3\nARG UID=1000\nUSER ${UID}\n", "DD010").is_empty());
        let f = lint("FROM debian:12\n");
        let r = f.iter().find(|f| f.code == "DD010").unwrap();
        assert!(
            r.fact_source
                .as_deref()
                .unwrap()
                .starts_with("bundled table")
        );
    }
}
