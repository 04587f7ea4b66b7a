//! Go binaries: the build information the Go linker embeds (`.go.buildinfo`, as `go version -m`
//! reads it): the toolchain version, the main module, every dependency module with its
//! replacement, and the build settings. The Go standard library is reported as package `stdlib`.
//!
//! Both layouts are read: Go 1.18+ stores the two strings inline after the 32-byte header; older
//! toolchains store pointers to Go string headers, which are followed through the segments.

use std::collections::BTreeMap;

use super::elf::Elf;
use crate::{Package, PackageType};

const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// A mod-info string beyond this is not real (large programs have a few hundred KiB).
const MAX_STRING: u64 = 16 << 20;

/// A module as the build information lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Module {
    pub path: String,
    pub version: String,
    pub sum: String,
    pub replace: Option<Box<Module>>,
}

/// What `go version -m` prints for a binary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// Toolchain version, e.g. `go1.22.3`.
    pub go_version: String,
    /// Package path of the main package.
    pub path: String,
    pub main: Option<Module>,
    pub deps: Vec<Module>,
    pub settings: Vec<(String, String)>,
}

/// The build information of a Go binary; `Ok(None)` when it is not one.
pub fn build_info(elf: &Elf) -> Result<Option<BuildInfo>, String> {
    let data = match elf.section(".go.buildinfo") {
        Some(s) => match elf.section_data(s) {
            Some(d) => Some(d),
            None => return Err("the .go.buildinfo section is outside the bytes read".to_string()),
        },
        // No section table (or names): search the writable segments like the Go toolchain does.
        None => find_magic(elf),
    };
    let Some(data) = data else {
        return Ok(None);
    };
    if data.len() < 32 || &data[..14] != MAGIC {
        return Err(
            "the .go.buildinfo section does not start with the build info magic".to_string(),
        );
    }
    let ptr_size = data[14] as usize;
    let flags = data[15];
    let (version, modinfo) = if flags & 2 != 0 {
        let (v, rest) = read_varint_string(&data[32..]).ok_or("truncated Go version string")?;
        let (m, _) = read_varint_string(rest).ok_or("truncated module information")?;
        (v.to_vec(), m.to_vec())
    } else {
        let v = read_pointer_string(elf, &data[16..], ptr_size)?;
        let m = read_pointer_string(elf, &data[16 + ptr_size.min(8)..], ptr_size)?;
        (v, m)
    };
    let go_version = String::from_utf8_lossy(&version).into_owned();
    if !go_version.starts_with("go") && !go_version.starts_with("devel") {
        return Err(format!("implausible Go version {go_version:?}"));
    }
    let mut info = parse_modinfo(&strip_sentinels(&modinfo));
    info.go_version = go_version;
    Ok(Some(info))
}

fn find_magic(elf: &Elf) -> Option<&[u8]> {
    for (offset, data) in elf.writable_data() {
        // The linker aligns the header to 16 bytes.
        let skip = ((16 - offset % 16) % 16) as usize;
        let mut i = skip;
        while i + MAGIC.len() <= data.len() {
            if &data[i..i + MAGIC.len()] == MAGIC {
                return Some(&data[i..]);
            }
            i += 16;
        }
    }
    None
}

/// A uvarint length, then that many bytes.
fn read_varint_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        len |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            let rest = &b[i + 1..];
            let len = usize::try_from(len)
                .ok()
                .filter(|&l| l as u64 <= MAX_STRING && l <= rest.len())?;
            return Some((&rest[..len], &rest[len..]));
        }
    }
    None
}

/// Pre-1.18 layout: a pointer to a Go string header `{data, len}`.
fn read_pointer_string(elf: &Elf, at: &[u8], ptr_size: usize) -> Result<Vec<u8>, String> {
    let bad = || "the pre-1.18 build info points at bytes that were not read".to_string();
    let header = elf
        .word(at, ptr_size)
        .ok_or("bad pointer size in build info")?;
    let h = elf
        .read_vaddr(header, 2 * ptr_size as u64)
        .ok_or_else(bad)?;
    let data = elf.word(h, ptr_size).ok_or_else(bad)?;
    let len = elf.word(&h[ptr_size..], ptr_size).ok_or_else(bad)?;
    if len > MAX_STRING {
        return Err("implausible string length in build info".to_string());
    }
    if len == 0 {
        return Ok(Vec::new());
    }
    Ok(elf.read_vaddr(data, len).ok_or_else(bad)?.to_vec())
}

