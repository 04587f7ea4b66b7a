//! SBOM writers: CycloneDX 1.6 JSON, SPDX 2.3 JSON, drydock JSON and a table.
//!
//! Output is a pure function of the [`Catalog`] and [`WriteOptions`]: the creation time comes from
//! the caller and identifiers are derived from the image digest, so the same input gives the same
//! bytes.

use std::io::Write;

use sha2::Digest as _;

use crate::purl::Purl;
use crate::{Catalog, Subject};

pub mod cyclonedx;
pub mod json;
pub mod spdx;
pub mod table;

/// An SBOM output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    CycloneDxJson,
    SpdxJson,
    Json,
    Table,
}

impl Format {
    /// Every format, with the name the CLI takes.
    pub const ALL: [(&'static str, Format); 4] = [
        ("cyclonedx", Format::CycloneDxJson),
        ("spdx", Format::SpdxJson),
        ("json", Format::Json),
        ("table", Format::Table),
    ];

    /// The format with this CLI name (`cyclonedx`, `cyclonedx-json`, `spdx`, `spdx-json`, `json`, `table`).
    pub fn from_name(name: &str) -> Option<Format> {
        let name = name.trim().to_ascii_lowercase();
        let name = name.strip_suffix("-json").unwrap_or(&name);
        Format::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
    }
}

/// What every writer needs besides the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    /// Creation time, RFC 3339 UTC (`2026-01-01T00:00:00Z`); the caller picks it so output can be
    /// reproducible.
    pub created: String,
    /// The producing tool's version.
    pub tool_version: String,
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            created: "1970-01-01T00:00:00Z".into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Writes `catalog` in `format`.
pub fn write(
    catalog: &Catalog,
    format: Format,
    opts: &WriteOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::CycloneDxJson => cyclonedx::write(catalog, opts, out),
        Format::SpdxJson => spdx::write(catalog, opts, out),
        Format::Json => json::write(catalog, opts, out),
        Format::Table => table::write(catalog, out),
    }
}

/// The `pkg:oci` purl of the subject: `pkg:oci/<name>@<digest>?repository_url=..&tag=..&arch=..`.
/// The name is the last segment of the repository (`127.0.0.1:5000/team/app:1` → `app`), also for
/// a local image, whose display name is all there is (`app:latest` → `app`).
pub fn subject_purl(s: &Subject) -> Option<String> {
    let digest = s.digest.as_deref()?;
    let repo = s.repository.as_deref();
    let name = repo
        .and_then(|r| r.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| repository_name(&s.name))
        .to_ascii_lowercase();
    let mut p = Purl::new("oci", name).version(digest);
    if let (Some(reg), Some(repo)) = (s.registry.as_deref(), repo) {
        p = p.qualifier("repository_url", format!("{reg}/{repo}"));
    }
    if let Some(t) = &s.tag {
        p = p.qualifier("tag", t.as_str());
    }
    if let Some(arch) = s.platform.as_deref().and_then(|pl| pl.split('/').nth(1)) {
        p = p.qualifier("arch", arch);
    }
    Some(p.to_string())
}

/// The last path segment of an image name, without `@digest` or `:tag` (a `:` before the last `/`
/// is a registry port): `127.0.0.1:5000/a/b:tag` → `b`, `app:latest` → `app`; `image` when nothing
/// is left.
fn repository_name(name: &str) -> &str {
    crate::catalog::split_name(name)
        .0
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .unwrap_or("image")
}

/// A stable hex string naming the subject (its digest's hex, else a hash of its name).
pub(crate) fn subject_key(s: &Subject) -> String {
    match s.digest.as_deref().and_then(|d| d.split_once(':')) {
        Some((_, hex)) => hex.to_string(),
        None => hex(&sha2::Sha256::digest(s.name.as_bytes())),
    }
}

/// A UUID (RFC 9562 version 8, "custom") derived from the inputs' SHA-256.
pub(crate) fn stable_uuid(parts: &[&str]) -> String {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().unwrap_or([0; 16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_and_uuid() {
        let s = Subject {
            name: "registry.invalid/team/app:1.0".into(),
            digest: Some("sha256:abcd".into()),
            repository: Some("team/app".into()),
            registry: Some("registry.invalid".into()),
            tag: Some("1.0".into()),
            platform: Some("linux/amd64".into()),
            ..Subject::default()
        };
        assert_eq!(
            subject_purl(&s).unwrap(),
            "pkg:oci/app@sha256:abcd?arch=amd64&repository_url=registry.invalid%2Fteam%2Fapp&tag=1.0"
        );
        // A registry with a port: the name is the repository's last segment.
        let ported = Subject {
            name: "127.0.0.1:5000/a/b:tag".into(),
            digest: Some("sha256:abcd".into()),
            repository: Some("a/b".into()),
            registry: Some("127.0.0.1:5000".into()),
            tag: Some("tag".into()),
            ..Subject::default()
        };
        assert!(
            subject_purl(&ported)
                .unwrap()
                .starts_with("pkg:oci/b@sha256:abcd?repository_url=127.0.0.1:5000%2Fa%2Fb&tag=tag"),
            "{:?}",
            subject_purl(&ported)
        );
        // Local images: only the display name is known.
        for (name, want) in [
            ("app:latest", "app"),
            ("App", "app"),
            ("team/app:1", "app"),
            ("127.0.0.1:5000/a/b:tag", "b"),
            ("localhost:5000/a/b", "b"),
            ("team/app@sha256:abcd", "app"),
            ("team/app:1@sha256:abcd", "app"),
            (".", "image"),
            ("", "image"),
        ] {
            let local = Subject {
                name: name.into(),
                digest: Some("sha256:abcd".into()),
                ..Subject::default()
            };
            let purl = subject_purl(&local).unwrap();
            assert_eq!(purl, format!("pkg:oci/{want}@sha256:abcd"), "{name:?}");
        }
        let u = stable_uuid(&["a", "b"]);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "8");
        assert_eq!(u, stable_uuid(&["a", "b"]));
        assert_ne!(u, stable_uuid(&["ab"]));
        assert_eq!(
            Format::from_name("CycloneDX-json"),
            Some(Format::CycloneDxJson)
        );
        assert_eq!(Format::from_name("xml"), None);
    }
}
