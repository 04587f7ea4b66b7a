use crate::ctx::{Ctx, Sink, unquote, words};
use drydock_dockerfile::ast::InstructionKind;
use std::collections::HashMap;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `COPY` to a relative destination in a stage where no `WORKDIR` was set (in the stage or in
    /// the stages it is built `FROM`).
    ///
    /// ## Why is this bad?
    /// The destination is then relative to the base image's working directory, which the base can change
    /// in any release (often `/`, sometimes `/app` or `/home/nonroot`): files land somewhere else.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// COPY app.py app.py
    /// ```
    ///
    /// ## How to fix
    /// Set `WORKDIR /app` first, or copy to an absolute path.
    ///
    /// Overlaps hadolint DL3045.
    code: "DD055",
    name: "copy-relative-dest-without-workdir",
    severity: Warning,
    hadolint: ["DL3045"],
    check: check,
}

fn absolute(d: &str) -> bool {
    let b = d.as_bytes();
    d.starts_with('/')
        || d.starts_with('$')
        || d.starts_with('\\')
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    // First WORKDIR line per stage (None key: instructions before any FROM).
    let mut first_workdir: HashMap<Option<usize>, usize> = HashMap::new();
    for ins in &ctx.df.instructions {
        if crate::ctx::unwrap_onbuild(ins).kind == InstructionKind::Workdir {
            first_workdir
                .entry(ins.stage)
                .or_insert(ins.span.start_line);
        }
    }
    for ins in &ctx.df.instructions {
        let copy = crate::ctx::unwrap_onbuild(ins);
        if copy.kind != InstructionKind::Copy {
            continue;
        }
        let w = words(copy);
        if w.len() < 2 {
            continue;
        }
        let dest = unquote(&w[w.len() - 1]);
        if absolute(&dest) {
            continue;
        }
        let own = first_workdir
            .get(&ins.stage)
            .is_some_and(|&l| l < ins.span.start_line);
        let inherited = ins.stage.is_some_and(|s| {
            ctx.chain_of(s)
                .iter()
                .skip(1)
                .any(|a| first_workdir.contains_key(&Some(*a)))
        });
        if !own && !inherited {
            out.emit(
                &RULE,
                copy.span,
                format!("COPY to relative `{dest}` without a WORKDIR: it lands wherever the base's working directory is"),
            );
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
                "FROM debian:12 AS a\nWORKDIR /usr\nFROM debian:12\nCOPY foo bar\n",
                "DD055"
            ),
            [4]
        );
        assert!(
            lines(
                "FROM debian:12 AS a\nWORKDIR /usr\nFROM a\nCOPY foo bar\nCOPY x /abs\n",
                "DD055"
            )
            .is_empty()
        );
        assert!(lines("FROM debian:12\nCOPY a ${DEST}\nCOPY a c:/x\n", "DD055").is_empty());
    }
}