/// The module information is framed by two 16-byte sentinels.
fn strip_sentinels(m: &[u8]) -> String {
    let m = if m.len() >= 33 && m[m.len() - 17] == b'\n' {
        &m[16..m.len() - 16]
    } else {
        m
    };
    String::from_utf8_lossy(m).into_owned()
}

/// Parses the tab-separated lines `path`, `mod`, `dep`, `=>` and `build`.
pub fn parse_modinfo(text: &str) -> BuildInfo {
    let mut info = BuildInfo::default();
    // Which module a `=>` line replaces: the last `mod` or `dep`.
    let mut last_is_dep = false;
    for line in text.lines() {
        let mut f = line.split('\t');
        let kind = f.next().unwrap_or("");
        let module = |f: &mut std::str::Split<'_, char>| Module {
            path: f.next().unwrap_or("").to_string(),
            version: f.next().unwrap_or("").to_string(),
            sum: f.next().unwrap_or("").to_string(),
            replace: None,
        };
        match kind {
            "path" => info.path = f.next().unwrap_or("").to_string(),
            "mod" => {
                info.main = Some(module(&mut f));
                last_is_dep = false;
            }
            "dep" => {
                info.deps.push(module(&mut f));
                last_is_dep = true;
            }
            "=>" => {
                let r = Some(Box::new(module(&mut f)));
                let target = if last_is_dep {
                    info.deps.last_mut()
                } else {
                    info.main.as_mut()
                };
                if let Some(t) = target {
                    t.replace = r;
                }
            }
            "build" => {
                let kv = f.collect::<Vec<_>>().join("\t");
                if let Some((k, v)) = kv.split_once('=') {
                    info.settings.push((unquote(k), unquote(v)));
                }
            }
            _ => {}
        }
    }
    info
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => s.to_string(),
    }
}

/// Settings worth carrying into the SBOM.
const KEPT_SETTINGS: &[&str] = &[
    "-buildmode",
    "-compiler",
    "CGO_ENABLED",
    "GOARCH",
    "GOOS",
    "GOAMD64",
    "GOEXPERIMENT",
    "vcs",
    "vcs.revision",
    "vcs.time",
    "vcs.modified",
];

/// Packages for one binary: the main module, each dependency, and `stdlib`.
pub fn packages(info: &BuildInfo) -> Vec<Package> {
    let go_version = info
        .go_version
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string();
    let mut common = BTreeMap::new();
    common.insert("go_version".to_string(), go_version.clone());
    let mut out = Vec::new();
    if let Some(main) = &info.main
        && !main.path.is_empty()
    {
        let mut p = module_package(main);
        p.metadata.extend(common.clone());
        p.metadata
            .insert("main_module".to_string(), "true".to_string());
        for (k, v) in &info.settings {
            if KEPT_SETTINGS.contains(&k.as_str()) {
                p.metadata.insert(format!("build.{k}"), v.clone());
            }
        }
        if p.version == "(devel)"
            && let Some(v) = info
                .settings
                .iter()
                .find(|(k, _)| k == "-ldflags")
                .and_then(|(_, flags)| version_from_ldflags(flags))
        {
            // Release tooling stamps the version with -X; the module has none before Go 1.24.
            let (ns, name) = match main.path.rsplit_once('/') {
                Some((ns, name)) => (Some(ns), name),
                None => (None, main.path.as_str()),
            };
            p.purl = super::purl("golang", ns, name, &v);
            p.version = v;
            p.metadata
                .insert("version_from".to_string(), "ldflags".to_string());
        }
        out.push(p);
    }
    for d in &info.deps {
        if d.path.is_empty() {
            continue;
        }
        let mut p = module_package(d);
        p.metadata.extend(common.clone());
        out.push(p);
    }
    if !go_version.is_empty() {
        let mut p = Package::new(
            PackageType::Golang,
            "stdlib",
            &go_version,
            super::purl("golang", None, "stdlib", &go_version),
        );
        p.metadata.extend(common);
        if !info.path.is_empty() {
            p.metadata
                .insert("main_path".to_string(), info.path.clone());
        }
        out.push(p);
    }
    out
}

