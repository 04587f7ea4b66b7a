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

/// BuildKit's checks on a `--mount` value before variable expansion (values holding `$` are checked
/// only where BuildKit checks them before expansion).
pub(crate) fn validate_mount(value: &str) -> Result<(), String> {
    let mut kind = "bind".to_string();
    let (mut from, mut source, mut target, mut id, mut sharing) =
        (false, false, false, false, false);
    let (mut mode, mut uid, mut gid) = (false, false, false);
    for field in split_csv(value)? {
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v)),
            None => (field.to_ascii_lowercase(), None),
        };
        let Some(val) = val else {
            match key.as_str() {
                "readonly" | "ro" | "readwrite" | "rw" => continue,
                "required" if kind == "secret" || kind == "ssh" => continue,
                "required" => {
                    return Err(format!("unexpected key '{key}' for mount type '{kind}'"));
                }
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
        };
        if key == "from" && val.contains('$') && val.len() > 1 {
            return Err(
                "'from' doesn't support variable expansion, define alias stage instead".into(),
            );
        }
        if val.contains('$') {
            // Evaluated after expansion; only remember that the key is set.
            match key.as_str() {
                "type" | "from" | "source" | "src" | "target" | "dst" | "destination"
                | "readonly" | "ro" | "readwrite" | "rw" | "required" | "size" | "id"
                | "sharing" | "mode" | "uid" | "gid" | "env" => {}
                _ => return Err(format!("unexpected key '{key}' in '{field}'")),
            }
            continue;
        }
        let bool_ok = || parse_bool(val).is_some();
        match key.as_str() {
            "type" => {
                let v = val.to_ascii_lowercase();
                if !matches!(v.as_str(), "bind" | "cache" | "tmpfs" | "secret" | "ssh") {
                    return Err(format!("unsupported mount type \"{val}\""));
                }
                kind = v;
            }
            "from" => from = true,
            "source" | "src" => source = !val.is_empty(),
            "target" | "dst" | "destination" => target = !val.is_empty(),
            "readonly" | "ro" | "readwrite" | "rw" => {
                if !bool_ok() {
                    return Err(format!("invalid value for {key}: {val}"));
                }
            }
            "required" => {
                if kind != "secret" && kind != "ssh" {
                    return Err(format!("unexpected key '{key}' for mount type '{kind}'"));
                }
                if !bool_ok() {
                    return Err(format!("invalid value for {key}: {val}"));
                }
            }
            "size" => {
                if kind != "tmpfs" {
                    return Err(format!("unexpected key '{key}' for mount type '{kind}'"));
                }
            }
            "id" => id = !val.is_empty(),
            "sharing" => {
                if !matches!(
                    val.to_ascii_lowercase().as_str(),
                    "shared" | "private" | "locked"
                ) {
                    return Err(format!("unsupported sharing value \"{val}\""));
                }
                sharing = true;
            }
            "mode" => {
                if u32::from_str_radix(val, 8).is_err() {
                    return Err(format!("invalid value {val} for mode"));
                }
                mode = true;
            }
            "uid" | "gid" => {
                if val.parse::<u32>().is_err() {
                    return Err(format!("invalid value {val} for {key}"));
                }
                if key == "uid" {
                    uid = true;
                } else {
                    gid = true;
                }
            }
            "env" => {}
            _ => return Err(format!("unexpected key '{key}' in '{field}'")),
        }
    }
    let file_info = matches!(kind.as_str(), "secret" | "ssh" | "cache");
    if !file_info {
        for (set, what) in [(mode, "mode"), (uid, "uid"), (gid, "gid")] {
            if set {
                return Err(format!("{what} not allowed for \"{kind}\" type mounts"));
            }
        }
    }
    if kind == "secret" {
        if from {
            return Err("secret mount should not have a from".into());
        }
        if sharing {
            return Err("secret mount should not define sharing".into());
        }
        if source && id {
            return Err("both source and id can't be set".into());
        }
        let _ = target;
    }
    if sharing && kind != "cache" {
        return Err(format!("invalid cache sharing set for {kind} mount"));
    }
    Ok(())
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
        assert!(!m.is_readonly());
        assert!(parse_mount("target=/src").unwrap().is_readonly());
        assert!(!parse_mount("target=/src,rw").unwrap().is_readonly());
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
