//! Facts read from the merged file view's metadata: libc, shells, package managers, risk surface
//! and language runtimes. One pass over the tree gathers the candidates; lookups resolve them.

use std::collections::{BTreeMap, BTreeSet};

use drydock_image::{FileTree, Kind, Node};

use crate::collector::{FactsCollector, base_name, is_java_home, parent};
use crate::report::{
    Capped, Essentials, Leftover, Libc, LibcKind, NamedPath, PackageManagers, Risk, Runtime,
    ShellInfo, Shells, SpecialFile, WorldWritable,
};
use crate::run::resolve_file;

/// How many setuid/setgid and world-writable paths a report lists (all are counted).
const LIST_LIMIT: usize = 200;

/// What one pass over the tree found.
#[derive(Default)]
pub(crate) struct Scan {
    /// Paths in `bin`/`sbin` directories by file name (files and symlinks).
    bins: BTreeMap<String, Vec<String>>,
    musl: Vec<String>,
    glibc: Vec<String>,
    /// Version from a `libc-2.28.so` style name.
    glibc_from_name: Option<String>,
    setuid: Vec<(String, Node)>,
    world_writable: Vec<(String, Node)>,
    /// Per cache: files (every name), bytes of the files held there, layers.
    leftovers: BTreeMap<(&'static str, String), (u64, u64, BTreeSet<usize>)>,
    /// Per cache: the files its hard links share (their canonical path) and their size.
    leftover_links: BTreeMap<(&'static str, String), BTreeMap<String, u64>>,
    /// `lib/pythonX.Y`, `lib/ruby/X.Y.0` and similar versioned directories.
    versioned_dirs: BTreeSet<String>,
    status_d_entries: u64,
    zoneinfo_files: u64,
}

/// Whether a directory is one the dynamic loader searches (where a system libc lives).
fn is_system_lib_dir(dir: &str) -> bool {
    let top = [
        "/lib",
        "/lib64",
        "/lib32",
        "/libx32",
        "/usr/lib",
        "/usr/lib64",
        "/usr/lib32",
        "/usr/libx32",
    ];
    top.iter().any(|t| {
        dir == *t
            || dir
                .strip_prefix(t)
                .and_then(|r| r.strip_prefix('/'))
                .is_some_and(|r| !r.contains('/'))
    })
}

/// Sticky temp directories anyone may write to by design (FHS), and their contents.
fn is_temp_path(path: &str) -> bool {
    ["/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock"]
        .iter()
        .any(|t| path == *t || path.strip_prefix(t).is_some_and(|r| r.starts_with('/')))
}

/// The character devices every container has, world-writable by design (`/dev/null`…).
fn is_standard_device(path: &str, node: &Node) -> bool {
    node.kind == Kind::CharDevice
        && matches!(
            path,
            "/dev/null"
                | "/dev/zero"
                | "/dev/full"
                | "/dev/random"
                | "/dev/urandom"
                | "/dev/tty"
                | "/dev/ptmx"
        )
}

/// Classifies a path as package-manager leftovers: (kind, the cache's root directory).
fn leftover_of(path: &str) -> Option<(&'static str, String)> {
    const FIXED: &[(&str, &str)] = &[
        ("/var/lib/apt/lists/", "apt-lists"),
        ("/var/cache/apt/archives/", "apt-archives"),
        ("/var/cache/apk/", "apk-cache"),
        ("/etc/apk/cache/", "apk-cache"),
        ("/var/cache/dnf/", "dnf-cache"),
        ("/var/cache/yum/", "yum-cache"),
        ("/var/cache/zypp/", "zypper-cache"),
        ("/usr/local/share/.cache/yarn/", "yarn-cache"),
    ];
    for (prefix, kind) in FIXED {
        if let Some(rest) = path.strip_prefix(prefix) {
            if base_name(path) == "lock" && !rest.contains('/') {
                return None;
            }
            return Some((kind, prefix.trim_end_matches('/').to_string()));
        }
    }
    if let Some(rest) = path.strip_prefix("/var/cache/apt/")
        && !rest.contains('/')
        && rest.ends_with(".bin")
    {
        return Some(("apt-pkgcache", "/var/cache/apt".into()));
    }
    const HOME: &[(&str, &str)] = &[
        ("/.cache/pip/", "pip-cache"),
        ("/.npm/_cacache/", "npm-cache"),
        ("/.cache/yarn/", "yarn-cache"),
        ("/.cache/go-build/", "go-build-cache"),
    ];
    for (marker, kind) in HOME {
        if let Some(i) = path.find(marker) {
            return Some((kind, path[..i + marker.len() - 1].to_string()));
        }
    }
    None
}

/// Walks every path once.
pub(crate) fn scan(tree: &FileTree) -> Scan {
    let mut s = Scan::default();
    for (path, node) in tree.iter_unordered() {
        let dir = parent(path);
        let name = base_name(path);
        if node.is_regular() || node.kind == Kind::Symlink {
            let dir_name = base_name(dir);
            if dir_name == "bin" || dir_name == "sbin" {
                s.bins
                    .entry(name.to_string())
                    .or_default()
                    .push(path.to_string());
            }
            // A dangling loader symlink is no evidence of a libc.
            if is_system_lib_dir(dir) && resolve_file(tree, path).is_some() {
                if name.starts_with("ld-musl-") && name.ends_with(".so.1") {
                    s.musl.push(path.to_string());
                } else if name == "libc.so.6" || name.starts_with("ld-linux") {
                    s.glibc.push(path.to_string());
                } else if let Some(v) = name
                    .strip_prefix("libc-")
                    .and_then(|r| r.strip_suffix(".so"))
                    && v.split('.')
                        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
                {
                    s.glibc.push(path.to_string());
                    s.glibc_from_name = Some(v.to_string());
                }
            }
        }
        if node.is_regular()
            && let Some(key) = leftover_of(path)
        {
            // Every name is a file; bytes several names share count once (below).
            let e = s.leftovers.entry(key.clone()).or_default();
            e.0 += 1;
            e.2.insert(node.layer);
            match node.link.as_ref().filter(|_| node.kind == Kind::Hardlink) {
                Some(canonical) => {
                    s.leftover_links
                        .entry(key)
                        .or_default()
                        .insert(canonical.clone(), node.size);
                }
                None => e.1 += node.size,
            }
        }
        if node.kind == Kind::Dir && is_versioned_runtime_dir(path) {
            s.versioned_dirs.insert(path.to_string());
        }
        // Every name of a zone file is a zone.
        if node.is_regular() && path.starts_with("/usr/share/zoneinfo/") {
            s.zoneinfo_files += 1;
        }
        if dir == "/var/lib/dpkg/status.d" && node.is_regular() {
            s.status_d_entries += 1;
        }
        if node.is_regular() && node.mode & 0o6000 != 0 {
            s.setuid.push((path.to_string(), node.clone()));
        }
        if node.kind != Kind::Symlink
            && node.mode & 0o002 != 0
            && !is_temp_path(path)
            && !is_standard_device(path, node)
        {
            s.world_writable.push((path.to_string(), node.clone()));
        }
    }
    // A cache's bytes are what `du` counts there: each file once, under whichever of its names.
    // A hard link names the one regular file that holds the bytes: when that name is in the same
    // cache, they were counted with it.
    for (key, shared) in std::mem::take(&mut s.leftover_links) {
        let outside: u64 = shared
            .iter()
            .filter(|(canonical, _)| leftover_of(canonical).as_ref() != Some(&key))
            .map(|(_, size)| size)
            .sum();
        if let Some(e) = s.leftovers.get_mut(&key) {
            e.1 += outside;
        }
    }
    s.setuid.sort_by(|a, b| a.0.cmp(&b.0));
    s.world_writable.sort_by(|a, b| a.0.cmp(&b.0));
    for v in s.bins.values_mut() {
        v.sort();
    }
    s.musl.sort();
    s.glibc.sort();
    s
}

/// `.../lib/python3.11`, `.../lib/ruby/3.1.0`, `/usr/share/perl/5.36.0`.
fn is_versioned_runtime_dir(path: &str) -> bool {
    let name = base_name(path);
    let dir = parent(path);
    let numeric = |v: &str| {
        !v.is_empty()
            && v.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    };
    (base_name(dir) == "lib" && name.strip_prefix("python").is_some_and(numeric))
        || (base_name(dir) == "ruby" && base_name(parent(dir)) == "lib" && numeric(name))
        || (dir.ends_with("/share/perl") && numeric(name))
}

/// `2.36-9+deb12u9` → `2.36`; `1:1.2.13.dfsg-1` → `1.2.13`; `1.2.5-r0` → `1.2.5`.
pub(crate) fn upstream_version(v: &str) -> String {
    let v = v.split_once(':').map_or(v, |(epoch, rest)| {
        if epoch.chars().all(|c| c.is_ascii_digit()) {
            rest
        } else {
            v
        }
    });
    let v = v.rsplit_once('-').map_or(v, |(up, _)| up);
    let v = v.split(['+', '~']).next().unwrap_or(v);
    v.trim_end_matches(".dfsg").to_string()
}

/// The C library.
pub(crate) fn libc(s: &Scan, c: &FactsCollector, family: &str) -> Libc {
    let has_musl = !s.musl.is_empty();
    let has_glibc = !s.glibc.is_empty();
    let kind = if has_musl && (family == "alpine" || !has_glibc) {
        LibcKind::Musl
    } else if has_glibc {
        LibcKind::Glibc
    } else {
        LibcKind::None
    };
    let mut out = Libc {
        kind,
        ..Libc::default()
    };
    let pkg = |db: &str, name: &str| c.packages.get(db).and_then(|m| m.get(name)).cloned();
    match kind {
        LibcKind::Musl => {
            out.evidence = s.musl.clone();
            if has_glibc {
                out.also_present.push(LibcKind::Glibc);
            }
            if let Some(v) = pkg("apk", "musl") {
                out.version = Some(upstream_version(&v));
                out.package_version = Some(v);
                out.version_source = Some("apk".into());
            }
        }
        LibcKind::Glibc => {
            out.evidence = s.glibc.clone();
            if has_musl {
                out.also_present.push(LibcKind::Musl);
            }
            if let Some((db, v)) = pkg("dpkg", "libc6")
                .map(|v| ("dpkg", v))
                .or_else(|| pkg("apk", "glibc").map(|v| ("apk", v)))
            {
                out.version = Some(upstream_version(&v));
                out.package_version = Some(v);
                out.version_source = Some(db.into());
            } else if let Some(v) = s
                .glibc
                .iter()
                .find_map(|p| c.glibc_probe.get(p))
                .or_else(|| c.glibc_probe.values().next())
            {
                out.version = Some(v.clone());
                out.version_source = Some("binary".into());
            } else if let Some(v) = &s.glibc_from_name {
                out.version = Some(v.clone());
                out.version_source = Some("file-name".into());
            }
        }
        LibcKind::None => {}
    }
    out
}

const SHELL_DIRS: &[&str] = &[
    "/bin",
    "/usr/bin",
    "/usr/local/bin",
    "/sbin",
    "/usr/sbin",
    "/busybox",
];
const SHELL_NAMES: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "fish", "busybox",
];

/// What a shell binary is, from its real file's name (or a content probe for a plain `sh`).
fn shell_kind(resolved: &str, c: &FactsCollector) -> String {
    let name = base_name(resolved);
    let kind = match name {
        "dash" => "dash",
        "bash" => "bash",
        "busybox" | "busybox.static" | "busybox-static" => "busybox-ash",
        "mksh" | "mksh-static" | "lksh" => "mksh",
        "toybox" => "toybox",
        "fish" => "fish",
        n if n.starts_with("zsh") => "zsh",
        n if n.starts_with("ksh") => "ksh",
        _ => {
            return c
                .sh_probe
                .get(resolved)
                .cloned()
                .unwrap_or_else(|| "unknown".into());
        }
    };
    kind.to_string()
}

fn shell_at(tree: &FileTree, c: &FactsCollector, name: &str, path: &str) -> ShellInfo {
    let mut info = ShellInfo {
        name: name.to_string(),
        path: path.to_string(),
        ..ShellInfo::default()
    };
    if let Some((resolved, node)) = resolve_file(tree, path) {
        info.present = node.mode & 0o111 != 0;
        info.kind = Some(shell_kind(&resolved, c));
        info.resolved = Some(resolved);
    }
    info
}

/// `/bin/sh` and the shells present.
pub(crate) fn shells(tree: &FileTree, c: &FactsCollector) -> Shells {
    let sh = shell_at(tree, c, "sh", "/bin/sh");
    let mut available = Vec::new();
    for name in SHELL_NAMES {
        if let Some(info) = SHELL_DIRS
            .iter()
            .map(|d| shell_at(tree, c, name, &format!("{d}/{name}")))
            .find(|i| i.present)
        {
            available.push(info);
        }
    }
    Shells { sh, available }
}

/// Executable paths among the tree's `bin` directories for names matching `pred`, as (name, path).
fn executables(tree: &FileTree, s: &Scan, pred: impl Fn(&str) -> Option<String>) -> Vec<NamedPath> {
    let mut out = BTreeSet::new();
    for (name, paths) in &s.bins {
        let Some(canonical) = pred(name) else {
            continue;
        };
        for p in paths {
            if resolve_file(tree, p).is_some_and(|(_, n)| n.mode & 0o111 != 0) {
                out.insert(NamedPath {
                    name: canonical.clone(),
                    path: p.clone(),
                });
            }
        }
    }
    out.into_iter().collect()
}

/// Package managers and databases.
pub(crate) fn package_managers(tree: &FileTree, s: &Scan) -> PackageManagers {
    const TOOLS: &[&str] = &[
        "dpkg", "apt", "apt-get", "apk", "rpm", "dnf", "dnf5", "microdnf", "yum", "tdnf", "zypper",
        "pacman", "pip", "pip3", "npm", "yarn", "pnpm", "gem",
    ];
    let tools = executables(tree, s, |n| {
        let versioned_pip = n
            .strip_prefix("pip3.")
            .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()));
        (TOOLS.contains(&n) || versioned_pip).then(|| n.to_string())
    });
    let mut databases = Vec::new();
    let file = |p: &str| tree.get(p).is_some_and(Node::is_regular);
    if file("/var/lib/dpkg/status") {
        databases.push(NamedPath {
            name: "dpkg".into(),
            path: "/var/lib/dpkg/status".into(),
        });
    }
    if s.status_d_entries > 0 {
        databases.push(NamedPath {
            name: "dpkg-status.d".into(),
            path: "/var/lib/dpkg/status.d".into(),
        });
    }
    for p in ["/lib/apk/db/installed", "/usr/lib/apk/db/installed"] {
        if file(p) {
            databases.push(NamedPath {
                name: "apk".into(),
                path: p.into(),
            });
        }
    }
    for p in [
        "/var/lib/rpm/rpmdb.sqlite",
        "/var/lib/rpm/Packages",
        "/var/lib/rpm/Packages.db",
        "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        "/usr/lib/sysimage/rpm/Packages.db",
    ] {
        if resolve_file(tree, p).is_some() {
            databases.push(NamedPath {
                name: "rpm".into(),
                path: p.into(),
            });
            break;
        }
    }
    PackageManagers { tools, databases }
}

