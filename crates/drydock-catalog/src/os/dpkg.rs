//! dpkg: `/var/lib/dpkg/status`, distroless `/var/lib/dpkg/status.d/*`, the per-package file lists in
//! `/var/lib/dpkg/info/`, and machine-readable `/usr/share/doc/PKG/copyright` files for licenses.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use drydock_image::osrelease::OsRelease;
use drydock_image::{FileVisitor, Kind, Node};

use super::control::{self, SyntaxError};
use super::{read_limited, set_layer};
use crate::purl::Purl;
use crate::{Cataloger, Context, Package, PackageType, Warning, license};

const DOC: &str = "/usr/share/doc/";

/// Where one flavour of the dpkg database lives and what its packages are.
#[derive(Clone, Copy, Debug)]
struct Flavour {
    name: &'static str,
    status: &'static str,
    status_d: Option<&'static str>,
    info: &'static str,
    /// Chisel's manifest, for Ubuntu images cut without dpkg.
    chisel: Option<&'static str>,
    kind: PackageType,
    /// purl namespace when there is no os-release.
    default_ns: &'static str,
}

const DPKG: Flavour = Flavour {
    name: "dpkg",
    status: "/var/lib/dpkg/status",
    status_d: Some("/var/lib/dpkg/status.d/"),
    info: "/var/lib/dpkg/info/",
    chisel: Some(super::chisel::MANIFEST),
    kind: PackageType::Deb,
    default_ns: "debian",
};

/// OpenWrt's opkg keeps a dpkg-format database of its own.
const OPKG: Flavour = Flavour {
    name: "opkg",
    status: "/usr/lib/opkg/status",
    status_d: None,
    info: "/usr/lib/opkg/info/",
    chisel: None,
    kind: PackageType::Opkg,
    default_ns: "openwrt",
};
/// Largest dpkg database file read (a full Debian desktop's status is ~10 MiB).
const DB_LIMIT: u64 = 256 << 20;

/// One stanza of a dpkg database, with the fields drydock uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DpkgEntry {
    pub package: String,
    /// Empty when the stanza has none (such entries are not packages).
    pub version: String,
    pub status: Option<String>,
    pub architecture: Option<String>,
    /// `Source:` name, when it differs from the package's own.
    pub source: Option<String>,
    /// The version in `Source: name (version)`, when written there (see [`Package::source_version`]
    /// for the effective one).
    pub source_version: Option<String>,
    pub maintainer: Option<String>,
    /// `Installed-Size` in KiB.
    pub installed_size: Option<u64>,
    pub description: Option<String>,
    pub provides: Vec<String>,
    pub depends: Vec<String>,
    pub pre_depends: Vec<String>,
    /// `Conffiles:` paths with their md5.
    pub conffiles: Vec<(String, String)>,
    pub section: Option<String>,
    pub priority: Option<String>,
    pub homepage: Option<String>,
    pub multi_arch: Option<String>,
}

impl DpkgEntry {
    /// Whether the package's files are on disk: the status' state word is `installed`. A stanza
    /// without `Status:` counts only in distroless `status.d` files, which never carry one.
    pub fn is_installed(&self, from_status_d: bool) -> bool {
        match &self.status {
            Some(s) => s.split_whitespace().nth(2) == Some("installed"),
            None => from_status_d,
        }
    }
}

