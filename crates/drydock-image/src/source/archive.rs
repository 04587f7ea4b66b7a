//! OCI archives and `docker save` archives (legacy and Docker 25+ OCI-layout form), read in place.

use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::SourceSpec;
use super::files::{Files, TarFiles};
use super::layout::{self, LayoutStore};
use crate::blob::{BlobStore, SMALL_BLOB_LIMIT, VerifyingReader};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{Image, OpenOptions, SourceKind};
use crate::oci::{Descriptor, ImageConfig, ImageManifest, Platform, media};

/// Decides what kind of archive an existing file is.
pub(crate) fn sniff(path: &Path) -> Result<SourceSpec> {
    let files = TarFiles::index(path)?;
    if files.exists("manifest.json") {
        Ok(SourceSpec::DockerArchive {
            file: path.to_path_buf(),
            name: None,
        })
    } else if files.exists("index.json") {
        Ok(SourceSpec::OciArchive {
            file: path.to_path_buf(),
            tag: None,
        })
    } else {
        Err(Error::malformed(
            path.display().to_string(),
            "neither an OCI archive (index.json) nor a docker save archive (manifest.json)",
        ))
    }
}

pub(crate) fn open_oci(
    file: &Path,
    tag: Option<&str>,
    spec: &str,
    opts: &OpenOptions,
) -> Result<Image> {
    layout::open_layout(
        TarFiles::index(file)?,
        tag,
        spec,
        SourceKind::OciArchive,
        opts,
    )
}

