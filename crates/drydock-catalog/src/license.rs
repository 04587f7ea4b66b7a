//! License strings as packages state them, and SPDX identifiers where they map to one.
//!
//! Only ids in [`SPDX_IDS`] (a subset of the SPDX list; a conformance test checks each against the
//! list CycloneDX ships) are ever emitted as ids, so an SBOM never carries an id the schema rejects.

/// SPDX license ids drydock recognises.
pub const SPDX_IDS: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "curl",
    "EPL-1.0",
    "EPL-2.0",
    "FSFAP",
    "FSFUL",
    "FSFULLR",
    "FTL",
    "GFDL-1.2-only",
    "GFDL-1.2-or-later",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "ICU",
    "IJG",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "Libpng",
    "libtiff",
    "MirOS",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "NCSA",
    "OFL-1.1",
    "OLDAP-2.8",
    "OpenSSL",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Sleepycat",
    "TCL",
    "Unicode-DFS-2016",
    "Unlicense",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
];

/// Short names used by Debian copyright files and rpm/apk metadata that mean an SPDX id.
const ALIASES: &[(&str, &str)] = &[
    ("GPL-1", "GPL-1.0-only"),
    ("GPL-1+", "GPL-1.0-or-later"),
    ("GPL-2", "GPL-2.0-only"),
    ("GPL-2+", "GPL-2.0-or-later"),
    ("GPL-2.0", "GPL-2.0-only"),
    ("GPL-2.0+", "GPL-2.0-or-later"),
    ("GPL-3", "GPL-3.0-only"),
    ("GPL-3+", "GPL-3.0-or-later"),
    ("GPL-3.0", "GPL-3.0-only"),
    ("GPL-3.0+", "GPL-3.0-or-later"),
    ("GPLv2", "GPL-2.0-only"),
    ("GPLv2+", "GPL-2.0-or-later"),
    ("GPLv3", "GPL-3.0-only"),
    ("GPLv3+", "GPL-3.0-or-later"),
    ("LGPL-2", "LGPL-2.0-only"),
    ("LGPL-2+", "LGPL-2.0-or-later"),
    ("LGPL-2.0+", "LGPL-2.0-or-later"),
    ("LGPL-2.1", "LGPL-2.1-only"),
    ("LGPL-2.1+", "LGPL-2.1-or-later"),
    ("LGPL-3", "LGPL-3.0-only"),
    ("LGPL-3+", "LGPL-3.0-or-later"),
    ("LGPL-3.0+", "LGPL-3.0-or-later"),
    ("LGPLv2+", "LGPL-2.0-or-later"),
    ("LGPLv2.1", "LGPL-2.1-only"),
    ("LGPLv2.1+", "LGPL-2.1-or-later"),
    ("LGPLv3+", "LGPL-3.0-or-later"),
    ("AGPL-3", "AGPL-3.0-only"),
    ("AGPL-3+", "AGPL-3.0-or-later"),
    ("GFDL-1.2", "GFDL-1.2-only"),
    ("GFDL-1.2+", "GFDL-1.2-or-later"),
    ("GFDL-1.3", "GFDL-1.3-only"),
    ("GFDL-1.3+", "GFDL-1.3-or-later"),
    ("Expat", "MIT"),
    ("BSD-2-clause", "BSD-2-Clause"),
    ("BSD-3-clause", "BSD-3-Clause"),
    ("BSD-4-clause", "BSD-4-Clause"),
    ("Apache-2", "Apache-2.0"),
    ("ASL 2.0", "Apache-2.0"),
    ("MPL-2", "MPL-2.0"),
    ("Artistic", "Artistic-1.0-Perl"),
    ("zlib", "Zlib"),
    ("PSF", "PSF-2.0"),
    ("CC0", "CC0-1.0"),
    ("BSL", "BSL-1.0"),
];

/// The SPDX id a single license name stands for, if drydock knows one.
pub fn spdx_id(name: &str) -> Option<&'static str> {
    let name = name.trim();
    if let Some(id) = SPDX_IDS.iter().find(|id| id.eq_ignore_ascii_case(name)) {
        return Some(id);
    }
    ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map(|(_, id)| *id)
}

/// An SPDX expression for a license string when every term maps to a known id; operators
/// `and`/`or`/`with` (any case, and `&`/`|`) are accepted, parentheses kept.
pub fn expression(raw: &str) -> Option<String> {
    let spaced = raw
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace('&', " AND ")
        .replace('|', " OR ")
        .replace(',', " ");
    let mut out: Vec<String> = Vec::new();
    let mut expect_term = true;
    let mut after_with = false;
    let mut depth = 0i32;
    for tok in spaced.split_whitespace() {
        match tok.to_ascii_lowercase().as_str() {
            "and" | "or" if !expect_term => {
                out.push(tok.to_ascii_uppercase());
                expect_term = true;
            }
            "with" if !expect_term => {
                out.push("WITH".into());
                expect_term = true;
                after_with = true;
            }
            "(" if expect_term => {
                depth += 1;
                out.push("(".into());
            }
            ")" if !expect_term && depth > 0 => {
                depth -= 1;
                out.push(")".into());
            }
            _ if expect_term && after_with => {
                // Exception ids are their own list; accept the usual shape only.
                if !tok
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                {
                    return None;
                }
                out.push(tok.to_string());
                expect_term = false;
                after_with = false;
            }
            _ if expect_term => {
                out.push(spdx_id(tok)?.to_string());
                expect_term = false;
            }
            _ => return None,
        }
    }
    if expect_term || depth != 0 || out.is_empty() {
        return None;
    }
    Some(out.join(" ").replace("( ", "(").replace(" )", ")"))
}

