//! apk: `/lib/apk/db/installed`, stanzas of one-letter `X:value` lines (P name, V version, A arch,
//! o origin, m maintainer, L license, c commit, T description, F directory, R file in it…).

use std::io::Read;

use drydock_image::osrelease::OsRelease;
use drydock_image::{FileVisitor, Kind, Node};

use super::read_limited;
use crate::purl::Purl;
use crate::{Cataloger, Context, Package, PackageType, Warning, license};

const NAME: &str = "apk";
/// The installed database; `/usr/lib/apk/db` is where merged-/usr systems move it (with
/// `/lib/apk/db` a symlink, so the walk meets one of them), `/var/lib/apk/installed` where very
/// old releases kept it.
const DB_PATHS: [&str; 3] = [
    "/lib/apk/db/installed",
    "/usr/lib/apk/db/installed",
    "/var/lib/apk/installed",
];
const DB_LIMIT: u64 = 256 << 20;

/// One file or directory an apk package owns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApkFile {
    pub path: String,
    pub is_dir: bool,
    pub owner_uid: Option<String>,
    pub owner_gid: Option<String>,
    pub permissions: Option<String>,
    /// `Q1`+base64(sha1) as apk stores it.
    pub digest: Option<String>,
}

/// One package stanza of the installed database.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApkEntry {
    pub package: String,
    pub version: String,
    pub architecture: Option<String>,
    pub origin: Option<String>,
    pub maintainer: Option<String>,
    pub license: Option<String>,
    pub commit: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub size: Option<u64>,
    pub installed_size: Option<u64>,
    pub dependencies: Vec<String>,
    pub provides: Vec<String>,
    pub checksum: Option<String>,
    pub build_time: Option<String>,
    /// Directories and files in database order.
    pub files: Vec<ApkFile>,
}

/// Why an installed database could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ApkError {
    pub line: usize,
    pub reason: String,
}

/// Parses an apk installed database. Stanzas without a name are dropped; a line that is not
/// `X:value` makes the file unreadable.
pub fn parse_installed(text: &str) -> Result<Vec<ApkEntry>, ApkError> {
    let mut out = Vec::new();
    let mut cur = ApkEntry::default();
    let mut dir = String::new();
    let mut last_is_file = false;
    let budget = super::decode_limit(text.len());
    let mut path_bytes = 0usize;
    let flush = |cur: &mut ApkEntry, out: &mut Vec<ApkEntry>| {
        let e = std::mem::take(cur);
        if !e.package.is_empty() {
            out.push(e);
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            flush(&mut cur, &mut out);
            dir.clear();
            last_is_file = false;
            continue;
        }
        let b = line.as_bytes();
        if b.len() < 2 || b[1] != b':' || !b[0].is_ascii_alphabetic() {
            return Err(ApkError {
                line: i + 1,
                reason: "not a `X:value` line".into(),
            });
        }
        let val = &line[2..];
        let opt = || Some(val.trim().to_string()).filter(|v| !v.is_empty());
        match b[0] {
            b'P' => cur.package = val.trim().to_string(),
            b'V' => cur.version = val.trim().to_string(),
            b'A' => cur.architecture = opt(),
            b'o' => cur.origin = opt(),
            b'm' => cur.maintainer = opt(),
            b'L' => cur.license = opt(),
            b'c' => cur.commit = opt(),
            b'T' => cur.description = opt(),
            b'U' => cur.url = opt(),
            b'S' => cur.size = val.trim().parse().ok(),
            b'I' => cur.installed_size = val.trim().parse().ok(),
            b't' => cur.build_time = opt(),
            b'C' => cur.checksum = opt(),
            b'D' => cur.dependencies = val.split_whitespace().map(str::to_string).collect(),
            b'p' => cur.provides = val.split_whitespace().map(str::to_string).collect(),
            b'F' => {
                dir = val.trim().trim_matches('/').to_string();
                cur.files.push(ApkFile {
                    path: format!("/{dir}"),
                    is_dir: true,
                    ..ApkFile::default()
                });
                last_is_file = false;
            }
            b'R' => {
                let name = val.trim();
                // Every file repeats its directory; a lying database could multiply one long
                // `F:` line by millions of `R:` lines.
                path_bytes += dir.len() + name.len() + 2;
                if path_bytes > budget {
                    return Err(ApkError {
                        line: i + 1,
                        reason: format!("file paths expand past {budget} bytes"),
                    });
                }
                let path = if dir.is_empty() {
                    format!("/{name}")
                } else {
                    format!("/{dir}/{name}")
                };
                cur.files.push(ApkFile {
                    path,
                    ..ApkFile::default()
                });
                last_is_file = true;
            }
            b'a' | b'M' => {
                // `a:` follows a file, `M:` a directory; both are uid:gid:mode.
                if let Some(f) = cur
                    .files
                    .last_mut()
                    .filter(|_| (b[0] == b'a') == last_is_file)
                {
                    // Newer apk appends extra attributes (`uid:gid:mode:xattr-digest`).
                    let mut it = val.trim().split(':');
                    f.owner_uid = it.next().map(str::to_string);
                    f.owner_gid = it.next().map(str::to_string);
                    f.permissions = it.next().map(str::to_string);
                }
            }
            b'Z' => {
                if let Some(f) = cur.files.last_mut().filter(|_| last_is_file) {
                    f.digest = opt();
                }
            }
            _ => {}
        }
    }
    flush(&mut cur, &mut out);
    Ok(out)
}

