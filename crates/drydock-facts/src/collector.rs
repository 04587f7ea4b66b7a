//! The visitor that reads the few small files the facts need during the single walk.
//!
//! Everything it keeps is bounded: small files are read up to a cap, package databases are streamed
//! and only a handful of package versions kept, binaries are scanned for a version string without
//! being stored.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};

use drydock_image::oci::ImageConfig;
use drydock_image::{FileVisitor, Node};

/// Small text files kept whole (up to [`SMALL_LIMIT`], or [`ACCOUNTS_LIMIT`] for passwd/group).
const SMALL_FILES: &[&str] = &[
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/passwd",
    "/etc/group",
    "/etc/alpine-release",
    "/etc/debian_version",
    "/etc/redhat-release",
    "/etc/system-release",
    "/etc/lsb-release",
];

/// Cap for ordinary small files.
pub(crate) const SMALL_LIMIT: u64 = 64 * 1024;
/// Cap for `/etc/passwd` and `/etc/group`, which can be long on some images.
pub(crate) const ACCOUNTS_LIMIT: u64 = 4 * 1024 * 1024;
/// Package databases are streamed up to this many bytes.
const DB_LIMIT: u64 = 256 * 1024 * 1024;
/// Binaries scanned for a version marker are read up to this many bytes.
const SCAN_LIMIT: u64 = 16 * 1024 * 1024;
/// Bytes read from a program to find its `#!` line or ELF loader.
const HEADER_LIMIT: u64 = 4096;

const DPKG_STATUS: &str = "/var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "/var/lib/dpkg/status.d/";
const APK_INSTALLED: &[&str] = &["/lib/apk/db/installed", "/usr/lib/apk/db/installed"];
const SH_PATHS: &[&str] = &["/bin/sh", "/usr/bin/sh"];

/// The facts visitor: wants only the small files `inspect` needs.
#[derive(Debug, Default)]
pub struct FactsCollector {
    /// Small files by path.
    pub(crate) files: BTreeMap<String, Vec<u8>>,
    /// Versions of the few packages the facts use, by database (`dpkg`, `apk`) then package name.
    pub(crate) packages: BTreeMap<&'static str, BTreeMap<String, String>>,
    /// glibc's own version string found in a `libc.so.6`, by path.
    pub(crate) glibc_probe: BTreeMap<String, String>,
    /// What a regular-file `/bin/sh` turned out to be, by path.
    pub(crate) sh_probe: BTreeMap<String, String>,
    /// `#!` lines of the programs the config runs, by path.
    pub(crate) shebangs: BTreeMap<String, String>,
    /// ELF dynamic loaders (PT_INTERP) of the programs the config runs, by path.
    pub(crate) elf_interp: BTreeMap<String, String>,
    /// Paths and base names of the programs the config runs.
    program_paths: BTreeSet<String>,
    program_names: BTreeSet<String>,
    pub(crate) warnings: Vec<String>,
}

impl FactsCollector {
    /// A collector for an image with this config (it reads the `#!` line of the programs the config runs).
    pub fn new(config: &ImageConfig) -> FactsCollector {
        let mut c = FactsCollector::default();
        let cfg = &config.config;
        let argv = crate::run::command_argv(cfg);
        let mut programs: Vec<String> = Vec::new();
        if let Some(p) = argv.first() {
            programs.push(p.clone());
        }
        // The first program of a shell-form command or a CMD-SHELL healthcheck.
        if let Some(p) = crate::run::shell_script(&argv).and_then(crate::run::shell_first_program) {
            programs.push(p);
        }
        if let Some(hc) = &cfg.healthcheck {
            match hc.test.first().map(String::as_str) {
                Some("CMD") => programs.extend(hc.test.get(1).cloned()),
                Some("CMD-SHELL") => programs.extend(
                    hc.test
                        .get(1)
                        .and_then(|s| crate::run::shell_first_program(s)),
                ),
                _ => {}
            }
        }
        let path_dirs = crate::run::search_path(cfg);
        for p in programs.iter().map(String::as_str) {
            if p.contains('/') {
                let abs = if p.starts_with('/') {
                    p.to_string()
                } else {
                    let wd = cfg
                        .working_dir
                        .as_deref()
                        .filter(|w| !w.is_empty())
                        .unwrap_or("/");
                    format!("{}/{p}", wd.trim_end_matches('/'))
                };
                if let Some(n) = drydock_image::tree::normalize(&abs) {
                    c.program_paths.insert(n);
                }
            } else {
                for d in &path_dirs {
                    if let Some(n) = drydock_image::tree::normalize(&format!("{d}/{p}")) {
                        c.program_paths.insert(n);
                    }
                }
            }
            if let Some(name) = p.rsplit('/').next().filter(|n| !n.is_empty()) {
                // Official images often symlink an entrypoint to a same-named script elsewhere.
                c.program_names.insert(name.to_string());
            }
        }
        c
    }

