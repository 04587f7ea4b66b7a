//! `/etc/os-release` (or `/usr/lib/os-release`) as the freedesktop spec defines it.

use std::collections::BTreeMap;

/// Where os-release may live, in the order the spec says to look.
pub const PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

/// The fields drydock uses, plus everything else the file had.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OsRelease {
    pub id: Option<String>,
    pub id_like: Vec<String>,
    pub version_id: Option<String>,
    pub version_codename: Option<String>,
    pub pretty_name: Option<String>,
    pub name: Option<String>,
    #[serde(skip)]
    pub fields: BTreeMap<String, String>,
}

/// Parses os-release text: `KEY=value` lines, values optionally quoted with shell escapes.
pub fn parse(text: &str) -> OsRelease {
    let mut fields = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        fields.insert(k.trim().to_string(), unquote(v.trim()));
    }
    let get = |k: &str| fields.get(k).cloned().filter(|v| !v.is_empty());
    OsRelease {
        id: get("ID").map(|s| s.to_ascii_lowercase()),
        id_like: get("ID_LIKE")
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        version_id: get("VERSION_ID"),
        version_codename: get("VERSION_CODENAME"),
        pretty_name: get("PRETTY_NAME"),
        name: get("NAME"),
        fields,
    }
}

fn unquote(v: &str) -> String {
    let inner = if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        &v[1..v.len() - 1]
    } else {
        v
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn debian() {
        let r = super::parse(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n# c\n",
        );
        assert_eq!(r.id.as_deref(), Some("debian"));
        assert_eq!(r.version_id.as_deref(), Some("12"));
        assert_eq!(r.version_codename.as_deref(), Some("bookworm"));
        assert_eq!(
            r.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        let u = super::parse("ID=ubuntu\nID_LIKE=debian\nVERSION_ID='24.04'\n");
        assert_eq!(u.id_like, vec!["debian"]);
        assert_eq!(u.version_id.as_deref(), Some("24.04"));
    }
}
