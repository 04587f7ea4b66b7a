//! OCI image layouts, in a directory or inside an archive.

use std::io::Read;
use std::path::Path;

use super::files::{DirFiles, Files};
use crate::blob::{BlobStore, SMALL_BLOB_LIMIT, VerifyingReader};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{self, Image, OpenOptions, RootManifest, SourceKind};
use crate::oci::{Descriptor, ImageIndex, Manifest, Platform};

/// The annotation a layout uses to name its images.
pub(crate) const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Blobs under `blobs/<alg>/<hex>` of a layout.
pub(crate) struct LayoutStore<F> {
    pub files: F,
}

impl<F: Files> BlobStore for LayoutStore<F> {
    fn open(&self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>> {
        // The digest is validated, so this name cannot leave the blobs directory.
        let name = format!(
            "blobs/{}/{}",
            desc.digest.algorithm().as_str(),
            desc.digest.hex()
        );
        let raw = self.files.open(&name).map_err(|e| match e {
            Error::NotFound(_) => {
                Error::NotFound(format!("blob {} in {}", desc.digest, self.files.describe()))
            }
            other => other,
        })?;
        Ok(Box::new(VerifyingReader::for_descriptor(raw, desc)))
    }
}

pub(crate) fn open_dir(
    dir: &Path,
    tag: Option<&str>,
    spec: &str,
    opts: &OpenOptions,
) -> Result<Image> {
    if !dir.is_dir() {
        return Err(Error::NotFound(format!(
            "OCI layout directory {}",
            dir.display()
        )));
    }
    open_layout(
        DirFiles {
            root: dir.to_path_buf(),
        },
        tag,
        spec,
        SourceKind::OciLayout,
        opts,
    )
}

pub(crate) fn list_platforms_dir(dir: &Path, tag: Option<&str>) -> Result<Vec<(Platform, Digest)>> {
    list_platforms(
        LayoutStore {
            files: DirFiles {
                root: dir.to_path_buf(),
            },
        },
        tag,
    )
}

/// The annotation containerd and Docker 25+ put the full image name in.
const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// Whether an `index.json` entry is the image `wanted` names: its `ref.name` or the tag part of it,
/// or its containerd name (compared after Docker's normalisation, so `app:1` finds
/// `docker.io/library/app:1`).
fn names_image(d: &Descriptor, wanted: &str) -> bool {
    let by_ref = d
        .annotations
        .get(REF_NAME)
        .is_some_and(|n| n == wanted || n.rsplit_once(':').is_some_and(|(_, t)| t == wanted));
    let normal = |s: &str| {
        s.parse::<crate::reference::Reference>()
            .ok()
            .map(|r| r.to_string())
    };
    by_ref
        || d.annotations.get(CONTAINERD_NAME).is_some_and(|n| {
            n == wanted || (normal(wanted).is_some() && normal(n) == normal(wanted))
        })
}

/// Reads `index.json` and picks the image named by `tag`.
fn root_of<F: Files>(
    store: &LayoutStore<F>,
    tag: Option<&str>,
) -> Result<(RootManifest, Option<String>)> {
    let where_ = store.files.describe();
    if !store.files.exists("oci-layout") {
        return Err(Error::malformed(
            &where_,
            "not an OCI image layout (no oci-layout file)",
        ));
    }
    let index_bytes = store.files.read_small("index.json", SMALL_BLOB_LIMIT)?;
    let index: ImageIndex = serde_json::from_slice(&index_bytes)
        .map_err(|e| Error::malformed(format!("index.json in {where_}"), e))?;
    let name_of = |d: &Descriptor| d.annotations.get(REF_NAME).cloned();
    let chosen = match tag {
        Some(tag) => index
            .manifests
            .iter()
            .find(|d| names_image(d, tag))
            .ok_or_else(|| {
                let names: Vec<String> = index.manifests.iter().filter_map(name_of).collect();
                Error::NotFound(format!(
                    "tag {tag} in {where_} (it has: {})",
                    if names.is_empty() {
                        "no named images".to_string()
                    } else {
                        names.join(", ")
                    }
                ))
            })?,
        None if index.manifests.len() == 1 => &index.manifests[0],
        None if index.manifests.is_empty() => {
            return Err(Error::malformed(
                format!("index.json in {where_}"),
                "its manifests list is empty: the layout holds no image",
            ));
        }
        None if !index.manifests.is_empty()
            && index.manifests.iter().all(|d| d.platform.is_some()) =>
        {
            // index.json itself is the multi-platform index.
            return Ok((
                RootManifest {
                    digest: Digest::sha256_of(&index_bytes),
                    bytes: index_bytes,
                    media_type: Some(crate::oci::media::OCI_INDEX.to_string()),
                    annotations: Default::default(),
                },
                None,
            ));
        }
        None => {
            let names: Vec<String> = index.manifests.iter().filter_map(name_of).collect();
            return Err(Error::Usage(format!(
                "{where_} holds {} images; name one with :TAG (tags: {})",
                index.manifests.len(),
                names.join(", ")
            )));
        }
    };
    let bytes = store.read_small(chosen, SMALL_BLOB_LIMIT)?;
    Ok((
        RootManifest {
            bytes,
            digest: chosen.digest.clone(),
            media_type: Some(chosen.media_type.clone()).filter(|m| !m.is_empty()),
            annotations: chosen.annotations.clone(),
        },
        name_of(chosen),
    ))
}

/// How many images `index.json` lists.
pub(crate) fn image_count<F: Files>(files: &F) -> Result<usize> {
    let where_ = files.describe();
    let bytes = files.read_small("index.json", SMALL_BLOB_LIMIT)?;
    let index: ImageIndex = serde_json::from_slice(&bytes)
        .map_err(|e| Error::malformed(format!("index.json in {where_}"), e))?;
    Ok(index.manifests.len())
}

pub(crate) fn open_layout<F: Files + 'static>(
    files: F,
    tag: Option<&str>,
    spec: &str,
    kind: SourceKind,
    opts: &OpenOptions,
) -> Result<Image> {
    let store = LayoutStore { files };
    let (root, local_name) = root_of(&store, tag)?;
    let resolved = image::resolve(&store, root, &store.files.describe(), opts)?;
    Ok(resolved.into_image(spec, kind, None, local_name, Box::new(store)))
}

