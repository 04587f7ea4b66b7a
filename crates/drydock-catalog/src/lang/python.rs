//! Installed Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `EGG-INFO/PKG-INFO`,
//! single-file `*.egg-info` and zipped `*.egg` archives, anywhere in the image (system
//! `dist-packages`, `site-packages`, virtualenvs). `RECORD` gives the file list and `direct_url.json`
//! a `vcs_url` qualifier; both are joined to their METADATA by directory in `finish`.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use drydock_image::Node;
use drydock_image::tree::Kind;

use super::{ends_with_ci, file_name, parent_dir, read_capped, warning};
use crate::{Cataloger, Context, Package, PackageType, Warning};

const NAME: &str = "python";
/// Real METADATA files with a long description stay well under this.
const MAX_METADATA: u64 = 8 << 20;
/// A RECORD lists every file of a distribution; large frameworks have tens of thousands.
const MAX_RECORD: u64 = 32 << 20;
const MAX_DIRECT_URL: u64 = 1 << 20;
/// Zipped eggs are read whole (zip needs random access).
const MAX_EGG: u64 = 64 << 20;

/// Which kind of file in a distribution's metadata directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Metadata,
    Record,
    DirectUrl,
    EggZip,
}

fn role(path: &str) -> Option<Role> {
    // Called for every file of the image: no allocation.
    let name = file_name(path);
    let in_dir = |suffix: &str| ends_with_ci(file_name(parent_dir(path)), suffix);
    match name {
        "METADATA" if in_dir(".dist-info") => Some(Role::Metadata),
        "PKG-INFO" if in_dir(".egg-info") => Some(Role::Metadata),
        "PKG-INFO" if parent_dir(path).ends_with(".egg/EGG-INFO") => Some(Role::Metadata),
        "RECORD" if in_dir(".dist-info") => Some(Role::Record),
        "installed-files.txt" if in_dir(".egg-info") => Some(Role::Record),
        "direct_url.json" if in_dir(".dist-info") => Some(Role::DirectUrl),
        _ if ends_with_ci(name, ".egg-info") => Some(Role::Metadata),
        _ if ends_with_ci(name, ".egg") => Some(Role::EggZip),
        _ => None,
    }
}

/// Finds installed Python distributions.
#[derive(Default)]
pub struct PythonCataloger {
    /// Metadata directory (or single `.egg-info` file) → parsed metadata.
    found: Vec<Found>,
    /// Metadata directory → file list from RECORD / installed-files.txt.
    records: HashMap<String, Vec<String>>,
    /// Metadata directory → `vcs_url` qualifier value.
    direct_urls: HashMap<String, String>,
    warnings: Vec<Warning>,
}

struct Found {
    path: String,
    /// The directory whose RECORD / direct_url.json belong to this package.
    dir: String,
    layer: usize,
    meta: Metadata,
}

impl drydock_image::FileVisitor for PythonCataloger {
    fn wants(&self, path: &str, node: &Node) -> bool {
        node.kind == Kind::File && role(path).is_some()
    }

    fn visit(&mut self, path: &str, node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let Some(role) = role(path) else {
            return Ok(());
        };
        let cap = match role {
            Role::Metadata => MAX_METADATA,
            Role::Record => MAX_RECORD,
            Role::DirectUrl => MAX_DIRECT_URL,
            Role::EggZip => MAX_EGG,
        };
        let Some(bytes) = read_capped(content, cap)? else {
            self.warnings.push(warning(
                NAME,
                path,
                format!("larger than {} MiB, not read", cap >> 20),
            ));
            return Ok(());
        };
        match role {
            Role::Metadata => match parse_metadata(&bytes) {
                Ok(meta) => {
                    let dir = if ends_with_ci(file_name(path), ".egg-info") {
                        path.to_string()
                    } else {
                        parent_dir(path).to_string()
                    };
                    self.found.push(Found {
                        path: path.to_string(),
                        dir,
                        layer: node.layer,
                        meta,
                    });
                }
                Err(e) => self.warnings.push(warning(NAME, path, e)),
            },
            Role::Record => {
                let dir = parent_dir(path);
                let files = if file_name(path) == "RECORD" {
                    parse_record(&bytes, parent_dir(dir))
                } else {
                    parse_installed_files(&bytes, dir)
                };
                self.records.insert(dir.to_string(), files);
            }
            Role::DirectUrl => {
                if let Some(v) = vcs_url(&bytes) {
                    self.direct_urls.insert(parent_dir(path).to_string(), v);
                }
            }
            Role::EggZip => match parse_zip_metadata(bytes) {
                Ok(Some(meta)) => self.found.push(Found {
                    path: path.to_string(),
                    dir: path.to_string(),
                    layer: node.layer,
                    meta,
                }),
                Ok(None) => {}
                Err(e) => self.warnings.push(warning(NAME, path, e)),
            },
        }
        Ok(())
    }
}

