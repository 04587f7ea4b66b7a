//! An opened image: its manifest, config and a store to read its blobs from.

use std::path::PathBuf;

use crate::blob::{BlobStore, SMALL_BLOB_LIMIT};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::oci::{Descriptor, ImageConfig, ImageIndex, ImageManifest, Manifest, Platform, media};
use crate::reference::Reference;
use crate::source::{self, SourceSpec};
use crate::tree::{self, FileTree, FileVisitor};

/// How to open an image.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Platform to choose from an index; the host's when unset. When set, a single-platform image
    /// of another platform is an error.
    pub platform: Option<Platform>,
    /// Bypass the blob cache entirely.
    pub no_cache: bool,
    /// The blob cache directory; `$XDG_CACHE_HOME/drydock` (or `~/.cache/drydock`) when unset.
    pub cache_dir: Option<PathBuf>,
    /// Registries (`host[:port]`) that may be spoken to over plain HTTP besides loopback ones.
    pub insecure_registries: Vec<String>,
    /// Docker `config.json` to read credentials from (default: `$DOCKER_CONFIG/config.json`, `~/.docker/config.json`).
    pub docker_config: Option<PathBuf>,
    /// Podman/containers `auth.json` (default: `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`).
    pub auth_file: Option<PathBuf>,
    /// Draw progress bars for pulls (the CLI sets this only on a TTY without `--quiet`).
    pub progress: bool,
}

/// Where an image came from, for reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    OciLayout,
    OciArchive,
    DockerArchive,
    Registry,
}

/// An image ready to be read.
pub struct Image {
    /// The source as the user wrote it.
    pub spec: String,
    pub source: SourceKind,
    /// The registry reference, or a tag/name found in a local source.
    pub reference: Option<Reference>,
    /// Name or tag from a local source (e.g. the layout's `ref.name`).
    pub local_name: Option<String>,
    /// Digest of the index the manifest was chosen from, if any.
    pub index_digest: Option<Digest>,
    /// Platforms the index offered, if any.
    pub index_platforms: Vec<Platform>,
    /// Digest of the image manifest (absent for legacy `docker save` archives, which have none).
    pub manifest_digest: Option<Digest>,
    pub manifest: ImageManifest,
    pub config_digest: Digest,
    pub config: ImageConfig,
    /// Annotations of the descriptor that pointed at the manifest (index entries carry some).
    pub descriptor_annotations: std::collections::BTreeMap<String, String>,
    pub(crate) store: Box<dyn BlobStore>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("spec", &self.spec)
            .field("manifest_digest", &self.manifest_digest)
            .finish_non_exhaustive()
    }
}

impl Image {
    /// The blob store behind the image.
    pub fn store(&self) -> &dyn BlobStore {
        self.store.as_ref()
    }

    /// The platform of the chosen image, from its config.
    pub fn platform(&self) -> Platform {
        Platform {
            architecture: self.config.architecture.clone(),
            os: self.config.os.clone(),
            os_version: None,
            os_features: Vec::new(),
            variant: self.config.variant.clone(),
        }
    }

    /// Layer descriptors, bottom first.
    pub fn layers(&self) -> &[Descriptor] {
        &self.manifest.layers
    }

    /// Walks all layers once, building the merged view and feeding the visitors.
    pub fn walk(&self, visitors: &mut [&mut dyn FileVisitor]) -> Result<FileTree> {
        tree::walk_layers(self.store(), &self.manifest.layers, visitors)
    }
}

/// Opens an image from a source spec: `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`,
/// `docker-archive:FILE[:REF]`, `docker://REF`, or a bare reference.
pub fn open(spec: &str, opts: &OpenOptions) -> Result<Image> {
    source::open(&SourceSpec::parse(spec)?, spec, opts)
}

/// The platforms (and manifest digests) an image's index offers; one entry for a plain manifest.
pub fn list_platforms(spec: &str, opts: &OpenOptions) -> Result<Vec<(Platform, Digest)>> {
    source::list_platforms(&SourceSpec::parse(spec)?, opts)
}