    /// Warnings gathered while reading files.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn want_kind(&self, path: &str, node: &Node) -> Option<Want> {
        if !node.is_regular() {
            return None;
        }
        if SMALL_FILES.contains(&path) || is_version_file(path) || is_os_release_target(path) {
            return Some(Want::Small);
        }
        if path == DPKG_STATUS {
            return Some(Want::Dpkg);
        }
        if let Some(name) = path.strip_prefix(DPKG_STATUS_D)
            && !name.contains('/')
            && !name.ends_with(".md5sums")
        {
            return Some(Want::DpkgD);
        }
        if APK_INSTALLED.contains(&path) {
            return Some(Want::Apk);
        }
        let name = base_name(path);
        if (name == "libc.so.6" || (name.starts_with("libc-") && name.ends_with(".so")))
            && node.size <= SCAN_LIMIT
        {
            return Some(Want::LibcProbe);
        }
        if SH_PATHS.contains(&path) && node.size <= SCAN_LIMIT {
            return Some(Want::ShProbe);
        }
        if self.program_paths.contains(path)
            || (node.mode & 0o111 != 0 && self.names_program(path, name))
        {
            return Some(Want::Shebang);
        }
        None
    }

    /// Whether a file name is one of the config's programs, or a versioned real file behind one
    /// (`python3` is usually a symlink to `python3.11`).
    fn names_program(&self, path: &str, name: &str) -> bool {
        let in_bin = matches!(base_name(parent(path)), "bin" | "sbin");
        self.program_names.contains(name)
            || (in_bin
                && name.split_once('.').is_some_and(|(stem, rest)| {
                    stem.len() >= 3
                        && !rest.is_empty()
                        && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
                        && self.program_names.contains(stem)
                }))
    }

    fn keep_small(&mut self, path: &str, content: &mut dyn Read) -> std::io::Result<()> {
        let limit = if path == "/etc/passwd" || path == "/etc/group" {
            ACCOUNTS_LIMIT
        } else {
            SMALL_LIMIT
        };
        let mut buf = Vec::new();
        content.take(limit + 1).read_to_end(&mut buf)?;
        if buf.len() as u64 > limit {
            buf.truncate(limit as usize);
            self.warnings.push(format!(
                "{path}: larger than {limit} bytes; only the start was read"
            ));
        }
        self.files.insert(path.to_string(), buf);
        Ok(())
    }
}

/// What the collector does with a wanted file.
enum Want {
    Small,
    Dpkg,
    DpkgD,
    Apk,
    LibcProbe,
    ShProbe,
    Shebang,
}

/// Where a symlinked `/etc/os-release` may point (`/usr/lib/os-release`, `/etc/os-release.d/…`).
fn is_os_release_target(path: &str) -> bool {
    path.matches('/').count() <= 4
        && (path.starts_with("/etc/")
            || path.starts_with("/usr/lib/")
            || path.starts_with("/usr/share/"))
        && (base_name(path) == "os-release" || parent(path).ends_with("/os-release.d"))
}

/// Version files of language runtimes.
fn is_version_file(path: &str) -> bool {
    let name = base_name(path);
    (name == "VERSION" && path.ends_with("/go/VERSION") && path.matches('/').count() <= 5)
        || path.ends_with("/include/node/node_version.h")
        || (name == "patchlevel.h" && path.contains("/include/python"))
        || (name == "release" && is_java_home(parent(path)))
}