/// Parses a dpkg status (or status.d) file; stanzas without a `Package:` name are dropped.
pub fn parse_status(text: &str) -> Result<Vec<DpkgEntry>, SyntaxError> {
    let stanzas = control::parse(text)?;
    let mut out = Vec::with_capacity(stanzas.len());
    for s in stanzas {
        let Some(package) = s.nonempty("Package") else {
            continue;
        };
        let (source, source_version) = match s.nonempty("Source") {
            Some(src) => parse_source(src),
            None => (None, None),
        };
        let conffiles = s
            .get("Conffiles")
            .map(|v| {
                v.lines()
                    .filter_map(|l| {
                        let mut it = l.split_whitespace();
                        Some((it.next()?.to_string(), it.next().unwrap_or("").to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let list = |k: &str| s.get(k).map(control::split_list).unwrap_or_default();
        let opt = |k: &str| s.nonempty(k).map(str::to_string);
        out.push(DpkgEntry {
            package: package.to_string(),
            version: s.nonempty("Version").unwrap_or("").to_string(),
            status: opt("Status"),
            architecture: opt("Architecture"),
            source,
            source_version,
            maintainer: opt("Maintainer"),
            installed_size: s.nonempty("Installed-Size").and_then(parse_size),
            description: s
                .get("Description")
                .map(str::to_string)
                .filter(|d| !d.is_empty()),
            provides: list("Provides"),
            depends: list("Depends"),
            pre_depends: list("Pre-Depends"),
            conffiles,
            section: opt("Section"),
            priority: opt("Priority"),
            homepage: opt("Homepage"),
            multi_arch: opt("Multi-Arch"),
        });
    }
    Ok(out)
}

/// `name (version)` → name and version.
fn parse_source(v: &str) -> (Option<String>, Option<String>) {
    match v.split_once('(') {
        Some((name, rest)) => {
            let ver = rest.trim_end().trim_end_matches(')').trim();
            (
                Some(name.trim().to_string()).filter(|n| !n.is_empty()),
                Some(ver.to_string()).filter(|v| !v.is_empty()),
            )
        }
        None => (Some(v.trim().to_string()), None),
    }
}

/// `Installed-Size` is KiB; a few producers write a unit (`4KB`).
fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim();
    let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let n: u64 = v[..digits].parse().ok()?;
    let mul = match v[digits..].trim().to_ascii_lowercase().as_str() {
        "" => 1,
        "b" => return Some(n),
        "kb" | "k" => 1000,
        "kib" => 1024,
        "mb" | "m" => 1_000_000,
        "mib" => 1 << 20,
        _ => return None,
    };
    n.checked_mul(mul)
}

/// The Debian-family purl for a package, `None` without a distro (Syft's rule).
pub fn purl(
    os: Option<&OsRelease>,
    name: &str,
    version: &str,
    arch: Option<&str>,
    source: Option<&str>,
    source_version: Option<&str>,
) -> Option<String> {
    let c = Coords {
        name,
        version,
        arch,
        source,
        source_version,
    };
    let (ns, distro) = namespace_and_distro(os?)?;
    Some(deb_purl(PackageType::Deb, &ns, &distro, &c))
}

/// What a Debian-family purl is made of.
struct Coords<'a> {
    name: &'a str,
    version: &'a str,
    arch: Option<&'a str>,
    source: Option<&'a str>,
    source_version: Option<&'a str>,
}

/// The os id (namespace) and `<id>-<version_id>` (distro), when os-release has an id.
fn namespace_and_distro(os: &OsRelease) -> Option<(String, String)> {
    let id = os.id.as_deref()?;
    let distro = match os.version_id.as_deref() {
        Some(v) => format!("{id}-{v}"),
        None => id.to_string(),
    };
    Some((id.to_string(), distro))
}

/// The purl with namespace `ns` and a `distro` qualifier (left out when empty).
fn deb_purl(kind: PackageType, ns: &str, distro: &str, c: &Coords) -> String {
    let upstream = match (c.source, c.source_version) {
        (Some(s), Some(v)) if !s.is_empty() => format!("{s}@{v}"),
        (Some(s), _) => s.to_string(),
        _ => String::new(),
    };
    Purl::new(kind.purl_type(), c.name)
        .namespace(ns)
        .version(c.version)
        .qualifier("arch", c.arch.unwrap_or(""))
        .qualifier("distro", distro)
        .qualifier("upstream", upstream)
        .to_string()
}

/// Which kind of file a stanza came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    Status,
    StatusD,
    Chisel,
}

struct Found {
    path: String,
    layer: usize,
    origin: Origin,
    entry: DpkgEntry,
    /// Chisel: the slices installed.
    slices: Vec<String>,
}

/// Paths (and layer) of one `info/*.list` or `*.md5sums` file.
struct FileList {
    layer: usize,
    path: String,
    files: Vec<String>,
}

impl Default for Dpkg {
    fn default() -> Dpkg {
        Dpkg::with(DPKG)
    }
}

/// The dpkg cataloger (and, with [`Dpkg::opkg`], OpenWrt's opkg one).
pub struct Dpkg {
    flavour: Flavour,
    found: Vec<Found>,
    lists: HashMap<String, FileList>,
    md5sums: HashMap<String, FileList>,
    copyright: HashMap<String, Vec<String>>,
    warnings: Vec<Warning>,
}

impl Dpkg {
    /// A fresh dpkg cataloger.
    pub fn new() -> Dpkg {
        Dpkg::default()
    }

    /// A fresh opkg cataloger (`/usr/lib/opkg`).
    pub fn opkg() -> Dpkg {
        Dpkg::with(OPKG)
    }

    fn with(flavour: Flavour) -> Dpkg {
        Dpkg {
            flavour,
            found: Vec::new(),
            lists: HashMap::new(),
            md5sums: HashMap::new(),
            copyright: HashMap::new(),
            warnings: Vec::new(),
        }
    }

    fn warn(&mut self, path: &str, message: String) {
        self.warnings.push(Warning {
            cataloger: self.flavour.name,
            path: path.to_string(),
            message,
        });
    }
}

enum Want<'a> {
    Status,
    Chisel,
    StatusD,
    StatusDSums(&'a str),
    List(&'a str),
    Sums(&'a str),
    Copyright(&'a str),
}

fn classify<'a>(f: &Flavour, path: &'a str) -> Option<Want<'a>> {
    if path == f.status {
        return Some(Want::Status);
    }
    if f.chisel == Some(path) {
        return Some(Want::Chisel);
    }
    if let Some(name) = f.status_d.and_then(|d| path.strip_prefix(d)) {
        if name.contains('/') || name.starts_with('.') {
            return None;
        }
        if let Some(pkg) = name.strip_suffix(".md5sums") {
            return Some(Want::StatusDSums(pkg));
        }
        // Maintainer scripts and other companions have a dotted suffix that is not part of a name.
        if [
            ".preinst",
            ".postinst",
            ".prerm",
            ".postrm",
            ".conffiles",
            ".list",
            ".triggers",
        ]
        .iter()
        .any(|s| name.ends_with(s))
        {
            return None;
        }
        return Some(Want::StatusD);
    }
    if let Some(name) = path.strip_prefix(f.info) {
        if name.contains('/') {
            return None;
        }
        if let Some(pkg) = name.strip_suffix(".list") {
            return Some(Want::List(pkg));
        }
        if let Some(pkg) = name.strip_suffix(".md5sums") {
            return Some(Want::Sums(pkg));
        }
        return None;
    }
    if let Some(rest) = path
        .strip_prefix(DOC)
        .filter(|_| f.kind == PackageType::Deb)
    {
        let (pkg, file) = rest.split_once('/')?;
        if file == "copyright" {
            return Some(Want::Copyright(pkg));
        }
    }
    None
}

impl FileVisitor for Dpkg {
    fn wants(&self, path: &str, node: &Node) -> bool {
        node.kind == Kind::File && path.starts_with('/') && classify(&self.flavour, path).is_some()
    }

    fn visit(&mut self, path: &str, node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let flavour = self.flavour;
        let Some(want) = classify(&flavour, path) else {
            return Ok(());
        };
        let limit = match want {
            Want::Copyright(_) => license::COPYRIGHT_LIMIT,
            Want::Chisel => super::chisel::COMPRESSED_LIMIT,
            _ => DB_LIMIT,
        };
        let bytes = match read_limited(content, limit) {
            Ok(b) => b,
            Err(e) => {
                self.warn(path, e);
                return Ok(());
            }
        };
        if matches!(want, Want::Chisel) {
            match super::chisel::parse_manifest(&bytes) {
                Ok(packages) => {
                    for c in packages {
                        let key = format!("{}:{}", c.name, c.arch);
                        self.lists.entry(key).or_insert(FileList {
                            layer: node.layer,
                            path: path.to_string(),
                            files: c.files,
                        });
                        self.found.push(Found {
                            path: path.to_string(),
                            layer: node.layer,
                            origin: Origin::Chisel,
                            entry: DpkgEntry {
                                package: c.name,
                                version: c.version,
                                architecture: Some(c.arch).filter(|a| !a.is_empty()),
                                ..DpkgEntry::default()
                            },
                            slices: c.slices,
                        });
                    }
                }
                Err(e) => self.warn(path, format!("not a Chisel manifest: {e}")),
            }
            return Ok(());
        }
        let text = String::from_utf8_lossy(&bytes);
        match want {
            Want::Status | Want::StatusD => {
                let origin = if matches!(want, Want::StatusD) {
                    Origin::StatusD
                } else {
                    Origin::Status
                };
                match parse_status(&text) {
                    Ok(entries) => {
                        for entry in entries {
                            self.found.push(Found {
                                path: path.to_string(),
                                layer: node.layer,
                                origin,
                                slices: Vec::new(),
                                entry,
                            });
                        }
                    }
                    Err(e) => self.warn(path, format!("not a dpkg database: {e}")),
                }
            }
            Want::List(pkg) => {
                let files = text
                    .lines()
                    .map(str::trim_end)
                    .filter(|l| l.starts_with('/') && *l != "/.")
                    .map(str::to_string)
                    .collect();
                let pkg = pkg.to_string();
                self.lists.insert(
                    pkg,
                    FileList {
                        layer: node.layer,
                        path: path.to_string(),
                        files,
                    },
                );
            }
            Want::Sums(pkg) | Want::StatusDSums(pkg) => {
                let files = text
                    .lines()
                    .filter_map(|l| {
                        let (_, p) = l.split_once(char::is_whitespace)?;
                        let p = p.trim_start();
                        (!p.is_empty()).then(|| format!("/{}", p.trim_start_matches('/')))
                    })
                    .collect();
                let pkg = pkg.to_string();
                self.md5sums.insert(
                    pkg,
                    FileList {
                        layer: node.layer,
                        path: path.to_string(),
                        files,
                    },
                );
            }
            Want::Copyright(pkg) => {
                let l = license::copyright_licenses(&text);
                if !l.is_empty() {
                    self.copyright.insert(pkg.to_string(), l);
                }
            }
            Want::Chisel => {}
        }
        Ok(())
    }
}

impl Cataloger for Dpkg {
    fn name(&self) -> &'static str {
        self.flavour.name
    }

    fn finish(mut self: Box<Self>, ctx: &Context) -> (Vec<Package>, Vec<Warning>) {
        let mut out: Vec<Package> = Vec::new();
        let mut deps = Vec::new();
        let mut provides = Vec::new();
        // A package listed in both status and status.d (unusual) is reported once, status first.
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let found = std::mem::take(&mut self.found);
        let mut order: Vec<&Found> = found.iter().collect();
        order.sort_by_key(|f| (f.origin, f.path.clone()));
        for f in order {
            let e = &f.entry;
            if e.version.is_empty() || !e.is_installed(f.origin != Origin::Status) {
                continue;
            }
            let arch = e.architecture.as_deref();
            if !seen.insert((e.package.clone(), arch.unwrap_or("").to_string())) {
                continue;
            }
            let kind = self.flavour.kind;
            let coords = Coords {
                name: &e.package,
                version: &e.version,
                arch,
                source: e.source.as_deref(),
                source_version: e.source_version.as_deref(),
            };
            // Without os-release the namespace cannot be known; take the flavour's usual one.
            let (ns, distro) = ctx
                .os
                .as_ref()
                .and_then(namespace_and_distro)
                .unwrap_or_else(|| (self.flavour.default_ns.to_string(), String::new()));
            let purl = deb_purl(kind, &ns, &distro, &coords);
            let mut p = Package::new(kind, &e.package, &e.version, purl);
            p.arch = e.architecture.clone();
            p.source_name = e.source.clone();
            // dpkg-query's ${source:Version}: the version in `Source:`, else the package's own (a
            // source package's binaries carry its version unless rebuilt, `+b1`). The purl's
            // `upstream` keeps only an explicit one, as Syft writes it.
            p.source_version = e
                .source_version
                .clone()
                .or_else(|| e.source.as_ref().map(|_| e.version.clone()));
            p.locations.push(f.path.clone());

            // File lists: `info/<pkg>.list`, or `<pkg>:<arch>.list` for Multi-Arch: same packages.
            let keys = [
                format!("{}:{}", e.package, arch.unwrap_or("")),
                e.package.clone(),
            ];
            let list = keys.iter().find_map(|k| self.lists.get(k));
            let sums = keys.iter().find_map(|k| self.md5sums.get(k));
            let mut files: Vec<String> = Vec::new();
            let mut own_layer = None;
            if f.origin == Origin::StatusD {
                own_layer = Some(f.layer);
            }
            if let Some(l) = list {
                files.extend(l.files.iter().cloned());
                if !p.locations.contains(&l.path) {
                    p.locations.push(l.path.clone());
                }
                own_layer = own_layer.or(Some(l.layer));
            }
            if let Some(s) = sums {
                if list.is_none() {
                    files.extend(s.files.iter().cloned());
                    own_layer = own_layer.or(Some(s.layer));
                }
                p.locations.push(s.path.clone());
            }
            files.extend(e.conffiles.iter().map(|(c, _)| c.clone()));
            p.files = without_directories(files);
            if let Some(layer) = own_layer {
                set_layer(&mut p, layer, ctx);
            }

            if let Some(lics) = self.copyright.get(&e.package) {
                p.licenses = lics.clone();
                p.license_expression = license::combine(lics);
                p.locations.push(format!("{DOC}{}/copyright", e.package));
            }

            let md = &mut p.metadata;
            let mut put = |k: &str, v: Option<&str>| {
                if let Some(v) = v.filter(|v| !v.is_empty()) {
                    md.insert(k.to_string(), v.to_string());
                }
            };
            put("maintainer", e.maintainer.as_deref());
            put("status", e.status.as_deref());
            put("section", e.section.as_deref());
            put("priority", e.priority.as_deref());
            put("homepage", e.homepage.as_deref());
            put("multi-arch", e.multi_arch.as_deref());
            put("chisel-slices", Some(&f.slices.join(" ")));
            put(
                "description",
                e.description.as_deref().and_then(|d| d.lines().next()),
            );
            put(
                "installed-size",
                e.installed_size.map(|s| s.to_string()).as_deref(),
            );
            put("depends", Some(&e.depends.join(", ")));
            put("pre-depends", Some(&e.pre_depends.join(", ")));
            put("provides", Some(&e.provides.join(", ")));
            let mut wanted = e.pre_depends.clone();
            wanted.extend(e.depends.iter().cloned());
            deps.push(super::deps::dpkg_entries(&wanted));
            provides.push(super::deps::dpkg_provides(&e.provides));
            out.push(p);
        }
        super::deps::resolve(&mut out, &deps, &provides);
        (out, self.warnings)
    }
}

/// Drops the directories a file list names (every entry that is a parent of another), sorted.
fn without_directories(files: Vec<String>) -> Vec<String> {
    let mut dirs: HashSet<&str> = HashSet::new();
    for f in &files {
        let mut end = f.len();
        while let Some(i) = f[..end].rfind('/') {
            if i == 0 || !dirs.insert(&f[..i]) {
                break;
            }
            end = i;
        }
    }
    let mut keep: BTreeMap<&str, ()> = BTreeMap::new();
    for f in &files {
        if !dirs.contains(f.as_str()) {
            keep.insert(f, ());
        }
    }
    keep.into_keys().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_purls() {
        let text = "Package: libacl1\nStatus: install ok installed\nArchitecture: amd64\nSource: acl (2.3.1-3)\nVersion: 2.3.1-3+b1\nInstalled-Size: 4KB\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n";
        let e = parse_status(text).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].source.as_deref(), Some("acl"));
        assert_eq!(e[0].source_version.as_deref(), Some("2.3.1-3"));
        assert_eq!(e[0].installed_size, Some(4000));
        assert!(e[0].is_installed(false));
        assert!(!e[1].is_installed(false));
        let os = drydock_image::osrelease::parse("ID=debian\nVERSION_ID=12\n");
        assert_eq!(
            purl(
                Some(&os),
                "libacl1",
                "1:2.3.1-3+b1",
                Some("amd64"),
                Some("acl"),
                Some("2.3.1-3")
            )
            .unwrap(),
            "pkg:deb/debian/libacl1@1:2.3.1-3%2Bb1?arch=amd64&distro=debian-12&upstream=acl%402.3.1-3"
        );
    }

    #[test]
    fn directories_dropped() {
        let files = vec![
            "/usr".into(),
            "/usr/bin".into(),
            "/usr/bin/x".into(),
            "/usr-x".into(),
        ];
        assert_eq!(without_directories(files), vec!["/usr-x", "/usr/bin/x"]);
    }

    #[test]
    fn classify_paths() {
        assert!(matches!(
            classify(&DPKG, "/var/lib/dpkg/status.d/libc6"),
            Some(Want::StatusD)
        ));
        assert!(matches!(
            classify(&DPKG, "/var/lib/dpkg/status.d/libc6.md5sums"),
            Some(Want::StatusDSums("libc6"))
        ));
        assert!(classify(&DPKG, "/var/lib/dpkg/status.d/libc6.preinst").is_none());
        assert!(matches!(
            classify(&DPKG, "/var/lib/dpkg/info/libc6:amd64.list"),
            Some(Want::List("libc6:amd64"))
        ));
        assert!(matches!(
            classify(&DPKG, "/usr/share/doc/bash/copyright"),
            Some(Want::Copyright("bash"))
        ));
        assert!(classify(&DPKG, "/usr/share/doc/bash/x/copyright").is_none());
        assert!(classify(&DPKG, "/var/lib/dpkg/status-old").is_none());
    }
}
