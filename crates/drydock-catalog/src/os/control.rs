//! Debian control-file syntax (dpkg `status`, `status.d/*`): stanzas of `Field: value` lines,
//! continuation lines starting with a space or tab, stanzas separated by blank lines.

/// One stanza's fields in file order (names as written; look-ups ignore case).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stanza {
    pub fields: Vec<(String, String)>,
    /// 1-based line where the stanza starts.
    pub line: usize,
}

impl Stanza {
    /// A field's value (continuation lines joined with `\n`, first line trimmed).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A field's value when present and not empty.
    pub fn nonempty(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }
}

/// Why a control file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct SyntaxError {
    pub line: usize,
    pub reason: String,
}

/// Splits control-file text into stanzas. A line that is neither a field, a continuation nor blank
/// is an error: such a file is not a dpkg database.
pub fn parse(text: &str) -> Result<Vec<Stanza>, SyntaxError> {
    let mut out = Vec::new();
    let mut cur = Stanza::default();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            if !cur.fields.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let Some((_, value)) = cur.fields.last_mut() else {
                return Err(SyntaxError {
                    line: line_no,
                    reason: "continuation line before any field".into(),
                });
            };
            // As dpkg shows it: one leading space, trailing blanks dropped.
            value.push_str("\n ");
            value.push_str(line.trim());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(SyntaxError {
                line: line_no,
                reason: format!("not a field: {:?}", truncate(line, 60)),
            });
        };
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(SyntaxError {
                line: line_no,
                reason: format!("bad field name {:?}", truncate(key, 60)),
            });
        }
        if cur.fields.is_empty() {
            cur.line = line_no;
        }
        cur.fields.push((key.to_string(), value.trim().to_string()));
    }
    if !cur.fields.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Splits a relationship field (`Depends`, `Provides`…) into its comma-separated entries.
pub fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_and_errors() {
        let s = parse("Package: a\nDescription: x\n more\n\n\nPackage: b\r\n").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].get("description"), Some("x\n more"));
        assert_eq!(s[1].get("Package"), Some("b"));
        assert_eq!(s[1].line, 6);
        assert!(parse("asdf\n\nyolo\n").is_err());
        assert!(parse(" leading continuation\n").is_err());
        assert_eq!(split_list("a (>= 1), b | c,"), vec!["a (>= 1)", "b | c"]);
    }
}
