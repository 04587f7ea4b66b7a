//! Java archives (`.jar`, `.war`, `.ear`, `.jpi`, `.hpi`): each
//! `META-INF/maven/<group>/<artifact>/pom.properties` is a package; an archive without one is
//! named by its `MANIFEST.MF` (Implementation-*, Bundle-*) or, failing that, its file name.
//! Archives inside archives (Spring Boot `BOOT-INF/lib`, war `WEB-INF/lib`, ear modules) are read
//! too, to a fixed depth and within a byte budget, so a zip bomb cannot exhaust memory.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use drydock_image::Node;
use drydock_image::tree::Kind;

use super::{file_name, warning};
use crate::{Cataloger, Context, Package, PackageType, Warning};

const NAME: &str = "java";
/// Archives up to this size are read whole and opened by their central directory; larger ones
/// are read front to back through their local headers (`zipstream`), so memory stays bounded.
const MAX_BUFFERED: u64 = 16 << 20;
/// Largest nested archive read whole inside an archive read whole (inside a streamed one, nested
/// archives over `MAX_BUFFERED` are streamed too).
const MAX_NESTED: u64 = 64 << 20;
/// Bytes decompressed for nested archives of one top-level archive, all depths together.
const NESTED_BUDGET: u64 = 512 << 20;
/// Archives nested deeper than this are not opened.
const MAX_DEPTH: usize = 4;
const MAX_ENTRIES: usize = 200_000;
const MAX_SMALL_ENTRY: u64 = 1 << 20;
const EXTENSIONS: &[&str] = &[".jar", ".war", ".ear", ".jpi", ".hpi"];

pub(crate) fn is_archive(name: &str) -> bool {
    EXTENSIONS.iter().any(|e| super::ends_with_ci(name, e))
}

/// Finds Maven artifacts in Java archives.
#[derive(Default)]
pub struct JavaCataloger {
    packages: Vec<Package>,
    warnings: Vec<Warning>,
}

impl drydock_image::FileVisitor for JavaCataloger {
    fn wants(&self, path: &str, node: &Node) -> bool {
        node.kind == Kind::File && is_archive(file_name(path))
    }

    fn visit(&mut self, path: &str, node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let mut scan = Scan::default();
        if node.size > MAX_BUFFERED {
            let mut stream = std::io::BufReader::with_capacity(64 << 10, content);
            scan.archive_stream(&mut stream, path, file_name(path), 0);
        } else {
            let Some(bytes) = super::read_capped(content, MAX_BUFFERED)? else {
                self.warnings
                    .push(warning(NAME, path, "archive longer than its size says"));
                return Ok(());
            };
            scan.archive(bytes, path, file_name(path), 0);
        }
        for mut p in scan.packages {
            p.locations.push(path.to_string());
            p.layer = Some(node.layer);
            self.packages.push(p);
        }
        self.warnings.extend(
            scan.problems
                .into_iter()
                .map(|(at, why)| warning(NAME, &at, why)),
        );
        Ok(())
    }
}

impl Cataloger for JavaCataloger {
    fn name(&self) -> &'static str {
        NAME
    }

    fn finish(self: Box<Self>, _ctx: &Context) -> (Vec<Package>, Vec<Warning>) {
        (self.packages, self.warnings)
    }
}

/// The packages of one top-level archive and its nested ones.
#[derive(Default)]
pub struct Scan {
    pub packages: Vec<Package>,
    /// (archive path, problem)
    pub problems: Vec<(String, String)>,
    nested_bytes: u64,
    seen: BTreeSet<(String, String, String, String)>,
}

