use crate::ctx::{Ctx, Sink, run_commands};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `useradd` with a large numeric UID (six digits or more) and without `-l`/`--no-log-init`.
    ///
    /// ## Why is this bad?
    /// `useradd` writes the user's entry into `/var/log/lastlog` and `/var/log/faillog` at offset
    /// UID × record size. On a layer filesystem the sparse file is stored in full: a UID of 1000000 adds
    /// hundreds of megabytes of zeros to the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN useradd -u 1000000 app
    /// ```
    ///
    /// ## How to fix
    /// `RUN useradd --no-log-init -u 1000000 app` (or use a UID below 100000).
    ///
    /// Overlaps hadolint DL3046.
    code: "DD054",
    name: "useradd-without-no-log-init",
    severity: Warning,
    hadolint: ["DL3046"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let bad = run_commands(ins).iter().any(|c| {
            let argv = c.argv();
            if c.program() != Some("useradd") {
                return false;
            }
            let no_log = argv.iter().any(|a| {
                a == "-l"
                    || a == "--no-log-init"
                    || (a.starts_with('-') && !a.starts_with("--") && a.contains('l'))
            });
            let uid = argv
                .windows(2)
                .find(|w| w[0] == "-u" || w[0] == "--uid")
                .map(|w| w[1].clone())
                .or_else(|| {
                    argv.iter()
                        .find_map(|a| a.strip_prefix("--uid=").map(str::to_string))
                });
            let big = uid.is_some_and(|u| u.len() > 5 && u.bytes().all(|b| b.is_ascii_digit()));
            big && !no_log
        });
        if bad {
            out.emit(&RULE, ins.span, "`useradd` with a large UID and without `--no-log-init` stores a huge sparse lastlog in the layer");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines("FROM debian:12\nRUN useradd -u 123456 luser\n", "DD054"),
            [2]
        );
        assert!(
            lines(
                "FROM debian:12\nRUN useradd -l -u 123456 luser\nRUN useradd -u 12345 x\n",
                "DD054"
            )
            .is_empty()
        );
    }
}