/// Whether a directory looks like a JDK/JRE home (its `release` file names the Java version).
pub(crate) fn is_java_home(dir: &str) -> bool {
    let lower = dir.to_ascii_lowercase();
    dir.matches('/').count() <= 5
        && (lower.contains("/jvm/")
            || lower.contains("java")
            || lower.contains("jdk")
            || lower.contains("jre"))
}

impl FileVisitor for FactsCollector {
    fn wants(&self, path: &str, node: &Node) -> bool {
        self.want_kind(path, node).is_some()
    }

    fn visit(&mut self, path: &str, node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let Some(want) = self.want_kind(path, node) else {
            return Ok(());
        };
        // The readers below parse leniently and never fail on content: an error here comes from
        // the layer stream itself (corrupt compression, a truncated or tampered blob), which must
        // stop the walk rather than leave a report that looks complete.
        match want {
            Want::Small => self.keep_small(path, content),
            Want::Dpkg => read_dpkg(
                content,
                self.packages.entry("dpkg").or_default(),
                interesting_package,
            ),
            Want::DpkgD => read_dpkg_d(
                content,
                self.packages.entry("dpkg").or_default(),
                interesting_package,
            ),
            Want::Apk => read_apk(
                content,
                self.packages.entry("apk").or_default(),
                interesting_package,
            ),
            Want::LibcProbe => scan(content, &[b"release version "], true).map(|found| {
                if let Some((_, after)) = found {
                    let v = leading_version(&after);
                    if !v.is_empty() {
                        self.glibc_probe.insert(path.to_string(), v);
                    }
                }
            }),
            Want::ShProbe => scan(
                content,
                SH_MARKERS
                    .iter()
                    .map(|(m, _)| *m)
                    .collect::<Vec<_>>()
                    .as_slice(),
                false,
            )
            .map(|found| {
                let kind = found
                    .and_then(|(i, _)| SH_MARKERS.get(i).map(|(_, k)| *k))
                    .unwrap_or("unknown");
                self.sh_probe.insert(path.to_string(), kind.to_string());
            }),
            Want::Shebang => {
                let mut buf = Vec::new();
                content.take(HEADER_LIMIT).read_to_end(&mut buf).map(|_| {
                    if let Some(rest) = buf.strip_prefix(b"#!") {
                        let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
                        let line = String::from_utf8_lossy(line).trim().to_string();
                        self.shebangs.insert(path.to_string(), line);
                    } else if let Some(interp) = elf_interpreter(&buf) {
                        self.elf_interp.insert(path.to_string(), interp);
                    }
                })
            }
        }
    }
}

/// The PT_INTERP path of an ELF executable, when its program headers lie in `head`.
/// `None` for static binaries, non-ELF files and anything truncated or malformed.
pub(crate) fn elf_interpreter(head: &[u8]) -> Option<String> {
    if head.len() < 52 || &head[..4] != b"\x7fELF" {
        return None;
    }
    let is64 = match head[4] {
        1 => false,
        2 => true,
        _ => return None,
    };
    let le = match head[5] {
        1 => true,
        2 => false,
        _ => return None,
    };
    let num = |at: usize, len: usize| -> Option<u64> {
        let b = head.get(at..at.checked_add(len)?)?;
        let mut v: u64 = 0;
        for i in 0..len {
            let byte = if le { b[len - 1 - i] } else { b[i] };
            v = (v << 8) | u64::from(byte);
        }
        Some(v)
    };
    let (phoff, phentsize, phnum) = if is64 {
        (num(0x20, 8)?, num(0x36, 2)?, num(0x38, 2)?)
    } else {
        (num(0x1C, 4)?, num(0x2A, 2)?, num(0x2C, 2)?)
    };
    const PT_INTERP: u64 = 3;
    for i in 0..phnum.min(64) {
        let ph = usize::try_from(phoff.checked_add(i.checked_mul(phentsize)?)?).ok()?;
        if num(ph, 4)? != PT_INTERP {
            continue;
        }
        let (off, size) = if is64 {
            (num(ph + 0x08, 8)?, num(ph + 0x20, 8)?)
        } else {
            (num(ph + 0x04, 4)?, num(ph + 0x10, 4)?)
        };
        let start = usize::try_from(off).ok()?;
        let end = start.checked_add(usize::try_from(size).ok()?)?;
        let raw = head.get(start..end)?;
        let s = raw.split(|&b| b == 0).next().unwrap_or_default();
        let s = String::from_utf8_lossy(s).into_owned();
        return (!s.is_empty()).then_some(s);
    }
    None
}