impl Scan {
    /// Reads one archive; `display` names it in results (`outer.jar!/BOOT-INF/lib/x.jar`).
    pub fn archive(&mut self, bytes: Vec<u8>, display: &str, file: &str, depth: usize) {
        let mut zip = match super::open_zip(bytes, MAX_ENTRIES as u64) {
            Ok(z) => z,
            Err(e) => {
                self.problems.push((display.to_string(), e));
                return;
            }
        };
        if zip.len() > MAX_ENTRIES {
            self.problems.push((
                display.to_string(),
                format!("{} entries, more than {MAX_ENTRIES}", zip.len()),
            ));
            return;
        }
        let names: Vec<String> = (0..zip.len())
            .map(|i| {
                zip.name_for_index(i)
                    .and_then(Result::ok)
                    .map(|n| n.into_owned())
                    .unwrap_or_default()
            })
            .collect();
        let mut poms: Vec<(String, String)> = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if !is_pom_properties(name) {
                continue;
            }
            let Some(text) = self.small_entry(&mut zip, i, display, name) else {
                continue;
            };
            poms.extend(self.pom(&text, display));
        }
        let manifest = names
            .iter()
            .position(|n| is_manifest(n))
            .and_then(|i| self.small_entry(&mut zip, i, display, "META-INF/MANIFEST.MF"));
        self.identify(&poms, manifest.as_deref(), display, file);
        if depth >= MAX_DEPTH {
            if names.iter().any(|n| is_archive(n)) {
                self.deeper_than_the_cap(display);
            }
            return;
        }
        for (i, name) in names.iter().enumerate() {
            if !is_archive(name) || name.ends_with('/') {
                continue;
            }
            let inner_display = format!("{display}!/{name}");
            let mut entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    self.problems
                        .push((inner_display, format!("cannot open: {e}")));
                    continue;
                }
            };
            let cap = MAX_NESTED.min(NESTED_BUDGET.saturating_sub(self.nested_bytes));
            self.nested_whole(&mut entry, cap, &inner_display, file_name(name), depth + 1);
        }
    }

    /// The archive's own identity, from its manifest or file name. Shaded archives carry the
    /// pom.properties of what they bundle (`poms`: artifact, version): when none of those is the
    /// archive itself (same artifact or version), the archive is a package of its own too.
    fn identify(
        &mut self,
        poms: &[(String, String)],
        manifest: Option<&str>,
        display: &str,
        file: &str,
    ) {
        let main = manifest.map(parse_manifest).unwrap_or_default();
        let get = |k: &str| main.get(k).map(String::as_str).unwrap_or("");
        let (file_artifact, file_version) = split_file_name(file);
        let symbolic = get("Bundle-SymbolicName")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let artifact = [
            file_artifact.as_str(),
            get("Implementation-Title"),
            symbolic.as_str(),
        ]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .to_string();
        let version = [
            get("Implementation-Version"),
            get("Bundle-Version"),
            file_version.as_str(),
        ]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .to_string();
        let group = [
            get("Implementation-Vendor-Id"),
            get("Automatic-Module-Name"),
            symbolic.as_str(),
        ]
        .into_iter()
        .find(|s| !s.is_empty() && !s.contains(' '))
        .unwrap_or("")
        .to_string();
        let is_self = |(a, v): &(String, String)| *a == artifact || *v == version;
        if !artifact.is_empty() && !version.is_empty() && !poms.iter().any(is_self) {
            let from = if manifest.is_some() {
                "MANIFEST.MF"
            } else {
                "file name"
            };
            self.push(&group, &artifact, &version, display, from);
        }
    }

    fn deeper_than_the_cap(&mut self, display: &str) {
        self.problems.push((
            display.to_string(),
            format!("archives nested deeper than {MAX_DEPTH} not read"),
        ));
    }

    /// A `pom.properties`: its package, and its (artifact, version) for [`Scan::identify`].
    fn pom(&mut self, text: &str, display: &str) -> Option<(String, String)> {
        let props = parse_properties(text);
        let get = |k: &str| props.get(k).map(String::as_str).unwrap_or("");
        let (g, a, v) = (get("groupId"), get("artifactId"), get("version"));
        if a.is_empty() || v.is_empty() {
            return None;
        }
        self.push(g, a, v, display, "pom.properties");
        Some((a.to_string(), v.to_string()))
    }

    /// Reads one archive front to back (see `zipstream`), for archives too large to hold: the same
    /// packages as [`Scan::archive`], memory bounded by the small entries it keeps.
    pub fn archive_stream(
        &mut self,
        r: &mut dyn std::io::BufRead,
        display: &str,
        file: &str,
        depth: usize,
    ) {
        let mut poms = Vec::new();
        let mut manifest: Option<String> = None;
        let mut deeper = false;
        let mut problems = Vec::new();
        let walked = super::zipstream::for_each_entry(r, MAX_ENTRIES, |entry, content| {
            let name = entry.name.as_str();
            let inner_display = format!("{display}!/{name}");
            if is_pom_properties(name) || (manifest.is_none() && is_manifest(name)) {
                let Some(bytes) = super::read_capped(content, MAX_SMALL_ENTRY)? else {
                    problems.push((inner_display, "too large, not read".to_string()));
                    return Ok(());
                };
                let text = String::from_utf8_lossy(&bytes);
                if is_manifest(name) {
                    manifest = Some(text.into_owned());
                } else if let Some(pom) = self.pom(&text, display) {
                    poms.push(pom);
                }
            } else if is_archive(name) && !name.ends_with('/') {
                if depth >= MAX_DEPTH {
                    deeper = true;
                } else {
                    self.nested_stream(entry, content, &inner_display, depth + 1);
                }
            }
            Ok(())
        });
        self.problems.extend(problems);
        if let Err(e) = walked {
            self.problems.push((display.to_string(), e));
        }
        self.identify(&poms, manifest.as_deref(), display, file);
        if deeper {
            self.deeper_than_the_cap(display);
        }
    }

    /// An archive met inside a streamed one: read whole when small enough, else streamed in turn;
    /// either way its decompressed bytes count against [`NESTED_BUDGET`].
    fn nested_stream(
        &mut self,
        entry: &super::zipstream::Entry,
        content: &mut dyn Read,
        display: &str,
        depth: usize,
    ) {
        let left = NESTED_BUDGET.saturating_sub(self.nested_bytes);
        if left == 0 {
            self.over_budget(display);
            return;
        }
        let file = file_name(&entry.name);
        // Small enough to hold (as the outer archive is not): read whole.
        let whole = MAX_BUFFERED.min(left);
        if entry.size.is_some_and(|n| n <= whole) {
            self.nested_whole(content, whole, display, file, depth);
            return;
        }
        let before = self.problems.len();
        let mut counted = super::zipstream::Counted::new(content.take(left + 1));
        let mut stream = std::io::BufReader::with_capacity(64 << 10, &mut counted);
        self.archive_stream(&mut stream, display, file, depth);
        drop(stream);
        self.nested_bytes += counted.count();
        if counted.count() > left {
            // Cut off by the budget: that is the problem, not the damage the cut left behind.
            self.problems.truncate(before);
            self.over_budget(display);
        }
    }

    /// A nested archive read whole, up to `cap` decompressed bytes (counted against
    /// [`NESTED_BUDGET`]), then opened by its central directory.
    fn nested_whole(
        &mut self,
        content: &mut dyn Read,
        cap: u64,
        display: &str,
        file: &str,
        depth: usize,
    ) {
        let mut buf = Vec::new();
        match content.take(cap + 1).read_to_end(&mut buf) {
            Ok(n) => {
                self.nested_bytes += n as u64;
                if n as u64 > cap {
                    self.over_budget(display);
                } else {
                    self.archive(buf, display, file, depth);
                }
            }
            Err(e) => self
                .problems
                .push((display.to_string(), format!("cannot decompress: {e}"))),
        }
    }

    fn over_budget(&mut self, display: &str) {
        self.problems.push((
            display.to_string(),
            "nested archive larger than the bytes allowed for it, not read".to_string(),
        ));
    }

    fn small_entry<R: Read + std::io::Seek>(
        &mut self,
        zip: &mut zip::ZipArchive<R>,
        i: usize,
        display: &str,
        name: &str,
    ) -> Option<String> {
        let mut buf = Vec::new();
        let read = zip.by_index(i).map_err(|e| e.to_string()).and_then(|e| {
            e.take(MAX_SMALL_ENTRY + 1)
                .read_to_end(&mut buf)
                .map_err(|e| e.to_string())
        });
        match read {
            Err(e) => {
                self.problems
                    .push((format!("{display}!/{name}"), format!("cannot read: {e}")));
                None
            }
            Ok(_) if buf.len() as u64 > MAX_SMALL_ENTRY => {
                self.problems.push((
                    format!("{display}!/{name}"),
                    "too large, not read".to_string(),
                ));
                None
            }
            Ok(_) => Some(String::from_utf8_lossy(&buf).into_owned()),
        }
    }

    fn push(&mut self, group: &str, artifact: &str, version: &str, display: &str, from: &str) {
        let key = (
            group.to_string(),
            artifact.to_string(),
            version.to_string(),
            display.to_string(),
        );
        if !self.seen.insert(key) {
            return;
        }
        let ns = if group.is_empty() { artifact } else { group };
        let purl = super::purl("maven", Some(ns), artifact, version);
        let mut p = Package::new(PackageType::Maven, artifact, version, purl);
        let mut md = BTreeMap::new();
        if !group.is_empty() {
            md.insert("group_id".to_string(), group.to_string());
        }
        md.insert("artifact_id".to_string(), artifact.to_string());
        md.insert("archive".to_string(), display.to_string());
        md.insert("found_by".to_string(), from.to_string());
        p.metadata = md;
        self.packages.push(p);
    }
}