impl Cataloger for PythonCataloger {
    fn name(&self) -> &'static str {
        NAME
    }

    fn finish(mut self: Box<Self>, _ctx: &Context) -> (Vec<Package>, Vec<Warning>) {
        let mut packages: Vec<Package> = Vec::with_capacity(self.found.len());
        // One distribution, two metadata directories (Debian ships `x.egg-info` next to
        // `x-1.0.dist-info`): one package, both locations. Wheel metadata first, so it wins.
        let mut found = std::mem::take(&mut self.found);
        found.sort_by_key(|f| (!f.path.ends_with("/METADATA"), f.path.clone()));
        let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
        for f in found {
            let Some(mut p) = f.meta.to_package() else {
                self.warnings.push(warning(
                    NAME,
                    &f.path,
                    "no Name or no Version; not a package",
                ));
                continue;
            };
            if let Some(vcs) = self.direct_urls.get(&f.dir) {
                p.purl.push_str("?vcs_url=");
                p.purl.push_str(&super::purl_encode(vcs));
            }
            if let Some(files) = self.records.remove(&f.dir) {
                p.files = files;
            }
            let key = (
                parent_dir(&f.dir).to_string(),
                normalize_name(&p.name),
                p.version.clone(),
            );
            if let Some(&i) = seen.get(&key) {
                let first = &mut packages[i];
                first.locations.push(f.path);
                if first.files.is_empty() {
                    first.files = p.files;
                }
                continue;
            }
            seen.insert(key, packages.len());
            p.locations.push(f.path);
            p.layer = Some(f.layer);
            packages.push(p);
        }
        (packages, self.warnings)
    }
}

/// The fields of a core-metadata file (METADATA / PKG-INFO) drydock uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    pub name: String,
    pub version: String,
    pub author: String,
    pub author_email: String,
    pub license: String,
    pub license_expression: String,
    pub classifiers: Vec<String>,
    pub requires_dist: Vec<String>,
    pub requires_python: String,
}

impl Metadata {
    /// The package, or `None` when the name or version is missing.
    pub fn to_package(&self) -> Option<Package> {
        if self.name.is_empty() || self.version.is_empty() {
            return None;
        }
        let purl = super::purl("pypi", None, &normalize_name(&self.name), &self.version);
        let mut p = Package::new(PackageType::Python, &self.name, &self.version, purl);
        p.licenses = self.licenses();
        // Only an expression whose every id drydock knows; the raw strings stay in `licenses`.
        let spdx: Vec<String> = p
            .licenses
            .iter()
            .map(|l| classifier_spdx(l).map_or_else(|| l.clone(), str::to_string))
            .collect();
        p.license_expression = crate::license::combine(&spdx);
        let mut md = BTreeMap::new();
        for (k, v) in [
            ("author", &self.author),
            ("author_email", &self.author_email),
            ("requires_python", &self.requires_python),
        ] {
            if !v.is_empty() {
                md.insert(k.to_string(), v.clone());
            }
        }
        p.metadata = md;
        Some(p)
    }

    /// License-Expression (PEP 639), else a short License field, else the license classifiers.
    pub fn licenses(&self) -> Vec<String> {
        if !self.license_expression.is_empty() {
            return vec![self.license_expression.clone()];
        }
        let lic = self.license.trim();
        // Some projects paste the whole license text into the field: that is not a name.
        if !lic.is_empty()
            && !lic.eq_ignore_ascii_case("UNKNOWN")
            && lic.len() <= 100
            && !lic.contains('\n')
        {
            return vec![lic.to_string()];
        }
        self.classifiers
            .iter()
            .filter_map(|c| c.strip_prefix("License ::"))
            .filter_map(|c| c.rsplit("::").next())
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty() && c != "OSI Approved")
            .collect()
    }
}

