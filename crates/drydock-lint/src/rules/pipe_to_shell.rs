use crate::ctx::{Ctx, Sink, run_commands};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags a download piped straight into an interpreter: `curl … | sh`, `wget -O- … | bash`,
    /// `sh -c "$(curl …)"`, `bash <(curl …)` (also `python`, `perl`, `ruby`, `node` as the reader).
    ///
    /// ## Why is this bad?
    /// The script runs unverified with the build's privileges; a compromised server, a truncated
    /// download or a changed script silently changes the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN curl -fsSL https://example.com/install.sh | sh
    /// ```
    ///
    /// ## How to fix
    /// Download to a file, verify its checksum or signature, then run it:
    /// `RUN curl -fsSLo /tmp/i.sh https://… && echo "<sha256>  /tmp/i.sh" | sha256sum -c - && sh /tmp/i.sh`.
    code: "DD032",
    name: "pipe-to-shell",
    severity: Warning,
    hadolint: [],
    check: check,
}

const INTERPRETERS: &[&str] = &[
    "sh", "bash", "ash", "dash", "zsh", "ksh", "python", "python3", "perl", "ruby", "node",
];

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let cmds = run_commands(ins);
        let mut hit = false;
        for (i, c) in cmds.iter().enumerate() {
            let prog = c.program().unwrap_or("");
            if INTERPRETERS.contains(&prog) {
                let mut piped = false;
                if c.op_before == "|" {
                    // Walk back through the pipeline feeding this command.
                    let mut j = i;
                    while j > 0 {
                        j -= 1;
                        if matches!(cmds[j].program(), Some("curl") | Some("wget")) {
                            piped = true;
                            break;
                        }
                        if cmds[j].op_before != "|" {
                            break;
                        }
                    }
                }
                let substituted = c.words.iter().any(|w| {
                    w.contains("$(curl")
                        || w.contains("$(wget")
                        || w.contains("<(curl")
                        || w.contains("<(wget")
                        || w.contains("`curl")
                        || w.contains("`wget")
                });
                if piped || substituted {
                    hit = true;
                }
            }
        }
        // `bash <(curl …)` and `sh -c "$(curl …)"` split into separate commands; look at the raw text too.
        let raw = crate::ctx::run_script(ins);
        for interp in ["sh", "bash"] {
            for dl in ["curl", "wget"] {
                if raw.contains(&format!("{interp} <({dl}"))
                    || raw.contains(&format!("{interp} -c \"$({dl}"))
                {
                    hit = true;
                }
            }
        }
        if hit {
            out.emit(&RULE, ins.span, "a download is piped into an interpreter unverified; download to a file and check its sha256 first");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines("FROM debian:12\nRUN curl -fsSL https://x | sh\n", "DD032"),
            [2]
        );
        assert_eq!(
            lines(
                "FROM debian:12\nRUN wget -qO- https://x | sudo bash -s --\n",
                "DD032"
            ),
            [2]
        );
        assert_eq!(
            lines(
                "FROM debian:12\nRUN sh -c \"$(curl -fsSL https://x)\"\n",
                "DD032"
            ),
            [2]
        );
        assert!(lines("FROM debian:12\nRUN curl -fsSLo /tmp/i.sh https://x && sha256sum -c s && sh /tmp/i.sh\n", "DD032").is_empty());
        assert!(lines("FROM debian:12\nRUN curl -s https://x | tar xz\n", "DD032").is_empty());
    }
}