fn is_manifest(name: &str) -> bool {
    name.eq_ignore_ascii_case("META-INF/MANIFEST.MF")
}

fn is_pom_properties(name: &str) -> bool {
    name.starts_with("META-INF/maven/")
        && name.ends_with("/pom.properties")
        && name.matches('/').count() == 4
}

/// Java properties: `key=value` or `key: value`, `#`/`!` comments.
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        if let Some(i) = line.find(['=', ':']) {
            out.entry(line[..i].trim().to_string())
                .or_insert_with(|| line[i + 1..].trim().to_string());
        }
    }
    out
}

/// The main section of a manifest; continuation lines start with one space.
pub fn parse_manifest(text: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(v) = last.as_ref().and_then(|k| out.get_mut(k)) {
                v.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_string();
            out.entry(k.clone()).or_insert_with(|| v.trim().to_string());
            last = Some(k);
        }
    }
    for v in out.values_mut() {
        *v = v.trim().to_string();
    }
    out
}

/// `commons-lang3-3.12.0.jar` → (`commons-lang3`, `3.12.0`). The version starts at a `-` followed
/// by a digit, unless a word and then another dotted number follow it (`log4j-1.2-api-2.17.1`:
/// `1.2-api` is part of the name).
pub fn split_file_name(file: &str) -> (String, String) {
    let stem = match file.rfind('.') {
        Some(i) if is_archive(file) || !file[i + 1..].starts_with(|c: char| c.is_ascii_digit()) => {
            &file[..i]
        }
        _ => file,
    };
    let bytes = stem.as_bytes();
    for i in 0..bytes.len().saturating_sub(1) {
        if bytes[i] != b'-' || !bytes[i + 1].is_ascii_digit() {
            continue;
        }
        let rest = &stem[i + 1..];
        let mut saw_word = false;
        let mut name_part = false;
        for seg in rest.split('-') {
            if seg.starts_with(|c: char| c.is_ascii_alphabetic()) {
                saw_word = true;
            } else if saw_word && seg.contains('.') {
                name_part = true;
                break;
            }
        }
        if !name_part {
            return (stem[..i].to_string(), rest.to_string());
        }
    }
    (stem.to_string(), String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            split_file_name("commons-lang3-3.12.0.jar"),
            ("commons-lang3".into(), "3.12.0".into())
        );
        assert_eq!(split_file_name("app.jar"), ("app".into(), String::new()));
        assert_eq!(
            split_file_name("log4j-1.2-api-2.17.1.jar"),
            ("log4j-1.2-api".into(), "2.17.1".into())
        );
        assert_eq!(
            split_file_name("guava-31.1-jre.jar"),
            ("guava".into(), "31.1-jre".into())
        );
    }

    #[test]
    fn manifest_continuations() {
        let m = parse_manifest(
            "Manifest-Version: 1.0\r\nBundle-SymbolicName: org.exa\r\n mple.lib;singleton:=true\r\n\r\nName: x\r\nBundle-Version: 9\r\n",
        );
        assert_eq!(m["Bundle-SymbolicName"], "org.example.lib;singleton:=true");
        assert!(!m.contains_key("Bundle-Version"));
    }

    #[test]
    fn garbage_is_a_problem_not_a_panic() {
        let mut s = Scan::default();
        s.archive(b"PK\x03\x04garbage".to_vec(), "/x.jar", "x.jar", 0);
        assert!(s.packages.is_empty());
        assert_eq!(s.problems.len(), 1);
    }
}

#[cfg(test)]
mod visit_tests {
    use super::*;
    use drydock_image::FileVisitor;

    #[test]
    fn archives_over_the_buffered_size_are_streamed_not_refused() {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file(
            "META-INF/maven/org.example/big/pom.properties",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(b"groupId=org.example\nartifactId=big\nversion=2.0\n")
            .unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let mut c = JavaCataloger::default();
        let node = Node {
            kind: Kind::File,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: MAX_BUFFERED + 1,
            mtime: 0,
            layer: 0,
            link: None,
        };
        assert!(c.wants("/app/big.JAR", &node));
        // A reader that hands out a few bytes at a time: nothing is read whole.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(7);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        c.visit("/app/big.JAR", &node, &mut Trickle(&bytes))
            .unwrap();
        let (p, w) = Box::new(c).finish(&Context::default());
        assert!(w.is_empty(), "{w:?}");
        let purls: Vec<&str> = p.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(purls, ["pkg:maven/org.example/big@2.0"]);
    }
}