/// Byte markers that tell a regular-file `/bin/sh` apart, first match wins.
const SH_MARKERS: &[(&[u8], &str)] = &[
    (b"BusyBox v", "busybox-ash"),
    (b"GNU bash, version", "bash"),
    (b"@(#)MIRBSD KSH", "mksh"),
    (b"Toybox", "toybox"),
    (b"zsh/", "zsh"),
];

/// Scans a stream for the first of `needles`; returns its index and up to 32 bytes after it.
/// With `only_first` false all needles are tried and the earliest in the list wins.
fn scan(
    content: &mut dyn Read,
    needles: &[&[u8]],
    only_first: bool,
) -> std::io::Result<Option<(usize, Vec<u8>)>> {
    let longest = needles.iter().map(|n| n.len()).max().unwrap_or(0);
    let keep = longest + 32;
    let mut window: Vec<u8> = Vec::with_capacity(64 * 1024 + keep);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut limited = content.take(SCAN_LIMIT);
    let mut best: Option<(usize, Vec<u8>)> = None;
    loop {
        let n = limited.read(&mut chunk)?;
        let eof = n == 0;
        window.extend_from_slice(&chunk[..n]);
        for (i, needle) in needles.iter().enumerate() {
            if best.as_ref().is_some_and(|(b, _)| *b <= i) {
                break;
            }
            if let Some(pos) = find(&window, needle) {
                let start = pos + needle.len();
                // Wait for the bytes after the marker unless the stream ended.
                if window.len() < start + 32 && !eof {
                    continue;
                }
                let end = (start + 32).min(window.len());
                best = Some((i, window[start..end].to_vec()));
                break;
            }
        }
        if eof || best.as_ref().is_some_and(|(b, _)| *b == 0 || only_first) {
            // Drain nothing more: the walk skips the rest of the entry itself.
            return Ok(best);
        }
        if window.len() > keep {
            let cut = window.len() - keep;
            window.drain(..cut);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The `1.2.3` at the start of some bytes.
fn leading_version(bytes: &[u8]) -> String {
    let s: String = bytes
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .map(|&b| b as char)
        .collect();
    s.trim_end_matches('.').to_string()
}

/// Whether a package's version is worth keeping (libc, shells, language runtimes).
pub(crate) fn interesting_package(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "libc6",
        "musl",
        "glibc",
        "perl-base",
        "perl",
        "nodejs",
        "python3",
        "ruby",
        "go",
        "busybox",
        "dash",
        "bash",
        "php",
        "openjdk",
        "golang-go",
    ];
    if EXACT.contains(&name) {
        return true;
    }
    let versioned = |prefix: &str| {
        name.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty() && rest.chars().next().is_some_and(|c| c.is_ascii_digit())
        })
    };
    versioned("python3.")
        || versioned("ruby")
        || versioned("golang-1.")
        || versioned("openjdk-")
        || versioned("openjdk")
        || versioned("php")
        || versioned("nodejs")
        || versioned("go-1.")
}

/// Bounded line reader: lines longer than this are cut (package descriptions can be long).
const LINE_LIMIT: usize = 64 * 1024;

fn for_each_line(
    content: &mut dyn Read,
    limit: u64,
    mut f: impl FnMut(&str),
) -> std::io::Result<()> {
    let mut reader = BufReader::new(content.take(limit));
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(LINE_LIMIT as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if line.last() != Some(&b'\n') && n == LINE_LIMIT {
            // Skip the rest of an over-long line, a bounded piece at a time.
            let mut sink = Vec::new();
            loop {
                sink.clear();
                let m = (&mut reader)
                    .take(LINE_LIMIT as u64)
                    .read_until(b'\n', &mut sink)?;
                if m == 0 || sink.last() == Some(&b'\n') {
                    break;
                }
            }
        }
        let text = String::from_utf8_lossy(&line);
        f(text.trim_end_matches(['\n', '\r']));
    }
    f("");
    Ok(())
}

