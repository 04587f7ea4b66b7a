use crate::ctx::{Ctx, Sink, unquote, words};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `ADD` of local files or directories that are not tar archives (which `ADD` would unpack).
    ///
    /// ## Why is this bad?
    /// `ADD` has magic (URL download, archive extraction) that `COPY` does not; using it for plain files
    /// hides intent, and a file that happens to look like an archive gets unpacked.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD requirements.txt /app/
    /// ```
    ///
    /// ## How to fix
    /// `COPY requirements.txt /app/`
    ///
    /// Overlaps hadolint DL3020. URLs are not reported here but by `add-remote-url`.
    code: "DD031",
    name: "add-instead-of-copy",
    severity: Warning,
    hadolint: ["DL3020"],
    check: check,
}

const ARCHIVES: &[&str] = &[
    ".tar", ".gz", ".tgz", ".bz2", ".tbz", ".tbz2", ".xz", ".txz", ".zst", ".tzst", ".lz", ".lzma",
    ".tlz", ".z",
];

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Add {
            continue;
        }
        let w = words(ins);
        let sources = &w[..w.len().saturating_sub(1)];
        let plain: Vec<String> = sources
            .iter()
            .map(|s| unquote(s))
            .filter(|s| {
                let l = s.to_ascii_lowercase();
                !(l.contains("://")
                    || l.starts_with("git@")
                    || ARCHIVES.iter().any(|e| l.ends_with(e))
                    || l.contains('$'))
            })
            .collect();
        if !sources.is_empty() && plain.len() == sources.len() {
            out.emit(
                &RULE,
                ins.span,
                format!("use COPY for plain files: ADD of {}", plain.join(", ")),
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
            lines("FROM alpine:3\nADD file /usr/src/app/\n", "DD031"),
            [2]
        );
        assert_eq!(
            lines("FROM alpine:3\nADD \"file.zip\" /usr/src/app/\n", "DD031"),
            [2]
        );
        assert!(lines("FROM alpine:3\nADD file.tar.gz /usr/src/app/\n", "DD031").is_empty());
        assert!(
            lines(
                "FROM alpine:3\nADD http://file.com /usr/src/app/\n",
                "DD031"
            )
            .is_empty()
        );
    }
}