/// The apk purl (Syft's form): namespace = os id, `upstream` = origin when it differs.
pub fn purl(os: Option<&OsRelease>, e: &ApkEntry) -> String {
    let ns = os
        .and_then(|o| o.id.clone())
        .unwrap_or_else(|| "alpine".into());
    let upstream = e
        .origin
        .as_deref()
        .filter(|o| *o != e.package)
        .unwrap_or("");
    Purl::new("apk", &e.package)
        .namespace(&ns)
        .version(&e.version)
        .qualifier("arch", e.architecture.as_deref().unwrap_or(""))
        .qualifier("distro", os.and_then(super::distro).unwrap_or_default())
        .qualifier("upstream", upstream)
        .to_string()
}

/// The apk cataloger.
#[derive(Default)]
pub struct Apk {
    found: Vec<(String, ApkEntry)>,
    warnings: Vec<Warning>,
}

impl Apk {
    /// A fresh cataloger.
    pub fn new() -> Apk {
        Apk::default()
    }
}

impl FileVisitor for Apk {
    fn wants(&self, path: &str, node: &Node) -> bool {
        node.kind == Kind::File && DB_PATHS.contains(&path)
    }

    fn visit(&mut self, path: &str, _node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let parsed = read_limited(content, DB_LIMIT).and_then(|b| {
            parse_installed(&String::from_utf8_lossy(&b))
                .map_err(|e| format!("not an apk database: {e}"))
        });
        match parsed {
            Ok(entries) => self
                .found
                .extend(entries.into_iter().map(|e| (path.to_string(), e))),
            Err(message) => self.warnings.push(Warning {
                cataloger: NAME,
                path: path.to_string(),
                message,
            }),
        }
        Ok(())
    }
}

impl Cataloger for Apk {
    fn name(&self) -> &'static str {
        NAME
    }

    fn finish(self: Box<Self>, ctx: &Context) -> (Vec<Package>, Vec<Warning>) {
        let mut out = Vec::new();
        let mut deps = Vec::new();
        let mut provides = Vec::new();
        // Two real copies of the database (a half-done move) must not double every package:
        // read them in `DB_PATHS` order and keep the first of each name and arch.
        let mut found = self.found;
        found.sort_by_key(|(path, _)| DB_PATHS.iter().position(|p| p == path));
        let mut seen = std::collections::HashSet::new();
        for (path, e) in found {
            if e.version.is_empty() || !seen.insert((e.package.clone(), e.architecture.clone())) {
                continue;
            }
            let mut p = Package::new(
                PackageType::Apk,
                &e.package,
                &e.version,
                purl(ctx.os.as_ref(), &e),
            );
            p.arch = e.architecture.clone();
            p.source_name = e.origin.clone();
            if let Some(l) = &e.license {
                p.licenses = vec![l.clone()];
                p.license_expression = apk_expression(l);
            }
            p.files = e
                .files
                .iter()
                .filter(|f| !f.is_dir)
                .map(|f| f.path.clone())
                .collect();
            p.locations.push(path);
            let md = &mut p.metadata;
            let mut put = |k: &str, v: Option<String>| {
                if let Some(v) = v.filter(|v| !v.is_empty()) {
                    md.insert(k.to_string(), v);
                }
            };
            put("maintainer", e.maintainer.clone());
            put("commit", e.commit.clone());
            put("description", e.description.clone());
            put("url", e.url.clone());
            put("size", e.size.map(|s| s.to_string()));
            put("installed-size", e.installed_size.map(|s| s.to_string()));
            put("checksum", e.checksum.clone());
            put("build-time", e.build_time.clone());
            put("depends", Some(e.dependencies.join(" ")));
            put("provides", Some(e.provides.join(" ")));
            deps.push(super::deps::apk_entries(&e.dependencies));
            provides.push(super::deps::apk_provides(&e.provides));
            out.push(p);
        }
        super::deps::resolve(&mut out, &deps, &provides);
        (out, self.warnings)
    }
}

/// apk writes `L:` as space-separated names that all apply, or as an SPDX expression already.
fn apk_expression(l: &str) -> Option<String> {
    if let Some(e) = license::expression(l) {
        return Some(e);
    }
    let parts: Vec<String> = l.split_whitespace().map(str::to_string).collect();
    license::combine(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_files_and_attributes() {
        let db =
            "P:a\nV:1-r0\nA:x86_64\nF:usr/bin\nM:0:0:755\nR:x\na:0:0:755\nZ:Q1abc=\n\nP:b\nV:2\n";
        let e = parse_installed(db).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].files.len(), 2);
        assert_eq!(e[0].files[0].permissions.as_deref(), Some("755"));
        assert_eq!(e[0].files[1].path, "/usr/bin/x");
        assert_eq!(e[0].files[1].digest.as_deref(), Some("Q1abc="));
        assert!(parse_installed("asdf\n\nyolo\n").is_err());
        let bomb = format!(
            "P:a\nV:1\nF:{}\n{}",
            "d".repeat(100_000),
            "R:x\n".repeat(100_000)
        );
        assert!(
            parse_installed(&bomb)
                .unwrap_err()
                .reason
                .contains("expand")
        );
        assert_eq!(
            apk_expression("MIT BSD-3-Clause").as_deref(),
            Some("MIT AND BSD-3-Clause")
        );
        assert_eq!(
            apk_expression("MIT OR GPL-2.0-or-later").as_deref(),
            Some("MIT OR GPL-2.0-or-later")
        );
    }
}
