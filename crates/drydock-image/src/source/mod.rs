//! Image sources: OCI layout directories, OCI and `docker save` archives, and registries.

mod archive;
mod files;
mod layout;
pub mod registry;

use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{Image, OpenOptions};
use crate::oci::Platform;
use crate::reference::Reference;

/// A parsed source string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// `oci:DIR[:TAG]`
    OciLayout { dir: PathBuf, tag: Option<String> },
    /// `oci-archive:FILE[:TAG]`
    OciArchive { file: PathBuf, tag: Option<String> },
    /// `docker-archive:FILE[:REF]`
    DockerArchive { file: PathBuf, name: Option<String> },
    /// `docker://REF` or a bare reference.
    Registry(Reference),
}

/// Splits `PATH[:SUFFIX]`, taking the suffix only when it cannot be part of a path.
fn split_suffix(s: &str) -> (PathBuf, Option<String>) {
    if Path::new(s).exists() {
        return (PathBuf::from(s), None);
    }
    match s.rsplit_once(':') {
        Some((path, suffix)) if !suffix.contains('/') && !path.is_empty() && !suffix.is_empty() => {
            (PathBuf::from(path), Some(suffix.to_string()))
        }
        _ => (PathBuf::from(s), None),
    }
}

/// `docker-archive:FILE:name:tag` — the name may itself hold a ':' (and a registry port).
fn split_archive_name(s: &str) -> (PathBuf, Option<String>) {
    if Path::new(s).exists() {
        return (PathBuf::from(s), None);
    }
    // The file is the longest prefix before a ':' that exists; else the first ':' splits.
    let mut best = None;
    for (i, _) in s.match_indices(':') {
        if Path::new(&s[..i]).exists() {
            best = Some(i);
        }
    }
    let i = best.or_else(|| s.find(':'));
    match i {
        Some(i) => (
            PathBuf::from(&s[..i]),
            Some(s[i + 1..].to_string()).filter(|x| !x.is_empty()),
        ),
        None => (PathBuf::from(s), None),
    }
}

/// Whether a string that is not an existing file was meant as one.
fn looks_like_path(s: &str) -> bool {
    s.starts_with('/')
        || s.starts_with("./")
        || s.starts_with("../")
        || s.starts_with('~')
        || s.ends_with(".tar")
}

impl SourceSpec {
    /// Parses a source string as the CLI takes it.
    pub fn parse(spec: &str) -> Result<SourceSpec> {
        if let Some(rest) = spec.strip_prefix("oci:") {
            let (dir, tag) = split_suffix(rest);
            return Ok(SourceSpec::OciLayout { dir, tag });
        }
        if let Some(rest) = spec.strip_prefix("oci-archive:") {
            let (file, tag) = split_suffix(rest);
            return Ok(SourceSpec::OciArchive { file, tag });
        }
        if let Some(rest) = spec.strip_prefix("docker-archive:") {
            let (file, name) = split_archive_name(rest);
            return Ok(SourceSpec::DockerArchive { file, name });
        }
        if let Some(rest) = spec.strip_prefix("docker://") {
            return Ok(SourceSpec::Registry(rest.parse()?));
        }
        for prefix in ["docker-daemon:", "containers-storage:", "dir:", "podman:"] {
            if spec.starts_with(prefix) {
                return Err(Error::Usage(format!(
                    "source {prefix} is not supported: drydock reads images without an engine; use \
                     oci:DIR, oci-archive:FILE, docker-archive:FILE or a registry reference"
                )));
            }
        }
        let path = Path::new(spec);
        if path.is_dir() {
            return Ok(SourceSpec::OciLayout {
                dir: path.to_path_buf(),
                tag: None,
            });
        }
        if path.is_file() {
            return archive::sniff(path);
        }
        match spec.parse() {
            Ok(reference) => Ok(SourceSpec::Registry(reference)),
            // `/data/img.tar` or `./img` that is not there: say so, not that it is a bad reference.
            Err(_) if looks_like_path(spec) => Err(Error::NotFound(format!(
                "{spec} (no such file or directory, and not an image reference)"
            ))),
            Err(e) => Err(e.into()),
        }
    }
}

pub(crate) fn open(spec: &SourceSpec, text: &str, opts: &OpenOptions) -> Result<Image> {
    match spec {
        SourceSpec::OciLayout { dir, tag } => layout::open_dir(dir, tag.as_deref(), text, opts),
        SourceSpec::OciArchive { file, tag } => archive::open_oci(file, tag.as_deref(), text, opts),
        SourceSpec::DockerArchive { file, name } => {
            archive::open_docker(file, name.as_deref(), text, opts)
        }
        SourceSpec::Registry(reference) => registry::open(reference, text, opts),
    }
}

pub(crate) fn list_platforms(
    spec: &SourceSpec,
    opts: &OpenOptions,
) -> Result<Vec<(Platform, Digest)>> {
    match spec {
        SourceSpec::OciLayout { dir, tag } => layout::list_platforms_dir(dir, tag.as_deref()),
        SourceSpec::OciArchive { file, tag } => archive::list_platforms_oci(file, tag.as_deref()),
        SourceSpec::DockerArchive { file, name } => {
            let image = archive::open_docker(file, name.as_deref(), "", opts)?;
            Ok(vec![(
                image.platform(),
                image.manifest_digest.clone().unwrap_or(image.config_digest),
            )])
        }
        SourceSpec::Registry(reference) => registry::list_platforms(reference, opts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        assert_eq!(
            SourceSpec::parse("oci:/nonexistent/dir:v1").unwrap(),
            SourceSpec::OciLayout {
                dir: "/nonexistent/dir".into(),
                tag: Some("v1".into())
            }
        );
        assert_eq!(
            SourceSpec::parse("oci:/nonexistent/dir").unwrap(),
            SourceSpec::OciLayout {
                dir: "/nonexistent/dir".into(),
                tag: None
            }
        );
        assert_eq!(
            SourceSpec::parse("docker-archive:/nonexistent/x.tar:localhost:5000/app:1").unwrap(),
            SourceSpec::DockerArchive {
                file: "/nonexistent/x.tar".into(),
                name: Some("localhost:5000/app:1".into())
            }
        );
        assert!(matches!(
            SourceSpec::parse("docker://alpine:3.20").unwrap(),
            SourceSpec::Registry(_)
        ));
        assert!(matches!(
            SourceSpec::parse("python:3.12-slim").unwrap(),
            SourceSpec::Registry(_)
        ));
        assert!(SourceSpec::parse("docker-daemon:alpine").is_err());
        assert!(SourceSpec::parse("Not A Ref").is_err());
        // A path that is not there is reported as missing, not as a bad reference.
        for missing in ["/nonexistent/img", "./Img", "../x/Y.tar"] {
            let err = SourceSpec::parse(missing).unwrap_err();
            assert!(matches!(err, Error::NotFound(_)), "{missing}: {err}");
            assert!(err.to_string().contains("no such file"), "{err}");
        }
        assert!(matches!(
            SourceSpec::parse("Not A Ref").unwrap_err(),
            Error::Reference(_)
        ));
    }
}