/// `x86_64-linux-gnu-gcc-12` → `gcc`; `clang-17` → `clang`; `cc` → `cc`.
fn build_tool_name(name: &str) -> Option<String> {
    const TOOLS: &[&str] = &[
        "gcc", "cc", "g++", "c++", "cpp", "clang", "clang++", "gfortran", "make", "gmake", "cmake",
        "ninja", "meson", "go", "rustc", "cargo", "javac", "as", "ld", "tcc", "autoconf",
        "automake", "libtool",
    ];
    let mut n = name;
    if let Some(i) = n.find("-linux-") {
        // GNU triplets: x86_64-linux-gnu-gcc, aarch64-alpine-linux-musl-gcc.
        let rest = &n[i + 7..];
        n = rest.split_once('-').map_or(rest, |(_, tool)| tool);
    }
    if !TOOLS.contains(&n)
        && let Some((base, ver)) = n.rsplit_once('-')
        && ver
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        n = base;
    }
    TOOLS.contains(&n).then(|| n.to_string())
}

/// Risk surface.
pub(crate) fn risk(tree: &FileTree, s: &Scan) -> Risk {
    let mut setuid = Capped::default();
    for (path, n) in &s.setuid {
        setuid.push(
            SpecialFile {
                path: path.clone(),
                mode: format!("{:04o}", n.mode),
                uid: n.uid,
                gid: n.gid,
                setuid: n.mode & 0o4000 != 0,
                setgid: n.mode & 0o2000 != 0,
                layer: n.layer,
            },
            LIST_LIMIT,
        );
    }
    let mut world = Capped::default();
    for (path, n) in &s.world_writable {
        let kind = serde_json::to_value(n.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        world.push(
            WorldWritable {
                path: path.clone(),
                kind,
                mode: format!("{:04o}", n.mode),
                sticky: n.kind == Kind::Dir && n.mode & 0o1000 != 0,
                layer: n.layer,
            },
            LIST_LIMIT,
        );
    }
    let package_leftovers = s
        .leftovers
        .iter()
        .map(|((kind, path), (files, bytes, layers))| Leftover {
            kind: kind.to_string(),
            path: path.clone(),
            files: *files,
            bytes: *bytes,
            layers: layers.iter().copied().collect(),
        })
        .collect();
    Risk {
        setuid_setgid: setuid,
        world_writable: world,
        build_tools: executables(tree, s, build_tool_name),
        package_leftovers,
    }
}

/// Where distributions put the CA bundle TLS libraries read (Go's crypto/x509 list, in its order).
const CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// CA bundle and time zone data.
pub(crate) fn essentials(tree: &FileTree, s: &Scan) -> Essentials {
    let bundle = CA_BUNDLES.iter().find_map(|p| {
        resolve_file(tree, p)
            .filter(|(_, n)| n.size > 0)
            .map(|(_, n)| (p.to_string(), n.size))
    });
    Essentials {
        ca_bundle_bytes: bundle.as_ref().map_or(0, |b| b.1),
        ca_bundle: bundle.map(|b| b.0),
        zoneinfo: s.zoneinfo_files > 0,
        zoneinfo_files: s.zoneinfo_files,
    }
}

/// The first line of a version file, or a `KEY="value"` from it.
fn file_text(c: &FactsCollector, path: &str) -> Option<String> {
    c.files
        .get(path)
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

fn quoted_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.trim();
        let rest = l.strip_prefix(key)?.trim_start();
        let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
        let v = rest.trim_matches('"').trim();
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// Language runtimes with versions where cheap.
pub(crate) fn runtimes(tree: &FileTree, s: &Scan, c: &FactsCollector) -> Vec<Runtime> {
    let mut out: Vec<Runtime> = Vec::new();
    let pkg = |name: &str| -> Option<(String, String)> {
        for db in ["dpkg", "apk"] {
            if let Some(v) = c.packages.get(db).and_then(|m| m.get(name)) {
                return Some((upstream_version(v), db.to_string()));
            }
        }
        None
    };
    let pkg_prefixed = |prefix: &str| -> Option<(String, String)> {
        for db in ["dpkg", "apk"] {
            if let Some((_, v)) = c
                .packages
                .get(db)
                .and_then(|m| m.iter().rev().find(|(k, _)| k.starts_with(prefix)))
            {
                return Some((upstream_version(v), db.to_string()));
            }
        }
        None
    };
    let exe =
        |names: &dyn Fn(&str) -> bool| executables(tree, s, |n| names(n).then(|| n.to_string()));
    let mut seen: BTreeSet<String> = BTreeSet::new();

    // Python: one entry per installed X.Y.
    let pythons = exe(&|n| {
        n.strip_prefix("python").is_some_and(|v| {
            !v.is_empty()
                && v.split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        })
    });
    let mut minors: BTreeMap<String, String> = BTreeMap::new();
    for p in &pythons {
        let v = p.name.trim_start_matches("python");
        if v.contains('.') {
            let resolved = resolve_file(tree, &p.path)
                .map(|(r, _)| r)
                .unwrap_or_else(|| p.path.clone());
            minors.entry(v.to_string()).or_insert(resolved);
        }
    }
    for (minor, path) in &minors {
        // Official images build Python into a prefix whose include dir has patchlevel.h.
        let prefix = parent(parent(path));
        let patch =
            file_text(c, &format!("{prefix}/include/python{minor}/patchlevel.h")).and_then(|t| {
                quoted_value(
                    &t.replace("#define PY_VERSION", "PY_VERSION="),
                    "PY_VERSION=",
                )
            });
        let (version, source) = if let Some(v) = patch {
            (v, "file")
        } else if let Some((v, db)) =
            pkg(&format!("python{minor}")).or_else(|| pkg(&format!("python{minor}-minimal")))
        {
            // apk calls it python3; only trust it when it matches this minor.
            (v, if db == "dpkg" { "dpkg" } else { "apk" })
        } else if let Some((v, db)) =
            pkg("python3").filter(|(v, _)| v.starts_with(&format!("{minor}.")))
        {
            (v, if db == "dpkg" { "dpkg" } else { "apk" })
        } else {
            (minor.clone(), "path")
        };
        seen.insert(path.clone());
        out.push(Runtime {
            name: "python".into(),
            version: Some(version),
            version_source: Some(source.into()),
            path: path.clone(),
        });
    }
    if minors.is_empty()
        && let Some(p) = pythons.first()
    {
        out.push(Runtime {
            name: "python".into(),
            version: pkg("python3").map(|(v, _)| v),
            version_source: pkg("python3").map(|(_, db)| db),
            path: p.path.clone(),
        });
    }
    if minors.is_empty()
        && pythons.is_empty()
        && let Some(d) = s
            .versioned_dirs
            .iter()
            .find(|d| base_name(d).starts_with("python"))
    {
        // A Python library tree without an interpreter (e.g. a copied venv) still tells the version.
        out.push(Runtime {
            name: "python".into(),
            version: Some(base_name(d).trim_start_matches("python").to_string()),
            version_source: Some("path".into()),
            path: d.clone(),
        });
    }

    // Node.js.
    if let Some(p) = exe(&|n| n == "node" || n == "nodejs").first() {
        let resolved = resolve_file(tree, &p.path)
            .map(|(r, _)| r)
            .unwrap_or_else(|| p.path.clone());
        let prefix = parent(parent(&resolved));
        let header = file_text(c, &format!("{prefix}/include/node/node_version.h")).and_then(|t| {
            let get = |k: &str| {
                t.lines().find_map(|l| {
                    l.trim()
                        .strip_prefix(&format!("#define {k} "))
                        .map(|v| v.trim().to_string())
                })
            };
            Some(format!(
                "{}.{}.{}",
                get("NODE_MAJOR_VERSION")?,
                get("NODE_MINOR_VERSION")?,
                get("NODE_PATCH_VERSION")?
            ))
        });
        let (version, source) = match header {
            Some(v) => (Some(v), Some("file".to_string())),
            None => pkg("nodejs").map_or((None, None), |(v, db)| (Some(v), Some(db))),
        };
        out.push(Runtime {
            name: "node".into(),
            version,
            version_source: source,
            path: resolved,
        });
    }

    // Java: the `release` file of its JDK/JRE home.
    if let Some(p) = exe(&|n| n == "java").first() {
        let resolved = resolve_file(tree, &p.path)
            .map(|(r, _)| r)
            .unwrap_or_else(|| p.path.clone());
        let home = parent(parent(&resolved));
        let release = is_java_home(home)
            .then(|| file_text(c, &format!("{home}/release")))
            .flatten()
            .and_then(|t| quoted_value(&t, "JAVA_VERSION"));
        let (version, source) = match release {
            Some(v) => (Some(v), Some("file".to_string())),
            None => pkg_prefixed("openjdk").map_or((None, None), |(v, db)| (Some(v), Some(db))),
        };
        out.push(Runtime {
            name: "java".into(),
            version,
            version_source: source,
            path: resolved,
        });
    }

    // Go: `$GOROOT/VERSION` starts with `go1.22.5`.
    if let Some(p) = exe(&|n| n == "go").first() {
        let resolved = resolve_file(tree, &p.path)
            .map(|(r, _)| r)
            .unwrap_or_else(|| p.path.clone());
        let goroot = parent(parent(&resolved));
        let file = file_text(c, &format!("{goroot}/VERSION")).and_then(|t| {
            t.lines()
                .next()
                .and_then(|l| l.trim().strip_prefix("go").map(str::to_string))
        });
        let (version, source) = match file {
            Some(v) => (Some(v), Some("file".to_string())),
            None => pkg_prefixed("golang-1.")
                .or_else(|| pkg("go"))
                .map_or((None, None), |(v, db)| (Some(v), Some(db))),
        };
        out.push(Runtime {
            name: "go".into(),
            version,
            version_source: source,
            path: resolved,
        });
    }

    // Ruby, Perl, PHP: package metadata, else a versioned library directory.
    let simple: [(&str, &[&str]); 3] = [
        ("ruby", &["ruby"]),
        ("perl", &["perl-base", "perl"]),
        ("php", &["php"]),
    ];
    for (name, exact) in simple {
        let prefix = name;
        let matcher = |n: &str| {
            n == name
                || n.strip_prefix(name)
                    .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        };
        let Some(p) = exe(&matcher).first().cloned() else {
            continue;
        };
        let resolved = resolve_file(tree, &p.path)
            .map(|(r, _)| r)
            .unwrap_or(p.path);
        // A versioned package (`ruby3.1`, `php8.2-cli`) sorts after the bare metapackage and
        // carries the full version, so it is tried first.
        let from_pkg = pkg_prefixed(prefix)
            .filter(|(v, _)| v.starts_with(|c: char| c.is_ascii_digit()))
            .or_else(|| exact.iter().find_map(|e| pkg(e)));
        let from_dir = || {
            let marker = match name {
                "ruby" => "/ruby/",
                "perl" => "/share/perl/",
                _ => return None,
            };
            s.versioned_dirs
                .iter()
                .rev()
                .find(|d| d.contains(marker))
                .map(|d| base_name(d).to_string())
        };
        let (version, source) = match from_pkg {
            Some((v, db)) => (Some(v), Some(db)),
            None => from_dir().map_or((None, None), |v| (Some(v), Some("path".to_string()))),
        };
        out.push(Runtime {
            name: name.into(),
            version,
            version_source: source,
            path: resolved,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn node(kind: Kind, mode: u32, link: Option<&str>) -> Node {
        Node {
            kind,
            mode,
            uid: 0,
            gid: 0,
            size: 100,
            mtime: 0,
            layer: 0,
            link: link.map(str::to_string),
        }
    }

    fn f(path: &str, mode: u32) -> (String, Node) {
        (path.to_string(), node(Kind::File, mode, None))
    }
    fn l(path: &str, target: &str) -> (String, Node) {
        (path.to_string(), node(Kind::Symlink, 0o777, Some(target)))
    }
    fn d(path: &str, mode: u32) -> (String, Node) {
        (path.to_string(), node(Kind::Dir, mode, None))
    }

    /// A merged-usr Debian-like tree.
    fn debian() -> FileTree {
        FileTree::from_nodes(vec![
            l("/bin", "usr/bin"),
            l("/sbin", "usr/sbin"),
            l("/lib", "usr/lib"),
            l("/lib64", "usr/lib64"),
            d("/usr/bin", 0o755),
            f("/usr/bin/dash", 0o755),
            l("/usr/bin/sh", "dash"),
            f("/usr/bin/bash", 0o755),
            l("/usr/bin/rbash", "bash"),
            f("/usr/bin/dpkg", 0o755),
            f("/usr/bin/apt-get", 0o755),
            f("/usr/bin/su", 0o4755),
            f("/usr/bin/chage", 0o2755),
            f("/usr/bin/x86_64-linux-gnu-gcc-12", 0o755),
            l("/usr/bin/gcc", "gcc-12"),
            l("/usr/bin/gcc-12", "x86_64-linux-gnu-gcc-12"),
            l("/usr/bin/cc", "/etc/alternatives/cc"),
            l("/etc/alternatives/cc", "/usr/bin/gcc"),
            f("/usr/bin/make", 0o755),
            f("/usr/bin/python3.11", 0o755),
            l("/usr/bin/python3", "python3.11"),
            d("/usr/lib/python3.11", 0o755),
            f("/usr/bin/perl", 0o755),
            l(
                "/usr/lib64/ld-linux-x86-64.so.2",
                "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            ),
            f("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", 0o755),
            f("/usr/lib/x86_64-linux-gnu/libc.so.6", 0o755),
            f("/var/lib/dpkg/status", 0o644),
            f("/var/lib/apt/lists/lock", 0o640),
            f(
                "/var/lib/apt/lists/deb.example_dists_bookworm_InRelease",
                0o644,
            ),
            f(
                "/var/lib/apt/lists/deb.example_dists_bookworm_main_binary-amd64_Packages.lz4",
                0o644,
            ),
            f("/var/cache/apt/pkgcache.bin", 0o644),
            f("/root/.cache/pip/http/a/b", 0o644),
            d("/tmp", 0o1777),
            f("/tmp/scratch", 0o666),
            d("/var/tmp", 0o1777),
            d("/app/uploads", 0o777),
            ("/dev/null".into(), node(Kind::CharDevice, 0o666, None)),
            ("/dev/sda".into(), node(Kind::BlockDevice, 0o666, None)),
            f("/app/config.ini", 0o666),
            l("/app/link", "/etc/passwd"),
        ])
    }

    #[test]
    fn sh_is_dash_through_merged_usr() {
        let t = debian();
        let c = FactsCollector::default();
        let sh = shells(&t, &c);
        assert!(sh.sh.present);
        assert_eq!(sh.sh.resolved.as_deref(), Some("/usr/bin/dash"));
        assert_eq!(sh.sh.kind.as_deref(), Some("dash"));
        let names: Vec<&str> = sh.available.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["sh", "bash", "dash"]);
    }

    #[test]
    fn busybox_sh_and_probe() {
        let t = FileTree::from_nodes(vec![
            f("/bin/busybox", 0o755),
            l("/bin/sh", "/bin/busybox"),
            l("/bin/ash", "/bin/busybox"),
            f("/lib/ld-musl-x86_64.so.1", 0o755),
            l("/lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1"),
        ]);
        let mut c = FactsCollector::default();
        c.packages
            .entry("apk")
            .or_default()
            .insert("musl".into(), "1.2.5-r0".into());
        let sh = shells(&t, &c);
        assert_eq!(sh.sh.kind.as_deref(), Some("busybox-ash"));
        assert!(
            sh.available
                .iter()
                .any(|s| s.name == "ash" && s.kind.as_deref() == Some("busybox-ash"))
        );
        let s = scan(&t);
        let lc = libc(&s, &c, "alpine");
        assert_eq!(
            (lc.kind, lc.version.as_deref()),
            (LibcKind::Musl, Some("1.2.5"))
        );
        assert_eq!(lc.evidence, ["/lib/ld-musl-x86_64.so.1"]);
        // A plain-file /bin/sh is identified by the content probe, a hard link by its target.
        let t = FileTree::from_nodes(vec![
            f("/bin/sh", 0o755),
            (
                "/bin/ash".into(),
                node(Kind::Hardlink, 0o755, Some("/bin/sh")),
            ),
        ]);
        c.sh_probe.insert("/bin/sh".into(), "busybox-ash".into());
        let sh = shells(&t, &c);
        assert_eq!(sh.sh.kind.as_deref(), Some("busybox-ash"));
        assert_eq!(sh.available[1].resolved.as_deref(), Some("/bin/sh"));
    }

    #[test]
    fn dangling_loader_links_are_not_a_libc() {
        let t = FileTree::from_nodes(vec![
            l(
                "/lib64/ld-linux-x86-64.so.2",
                "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            ),
            f("/app/server", 0o755),
        ]);
        assert_eq!(
            libc(&scan(&t), &FactsCollector::default(), "unknown").kind,
            LibcKind::None
        );
    }

    #[test]
    fn no_shell_at_all() {
        let t = FileTree::from_nodes(vec![f("/app/server", 0o755)]);
        let sh = shells(&t, &FactsCollector::default());
        assert!(!sh.sh.present && sh.available.is_empty());
        let s = scan(&t);
        assert_eq!(
            libc(&s, &FactsCollector::default(), "unknown").kind,
            LibcKind::None
        );
    }

    #[test]
    fn risk_surface() {
        let t = debian();
        let s = scan(&t);
        let r = risk(&t, &s);
        let su: Vec<(&str, &str, bool, bool)> = r
            .setuid_setgid
            .items
            .iter()
            .map(|x| (x.path.as_str(), x.mode.as_str(), x.setuid, x.setgid))
            .collect();
        assert_eq!(
            su,
            [
                ("/usr/bin/chage", "2755", false, true),
                ("/usr/bin/su", "4755", true, false)
            ]
        );
        let ww: Vec<&str> = r
            .world_writable
            .items
            .iter()
            .map(|w| w.path.as_str())
            .collect();
        assert_eq!(ww, ["/app/config.ini", "/app/uploads", "/dev/sda"]);
        let tools: Vec<(&str, &str)> = r
            .build_tools
            .iter()
            .map(|t| (t.name.as_str(), t.path.as_str()))
            .collect();
        assert_eq!(
            tools,
            [
                ("cc", "/usr/bin/cc"),
                ("gcc", "/usr/bin/gcc"),
                ("gcc", "/usr/bin/gcc-12"),
                ("gcc", "/usr/bin/x86_64-linux-gnu-gcc-12"),
                ("make", "/usr/bin/make")
            ]
        );
        let left: Vec<(&str, u64, u64)> = r
            .package_leftovers
            .iter()
            .map(|l| (l.kind.as_str(), l.files, l.bytes))
            .collect();
        assert_eq!(
            left,
            [
                ("apt-lists", 2, 200),
                ("apt-pkgcache", 1, 100),
                ("pip-cache", 1, 100)
            ]
        );
        assert_eq!(r.package_leftovers[2].path, "/root/.cache/pip");
    }

    #[test]
    fn capped_lists_count_everything() {
        let nodes: Vec<(String, Node)> = (0..250)
            .map(|i| f(&format!("/data/f{i:03}"), 0o666))
            .collect();
        let t = FileTree::from_nodes(nodes);
        let r = risk(&t, &scan(&t));
        assert_eq!(r.world_writable.total, 250);
        assert_eq!(r.world_writable.items.len(), LIST_LIMIT);
        assert!(r.world_writable.truncated);
    }

    #[test]
    fn package_managers_and_runtimes() {
        let t = debian();
        let s = scan(&t);
        let pm = package_managers(&t, &s);
        let tools: Vec<&str> = pm.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(tools, ["apt-get", "dpkg"]);
        assert_eq!(pm.databases[0].name, "dpkg");
        let mut c = FactsCollector::default();
        let dpkg = c.packages.entry("dpkg").or_default();
        dpkg.insert("libc6".into(), "2.36-9+deb12u9".into());
        dpkg.insert("python3.11".into(), "3.11.2-6+deb12u6".into());
        dpkg.insert("perl-base".into(), "5.36.0-7+deb12u1".into());
        let rt = runtimes(&t, &s, &c);
        let got: Vec<(&str, Option<&str>, &str)> = rt
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_deref(), r.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("python", Some("3.11.2"), "/usr/bin/python3.11"),
                ("perl", Some("5.36.0"), "/usr/bin/perl")
            ]
        );
        let lc = libc(&s, &c, "debian");
        assert_eq!(
            (lc.kind, lc.version.as_deref(), lc.version_source.as_deref()),
            (LibcKind::Glibc, Some("2.36"), Some("dpkg"))
        );
    }

    #[test]
    fn package_databases_that_are_hard_links_count() {
        let h = |path: &str, target: &str| {
            (path.to_string(), node(Kind::Hardlink, 0o644, Some(target)))
        };
        let t = FileTree::from_nodes(vec![
            f("/var/lib/dpkg/status-old", 0o644),
            h("/var/lib/dpkg/status", "/var/lib/dpkg/status-old"),
            f("/usr/lib/sysimage/rpm/rpmdb.sqlite", 0o644),
            l("/var/lib/rpm", "../../usr/lib/sysimage/rpm"),
            f("/lib/apk/db/installed.orig", 0o644),
            h("/lib/apk/db/installed", "/lib/apk/db/installed.orig"),
        ]);
        let pm = package_managers(&t, &scan(&t));
        let dbs: Vec<(&str, &str)> = pm
            .databases
            .iter()
            .map(|d| (d.name.as_str(), d.path.as_str()))
            .collect();
        assert_eq!(
            dbs,
            [
                ("dpkg", "/var/lib/dpkg/status"),
                ("apk", "/lib/apk/db/installed"),
                ("rpm", "/var/lib/rpm/rpmdb.sqlite")
            ]
        );
    }

    #[test]
    fn runtime_version_files() {
        let t = FileTree::from_nodes(vec![
            f("/usr/local/bin/python3.12", 0o755),
            l("/usr/local/bin/python3", "python3.12"),
            f("/usr/local/bin/node", 0o755),
            f("/usr/local/go/bin/go", 0o755),
            l("/usr/local/bin/go", "/usr/local/go/bin/go"),
            f("/opt/java/openjdk/bin/java", 0o755),
            l("/usr/bin/java", "/opt/java/openjdk/bin/java"),
        ]);
        let mut c = FactsCollector::default();
        c.files.insert(
            "/usr/local/include/python3.12/patchlevel.h".into(),
            b"#define PY_MINOR_VERSION 12\n#define PY_VERSION      \"3.12.4\"\n".to_vec(),
        );
        c.files.insert(
            "/usr/local/include/node/node_version.h".into(),
            b"#define NODE_MAJOR_VERSION 20\n#define NODE_MINOR_VERSION 11\n#define NODE_PATCH_VERSION 1\n".to_vec(),
        );
        c.files.insert(
            "/usr/local/go/VERSION".into(),
            b"go1.22.5\ntime 2024-06-01\n".to_vec(),
        );
        c.files.insert(
            "/opt/java/openjdk/release".into(),
            b"IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"17.0.11\"\n".to_vec(),
        );
        let rt = runtimes(&t, &scan(&t), &c);
        let got: Vec<(&str, Option<&str>)> = rt
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("python", Some("3.12.4")),
                ("node", Some("20.11.1")),
                ("java", Some("17.0.11")),
                ("go", Some("1.22.5"))
            ]
        );
    }

    #[test]
    fn ruby_and_php_from_packages_or_dirs() {
        let t = FileTree::from_nodes(vec![
            f("/usr/bin/ruby3.1", 0o755),
            l("/usr/bin/ruby", "ruby3.1"),
            d("/usr/lib/ruby/3.1.0", 0o755),
            f("/usr/bin/php8.2", 0o755),
        ]);
        let s = scan(&t);
        let rt = runtimes(&t, &s, &FactsCollector::default());
        let got: Vec<(&str, Option<&str>, Option<&str>)> = rt
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.version.as_deref(),
                    r.version_source.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [("ruby", Some("3.1.0"), Some("path")), ("php", None, None)]
        );
        let mut c = FactsCollector::default();
        let dpkg = c.packages.entry("dpkg").or_default();
        dpkg.insert("ruby".into(), "1:3.1".into());
        dpkg.insert("ruby3.1".into(), "3.1.2-7+deb12u1".into());
        dpkg.insert("php8.2-cli".into(), "8.2.20-1~deb12u1".into());
        let rt = runtimes(&t, &s, &c);
        let got: Vec<Option<&str>> = rt.iter().map(|r| r.version.as_deref()).collect();
        assert_eq!(got, [Some("3.1.2"), Some("8.2.20")]);
    }

    #[test]
    fn ca_bundle_and_zoneinfo() {
        let t = FileTree::from_nodes(vec![
            l("/etc/ssl/cert.pem", "certs/ca-certificates.crt"),
            f("/etc/ssl/certs/ca-certificates.crt", 0o644),
            f("/usr/share/zoneinfo/UTC", 0o644),
        ]);
        let e = essentials(&t, &scan(&t));
        assert_eq!(
            e.ca_bundle.as_deref(),
            Some("/etc/ssl/certs/ca-certificates.crt")
        );
        assert_eq!(e.ca_bundle_bytes, 100);
        assert!(e.zoneinfo);
        let t = FileTree::from_nodes(vec![f("/app/server", 0o755)]);
        let e = essentials(&t, &scan(&t));
        assert!(e.ca_bundle.is_none() && !e.zoneinfo);
    }

    #[test]
    fn versions_and_names() {
        assert_eq!(upstream_version("2.36-9+deb12u9"), "2.36");
        assert_eq!(upstream_version("1:1.2.13.dfsg-1"), "1.2.13");
        assert_eq!(upstream_version("1.2.5-r0"), "1.2.5");
        assert_eq!(upstream_version("18.19.0+dfsg-6~deb12u2"), "18.19.0");
        assert_eq!(
            build_tool_name("aarch64-alpine-linux-musl-gcc").as_deref(),
            Some("gcc")
        );
        assert_eq!(build_tool_name("clang-17").as_deref(), Some("clang"));
        assert_eq!(build_tool_name("g++-12").as_deref(), Some("g++"));
        assert_eq!(build_tool_name("gcc-ar-12"), None);
        assert_eq!(build_tool_name("python3"), None);
    }
}
