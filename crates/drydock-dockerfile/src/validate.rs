//! Instruction-level checks BuildKit performs after parsing (its `instructions.Parse` and the first
//! steps of converting stages to LLB). Messages follow BuildKit's wording.

use crate::ast::*;
use crate::error::{ParseError, ParseErrorKind};

#[derive(Clone, Copy, PartialEq)]
enum FlagType {
    Bool,
    String,
    Strings,
}

/// Errors BuildKit raises when it turns the parsed AST into build instructions (unknown instruction,
/// unknown or malformed flag, wrong argument count, bad stage name, instruction before FROM, bad
/// `--mount`, …). Empty when BuildKit would accept the file.
pub fn validate(df: &Dockerfile) -> Vec<ParseError> {
    let labs = df.directive("syntax").is_some_and(|s| s.contains("labs"));
    let mut errs = Vec::new();
    let mut seen_from = false;
    for inst in &df.instructions {
        if inst.kind == InstructionKind::From {
            seen_from = true;
        } else if !seen_from && inst.kind != InstructionKind::Arg {
            // BuildKit reports the instruction's own error first, then the missing stage.
            let before = errs.len();
            check(inst, labs, &mut errs);
            if errs.len() == before {
                errs.push(err(inst.span, "no build stage in current context"));
            }
            continue;
        }
        check(inst, labs, &mut errs);
    }
    let mut names: Vec<&str> = Vec::new();
    for st in &df.stages {
        if let Some(n) = st.name.as_deref() {
            if names.contains(&n) {
                errs.push(err(
                    st.from.span,
                    format!("duplicate stage name {}", crate::parser::go_quote(n)),
                ));
            }
            names.push(n);
        }
    }
    errs
}

fn err(span: Span, msg: impl Into<String>) -> ParseError {
    ParseError::new(ParseErrorKind::Instruction, msg, span)
}

/// BuildKit's `BFlags.Parse` against the flags an instruction declares.
fn check_flags(
    inst: &Instruction,
    allowed: &[(&str, FlagType)],
    errs: &mut Vec<ParseError>,
) -> bool {
    let mut used: Vec<&str> = Vec::new();
    for f in &inst.flags {
        let Some(&(_, ty)) = allowed.iter().find(|(n, _)| *n == f.name) else {
            errs.push(err(f.span, format!("unknown flag: --{}", f.name)));
            return false;
        };
        if used.contains(&f.name.as_str()) && ty != FlagType::Strings {
            errs.push(err(f.span, format!("Duplicate flag specified: {}", f.name)));
            return false;
        }
        used.push(&f.name);
        match (ty, f.value.as_deref()) {
            (FlagType::Bool, Some("")) | (FlagType::String | FlagType::Strings, None) => {
                errs.push(err(f.span, format!("Missing a value on flag: {}", f.name)));
                return false;
            }
            (FlagType::Bool, Some(v))
                if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") =>
            {
                errs.push(err(
                    f.span,
                    format!("Expecting boolean value for flag {}, not: {v}", f.name),
                ));
                return false;
            }
            _ => {}
        }
    }
    true
}