/// Streams `/var/lib/dpkg/status`: a stanza counts when its Status says installed.
fn read_dpkg(
    content: &mut dyn Read,
    out: &mut BTreeMap<String, String>,
    keep: fn(&str) -> bool,
) -> std::io::Result<()> {
    read_dpkg_stanzas(content, out, keep, true)
}

/// Streams a distroless `status.d` entry: its stanzas have no Status line and are all installed.
fn read_dpkg_d(
    content: &mut dyn Read,
    out: &mut BTreeMap<String, String>,
    keep: fn(&str) -> bool,
) -> std::io::Result<()> {
    read_dpkg_stanzas(content, out, keep, false)
}

fn read_dpkg_stanzas(
    content: &mut dyn Read,
    out: &mut BTreeMap<String, String>,
    keep: fn(&str) -> bool,
    status_required: bool,
) -> std::io::Result<()> {
    let (mut name, mut version) = (String::new(), String::new());
    let mut installed = !status_required;
    for_each_line(content, DB_LIMIT, |line| {
        if line.is_empty() {
            if !name.is_empty() && !version.is_empty() && installed && keep(&name) {
                out.insert(std::mem::take(&mut name), std::mem::take(&mut version));
            }
            name.clear();
            version.clear();
            installed = !status_required;
        } else if let Some(v) = line.strip_prefix("Package:") {
            name = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("Version:") {
            version = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("Status:") {
            // `install ok installed`, also `hold ok installed`; never `… not-installed`.
            let v = v.trim();
            installed = v.ends_with(" installed") && !v.contains("not-installed");
        }
    })
}

/// Streams apk's installed database, keeping interesting packages.
fn read_apk(
    content: &mut dyn Read,
    out: &mut BTreeMap<String, String>,
    keep: fn(&str) -> bool,
) -> std::io::Result<()> {
    let (mut name, mut version) = (String::new(), String::new());
    for_each_line(content, DB_LIMIT, |line| {
        if line.is_empty() {
            if !name.is_empty() && !version.is_empty() && keep(&name) {
                out.insert(std::mem::take(&mut name), std::mem::take(&mut version));
            }
            name.clear();
            version.clear();
        } else if let Some(v) = line.strip_prefix("P:") {
            name = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("V:") {
            version = v.trim().to_string();
        }
    })
}

pub(crate) fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use drydock_image::Kind;

    fn file(size: u64) -> Node {
        Node {
            kind: Kind::File,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size,
            mtime: 0,
            layer: 0,
            link: None,
        }
    }

    #[test]
    fn wants_only_what_facts_need() {
        let c = FactsCollector::default();
        for p in [
            "/etc/os-release",
            "/usr/lib/os-release",
            "/etc/passwd",
            "/var/lib/dpkg/status",
            "/var/lib/dpkg/status.d/libc6",
            "/lib/apk/db/installed",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/local/go/VERSION",
            "/usr/local/include/node/node_version.h",
            "/usr/lib/jvm/java-17-openjdk-amd64/release",
            "/usr/local/include/python3.12/patchlevel.h",
            "/bin/sh",
        ] {
            assert!(c.wants(p, &file(10)), "{p}");
        }
        for p in [
            "/usr/bin/python3",
            "/var/lib/dpkg/status.d/libc6.md5sums",
            "/etc/shadow",
            "/usr/share/doc/release",
            "/home/x/go/VERSION/deep/er/still",
        ] {
            assert!(!c.wants(p, &file(10)), "{p}");
        }
        let mut dir = file(0);
        dir.kind = Kind::Dir;
        assert!(!c.wants("/etc/passwd", &dir));
        assert!(!c.wants("/usr/lib/libc.so.6", &file(SCAN_LIMIT + 1)));
    }

    #[test]
    fn config_programs_are_wanted_for_their_shebang() {
        let mut cfg = ImageConfig::default();
        cfg.config.entrypoint = Some(vec!["docker-entrypoint.sh".into()]);
        cfg.config.env = vec!["PATH=/usr/local/bin:/usr/bin".into()];
        let mut c = FactsCollector::new(&cfg);
        assert!(c.wants("/usr/local/bin/docker-entrypoint.sh", &file(10)));
        let mut exe = file(10);
        exe.mode = 0o755;
        assert!(c.wants("/docker-entrypoint.sh", &exe));
        assert!(!c.wants("/docker-entrypoint.sh", &file(10)));
        let mut py = ImageConfig::default();
        py.config.cmd = Some(vec!["python3".into()]);
        let py = FactsCollector::new(&py);
        let mut exe = file(10);
        exe.mode = 0o755;
        assert!(py.wants("/usr/bin/python3.11", &exe));
        assert!(!py.wants("/usr/bin/python3.11", &file(10)));
        assert!(!py.wants("/var/lib/dpkg/info/python3.11.postinst", &exe));
        assert!(!py.wants("/usr/share/lintian/overrides/python3", &file(10)));
        assert!(!py.wants("/usr/bin/python3-config", &file(10)));
        assert!(!py.wants("/usr/bin/pydoc3.11", &file(10)));
        c.visit(
            "/docker-entrypoint.sh",
            &exe,
            &mut &b"#!/bin/bash\nset -e\n"[..],
        )
        .unwrap();
        assert_eq!(c.shebangs["/docker-entrypoint.sh"], "/bin/bash");
    }

    /// A minimal 64-bit little-endian ELF with one PT_INTERP program header.
    pub(crate) fn elf_with_interp(interp: &str) -> Vec<u8> {
        let mut b = vec![0u8; 0x200];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        b[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        b[0x38..0x3A].copy_from_slice(&1u16.to_le_bytes());
        b[64..68].copy_from_slice(&3u32.to_le_bytes());
        b[64 + 8..64 + 16].copy_from_slice(&0x100u64.to_le_bytes());
        b[64 + 0x20..64 + 0x28].copy_from_slice(&((interp.len() + 1) as u64).to_le_bytes());
        b[0x100..0x100 + interp.len()].copy_from_slice(interp.as_bytes());
        b
    }

    #[test]
    fn elf_interpreters() {
        let elf = elf_with_interp("/lib64/ld-linux-x86-64.so.2");
        assert_eq!(
            elf_interpreter(&elf).as_deref(),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
        // Static (no PT_INTERP), truncated, garbage: no answer, no panic.
        let mut st = elf.clone();
        st[64] = 1;
        assert_eq!(elf_interpreter(&st), None);
        assert_eq!(elf_interpreter(&elf[..100]), None);
        assert_eq!(elf_interpreter(b"#!/bin/sh"), None);
        let mut wild = elf.clone();
        wild[0x20..0x28].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(elf_interpreter(&wild), None);
        let mut huge = elf;
        huge[64 + 0x20..64 + 0x28].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(elf_interpreter(&huge), None);
    }

    #[test]
    fn dpkg_status_keeps_installed_interesting_packages() {
        let status = "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u9\nDescription: x\n long\n\nPackage: python3.11\nStatus: deinstall ok config-files\nVersion: 3.11.2-6\n\nPackage: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13\n\nPackage: perl-base\nStatus: install ok installed\nVersion: 5.36.0-7+deb12u1";
        let mut out = BTreeMap::new();
        read_dpkg(&mut status.as_bytes(), &mut out, interesting_package).unwrap();
        assert_eq!(out.get("libc6").map(String::as_str), Some("2.36-9+deb12u9"));
        assert_eq!(
            out.get("perl-base").map(String::as_str),
            Some("5.36.0-7+deb12u1")
        );
        assert!(!out.contains_key("python3.11"));
        assert!(!out.contains_key("zlib1g"));
        // A status file's stanza without Status is not installed; a status.d entry's is.
        let no_status = "Package: libc6\nVersion: 2.36-9\n";
        let mut out = BTreeMap::new();
        read_dpkg(&mut no_status.as_bytes(), &mut out, interesting_package).unwrap();
        assert!(out.is_empty());
        read_dpkg_d(&mut no_status.as_bytes(), &mut out, interesting_package).unwrap();
        assert_eq!(out["libc6"], "2.36-9");
    }

    #[test]
    fn over_long_lines_are_cut_not_buffered() {
        let mut db = b"P:musl\nV:1.2.5-r0\nD:".to_vec();
        db.extend(std::iter::repeat_n(b'x', 3 * LINE_LIMIT + 7));
        db.extend_from_slice(b"\n\nP:busybox\nV:1.36.1-r29\n");
        let mut out = BTreeMap::new();
        read_apk(&mut db.as_slice(), &mut out, interesting_package).unwrap();
        assert_eq!(out["musl"], "1.2.5-r0");
        assert_eq!(out["busybox"], "1.36.1-r29");
    }

    type Reader =
        fn(&mut dyn Read, &mut BTreeMap<String, String>, fn(&str) -> bool) -> std::io::Result<()>;

    /// Runs a streaming reader over each case of an osv-scalibr expectation file and compares the
    /// name → version pairs (cases that must fail, or that include not-installed packages, are skipped).
    fn scalibr_cases(dir: &str, read: Reader, read_d: Option<Reader>) -> usize {
        let base = drydock_testkit::images::shared_dir()
            .join("conformance/pkgdb/osv-scalibr")
            .join(dir);
        let cases: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(base.join("expected_TestExtract.json")).unwrap(),
        )
        .unwrap();
        let mut checked = 0;
        for case in cases.as_array().unwrap() {
            if case.get("wantErr").is_some_and(|e| !e.is_null())
                || case.get("cfg").is_some_and(|c| !c.is_null())
            {
                continue;
            }
            let path = base.join(case["path"].as_str().unwrap());
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut got = BTreeMap::new();
            let read = if case["path"].as_str().unwrap().contains("status.d") {
                read_d.unwrap_or(read)
            } else {
                read
            };
            read(&mut bytes.as_slice(), &mut got, |_| true).unwrap();
            let want: BTreeMap<String, String> = case["wantPackages"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            let name = p.get("Name").or_else(|| p.get("pkgName")).unwrap();
                            let version = p.get("Version").or_else(|| p.get("version")).unwrap();
                            (
                                name.as_str().unwrap().to_string(),
                                version.as_str().unwrap().to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(got, want, "{}: {}", case["name"], path.display());
            checked += 1;
        }
        checked
    }

    #[test]
    fn conformance_dpkg_and_apk_streaming_match_scalibr() {
        assert!(scalibr_cases("dpkg", read_dpkg, Some(read_dpkg_d)) >= 20);
        assert!(scalibr_cases("apk", read_apk, None) >= 6);
    }

    #[test]
    fn apk_installed() {
        let db = "C:Q1x\nP:musl\nV:1.2.5-r0\nA:x86_64\n\nP:busybox\nV:1.36.1-r29\n";
        let mut out = BTreeMap::new();
        read_apk(&mut db.as_bytes(), &mut out, interesting_package).unwrap();
        assert_eq!(out["musl"], "1.2.5-r0");
        assert_eq!(out["busybox"], "1.36.1-r29");
    }

    #[test]
    fn glibc_version_string_across_chunks() {
        let mut bin = vec![0u8; 64 * 1024 - 10];
        bin.extend_from_slice(
            b"GNU C Library (Debian GLIBC 2.36-9+deb12u9) stable release version 2.36.\n",
        );
        bin.extend(vec![0u8; 1000]);
        let mut c = FactsCollector::default();
        c.visit(
            "/lib/x86_64-linux-gnu/libc.so.6",
            &file(bin.len() as u64),
            &mut bin.as_slice(),
        )
        .unwrap();
        assert_eq!(c.glibc_probe["/lib/x86_64-linux-gnu/libc.so.6"], "2.36");
    }

    #[test]
    fn sh_probe_and_oversized_small_file() {
        let mut c = FactsCollector::default();
        c.visit(
            "/bin/sh",
            &file(30),
            &mut &b"\x7fELF....BusyBox v1.36.1 (2024)"[..],
        )
        .unwrap();
        assert_eq!(c.sh_probe["/bin/sh"], "busybox-ash");
        c.visit(
            "/usr/bin/sh",
            &file(30),
            &mut &b"\x7fELF nothing to see"[..],
        )
        .unwrap();
        assert_eq!(c.sh_probe["/usr/bin/sh"], "unknown");
        let big = vec![b'a'; SMALL_LIMIT as usize + 10];
        c.visit(
            "/etc/os-release",
            &file(big.len() as u64),
            &mut big.as_slice(),
        )
        .unwrap();
        assert_eq!(c.files["/etc/os-release"].len(), SMALL_LIMIT as usize);
        assert_eq!(c.warnings().len(), 1);
    }
}
