//! Registries through the OCI Distribution API.
//!
//! The root manifest is fetched by tag or digest, hashed here (never trusting the registry's word), and
//! checked against the reference's digest and `Docker-Content-Digest`. Everything below it is fetched by
//! digest and verified while streaming; verified blobs and manifests go to the [`BlobCache`], so a
//! digest reference whose blobs are cached opens without the network.
//!
//! Plain HTTP is used only for loopback registries and those listed in `insecure_registries`, and
//! only after HTTPS did not answer there. TLS trusts the system CA bundle and Docker's `certs.d`
//! (see `tls.rs`). Credentials come from Docker's and Podman's files (see `auth.rs`); the registry's
//! `Authorization` never leaves its origin, so redirects to blob storage go without it. 429, 5xx and
//! dropped connections are retried (at most 4 attempts, `Retry-After` honoured up to 30 s), and a
//! blob download that breaks off resumes with a `Range` request.

mod auth;
mod client;
mod progress;
mod tls;

use std::io::{self, Read};
use std::sync::Arc;

use ureq::http;

use self::client::{Client, MAX_ATTEMPTS, Request};
use self::progress::Progress;
use crate::blob::{BlobStore, SMALL_BLOB_LIMIT, VerifyingReader};
use crate::cache::BlobCache;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{self, Image, OpenOptions, RootManifest, SourceKind};
use crate::oci::{Descriptor, Platform, media};
use crate::reference::Reference;

pub(crate) fn open(reference: &Reference, spec: &str, opts: &OpenOptions) -> Result<Image> {
    let store = RegistryStore::new(reference, opts);
    let root = store.root_manifest()?;
    let resolved = image::resolve(&store, root, &reference.to_string(), opts)?;
    Ok(resolved.into_image(
        spec,
        SourceKind::Registry,
        Some(reference.clone()),
        None,
        Box::new(store),
    ))
}

pub(crate) fn list_platforms(
    reference: &Reference,
    opts: &OpenOptions,
) -> Result<Vec<(Platform, Digest)>> {
    let store = RegistryStore::new(reference, opts);
    let root = store.root_manifest()?;
    super::layout::platforms_of_root(&store, &root, &reference.to_string())
}

/// Blobs and manifests of one repository, verified, through the cache when there is one.
pub(crate) struct RegistryStore {
    client: Arc<Client>,
    reference: Reference,
    cache: Option<BlobCache>,
    progress: bool,
}

fn is_manifest_type(mt: &str) -> bool {
    matches!(
        mt,
        media::OCI_MANIFEST | media::OCI_INDEX | media::DOCKER_MANIFEST | media::DOCKER_LIST
    )
}

impl RegistryStore {
    fn new(reference: &Reference, opts: &OpenOptions) -> RegistryStore {
        RegistryStore {
            client: Arc::new(Client::new(reference, opts)),
            reference: reference.clone(),
            cache: BlobCache::from_options(opts),
            progress: opts.progress,
        }
    }

    fn at(&self) -> String {
        format!(
            "{} at {}",
            self.reference.repository(),
            self.client.registry()
        )
    }

    /// Fetches the manifest the reference names, verified against its digest when it has one.
    fn root_manifest(&self) -> Result<RootManifest> {
        let wanted = self.reference.digest();
        if let (Some(digest), Some(cache)) = (wanted, &self.cache) {
            // A digest names content: a cached copy is as good as the registry's, and works offline.
            let desc = descriptor(digest.clone(), 0);
            if let Some(size) = std::fs::metadata(cache.path_of(digest))
                .ok()
                .map(|m| m.len())
                && let Some(bytes) =
                    cache.read_small(&Descriptor { size, ..desc }, SMALL_BLOB_LIMIT)
            {
                return Ok(RootManifest {
                    bytes,
                    digest: digest.clone(),
                    media_type: None,
                    annotations: Default::default(),
                });
            }
        }
        let manifest_ref = self.reference.manifest_ref();
        let what = format!("manifest {manifest_ref} of {}", self.at());
        let resp = self.client.get(&Request {
            path: format!("manifests/{manifest_ref}"),
            accept: Some(media::MANIFEST_ACCEPT),
            range_from: 0,
            what: &what,
        })?;
        let media_type = header(&resp, http::header::CONTENT_TYPE)
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            // Generic types (text/plain, application/octet-stream from simple servers) say nothing:
            // the document's own mediaType or shape decides then.
            .filter(|m| m.starts_with("application/vnd."));
        let announced =
            header(&resp, "docker-content-digest").and_then(|d| d.parse::<Digest>().ok());
        let bytes = read_limited(resp, SMALL_BLOB_LIMIT, &what)?;
        let computed = match wanted {
            Some(d) => {
                let mut h = d.hasher();
                h.update(&bytes);
                h.finish()
            }
            None => Digest::sha256_of(&bytes),
        };
        if let Some(d) = wanted
            && *d != computed
        {
            return Err(Error::DigestMismatch {
                blob: d.clone(),
                actual: computed,
            });
        }
        if let Some(a) = announced
            && a.algorithm() == computed.algorithm()
            && a != computed
        {
            return Err(Error::DigestMismatch {
                blob: a,
                actual: computed,
            });
        }
        if let Some(cache) = &self.cache {
            cache.put_verified(&descriptor(computed.clone(), bytes.len() as u64), &bytes);
        }
        Ok(RootManifest {
            bytes,
            digest: computed,
            media_type,
            annotations: Default::default(),
        })
    }

    /// The registry path and Accept header for a descriptor.
    fn route(&self, desc: &Descriptor) -> (String, Option<String>) {
        if is_manifest_type(&desc.media_type) {
            (
                format!("manifests/{}", desc.digest),
                Some(format!("{}, {}", desc.media_type, media::MANIFEST_ACCEPT)),
            )
        } else {
            (format!("blobs/{}", desc.digest), None)
        }
    }