fn check(inst: &Instruction, labs: bool, errs: &mut Vec<ParseError>) {
    use FlagType::*;
    use InstructionKind as K;
    let kw = inst.keyword.as_str();
    let at_least_one = |errs: &mut Vec<ParseError>| {
        errs.push(err(
            inst.span,
            format!("{kw} requires at least one argument"),
        ))
    };
    let exactly_one = |errs: &mut Vec<ParseError>| {
        errs.push(err(
            inst.span,
            format!("{kw} requires exactly one argument"),
        ))
    };
    let none = matches!(inst.args, Args::None);
    match inst.kind {
        K::Env | K::Label => {
            if !check_flags(inst, &[], errs) {
                return;
            }
            match &inst.args {
                Args::KeyValues(kv) if kv.iter().any(|p| p.key.is_empty()) => {
                    errs.push(err(inst.span, format!("{kw} names can not be blank")))
                }
                Args::KeyValues(_) => {}
                _ => at_least_one(errs),
            }
        }
        K::Maintainer => {
            if none {
                exactly_one(errs);
            } else {
                check_flags(inst, &[], errs);
            }
        }
        K::Add | K::Copy => {
            let words = inst.words();
            if words.len() < 2 {
                errs.push(err(
                    inst.span,
                    format!(
                        "{kw} requires at least two arguments, but only one was provided. Destination could not be determined"
                    ),
                ));
                return;
            }
            let ok = if inst.kind == K::Add {
                check_flags(
                    inst,
                    &[
                        ("chown", String),
                        ("chmod", String),
                        ("link", Bool),
                        ("keep-git-dir", Bool),
                        ("checksum", String),
                        ("exclude", Strings),
                        ("unpack", Bool),
                    ],
                    errs,
                )
            } else {
                check_flags(
                    inst,
                    &[
                        ("chown", String),
                        ("from", String),
                        ("chmod", String),
                        ("link", Bool),
                        ("parents", Bool),
                        ("exclude", Strings),
                    ],
                    errs,
                )
            };
            if ok && is_heredoc_word(words.last().map(|s| s.as_str()).unwrap_or("")) {
                errs.push(err(
                    inst.args_span,
                    format!("{kw} cannot accept a heredoc as a destination"),
                ));
            }
        }
        K::From => {
            let w = inst.words();
            if w.len() == 3 && w[1].eq_ignore_ascii_case("as") {
                let name = w[2].to_ascii_lowercase();
                if !valid_stage_name(&name) {
                    errs.push(err(
                        inst.args_span,
                        format!(
                            "invalid name for build stage: {}, name can't start with a number or contain symbols",
                            crate::parser::go_quote(&w[2])
                        ),
                    ));
                    return;
                }
            } else if w.len() != 1 {
                errs.push(err(
                    inst.span,
                    "FROM requires either one or three arguments",
                ));
                return;
            }
            check_flags(inst, &[("platform", String)], errs);
        }
        K::Onbuild => {
            let Args::OnBuild(inner) = &inst.args else {
                at_least_one(errs);
                return;
            };
            if !check_flags(inst, &[], errs) {
                return;
            }
            match inner.keyword.as_str() {
                "ONBUILD" => errs.push(err(
                    inst.span,
                    "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
                )),
                "MAINTAINER" | "FROM" => errs.push(err(
                    inst.span,
                    format!("{} isn't allowed as an ONBUILD trigger", inner.keyword),
                )),
                _ => {}
            }
        }
        K::Workdir | K::User => {
            if none {
                exactly_one(errs);
            } else {
                check_flags(inst, &[], errs);
            }
        }
        K::Stopsignal => {
            // BuildKit does not parse STOPSIGNAL's flags.
            if none {
                exactly_one(errs);
            }
        }
        K::Run => {
            let mut allowed = vec![
                ("mount", Strings),
                ("network", String),
                ("security", String),
            ];
            if labs {
                allowed.push(("device", Strings));
            }
            if !check_flags(inst, &allowed, errs) {
                return;
            }
            for f in inst.flags_named("mount") {
                if let Err(m) = crate::mount::validate_mount(f.value.as_deref().unwrap_or("")) {
                    errs.push(err(f.span, m));
                }
            }
            if let Some(f) = inst.flags.iter().rev().find(|f| f.name == "network") {
                let v = f.value.as_deref().unwrap_or("");
                if !matches!(v, "none" | "host" | "default") && !v.contains('$') {
                    errs.push(err(
                        f.span,
                        format!("unsupported network mode {}", crate::parser::go_quote(v)),
                    ));
                }
            }
            if let Some(f) = inst.flags.iter().rev().find(|f| f.name == "security") {
                let v = f.value.as_deref().unwrap_or("");
                if !matches!(v, "sandbox" | "insecure") && !v.contains('$') {
                    errs.push(err(
                        f.span,
                        format!("unsupported security mode {}", crate::parser::go_quote(v)),
                    ));
                }
            }
        }
        K::Cmd | K::Entrypoint => {
            check_flags(inst, &[], errs);
        }
        K::Healthcheck => {
            let Args::Healthcheck { kind, cmd } = &inst.args else {
                at_least_one(errs);
                return;
            };
            let typ = kind.to_uppercase();
            if typ == "NONE" {
                if !matches!(**cmd, Args::None) {
                    errs.push(err(inst.span, "HEALTHCHECK NONE takes no arguments"));
                }
                return;
            }
            let durations = ["interval", "timeout", "start-period", "start-interval"];
            let mut allowed: Vec<(&str, FlagType)> =
                durations.iter().map(|d| (*d, String)).collect();
            allowed.push(("retries", String));
            if !check_flags(inst, &allowed, errs) {
                return;
            }
            if typ != "CMD" {
                errs.push(err(
                    inst.span,
                    format!(
                        "Unknown type {} in HEALTHCHECK (try CMD)",
                        crate::parser::go_quote(&typ)
                    ),
                ));
                return;
            }
            if matches!(&**cmd, Args::Exec(v) if v.is_empty()) {
                errs.push(err(inst.span, "Missing command after HEALTHCHECK CMD"));
                return;
            }
            for d in durations {
                let Some(f) = inst.flags.iter().rev().find(|f| f.name == d) else {
                    continue;
                };
                let v = f.value.as_deref().unwrap_or("");
                if v.is_empty() {
                    continue;
                }
                match go_duration_nanos(v) {
                    None => errs.push(err(
                        f.span,
                        format!("time: invalid duration {}", crate::parser::go_quote(v)),
                    )),
                    Some(0) => {}
                    Some(n) if n < 1_000_000 => errs.push(err(
                        f.span,
                        format!(
                            "Interval {} cannot be less than 1ms",
                            crate::parser::go_quote(d)
                        ),
                    )),
                    Some(_) => {}
                }
            }
            if let Some(f) = inst.flags.iter().rev().find(|f| f.name == "retries") {
                let v = f.value.as_deref().unwrap_or("");
                if !v.is_empty() {
                    match v.parse::<i32>() {
                        Err(_) => errs.push(err(
                            f.span,
                            format!(
                                "strconv.ParseInt: parsing {}: invalid syntax",
                                crate::parser::go_quote(v)
                            ),
                        )),
                        Ok(n) if n < 0 => {
                            errs.push(err(f.span, format!("--retries cannot be negative ({n})")))
                        }
                        Ok(_) => {}
                    }
                }
            }
        }
        K::Expose => {
            if none {
                at_least_one(errs);
                return;
            }
            if !check_flags(inst, &[], errs) {
                return;
            }
            for (i, w) in inst.words().iter().enumerate() {
                if let Err(m) = check_port_spec(w) {
                    let span = inst.word_spans.get(i).copied().unwrap_or(inst.span);
                    errs.push(err(span, m));
                }
            }
        }
        K::Volume => {
            if none || matches!(&inst.args, Args::Exec(v) if v.is_empty()) {
                at_least_one(errs);
                return;
            }
            if !check_flags(inst, &[], errs) {
                return;
            }
            if inst.words().iter().any(|v| v.trim().is_empty()) {
                errs.push(err(
                    inst.span,
                    "VOLUME specified can not be an empty string",
                ));
            }
        }
        K::Arg => {
            if none {
                at_least_one(errs);
                return;
            }
            if !check_flags(inst, &[], errs) {
                return;
            }
            if inst.words().iter().any(|w| w.starts_with('=')) {
                errs.push(err(inst.span, "ARG names can not be blank"));
            }
        }
        K::Shell => {
            if !check_flags(inst, &[], errs) {
                return;
            }
            match &inst.args {
                Args::Exec(v) if v.is_empty() => at_least_one(errs),
                Args::Exec(_) => {}
                Args::None => at_least_one(errs),
                _ => errs.push(err(
                    inst.span,
                    "SHELL requires the arguments to be in JSON form",
                )),
            }
        }
        K::Unknown => errs.push(err(
            inst.keyword_span,
            format!(
                "unknown instruction: {}",
                inst.original.split_whitespace().next().unwrap_or("")
            ),
        )),
    }
}