/// The first manifest a source hands over, before any platform choice.
pub struct RootManifest {
    pub bytes: Vec<u8>,
    pub digest: Digest,
    pub media_type: Option<String>,
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// Everything that follows a root manifest, the same for every source.
pub(crate) struct Resolved {
    pub index_digest: Option<Digest>,
    pub index_platforms: Vec<Platform>,
    pub manifest_digest: Digest,
    pub manifest: ImageManifest,
    pub config_digest: Digest,
    pub config: ImageConfig,
    pub descriptor_annotations: std::collections::BTreeMap<String, String>,
}

impl Resolved {
    /// The image a source opened: what resolution found, plus where it came from.
    pub(crate) fn into_image(
        self,
        spec: &str,
        source: SourceKind,
        reference: Option<Reference>,
        local_name: Option<String>,
        store: Box<dyn BlobStore>,
    ) -> Image {
        Image {
            spec: spec.to_string(),
            source,
            reference,
            local_name,
            index_digest: self.index_digest,
            index_platforms: self.index_platforms,
            manifest_digest: Some(self.manifest_digest),
            manifest: self.manifest,
            config_digest: self.config_digest,
            config: self.config,
            descriptor_annotations: self.descriptor_annotations,
            store,
        }
    }
}

/// Indexes nested deeper than this are refused (they would be a loop or an attack).
const MAX_INDEX_DEPTH: usize = 4;

/// Follows a root manifest through indexes to the image for the wanted platform and reads its config.
pub(crate) fn resolve(
    store: &dyn BlobStore,
    root: RootManifest,
    what: &str,
    opts: &OpenOptions,
) -> Result<Resolved> {
    let wanted = opts.platform.clone().unwrap_or_else(Platform::host);
    let mut current = root;
    let mut index_digest = None;
    let mut index_platforms = Vec::new();
    for _ in 0..=MAX_INDEX_DEPTH {
        match Manifest::parse(&current.bytes, current.media_type.as_deref())
            .map_err(|e| Error::malformed(format!("manifest {} of {what}", current.digest), e))?
        {
            Manifest::Index(index) => {
                if index.manifests.is_empty() {
                    return Err(Error::malformed(
                        format!("image index {} of {what}", current.digest),
                        "its manifests list is empty: there is no image in it",
                    ));
                }
                index_platforms = platforms_of(&index);
                let chosen = choose_platform(&index, &wanted, what)?;
                if index_digest.is_none() {
                    index_digest = Some(current.digest.clone());
                }
                let bytes = store.read_small(&chosen, SMALL_BLOB_LIMIT)?;
                current = RootManifest {
                    bytes,
                    digest: chosen.digest.clone(),
                    media_type: Some(chosen.media_type.clone()).filter(|m| !m.is_empty()),
                    annotations: chosen.annotations.clone(),
                };
            }
            Manifest::Image(manifest) => {
                for layer in &manifest.layers {
                    if !layer.media_type.is_empty() && !media::is_layer(&layer.media_type) {
                        return Err(Error::UnsupportedMediaType(format!(
                            "{} (layer {} of {what})",
                            layer.media_type, layer.digest
                        )));
                    }
                }
                let config_bytes = store.read_small(&manifest.config, SMALL_BLOB_LIMIT)?;
                let config: ImageConfig = serde_json::from_slice(&config_bytes).map_err(|e| {
                    Error::malformed(
                        format!("image config {} of {what}", manifest.config.digest),
                        e,
                    )
                })?;
                check_platform(opts, &config, what)?;
                return Ok(Resolved {
                    index_digest,
                    index_platforms,
                    manifest_digest: current.digest,
                    config_digest: manifest.config.digest.clone(),
                    manifest: *manifest,
                    config,
                    descriptor_annotations: current.annotations,
                });
            }
        }
    }
    Err(Error::malformed(what, "indexes nested too deeply"))
}

/// A platform the user asked for (not the default) must be the image's, as with `docker pull
/// --platform`: a single-platform image of another platform is an error, not a silent substitute.
pub(crate) fn check_platform(opts: &OpenOptions, config: &ImageConfig, what: &str) -> Result<()> {
    let Some(wanted) = &opts.platform else {
        return Ok(());
    };
    if config.os.is_empty() || config.architecture.is_empty() {
        // Nothing to compare with; old or hand-made configs may lack both.
        return Ok(());
    }
    let image = Platform {
        architecture: config.architecture.clone(),
        os: config.os.clone(),
        os_version: None,
        os_features: Vec::new(),
        variant: config.variant.clone(),
    };
    if wanted.matches(&image) {
        Ok(())
    } else {
        Err(Error::PlatformMismatch {
            what: what.to_string(),
            image: image.to_string(),
            wanted: wanted.to_string(),
        })
    }
}

fn platforms_of(index: &ImageIndex) -> Vec<Platform> {
    index
        .manifests
        .iter()
        .filter_map(|d| d.platform.clone())
        .filter(|p| p.os != "unknown")
        .collect()
}

/// Picks the manifest for a platform; a single entry without a platform is taken as it is.
pub(crate) fn choose_platform(
    index: &ImageIndex,
    wanted: &Platform,
    what: &str,
) -> Result<Descriptor> {
    if let Some(d) = index
        .manifests
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(|p| wanted.matches(p)))
    {
        return Ok(d.clone());
    }
    let images: Vec<&Descriptor> = index
        .manifests
        .iter()
        .filter(|d| d.platform.is_none() && !is_attestation(d))
        .collect();
    if index.manifests.iter().all(|d| d.platform.is_none()) && images.len() == 1 {
        return Ok(images[0].clone());
    }
    let available: Vec<String> = platforms_of(index).iter().map(|p| p.to_string()).collect();
    Err(Error::NoMatchingPlatform {
        what: what.to_string(),
        wanted: wanted.to_string(),
        available: if available.is_empty() {
            "none".to_string()
        } else {
            available.join(", ")
        },
    })
}

fn is_attestation(d: &Descriptor) -> bool {
    d.annotations
        .get("vnd.docker.reference.type")
        .is_some_and(|t| t == "attestation-manifest")
}