/// The SPDX expression for a package's license strings: their conjunction when each one parses.
pub fn combine(raws: &[String]) -> Option<String> {
    let parts: Vec<String> = raws.iter().map(|r| expression(r)).collect::<Option<_>>()?;
    match parts.len() {
        0 => None,
        1 => parts.into_iter().next(),
        _ => {
            let mut uniq: Vec<String> = Vec::new();
            for p in parts {
                if !uniq.contains(&p) {
                    uniq.push(p);
                }
            }
            if uniq.len() == 1 {
                return uniq.pop();
            }
            Some(
                uniq.iter()
                    .map(|p| {
                        if p.contains(' ') {
                            format!("({p})")
                        } else {
                            p.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" AND "),
            )
        }
    }
}

/// Largest copyright file read (real ones are well under this; the rest is license text).
pub const COPYRIGHT_LIMIT: u64 = 4 << 20;

/// License names from a machine-readable (DEP-5) Debian copyright file, in order of first use;
/// `None` when the file is not in that format.
pub fn dep5_licenses(text: &str) -> Option<Vec<String>> {
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    let (key, _) = first.split_once(':')?;
    // The header paragraph may be missing; a first `Files:` paragraph is just as machine-readable.
    let key = key.trim();
    if !["Format", "Format-Specification", "Upstream-Name", "Files"]
        .iter()
        .any(|k| key.eq_ignore_ascii_case(k))
    {
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        // Only field lines (not continuation lines) can be License: fields.
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if !k.eq_ignore_ascii_case("License") {
            continue;
        }
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        if !out.iter().any(|x| x == v) {
            out.push(v.to_string());
        }
    }
    // A stand-alone paragraph repeats a name already given in a Files paragraph; keep the composite
    // expressions and drop single names they already mention.
    let snapshot = out.clone();
    out.retain(|l| {
        !snapshot.iter().any(|other| {
            other != l
                && other
                    .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
                    .any(|t| t == l)
        })
    });
    Some(out)
}

/// Licenses of a Debian copyright file: its DEP-5 `License:` names, or for a free-form file the
/// `/usr/share/common-licenses/<NAME>` files it points to (Debian policy makes it name them).
pub fn copyright_licenses(text: &str) -> Vec<String> {
    if let Some(l) = dep5_licenses(text) {
        return l;
    }
    const MARK: &str = "/usr/share/common-licenses/";
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(MARK) {
        rest = &rest[i + MARK.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_')))
            .unwrap_or(rest.len());
        let name = rest[..end].trim_end_matches('.');
        if !name.is_empty() && !out.iter().any(|x| x == name) {
            out.push(name.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        assert_eq!(expression("GPL-2+").as_deref(), Some("GPL-2.0-or-later"));
        assert_eq!(
            expression("MPL-1.1 or GPL-2 or LGPL-2.1").as_deref(),
            Some("MPL-1.1 OR GPL-2.0-only OR LGPL-2.1-only")
        );
        assert_eq!(
            expression("GPL-2+ with Autoconf-exception").as_deref(),
            Some("GPL-2.0-or-later WITH Autoconf-exception")
        );
        assert_eq!(expression("public-domain"), None);
        assert_eq!(expression("GPL-2 or"), None);
        assert_eq!(expression("(MIT"), None);
        assert_eq!(
            combine(&["MIT".into(), "GPL-2 or BSD-3-clause".into()]).as_deref(),
            Some("MIT AND (GPL-2.0-only OR BSD-3-Clause)")
        );
    }

    #[test]
    fn dep5() {
        let text = "Format: https://example.invalid/dep5\n\nFiles: *\nCopyright: x\nLicense: MPL-1.1 or GPL-2\n\nLicense: MPL-1.1\n text\n License: not-a-field\n\nLicense: GPL-2\n";
        assert_eq!(
            dep5_licenses(text),
            Some(vec!["MPL-1.1 or GPL-2".to_string()])
        );
        assert_eq!(
            dep5_licenses("This is free software.\nLicense: MIT\n"),
            None
        );
        assert_eq!(
            copyright_licenses(
                "Free-form.\nSee /usr/share/common-licenses/GPL-2 and\n/usr/share/common-licenses/LGPL-2.1.\nLicense: prose here\n"
            ),
            vec!["GPL-2", "LGPL-2.1"]
        );
        assert_eq!(copyright_licenses("Files: *\nLicense: MIT\n"), vec!["MIT"]);
    }
}
