//! Rust binaries built with cargo-auditable: the `.dep-v0` section holds the zlib-compressed JSON
//! dependency tree (`{"packages": [{"name", "version", "source", "kind", "dependencies", "root"}]}`).
//! Build-only dependencies (`"kind": "build"`) are not in the binary and are left out.

use std::io::Read;

use flate2::read::ZlibDecoder;
use serde::Deserialize;

use super::elf::Elf;
use crate::{Package, PackageType};

/// cargo-auditable itself refuses to embed more than this.
const MAX_COMPRESSED: u64 = 8 << 20;
const MAX_JSON: u64 = 16 << 20;

#[derive(Deserialize)]
struct VersionInfo {
    packages: Vec<RawPackage>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    root: bool,
}

/// The packages a cargo-auditable binary lists; `Ok(None)` when it has no audit data.
pub fn audit_packages(elf: &Elf) -> Result<Option<Vec<Package>>, String> {
    let data = match elf.section(".dep-v0") {
        Some(s) => {
            if s.size > MAX_COMPRESSED {
                return Err(format!(
                    "the .dep-v0 section is {} bytes, larger than allowed",
                    s.size
                ));
            }
            elf.section_data(s)
                .ok_or("the .dep-v0 section is outside the bytes read")?
        }
        None => return Ok(None),
    };
    parse_dep_v0(data).map(Some)
}

/// Decompresses and parses `.dep-v0` content.
pub fn parse_dep_v0(compressed: &[u8]) -> Result<Vec<Package>, String> {
    let mut json = Vec::new();
    ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("the .dep-v0 section does not decompress: {e}"))?;
    if json.len() as u64 > MAX_JSON {
        return Err("the .dep-v0 section decompresses to more than 16 MiB".to_string());
    }
    let info: VersionInfo = serde_json::from_slice(&json)
        .map_err(|e| format!("the .dep-v0 section is not valid audit JSON: {e}"))?;
    let mut out = Vec::new();
    for p in info.packages {
        if p.kind.as_deref() == Some("build") || p.name.is_empty() || p.version.is_empty() {
            continue;
        }
        let purl = super::purl("cargo", None, &p.name, &p.version);
        let mut pkg = Package::new(PackageType::Cargo, &p.name, &p.version, purl);
        if !p.source.is_empty() {
            pkg.metadata.insert("source".to_string(), p.source);
        }
        if p.root {
            pkg.metadata.insert("root".to_string(), "true".to_string());
        }
        out.push(pkg);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn build_deps_are_left_out() {
        let json = br#"{"packages":[
            {"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},
            {"name":"serde","version":"1.0.200","source":"registry"},
            {"name":"cc","version":"1.0.0","source":"registry","kind":"build"}]}"#;
        let pkgs = parse_dep_v0(&zlib(json)).unwrap();
        let names: Vec<&str> = pkgs.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(names, ["pkg:cargo/app@0.1.0", "pkg:cargo/serde@1.0.200"]);
        assert_eq!(pkgs[0].metadata["root"], "true");
    }

    #[test]
    fn bombs_and_garbage_are_errors() {
        assert!(parse_dep_v0(b"not zlib").is_err());
        assert!(parse_dep_v0(&zlib(b"{\"packages\": 3}")).is_err());
        let bomb = zlib(&vec![b' '; (MAX_JSON + 10) as usize]);
        assert!(parse_dep_v0(&bomb).unwrap_err().contains("more than"));
    }
}