/// Trove license classifiers that name exactly one SPDX license (not "BSD License" or "Apache
/// Software License", which leave the version or clause count open).
fn classifier_spdx(name: &str) -> Option<&'static str> {
    Some(match name {
        "MIT License" => "MIT",
        "MIT No Attribution License (MIT-0)" => "MIT-0",
        "ISC License (ISCL)" => "ISC",
        "Mozilla Public License 2.0 (MPL 2.0)" => "MPL-2.0",
        "GNU General Public License v2 (GPLv2)" => "GPL-2.0-only",
        "GNU General Public License v2 or later (GPLv2+)" => "GPL-2.0-or-later",
        "GNU General Public License v3 (GPLv3)" => "GPL-3.0-only",
        "GNU General Public License v3 or later (GPLv3+)" => "GPL-3.0-or-later",
        "GNU Lesser General Public License v2 or later (LGPLv2+)" => "LGPL-2.0-or-later",
        "GNU Lesser General Public License v3 (LGPLv3)" => "LGPL-3.0-only",
        "GNU Lesser General Public License v3 or later (LGPLv3+)" => "LGPL-3.0-or-later",
        "GNU Affero General Public License v3" => "AGPL-3.0-only",
        "Python Software Foundation License" => "PSF-2.0",
        "The Unlicense (Unlicense)" => "Unlicense",
        "Boost Software License 1.0 (BSL-1.0)" => "BSL-1.0",
        "zlib/libpng License" => "Zlib",
        _ => return None,
    })
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

/// Parses core metadata: RFC 822 style headers up to the first blank line. Keys are case
/// insensitive; the first occurrence of a single-valued key wins; indented lines continue the
/// previous value; stray lines without a colon are ignored (some PKG-INFO files have them).
pub fn parse_metadata(bytes: &[u8]) -> Result<Metadata, String> {
    let text = String::from_utf8_lossy(bytes);
    if text.trim().is_empty() {
        return Err("empty metadata file".to_string());
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut last_was_field = false;
    for line in text.lines() {
        if line.trim_end_matches('\r').is_empty() {
            // The body (long description) follows the first empty line; a line of spaces is a
            // continuation (old PKG-INFO files indent blank lines of their Description).
            if !fields.is_empty() {
                break;
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if last_was_field && let Some((_, v)) = fields.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => {
                fields.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                last_was_field = true;
            }
            _ => last_was_field = false,
        }
    }
    let mut m = Metadata::default();
    for (k, v) in fields {
        let slot = match k.as_str() {
            "name" => &mut m.name,
            "version" => &mut m.version,
            "author" => &mut m.author,
            "author-email" => &mut m.author_email,
            "license" => &mut m.license,
            "license-expression" => &mut m.license_expression,
            "requires-python" => &mut m.requires_python,
            "classifier" => {
                m.classifiers.push(v);
                continue;
            }
            "requires-dist" => {
                m.requires_dist.push(v);
                continue;
            }
            _ => continue,
        };
        if slot.is_empty() {
            *slot = v;
        }
    }
    if m.name.is_empty() && m.version.is_empty() {
        return Err("no Name or Version field: not a metadata file".to_string());
    }
    Ok(m)
}

/// RECORD is CSV: `path,hash,size`; paths are relative to the site-packages directory and may
/// climb out of it (`../../../bin/pip`). Returns absolute, normalised paths.
fn parse_record(bytes: &[u8], root: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut files = Vec::new();
    for line in text.lines() {
        let path = if let Some(rest) = line.strip_prefix('"') {
            // A quoted path (it holds a comma); `""` is an escaped quote.
            let mut out = String::new();
            let mut chars = rest.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        out.push('"');
                        continue;
                    }
                    break;
                }
                out.push(c);
            }
            out
        } else {
            line.split(',').next().unwrap_or("").to_string()
        };
        if path.is_empty() {
            continue;
        }
        if let Some(abs) = join(root, &path) {
            files.push(abs);
        }
    }
    files
}

/// `installed-files.txt` lists paths relative to the `.egg-info` directory.
fn parse_installed_files(bytes: &[u8], egg_info_dir: &str) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(|l| join(egg_info_dir, l))
        .collect()
}

fn join(root: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return drydock_image::tree::normalize(rel);
    }
    drydock_image::tree::normalize(&format!("{root}/{rel}"))
}

/// PEP 610 `direct_url.json` of a VCS install → `git+https://…@commit`.
fn vcs_url(bytes: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let url = v.get("url")?.as_str()?;
    let vcs = v.get("vcs_info")?;
    let kind = vcs.get("vcs")?.as_str()?;
    let mut s = format!("{kind}+{url}");
    if let Some(commit) = vcs.get("commit_id").and_then(|c| c.as_str()) {
        s.push('@');
        s.push_str(commit);
    }
    Some(s)
}