/// A version set with `-X <pkg>.version=1.2.3` (also `Version`, `gitVersion`, `buildVersion`),
/// as a Go module version (`v` prefixed).
fn version_from_ldflags(flags: &str) -> Option<String> {
    let mut tokens = flags
        .split_whitespace()
        .map(|t| t.trim_matches(['\'', '"']));
    while let Some(t) = tokens.next() {
        let assignment = match t.strip_prefix("-X") {
            Some("") => tokens.next()?,
            Some(rest) => rest.trim_start_matches('='),
            None => continue,
        };
        let Some((key, value)) = assignment.split_once('=') else {
            continue;
        };
        let var = key.rsplit('.').next().unwrap_or("");
        if !matches!(var, "version" | "Version" | "gitVersion" | "buildVersion") {
            continue;
        }
        let bare = value.strip_prefix('v').unwrap_or(value);
        let looks_like_version = bare.starts_with(|c: char| c.is_ascii_digit())
            && bare.contains('.')
            && bare
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
        if looks_like_version {
            return Some(format!("v{bare}"));
        }
    }
    None
}

/// A module's package: a versioned replacement takes its place; a local-directory replacement
/// (no version) keeps the original path with version `(devel)`.
fn module_package(m: &Module) -> Package {
    let local = |r: &Module| r.version.is_empty() || r.version == "(devel)";
    let (path, version, sum) = match &m.replace {
        Some(r) if !local(r) => (r.path.as_str(), r.version.as_str(), r.sum.as_str()),
        Some(_) => (m.path.as_str(), "(devel)", ""),
        None => (m.path.as_str(), m.version.as_str(), m.sum.as_str()),
    };
    let (ns, name) = match path.rsplit_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, path),
    };
    let mut p = Package::new(
        PackageType::Golang,
        path,
        version,
        super::purl("golang", ns, name, version),
    );
    if !sum.is_empty() {
        p.metadata.insert("h1_digest".to_string(), sum.to_string());
    }
    if let Some(r) = &m.replace {
        p.metadata
            .insert("replaces".to_string(), format!("{} {}", m.path, m.version));
        if local(r) {
            p.metadata.insert("replaced_by".to_string(), r.path.clone());
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modinfo_lines() {
        let info = parse_modinfo(
            "path\texample.com/cmd/x\nmod\texample.com\tv1.2.3\th1:abc=\n\
             dep\tgolang.org/x/sys\tv0.1.0\th1:def=\n\
             dep\texample.com/old\tv1.0.0\n=>\texample.com/new\tv1.1.0\th1:ghi=\n\
             dep\texample.com/local\tv0.0.0\n=>\t../local\t(devel)\t\n\
             build\t-ldflags=\"-s -w\"\nbuild\tGOOS=linux\n",
        );
        assert_eq!(info.path, "example.com/cmd/x");
        assert_eq!(info.main.as_ref().unwrap().version, "v1.2.3");
        assert_eq!(info.deps.len(), 3);
        assert_eq!(
            info.settings[0],
            ("-ldflags".to_string(), "-s -w".to_string())
        );
        let pkgs = packages(&BuildInfo {
            go_version: "go1.22.1 X:boringcrypto".to_string(),
            ..info
        });
        let purls: Vec<&str> = pkgs.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            [
                "pkg:golang/example.com@v1.2.3",
                "pkg:golang/golang.org/x/sys@v0.1.0",
                "pkg:golang/example.com/new@v1.1.0",
                "pkg:golang/example.com/local@%28devel%29",
                "pkg:golang/stdlib@go1.22.1",
            ]
        );
        assert_eq!(pkgs[0].metadata["build.GOOS"], "linux");
    }

    const MODINFO: &[u8] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6path\texample.com/old\nmod\texample.com/old\tv0.9.0\t\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:x=\n\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

    /// A pre-1.18 style binary: build info header in a writable segment pointing at strings in a
    /// read-only segment, a Go build-id note, no section table.
    fn synthetic() -> Vec<u8> {
        let modinfo = MODINFO;
        let mut f = vec![0u8; 0x2100];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // 64-bit
        f[5] = 1; // little endian
        f[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        f[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        f[56..58].copy_from_slice(&3u16.to_le_bytes()); // e_phnum
        // PT_NOTE at 0x200: the Go build-id note (owner "Go", type 4), so read-only data is scanned.
        let p = 64 + 2 * 56;
        f[p..p + 4].copy_from_slice(&4u32.to_le_bytes());
        f[p + 8..p + 16].copy_from_slice(&0x200u64.to_le_bytes());
        f[p + 32..p + 40].copy_from_slice(&20u64.to_le_bytes());
        f[0x200..0x204].copy_from_slice(&4u32.to_le_bytes());
        f[0x204..0x208].copy_from_slice(&4u32.to_le_bytes());
        f[0x208..0x20c].copy_from_slice(&4u32.to_le_bytes());
        f[0x20c..0x210].copy_from_slice(b"Go\0\0");
        for (i, (flags, off, vaddr)) in [(4u32, 0x1000u64, 0x40_1000u64), (6, 0x2000, 0x40_2000)]
            .into_iter()
            .enumerate()
        {
            let p = 64 + i * 56;
            f[p..p + 4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
            f[p + 4..p + 8].copy_from_slice(&flags.to_le_bytes());
            f[p + 8..p + 16].copy_from_slice(&off.to_le_bytes());
            f[p + 16..p + 24].copy_from_slice(&vaddr.to_le_bytes());
            f[p + 32..p + 40].copy_from_slice(&0x100u64.to_le_bytes());
        }
        f[0x1000..0x1009].copy_from_slice(b"go1.16.15");
        f[0x1020..0x1020 + modinfo.len()].copy_from_slice(modinfo);
        let h = 0x2000;
        f[h..h + 14].copy_from_slice(MAGIC);
        f[h + 14] = 8; // pointer size
        f[h + 15] = 0; // little endian, pointers
        f[h + 16..h + 24].copy_from_slice(&0x40_2040u64.to_le_bytes());
        f[h + 24..h + 32].copy_from_slice(&0x40_2050u64.to_le_bytes());
        f[0x2040..0x2048].copy_from_slice(&0x40_1000u64.to_le_bytes());
        f[0x2048..0x2050].copy_from_slice(&9u64.to_le_bytes());
        f[0x2050..0x2058].copy_from_slice(&0x40_1020u64.to_le_bytes());
        f[0x2058..0x2060].copy_from_slice(&(modinfo.len() as u64).to_le_bytes());
        // Section table after the data: null, .go.buildinfo, .shstrtab.
        let names = b"\0.go.buildinfo\0.shstrtab\0";
        f[0x20c0..0x20c0 + names.len()].copy_from_slice(names);
        f.resize(0x2100 + 3 * 64, 0);
        f[40..48].copy_from_slice(&0x2100u64.to_le_bytes()); // e_shoff
        f[58..60].copy_from_slice(&64u16.to_le_bytes()); // e_shentsize
        f[60..62].copy_from_slice(&3u16.to_le_bytes()); // e_shnum
        f[62..64].copy_from_slice(&2u16.to_le_bytes()); // e_shstrndx
        for (i, (name, addr, off, size)) in [
            (1u32, 0x40_2000u64, 0x2000u64, 0x60u64),
            (15, 0, 0x20c0, 0x20),
        ]
        .into_iter()
        .enumerate()
        {
            let h = 0x2100 + (i + 1) * 64;
            f[h..h + 4].copy_from_slice(&name.to_le_bytes());
            f[h + 4..h + 8].copy_from_slice(&1u32.to_le_bytes()); // SHT_PROGBITS
            f[h + 16..h + 24].copy_from_slice(&addr.to_le_bytes());
            f[h + 24..h + 32].copy_from_slice(&off.to_le_bytes());
            f[h + 32..h + 40].copy_from_slice(&size.to_le_bytes());
        }
        f
    }

    /// A pre-1.18 binary: the header in the writable segment points at Go string headers, whose
    /// data is in the read-only segment. Found by section name, and by scanning without a table.
    #[test]
    fn pointer_format() {
        let modinfo = MODINFO;
        let with_sections = synthetic();
        let mut without = with_sections.clone();
        without[40..48].fill(0);
        without[58..64].fill(0);
        for (form, mut f) in [("named section", with_sections), ("scanned", without)] {
            let elf = crate::lang::elf::read(&mut f.as_slice(), f.len() as u64, 1 << 20)
                .unwrap()
                .unwrap()
                .unwrap();
            assert!(elf.go_note, "{form}");
            // The read-only segment was scanned, not kept: windows at the two strings only.
            assert!(
                elf.kept_bytes() < 0x100 + 64 + modinfo.len() as u64 + 0x400,
                "{form}: {}",
                elf.kept_bytes()
            );
            let info = build_info(&elf).unwrap().unwrap();
            assert_eq!(info.go_version, "go1.16.15", "{form}");
            assert_eq!(info.main.as_ref().unwrap().version, "v0.9.0", "{form}");
            assert_eq!(info.deps[0].path, "github.com/pkg/errors", "{form}");
            // A string length pointing past the segment is an error, not a panic.
            f[0x2058..0x2060].copy_from_slice(&0x10_0000u64.to_le_bytes());
            let elf = crate::lang::elf::read(&mut f.as_slice(), f.len() as u64, 1 << 20)
                .unwrap()
                .unwrap()
                .unwrap();
            assert!(build_info(&elf).is_err(), "{form}");
        }
    }

    /// Random corruption of headers and build info never panics.
    #[test]
    fn corrupted_binaries_do_not_panic() {
        let base = synthetic();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // Bytes worth corrupting: ELF header, program headers, note, strings, build info.
        let hot: Vec<usize> = (0..0x220)
            .chain(0x1000..0x1100)
            .chain(0x2000..0x2060)
            .collect();
        for _ in 0..20_000 {
            let mut f = base.clone();
            for _ in 0..1 + next() % 4 {
                let i = hot[(next() % hot.len() as u64) as usize];
                f[i] = next() as u8;
            }
            let cut = if next() % 8 == 0 {
                (next() % f.len() as u64) as usize
            } else {
                f.len()
            };
            let size = f.len() as u64;
            if let Ok(Ok(Some(elf))) = crate::lang::elf::read(&mut &f[..cut], size, 1 << 20) {
                let _ = build_info(&elf);
                let _ = crate::lang::rust::audit_packages(&elf);
            }
        }
    }

    /// A real Go binary (Debian's docker-registry, which the test tools install) is read keeping a
    /// small fraction of it.
    #[test]
    fn real_go_binary_keeps_little() {
        let path = "/usr/bin/docker-registry";
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let elf = crate::lang::elf::read(&mut bytes.as_slice(), bytes.len() as u64, 256 << 20)
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(elf.go_note);
        assert!(
            elf.kept_bytes() * 10 < bytes.len() as u64,
            "kept {} of {} bytes",
            elf.kept_bytes(),
            bytes.len()
        );
        assert!(
            build_info(&elf)
                .unwrap()
                .unwrap()
                .go_version
                .starts_with("go1.")
        );
    }

    #[test]
    fn ldflags_versions() {
        assert_eq!(
            version_from_ldflags("-s -w -X main.version=1.2.3 -X main.commit=abc").as_deref(),
            Some("v1.2.3")
        );
        assert_eq!(
            version_from_ldflags("-X 'github.com/x/y/internal/version.Version=v0.4.0-rc.1'")
                .as_deref(),
            Some("v0.4.0-rc.1")
        );
        assert_eq!(
            version_from_ldflags("-X=k8s.io/component-base/version.gitVersion=v1.29.2").as_deref(),
            Some("v1.29.2")
        );
        assert_eq!(
            version_from_ldflags("-X main.version=dev -X main.Version=${VERSION}"),
            None
        );
        assert_eq!(version_from_ldflags("-s -w"), None);
        let info = parse_modinfo(
            "path\texample.com/cmd\nmod\texample.com/cmd\t(devel)\t\nbuild\t-ldflags=\"-X main.version=2.0.1\"\n",
        );
        let p = &packages(&BuildInfo {
            go_version: "go1.22.0".into(),
            ..info
        })[0];
        assert_eq!(
            (p.version.as_str(), p.purl.as_str()),
            ("v2.0.1", "pkg:golang/example.com/cmd@v2.0.1")
        );
    }

    #[test]
    fn varint_strings_are_bounded() {
        assert_eq!(
            read_varint_string(&[3, b'a', b'b', b'c', 9]),
            Some((&b"abc"[..], &[9u8][..]))
        );
        assert_eq!(read_varint_string(&[5, b'a']), None);
        assert_eq!(read_varint_string(&[0xff; 12]), None);
    }

    #[test]
    fn sentinels_stripped() {
        let mut m = vec![b'S'; 16];
        m.extend_from_slice(b"path\tx\n");
        m.extend_from_slice(&[b'E'; 16]);
        assert_eq!(strip_sentinels(&m), "path\tx\n");
    }
}
