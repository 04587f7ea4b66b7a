//! `RUN --mount=` option parsing.

use crate::ast::Mount;

/// Parse a `--mount` value (`type=cache,target=/root/.cache,sharing=locked`).
pub(crate) fn parse_mount(value: &str) -> Result<Mount, String> {
    let mut m = Mount {
        kind: "bind".to_string(),
        ..Mount::default()
    };
    for field in split_csv(value)? {
        if field.is_empty() {
            continue;
        }
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.to_string())),
            None => (field.trim().to_ascii_lowercase(), None),
        };
        let bool_val = |v: &Option<String>| -> Result<bool, String> {
            match v.as_deref() {
                None => Ok(true),
                Some(s) => parse_bool(s).ok_or_else(|| format!("invalid value for {key}: {s}")),
            }
        };
        match key.as_str() {
            "type" => {
                let v = val.clone().ok_or("invalid mount: type needs a value")?;
                let v = v.to_ascii_lowercase();
                if !matches!(v.as_str(), "bind" | "cache" | "tmpfs" | "secret" | "ssh") {
                    return Err(format!("unsupported mount type {v:?}"));
                }
                m.kind = v;
            }
            "target" | "dst" | "destination" => m.target = val.clone(),
            "source" | "src" => m.source = val.clone(),
            "from" => m.from = val.clone(),
            "id" => m.id = val.clone(),
            "sharing" => m.sharing = val.clone(),
            "readonly" | "ro" => m.readonly = Some(bool_val(&val)?),
            "readwrite" | "rw" => m.readonly = Some(!bool_val(&val)?),
            "required" => m.required = Some(bool_val(&val)?),
            "mode" => m.mode = val.clone(),
            "uid" => m.uid = val.clone(),
            "gid" => m.gid = val.clone(),
            "env" => m.env = val.clone(),
            "size" => m.size = val.clone(),
            _ => {}
        }
        m.options.push((key, val));
    }
    Ok(m)
}

fn parse_bool(s: &str) -> Option<bool> {
    // Go's strconv.ParseBool.
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Split like Go's encoding/csv on one record: commas separate fields, `"` quotes a field.
fn split_csv(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    let mut in_quotes = false;
    let mut field_start = true;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            ',' => {
                out.push(std::mem::take(&mut cur));
                field_start = true;
                continue;
            }
            '"' if field_start => in_quotes = true,
            _ => cur.push(c),
        }
        field_start = false;
    }
    if in_quotes {
        return Err(format!("invalid mount {s:?}: unterminated quote"));
    }
    out.push(cur);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_mount() {
        let m = parse_mount("type=cache,target=/root/.cache,sharing=locked,id=pip").unwrap();
        assert_eq!(m.kind, "cache");
        assert_eq!(m.target.as_deref(), Some("/root/.cache"));
        assert_eq!(m.sharing.as_deref(), Some("locked"));
        assert_eq!(m.id.as_deref(), Some("pip"));
    }

    #[test]
    fn defaults_and_quotes() {
        let m = parse_mount("\"target=/a,b\",ro").unwrap();
        assert_eq!(m.kind, "bind");
        assert_eq!(m.target.as_deref(), Some("/a,b"));
        assert_eq!(m.readonly, Some(true));
        assert!(parse_mount("type=nfs").is_err());
        assert!(parse_mount("ro=maybe").is_err());
    }
}