    fn what(&self, desc: &Descriptor) -> String {
        let kind = if is_manifest_type(&desc.media_type) {
            "manifest"
        } else {
            "blob"
        };
        format!("{kind} {} of {}", desc.digest, self.at())
    }

    /// The raw (unverified) download of a descriptor, resuming after dropped connections.
    fn download(&self, desc: &Descriptor) -> Result<Box<dyn Read + Send + 'static>> {
        let (mut path, mut accept) = self.route(desc);
        let what = self.what(desc);
        let request = |path: &str, accept: Option<&str>| {
            self.client.get(&Request {
                path: path.to_string(),
                accept,
                range_from: 0,
                what: &what,
            })
        };
        let resp = match request(&path, accept.as_deref()) {
            // Children without a media type may be manifests; the registry serves those elsewhere.
            Err(Error::NotFound(_)) if desc.media_type.is_empty() => {
                path = format!("manifests/{}", desc.digest);
                accept = Some(media::MANIFEST_ACCEPT.to_string());
                request(&path, accept.as_deref())?
            }
            other => other?,
        };
        Ok(Box::new(Resuming {
            client: self.client.clone(),
            path,
            accept,
            what,
            body: resp.into_body().into_reader(),
            offset: 0,
            size: desc.size,
            resumes: 0,
        }))
    }
}

impl RegistryStore {
    /// A streamed blob from the cache, else downloaded (into the cache when there is one), with a
    /// progress line when asked for one.
    fn open_blob(&self, desc: &Descriptor, progress: bool) -> Result<Box<dyn Read + Send + '_>> {
        if let Some(r) = self.cache.as_ref().and_then(|c| c.open(desc)) {
            return Ok(r);
        }
        let mut download = self.download(desc)?;
        if progress {
            // Only streamed blobs (layers) report progress; manifests and configs are too small to matter.
            download = Box::new(Progress::new(download, desc.digest.short(), desc.size));
        }
        Ok(match &self.cache {
            Some(cache) => cache.tee(desc, download),
            None => Box::new(VerifyingReader::for_descriptor(download, desc)),
        })
    }
}

impl BlobStore for RegistryStore {
    fn open(&self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>> {
        self.open_blob(desc, self.progress)
    }

    /// From the cache, which the first read filled; downloaded again only without one (`--no-cache`,
    /// or a cache that could not keep the blob), and then without a second progress line.
    fn reopen(&self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>> {
        self.open_blob(desc, false)
    }

    fn read_small(&self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        if desc.size > limit {
            return Err(Error::malformed(
                self.what(desc),
                format!(
                    "{} bytes is more than the {limit} allowed for this kind of blob",
                    desc.size
                ),
            ));
        }
        if let Some(bytes) = self.cache.as_ref().and_then(|c| c.read_small(desc, limit)) {
            return Ok(bytes);
        }
        let mut out = Vec::with_capacity(desc.size as usize);
        VerifyingReader::for_descriptor(self.download(desc)?, desc)
            .read_to_end(&mut out)
            .map_err(|e| Error::io(format!("reading {}", self.what(desc)), e))?;
        if let Some(cache) = &self.cache {
            cache.put_verified(desc, &out);
        }
        Ok(out)
    }
}

/// A response body that, when the connection drops, asks again for the rest (`Range`) and carries on.
struct Resuming {
    client: Arc<Client>,
    path: String,
    accept: Option<String>,
    what: String,
    body: ureq::BodyReader<'static>,
    offset: u64,
    size: u64,
    resumes: u32,
}

impl Read for Resuming {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.body.read(buf) {
                Ok(n) => {
                    self.offset += n as u64;
                    return Ok(n);
                }
                Err(e) if self.resumes + 1 < MAX_ATTEMPTS && self.offset < self.size => {
                    self.resumes += 1;
                    std::thread::sleep(std::time::Duration::from_millis(250 << self.resumes));
                    self.reopen().map_err(|again| {
                        io::Error::other(format!("{e}; resuming failed: {again}"))
                    })?;
                }
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("{}: {e} (after {} attempts)", self.what, self.resumes + 1),
                    ));
                }
            }
        }
    }
}

impl Resuming {
    fn reopen(&mut self) -> Result<()> {
        let resp = self.client.get(&Request {
            path: self.path.clone(),
            accept: self.accept.as_deref(),
            range_from: self.offset,
            what: &self.what,
        })?;
        let partial = resp.status() == http::StatusCode::PARTIAL_CONTENT;
        let mut body = resp.into_body().into_reader();
        if !partial {
            // The server ignored the range: skip what was already read.
            let skipped = io::copy(&mut (&mut body).take(self.offset), &mut io::sink())
                .map_err(|e| Error::io(&self.what, e))?;
            if skipped != self.offset {
                return Err(Error::malformed(&self.what, "shorter on the second try"));
            }
        }
        self.body = body;
        Ok(())
    }
}

fn descriptor(digest: Digest, size: u64) -> Descriptor {
    Descriptor {
        media_type: String::new(),
        digest,
        size,
        urls: Vec::new(),
        annotations: Default::default(),
        platform: None,
        artifact_type: None,
    }
}

fn header<K: http::header::AsHeaderName>(
    resp: &http::Response<ureq::Body>,
    name: K,
) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Reads a whole (small) response, refusing more than `limit` bytes.
fn read_limited(resp: http::Response<ureq::Body>, limit: u64, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    resp.into_body()
        .into_reader()
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::io(format!("reading {what}"), e))?;
    if out.len() as u64 > limit {
        return Err(Error::malformed(what, format!("larger than {limit} bytes")));
    }
    Ok(out)
}