pub(crate) fn list_platforms<F: Files>(
    store: LayoutStore<F>,
    tag: Option<&str>,
) -> Result<Vec<(Platform, Digest)>> {
    let (root, _) = root_of(&store, tag)?;
    platforms_of_root(&store, &root, &store.files.describe())
}

/// The platforms an image (index or single manifest) offers.
pub(crate) fn platforms_of_root(
    store: &dyn BlobStore,
    root: &RootManifest,
    what: &str,
) -> Result<Vec<(Platform, Digest)>> {
    match Manifest::parse(&root.bytes, root.media_type.as_deref())
        .map_err(|e| Error::malformed(format!("manifest {} of {what}", root.digest), e))?
    {
        Manifest::Index(index) if index.manifests.is_empty() => Err(Error::malformed(
            format!("image index {} of {what}", root.digest),
            "its manifests list is empty: there is no image in it",
        )),
        Manifest::Index(index) => Ok(index
            .manifests
            .iter()
            .filter_map(|d| d.platform.clone().map(|p| (p, d.digest.clone())))
            .filter(|(p, _)| p.os != "unknown")
            .collect()),
        Manifest::Image(m) => {
            let bytes = store.read_small(&m.config, SMALL_BLOB_LIMIT)?;
            let c: crate::oci::ImageConfig = serde_json::from_slice(&bytes).map_err(|e| {
                Error::malformed(format!("image config {} of {what}", m.config.digest), e)
            })?;
            Ok(vec![(
                Platform {
                    architecture: c.architecture,
                    os: c.os,
                    os_version: None,
                    os_features: Vec::new(),
                    variant: c.variant,
                },
                root.digest.clone(),
            )])
        }
    }
}
