//! Inline suppression: `# drydock ignore=CODE[,CODE] reason` and `# drydock global ignore=CODE reason`.
//!
//! Codes or rule names are accepted. `# hadolint ignore=DLxxxx` is honoured too, for the drydock rules that
//! overlap that hadolint code (never reported as unused: the pragma may be there for hadolint itself).

use crate::finding::Finding;
use crate::rules::{self, Rule};
use drydock_dockerfile::ast::{Dockerfile, Span};

/// One pragma comment.
#[derive(Debug, Clone)]
pub struct Pragma {
    /// Where the comment is.
    pub line: usize,
    /// Column of the `#`.
    pub col: usize,
    /// File-wide (`global ignore=`).
    pub global: bool,
    /// From `# hadolint …` (no unused/unknown reports).
    pub foreign: bool,
    /// The ids as written, with the rule each resolves to.
    pub ids: Vec<(String, Vec<&'static Rule>)>,
    /// Free text after the ids.
    pub reason: String,
    /// Lines of the instruction the pragma applies to (inclusive), for non-global pragmas.
    pub target: Option<(usize, usize)>,
    /// The first line of the instruction whose continuation lines hold this comment. BuildKit drops
    /// such comments, so the pragma applies to nothing (and is reported as unused).
    pub inside: Option<usize>,
}

/// Parse the text after `#` (already trimmed). Returns `(tool, global, ids, reason)`.
fn parse_text(text: &str) -> Option<(&'static str, bool, Vec<String>, String)> {
    let t = text.trim();
    let (tool, rest) = if let Some(r) = t.strip_prefix("drydock") {
        ("drydock", r)
    } else if let Some(r) = t.strip_prefix("hadolint") {
        ("hadolint", r)
    } else {
        return None;
    };
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let mut rest = rest.trim_start();
    let mut global = false;
    if let Some(r) = rest.strip_prefix("global") {
        global = true;
        rest = r.trim_start();
    }
    let r = rest.strip_prefix("ignore")?.trim_start();
    let r = r.strip_prefix('=')?.trim_start();
    // The id list ends at the first whitespace that is not next to a comma (`DD001, DD002 reason`).
    let mut end = r.len();
    let mut prev = '=';
    for (i, c) in r.char_indices() {
        if c.is_whitespace() && prev != ',' && !r[i..].trim_start().starts_with(',') {
            end = i;
            break;
        }
        if !c.is_whitespace() {
            prev = c;
        }
    }
    let (list, reason) = (&r[..end], r[end..].trim());
    let ids = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Some((tool, global, ids, reason.to_string()))
}

fn instruction_lines(span: Span, heredoc_end: usize) -> (usize, usize) {
    (span.start_line, span.end_line.max(heredoc_end))
}

/// Every pragma in the file, each bound to the instruction it applies to.
pub fn collect(df: &Dockerfile) -> Vec<Pragma> {
    let mut out = Vec::new();
    for c in &df.comments {
        let Some((tool, global, ids, reason)) = parse_text(&c.text) else {
            continue;
        };
        let foreign = tool == "hadolint";
        let ids = ids
            .into_iter()
            .map(|id| {
                let found: Vec<&'static Rule> = if foreign {
                    rules::RULES
                        .iter()
                        .filter(|r| r.hadolint.iter().any(|h| h.eq_ignore_ascii_case(&id)))
                        .collect()
                } else {
                    rules::lookup(&id).into_iter().collect()
                };
                (id, found)
            })
            .collect();
        let inside = df
            .instructions
            .iter()
            .find(|i| i.span.start_line < c.line && c.line <= i.span.end_line)
            .map(|i| i.span.start_line);
        let target = if global || inside.is_some() {
            None
        } else {
            df.instructions
                .iter()
                .find(|i| i.span.start_line > c.line)
                .map(|i| {
                    let hd = i
                        .heredocs
                        .iter()
                        .map(|h| h.span.end_line)
                        .max()
                        .unwrap_or(0);
                    instruction_lines(i.span, hd)
                })
        };
        out.push(Pragma {
            line: c.line,
            col: c.col,
            global,
            foreign,
            ids,
            reason,
            target,
            inside,
        });
    }
    out
}

/// Remove suppressed findings; return, per pragma and id, whether it suppressed something.
pub fn apply(pragmas: &[Pragma], findings: &mut Vec<Finding>) -> Vec<Vec<bool>> {
    let mut used: Vec<Vec<bool>> = pragmas.iter().map(|p| vec![false; p.ids.len()]).collect();
    findings.retain(|f| {
        let mut keep = true;
        for (pi, p) in pragmas.iter().enumerate() {
            if p.inside.is_some() {
                continue;
            }
            let in_scope = p.global
                || p.target
                    .is_some_and(|(a, b)| a <= f.span.line && f.span.line <= b);
            if !in_scope {
                continue;
            }
            for (ii, (_, rules)) in p.ids.iter().enumerate() {
                if rules.iter().any(|r| r.code == f.code) {
                    used[pi][ii] = true;
                    keep = false;
                }
            }
        }
        keep
    });
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        let (tool, g, ids, reason) =
            parse_text("drydock ignore=DD003,base-image-latest pinned by bot").unwrap();
        assert_eq!((tool, g), ("drydock", false));
        assert_eq!(ids, ["DD003", "base-image-latest"]);
        assert_eq!(reason, "pinned by bot");
        let (_, g, ids, _) = parse_text("drydock global ignore=DD049").unwrap();
        assert!(g);
        assert_eq!(ids, ["DD049"]);
        assert!(parse_text("drydockignore=DD1").is_none());
        let (_, _, ids, reason) =
            parse_text("drydock ignore=DD001, DD002 ,DD003 the reason").unwrap();
        assert_eq!(ids, ["DD001", "DD002", "DD003"]);
        assert_eq!(reason, "the reason");
        assert!(parse_text("just a comment").is_none());
        assert!(parse_text("drydock ignore").is_none());
    }
}