pub(crate) fn list_platforms_oci(
    file: &Path,
    tag: Option<&str>,
) -> Result<Vec<(Platform, Digest)>> {
    layout::list_platforms(
        LayoutStore {
            files: TarFiles::index(file)?,
        },
        tag,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Blobs of a legacy `docker save` archive: members named by path, verified by the digest we expect.
struct DockerStore {
    files: TarFiles,
    /// digest → member name
    names: std::collections::HashMap<Digest, String>,
}

impl BlobStore for DockerStore {
    fn open(&self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>> {
        let name = self.names.get(&desc.digest).ok_or_else(|| {
            Error::NotFound(format!("blob {} in {}", desc.digest, self.files.describe()))
        })?;
        Ok(Box::new(VerifyingReader::for_descriptor(
            self.files.open(name)?,
            desc,
        )))
    }
}

fn tag_matches(tags: &[String], wanted: &str) -> bool {
    let norm = |s: &str| {
        s.parse::<crate::reference::Reference>()
            .map(|r| r.to_string())
            .ok()
    };
    let wanted_n = norm(wanted);
    tags.iter()
        .any(|t| t == wanted || (wanted_n.is_some() && norm(t) == wanted_n))
}

pub(crate) fn open_docker(
    file: &Path,
    name: Option<&str>,
    spec: &str,
    opts: &OpenOptions,
) -> Result<Image> {
    let files = TarFiles::index(file)?;
    let where_ = files.describe();
    let manifest_bytes = files.read_small("manifest.json", SMALL_BLOB_LIMIT)?;
    let entries: Vec<DockerManifestEntry> = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| Error::malformed(format!("manifest.json in {where_}"), e))?;
    let entry = match name {
        Some(n) => entries
            .iter()
            .find(|e| e.repo_tags.as_deref().is_some_and(|t| tag_matches(t, n)))
            .ok_or_else(|| Error::NotFound(format!("image {n} in {where_}")))?,
        None if entries.len() == 1 => &entries[0],
        None if entries.is_empty() => {
            return Err(Error::malformed(&where_, "manifest.json lists no image"));
        }
        None => {
            let tags: Vec<String> = entries
                .iter()
                .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
                .collect();
            return Err(Error::Usage(format!(
                "{where_} holds {} images; name one with docker-archive:FILE:NAME (names: {})",
                entries.len(),
                tags.join(", ")
            )));
        }
    };
    let repo_tag = entry.repo_tags.as_ref().and_then(|t| t.first().cloned());

    // Docker 25+ writes an OCI layout beside manifest.json, holding the image's real manifest: read
    // the image through it. When that part is there but broken, that is the error; reading the
    // legacy part instead would hide the damage (and lose the manifest digest).
    if files.exists("index.json") && files.exists("oci-layout") {
        let wanted = if layout::image_count(&files)? == 1 {
            None
        } else {
            name.or(repo_tag.as_deref())
        };
        let mut image = layout::open_layout(files, wanted, spec, SourceKind::DockerArchive, opts)?;
        if image.index_digest.is_none()
            && let Some(config) = config_digest_of(entry)
            && config != image.config_digest
        {
            return Err(Error::malformed(
                where_,
                format!(
                    "manifest.json names config {config} but index.json's image has config {}",
                    image.config_digest
                ),
            ));
        }
        image.local_name = repo_tag.or(image.local_name);
        return Ok(image);
    }
    let mut image = open_legacy(files, entry, spec)?;
    crate::image::check_platform(opts, &image.config, &where_)?;
    image.local_name = repo_tag;
    Ok(image)
}

/// The config digest a manifest.json entry names (`<hex>.json` or `blobs/sha256/<hex>`).
fn config_digest_of(entry: &DockerManifestEntry) -> Option<Digest> {
    let mut parts = entry.config.rsplit('/');
    let hex = parts.next()?.trim_end_matches(".json");
    let algorithm = match parts.next() {
        Some(a) if parts.next() == Some("blobs") => a,
        _ => "sha256",
    };
    format!("{algorithm}:{hex}").parse().ok()
}

/// The legacy form: `<id>.json` config and `<id>/layer.tar` layers, digests known from the config.
fn open_legacy(files: TarFiles, entry: &DockerManifestEntry, spec: &str) -> Result<Image> {
    let where_ = files.describe();
    let config_digest = config_digest_of(entry).ok_or_else(|| {
        Error::malformed(
            format!("config name {} in {where_}", entry.config),
            "not a digest",
        )
    })?;
    let config_bytes = files.read_small(&entry.config, SMALL_BLOB_LIMIT)?;
    let actual = Digest::sha256_of(&config_bytes);
    if actual != config_digest {
        return Err(Error::DigestMismatch {
            blob: config_digest,
            actual,
        });
    }
    let config: ImageConfig = serde_json::from_slice(&config_bytes)
        .map_err(|e| Error::malformed(format!("image config {config_digest} in {where_}"), e))?;
    if config.rootfs.diff_ids.len() != entry.layers.len() {
        return Err(Error::malformed(
            &where_,
            format!(
                "manifest.json lists {} layers but the config has {} diff ids",
                entry.layers.len(),
                config.rootfs.diff_ids.len()
            ),
        ));
    }
    let mut names = std::collections::HashMap::new();
    let mut layers = Vec::new();
    for (layer_name, diff_id) in entry.layers.iter().zip(&config.rootfs.diff_ids) {
        let size = files
            .member_size(layer_name)
            .ok_or_else(|| Error::NotFound(format!("layer {layer_name} in {where_}")))?;
        names.insert(diff_id.clone(), layer_name.clone());
        layers.push(Descriptor {
            media_type: "application/vnd.docker.image.rootfs.diff.tar".to_string(),
            digest: diff_id.clone(),
            size,
            urls: Vec::new(),
            annotations: Default::default(),
            platform: None,
            artifact_type: None,
        });
    }
    names.insert(config_digest.clone(), entry.config.clone());
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(media::DOCKER_MANIFEST.to_string()),
        config: Descriptor {
            media_type: media::DOCKER_CONFIG.to_string(),
            digest: config_digest.clone(),
            size: config_bytes.len() as u64,
            urls: Vec::new(),
            annotations: Default::default(),
            platform: None,
            artifact_type: None,
        },
        layers,
        annotations: Default::default(),
        subject: None,
    };
    Ok(Image {
        spec: spec.to_string(),
        source: SourceKind::DockerArchive,
        reference: None,
        local_name: None,
        index_digest: None,
        index_platforms: Vec::new(),
        manifest_digest: None,
        manifest,
        config_digest,
        config,
        descriptor_annotations: Default::default(),
        store: Box::new(DockerStore { files, names }),
    })
}