/// Most entries a zipped egg or wheel may have before it is taken as hostile.
const MAX_ZIP_ENTRIES: usize = 100_000;

/// The metadata inside a zipped `.egg` (`EGG-INFO/PKG-INFO`) or wheel (`*.dist-info/METADATA`);
/// `Ok(None)` when it has none.
pub fn parse_zip_metadata(bytes: Vec<u8>) -> Result<Option<Metadata>, String> {
    let mut zip = super::open_zip(bytes, MAX_ZIP_ENTRIES as u64)?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(format!(
            "{} entries, more than {MAX_ZIP_ENTRIES}",
            zip.len()
        ));
    }
    let wanted = (0..zip.len()).find(|&i| {
        zip.name_for_index(i).and_then(Result::ok).is_some_and(|n| {
            n == "EGG-INFO/PKG-INFO"
                || (n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)
        })
    });
    let Some(i) = wanted else {
        return Ok(None);
    };
    let entry = zip
        .by_index(i)
        .map_err(|e| format!("cannot open metadata entry: {e}"))?;
    let mut buf = Vec::new();
    entry
        .take(MAX_METADATA + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read metadata entry: {e}"))?;
    if buf.len() as u64 > MAX_METADATA {
        return Err("metadata entry too large".to_string());
    }
    parse_metadata(&buf).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles() {
        assert_eq!(
            role("/usr/lib/python3/dist-packages/pip-23.0.dist-info/METADATA"),
            Some(Role::Metadata)
        );
        assert_eq!(
            role("/opt/venv/lib/python3.12/site-packages/a.egg-info/PKG-INFO"),
            Some(Role::Metadata)
        );
        assert_eq!(
            role("/x/site-packages/a-1.0.egg/EGG-INFO/PKG-INFO"),
            Some(Role::Metadata)
        );
        assert_eq!(
            role("/x/site-packages/a-1.0-py3.8.egg-info"),
            Some(Role::Metadata)
        );
        assert_eq!(
            role("/x/site-packages/a-1.0.dist-info/RECORD"),
            Some(Role::Record)
        );
        assert_eq!(role("/x/site-packages/a/METADATA"), None);
        assert_eq!(role("/x/site-packages/a-1.0.dist-info/LICENSE"), None);
    }

    #[test]
    fn continuation_and_first_wins() {
        let m = parse_metadata(
            b"Name: a\nVersion: 1\nVersion: 2\nLicense: MIT\n  or Apache\n\nbody: x\n",
        )
        .unwrap();
        assert_eq!(m.version, "1");
        assert_eq!(m.license, "MIT\nor Apache");
        // A multi-line License is not a name: classifiers are used instead (none here).
        assert!(m.licenses().is_empty());
    }

    #[test]
    fn license_expression_field_wins() {
        let m = parse_metadata(
            b"Name: a\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: whatever\n\
              Classifier: License :: OSI Approved :: BSD License\n",
        )
        .unwrap();
        let p = m.to_package().unwrap();
        assert_eq!(p.licenses, ["MIT OR Apache-2.0"]);
        assert_eq!(p.license_expression.as_deref(), Some("MIT OR Apache-2.0"));
        let m = parse_metadata(
            b"Name: a\nVersion: 1\nClassifier: License :: OSI Approved :: BSD License\n",
        )
        .unwrap();
        assert_eq!(m.licenses(), ["BSD License"]);
        assert_eq!(m.to_package().unwrap().license_expression, None);
        let m = parse_metadata(
            b"Name: a\nVersion: 1\nClassifier: License :: OSI Approved :: MIT License\n",
        )
        .unwrap();
        assert_eq!(
            m.to_package().unwrap().license_expression.as_deref(),
            Some("MIT")
        );
    }

    #[test]
    fn record_paths_resolve_against_site_packages() {
        let files = parse_record(
            b"../../../bin/pip,sha256=x,1\npip/__init__.py,,\n\"we,ird\",,\n",
            "/opt/venv/lib/python3.12/site-packages",
        );
        assert_eq!(
            files,
            vec![
                "/opt/venv/bin/pip",
                "/opt/venv/lib/python3.12/site-packages/pip/__init__.py",
                "/opt/venv/lib/python3.12/site-packages/we,ird",
            ]
        );
    }

    #[test]
    fn binary_garbage_is_an_error_not_a_panic() {
        assert!(parse_metadata(&[0xff, 0xfe, 0, 1, 2, b'\n', b':']).is_err());
        assert!(parse_zip_metadata(vec![b'P', b'K', 3, 4, 0, 0]).is_err());
    }
}
