//! Language-ecosystem catalogers: Python, Node, Go and Rust binaries, Java archives.
//!
//! Go and Rust binaries share one cataloger ([`binary`]): both are found in ELF executables, and a
//! single visitor lets the walk stream each executable once instead of buffering it for two.

pub mod binary;
mod elf;
pub mod golang;
pub mod java;
pub mod node;
pub mod python;
pub mod rust;
mod zipstream;

use std::io::Read;

use crate::{Cataloger, Warning};

/// Every language cataloger, in a fixed order.
pub fn catalogers() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(python::PythonCataloger::default()),
        Box::new(node::NodeCataloger::default()),
        Box::new(java::JavaCataloger::default()),
        Box::new(binary::BinaryCataloger::default()),
    ]
}

/// Reads at most `cap` bytes; `Ok(None)` when the content is longer than that.
pub(crate) fn read_capped(content: &mut dyn Read, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    content.take(cap.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Ok(None);
    }
    Ok(Some(buf))
}

pub(crate) fn warning(cataloger: &'static str, path: &str, message: impl Into<String>) -> Warning {
    Warning {
        cataloger,
        path: path.to_string(),
        message: message.into(),
    }
}

/// Percent-encodes a purl component (one encoding for every purl drydock writes).
pub(crate) use crate::purl::encode as purl_encode;

/// `pkg:<kind>/<namespace segments>/<name>@<version>` with each component encoded; `namespace` may
/// hold several `/`-separated segments (Go module paths, Maven has one).
pub(crate) fn purl(kind: &str, namespace: Option<&str>, name: &str, version: &str) -> String {
    let mut s = format!("pkg:{kind}/");
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        for seg in ns.split('/').filter(|s| !s.is_empty()) {
            s.push_str(&purl_encode(seg));
            s.push('/');
        }
    }
    s.push_str(&purl_encode(name));
    if !version.is_empty() {
        s.push('@');
        s.push_str(&purl_encode(version));
    }
    s
}

/// The directory part of an absolute path (`/` for top-level entries).
pub(crate) fn parent_dir(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Whether `s` ends with `suffix`, ASCII case-insensitively (byte-wise: never splits a character).
pub(crate) fn ends_with_ci(s: &str, suffix: &str) -> bool {
    let (s, suffix) = (s.as_bytes(), suffix.as_bytes());
    s.len() >= suffix.len() && s[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// Opens an in-memory zip archive, first refusing one whose end records declare more than
/// `max_entries` entries (the zip reader reserves memory per declared entry up front).
pub(crate) fn open_zip(
    bytes: Vec<u8>,
    max_entries: u64,
) -> Result<zip::ZipArchive<std::io::Cursor<Vec<u8>>>, String> {
    if let Some(n) = zip_declared_entries(&bytes)
        && n > max_entries
    {
        return Err(format!("declares {n} entries, more than {max_entries}"));
    }
    zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a readable zip archive: {e}"))
}

/// The entry count an archive's end-of-central-directory record (or its zip64 record) declares.
fn zip_declared_entries(b: &[u8]) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const LOCATOR64: &[u8] = b"PK\x06\x07";
    const EOCD64: &[u8] = b"PK\x06\x06";
    let from = b.len().saturating_sub(22 + 65_535);
    let eocd = (from..=b.len().checked_sub(22)?)
        .rev()
        .find(|&i| &b[i..i + 4] == EOCD)?;
    let mut n = u64::from(u16::from_le_bytes([b[eocd + 10], b[eocd + 11]]));
    if let Some(loc) = eocd.checked_sub(20)
        && &b[loc..loc + 4] == LOCATOR64
    {
        let off =
            usize::try_from(u64::from_le_bytes(b[loc + 8..loc + 16].try_into().ok()?)).ok()?;
        if b.get(off..off + 4) == Some(EOCD64) {
            let count = b.get(off + 32..off + 40)?;
            n = n.max(u64::from_le_bytes(count.try_into().ok()?));
        }
    }
    Some(n)
}

/// The last path component.
pub(crate) fn file_name(path: &str) -> &str {
    &path[path.rfind('/').map_or(0, |i| i + 1)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let all = catalogers();
        let mut names: Vec<&str> = all.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate cataloger names: {names:?}");
    }

    #[test]
    fn purl_components_are_encoded() {
        assert_eq!(
            purl("npm", Some("@babel"), "core", "7.0.0"),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl("golang", Some("github.com/a/b"), "c", "v1.0.0+incompatible"),
            "pkg:golang/github.com/a/b/c@v1.0.0%2Bincompatible"
        );
        assert_eq!(purl("pypi", None, "x", ""), "pkg:pypi/x");
    }

    #[test]
    fn zip64_entry_count_bomb_is_refused() {
        // An empty zip64 archive whose records claim 2^40 entries.
        let mut b = Vec::new();
        b.extend_from_slice(b"PK\x06\x06");
        b.extend_from_slice(&44u64.to_le_bytes()); // size of the record after this field
        b.extend_from_slice(&[45, 0, 45, 0]); // versions
        b.extend_from_slice(&[0; 8]); // disk numbers
        b.extend_from_slice(&(1u64 << 40).to_le_bytes()); // entries on this disk
        b.extend_from_slice(&(1u64 << 40).to_le_bytes()); // entries
        b.extend_from_slice(&[0; 16]); // directory size and offset
        b.extend_from_slice(b"PK\x06\x07");
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&0u64.to_le_bytes()); // zip64 record at 0
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(b"PK\x05\x06");
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&[0xff; 12]);
        b.extend_from_slice(&[0; 2]);
        assert_eq!(zip_declared_entries(&b), Some(1 << 40));
        assert!(open_zip(b, 100_000).unwrap_err().contains("declares"));
        assert!(open_zip(b"not a zip".to_vec(), 10).is_err());
    }

    #[test]
    fn case_insensitive_suffix() {
        assert!(ends_with_ci("A.JAR", ".jar"));
        assert!(!ends_with_ci("jar", ".jar"));
        assert!(!ends_with_ci("é.ja", ".jar"));
    }

    #[test]
    fn read_capped_refuses_longer_content() {
        assert_eq!(read_capped(&mut &b"abcd"[..], 4).unwrap().unwrap(), b"abcd");
        assert!(read_capped(&mut &b"abcde"[..], 4).unwrap().is_none());
    }
}
