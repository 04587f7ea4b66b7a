//! Ubuntu "chiselled" images have no dpkg database: Chisel writes a zstd-compressed manifest
//! (`/var/lib/chisel/manifest.wall`, "jsonwall": one JSON object per line after a header) listing
//! the packages it cut slices from, the slices, and every path with the slices that installed it.

use std::collections::BTreeMap;
use std::io::Read;

/// Where the `base-files_chisel` slice writes the manifest.
pub const MANIFEST: &str = "/var/lib/chisel/manifest.wall";
/// Largest compressed manifest read, and largest decompressed (a zstd bomb stops there).
pub const COMPRESSED_LIMIT: u64 = 64 << 20;
const DECOMPRESSED_LIMIT: u64 = 128 << 20;

/// One package a chiselled image has slices of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChiselPackage {
    pub name: String,
    pub version: String,
    pub arch: String,
    /// Digest of the `.deb` the slices were cut from.
    pub sha256: String,
    /// Installed slices (`<pkg>_<slice>`), sorted.
    pub slices: Vec<String>,
    /// Paths the package's slices installed (directories left out), sorted.
    pub files: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Line {
    kind: Option<String>,
    jsonwall: Option<String>,
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    sha256: Option<String>,
    path: Option<String>,
    #[serde(default)]
    slices: Vec<String>,
}

/// Decompresses and reads a manifest. Errors name what is wrong; unknown kinds are ignored.
pub fn parse_manifest(compressed: &[u8]) -> Result<Vec<ChiselPackage>, String> {
    let decoder =
        zstd::stream::read::Decoder::new(compressed).map_err(|e| format!("not zstd: {e}"))?;
    let mut text = Vec::new();
    decoder
        .take(DECOMPRESSED_LIMIT + 1)
        .read_to_end(&mut text)
        .map_err(|e| format!("cannot decompress: {e}"))?;
    if text.len() as u64 > DECOMPRESSED_LIMIT {
        return Err(format!(
            "decompresses past {} MiB",
            DECOMPRESSED_LIMIT >> 20
        ));
    }
    let text = String::from_utf8_lossy(&text);
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Line = lines.next().ok_or("empty manifest").and_then(|l| {
        serde_json::from_str(l).map_err(|_| "the first line is not a jsonwall header")
    })?;
    if header.jsonwall.is_none() {
        return Err("the first line is not a jsonwall header".into());
    }
    let mut packages: BTreeMap<String, ChiselPackage> = BTreeMap::new();
    let mut paths: Vec<(String, Vec<String>)> = Vec::new();
    let mut slices: Vec<String> = Vec::new();
    for (i, l) in lines.enumerate() {
        let line: Line = serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 2))?;
        match line.kind.as_deref() {
            Some("package") => {
                let name = line.name.unwrap_or_default();
                if name.is_empty() {
                    continue;
                }
                packages.insert(
                    name.clone(),
                    ChiselPackage {
                        name,
                        version: line.version.unwrap_or_default(),
                        arch: line.arch.unwrap_or_default(),
                        sha256: line.sha256.unwrap_or_default(),
                        ..ChiselPackage::default()
                    },
                );
            }
            Some("slice") => slices.extend(line.name),
            Some("path") => {
                if let Some(p) = line.path.filter(|p| !p.ends_with('/')) {
                    paths.push((p, line.slices));
                }
            }
            _ => {}
        }
    }
    // Debian package names have no `_`, so a slice `<pkg>_<slice>` names its package.
    let owner = |slice: &str| slice.split_once('_').map(|(p, _)| p.to_string());
    for s in slices {
        if let Some(p) = owner(&s).and_then(|p| packages.get_mut(&p)) {
            p.slices.push(s);
        }
    }
    for (path, by) in paths {
        for s in by {
            if let Some(p) = owner(&s).and_then(|p| packages.get_mut(&p)) {
                p.files.push(path.clone());
            }
        }
    }
    let mut out: Vec<ChiselPackage> = packages.into_values().collect();
    for p in &mut out {
        p.slices.sort();
        // A path two slices of one package installed is listed once.
        p.files.sort();
        p.files.dedup();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn manifest(lines: &[&str]) -> Vec<u8> {
        let body = lines.join("\n") + "\n";
        zstd::stream::encode_all(body.as_bytes(), 3).unwrap()
    }

    #[test]
    fn packages_slices_and_paths() {
        let m = manifest(&[
            r#"{"jsonwall":"1.0","schema":"1.0","count":7}"#,
            r#"{"kind":"content","slice":"zlib1g_libs","path":"/usr/lib/libz.so.1"}"#,
            r#"{"kind":"package","name":"zlib1g","version":"1:1.3-1","sha256":"aa","arch":"amd64"}"#,
            r#"{"kind":"path","path":"/usr/lib/","mode":"0755","slices":["zlib1g_libs"]}"#,
            r#"{"kind":"path","path":"/usr/lib/libz.so.1","mode":"0777","slices":["zlib1g_libs"],"link":"x"}"#,
            r#"{"kind":"path","path":"/usr/share/doc/zlib1g/copyright","mode":"0644","slices":["zlib1g_copyright"]}"#,
            r#"{"kind":"slice","name":"zlib1g_copyright"}"#,
            r#"{"kind":"slice","name":"zlib1g_libs"}"#,
        ]);
        let p = parse_manifest(&m).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].version, "1:1.3-1");
        assert_eq!(p[0].slices, vec!["zlib1g_copyright", "zlib1g_libs"]);
        assert_eq!(
            p[0].files,
            vec!["/usr/lib/libz.so.1", "/usr/share/doc/zlib1g/copyright"]
        );
        assert!(parse_manifest(b"not zstd").is_err());
        assert!(parse_manifest(&manifest(&[r#"{"kind":"package"}"#])).is_err());
        assert!(parse_manifest(&manifest(&[r#"{"jsonwall":"1.0"}"#, "garbage"])).is_err());
    }

    #[test]
    fn zstd_bombs_stop_at_the_limit() {
        let zeros = std::io::repeat(b' ').take(DECOMPRESSED_LIMIT + 10);
        let bomb = zstd::stream::encode_all(zeros, 1).unwrap();
        assert!(bomb.len() < 1 << 20);
        assert!(parse_manifest(&bomb).unwrap_err().contains("past"));
    }
}
