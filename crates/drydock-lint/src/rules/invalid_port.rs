use crate::ctx::{Ctx, Sink, words};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `EXPOSE` ports outside 0–65535 (ranges included), and entries that are not a port, a range or
    /// a variable, or whose protocol is not `tcp`, `udp` or `sctp`.
    ///
    /// ## Why is this bad?
    /// The build rejects it, or the metadata is wrong and tooling that reads it is misled.
    ///
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 80000
    /// ```
    ///
    /// ## How to fix
    /// Use a valid port: `EXPOSE 8000`.
    ///
    /// Overlaps hadolint DL3011.
    code: "DD047",
    name: "invalid-port",
    severity: Error,
    hadolint: ["DL3011"],
    check: check,
}

fn port_ok(p: &str) -> bool {
    if p.contains('$') {
        return true;
    }
    p.parse::<u64>().is_ok_and(|n| n <= 65535)
}

fn entry_ok(w: &str) -> bool {
    let (ports, proto) = match w.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (w, None),
    };
    if let Some(proto) = proto
        && !proto.contains('$')
        && !matches!(proto.to_ascii_lowercase().as_str(), "tcp" | "udp" | "sctp")
    {
        return false;
    }
    if ports.contains('$') && !ports.contains('-') {
        return true;
    }
    match ports.split_once('-') {
        Some((a, b)) => port_ok(a) && port_ok(b),
        None => port_ok(ports),
    }
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Expose {
            continue;
        }
        for w in words(ins) {
            if !entry_ok(&w) {
                out.emit(
                    &RULE,
                    ins.span,
                    format!("`{w}` is not a valid port (0-65535, optional /tcp, /udp or /sctp)"),
                );
            }
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
                "FROM alpine:3\nEXPOSE 80000\nEXPOSE 40000-80000/tcp\nEXPOSE 80/xyz\n",
                "DD047"
            ),
            [2, 3, 4]
        );
        assert!(
            lines(
                "FROM alpine:3\nEXPOSE 60000 ${P} 40000-${Q} 53/udp\n",
                "DD047"
            )
            .is_empty()
        );
    }
}