/// What BuildKit's `nat.ParsePortSpecs` rejects in an EXPOSE word (words with `$` are expanded first,
/// so they are not checked).
fn check_port_spec(w: &str) -> Result<(), String> {
    if w.contains('$') {
        return Ok(());
    }
    let (rest, proto) = match w.rsplit_once('/') {
        Some((r, p)) => (r, p),
        None => (w, "tcp"),
    };
    if !matches!(proto.to_ascii_lowercase().as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    let port = rest.rsplit(':').next().unwrap_or(rest);
    let num = |s: &str| {
        !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| n <= 65535)
    };
    let ok = match port.split_once('-') {
        Some((a, b)) => num(a) && num(b) && a.parse::<u32>().ok() <= b.parse::<u32>().ok(),
        None => num(port),
    };
    if !ok {
        return Err(format!("invalid containerPort: {port}"));
    }
    Ok(())
}

/// `^[a-z][a-z0-9-_.]*$`
fn valid_stage_name(n: &str) -> bool {
    let mut it = n.chars();
    it.next().is_some_and(|c| c.is_ascii_lowercase())
        && it.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// Whether a word is a heredoc marker (`<<EOF`, `<<-"EOF"`, `3<<EOF`).
pub(crate) fn is_heredoc_word(w: &str) -> bool {
    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
    let Some(rest) = w[digits..].strip_prefix("<<") else {
        return false;
    };
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let rest = rest.trim_start_matches(['\t', '\n', '\u{0C}', '\r', ' ']);
    !rest.is_empty() && !rest.contains('<')
}

/// Go's `time.ParseDuration`, in nanoseconds (`None` when invalid; saturating on overflow).
pub(crate) fn go_duration_nanos(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return None;
        }
        let v: f64 = num.parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult: f64 = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += v * mult;
    }
    let n = total as i128;
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(go_duration_nanos("5s"), Some(5_000_000_000));
        assert_eq!(go_duration_nanos("1m30s"), Some(90_000_000_000));
        assert_eq!(go_duration_nanos("1.5h"), Some(5_400_000_000_000));
        assert_eq!(go_duration_nanos("0"), Some(0));
        assert_eq!(go_duration_nanos("10"), None);
        assert_eq!(go_duration_nanos("5x"), None);
        assert_eq!(go_duration_nanos(""), None);
    }

    #[test]
    fn heredoc_words() {
        assert!(is_heredoc_word("<<EOF"));
        assert!(is_heredoc_word("2<<-'EOF'"));
        assert!(!is_heredoc_word("<<"));
        assert!(!is_heredoc_word("a<<EOF"));
        assert!(!is_heredoc_word("<<<EOF"));
    }
}
