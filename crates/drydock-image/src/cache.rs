//! A content-addressed cache of verified blobs (layers, configs and manifests by digest).
//!
//! Layout: `<root>/blobs/<alg>/<hex>`, where `<root>` is `OpenOptions::cache_dir`, else
//! `$XDG_CACHE_HOME/drydock`, else `~/.cache/drydock`. A download is written to a temporary file in the
//! same directory while it is hashed and renamed into place only once its digest and size match, so two
//! concurrent runs never see a partial blob. Reading a cached blob verifies it again: the cache is a
//! speed-up, never a source of trust. Tags are never cached, only content addressed by digest.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::blob::VerifyingReader;
use crate::digest::Digest;
#[cfg(test)]
use crate::error::Error;
use crate::image::OpenOptions;
use crate::oci::Descriptor;

/// The blob cache on disk.
#[derive(Clone, Debug)]
pub struct BlobCache {
    root: PathBuf,
}

impl BlobCache {
    /// The cache the options ask for: `None` when `no_cache` is set or no cache directory can be found.
    pub fn from_options(opts: &OpenOptions) -> Option<BlobCache> {
        if opts.no_cache {
            return None;
        }
        let cache = opts
            .cache_dir
            .clone()
            .or_else(default_root)
            .map(BlobCache::at)?;
        cache.sweep_stale_temporaries();
        Some(cache)
    }

    /// Removes temporary files a killed run left behind (older than a day, so never a live download).
    /// Done once per process and cache.
    fn sweep_stale_temporaries(&self) {
        static SWEPT: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
        let Ok(mut swept) = SWEPT.lock() else { return };
        if swept.contains(&self.root) {
            return;
        }
        swept.push(self.root.clone());
        let dir = self.root.join("blobs").join("sha256");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return;
        };
        let day = std::time::Duration::from_secs(24 * 3600);
        for entry in entries.flatten() {
            let stale = entry.file_name().to_string_lossy().starts_with(".tmp-")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > day));
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// A cache rooted at `root` (blobs live under `root/blobs`).
    pub fn at(root: impl Into<PathBuf>) -> BlobCache {
        BlobCache { root: root.into() }
    }

    /// Where the blob with this digest is (or would be) stored.
    pub fn path_of(&self, digest: &Digest) -> PathBuf {
        // The digest is validated (algorithm name and lower-case hex), so this cannot leave the cache.
        self.root
            .join("blobs")
            .join(digest.algorithm().as_str())
            .join(digest.hex())
    }

    /// Whether a blob of the right size is present (its content is checked when read).
    pub fn contains(&self, desc: &Descriptor) -> bool {
        std::fs::metadata(self.path_of(&desc.digest))
            .is_ok_and(|m| m.is_file() && m.len() == desc.size)
    }

    /// Opens a cached blob for streaming, verified as it is read; `None` when it is not cached.
    ///
    /// A cached file of the wrong size is removed and reported as absent. One whose content does not
    /// match is removed when the mismatch is found, and the reader fails with `DigestMismatch`.
    pub fn open(&self, desc: &Descriptor) -> Option<Box<dyn Read + Send + 'static>> {
        let path = self.path_of(&desc.digest);
        let file = File::open(&path).ok()?;
        let len = file.metadata().ok()?.len();
        if len != desc.size {
            let _ = std::fs::remove_file(&path);
            return None;
        }
        touch(&file);
        Some(Box::new(EvictOnMismatch {
            inner: VerifyingReader::for_descriptor(file, desc),
            path,
            done: false,
        }))
    }

    /// Reads a small cached blob whole and verifies it; a corrupt copy is removed and `None` returned.
    pub fn read_small(&self, desc: &Descriptor, limit: u64) -> Option<Vec<u8>> {
        if desc.size > limit {
            return None;
        }
        let path = self.path_of(&desc.digest);
        let mut file = File::open(&path).ok()?;
        let mut bytes = Vec::with_capacity(desc.size as usize);
        // One byte more than expected tells a grown file from a right-sized one.
        (&mut file)
            .take(desc.size + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        let mut hasher = desc.digest.hasher();
        hasher.update(&bytes);
        if bytes.len() as u64 != desc.size || hasher.finish() != desc.digest {
            let _ = std::fs::remove_file(&path);
            return None;
        }
        touch(&file);
        Some(bytes)
    }

    /// Stores bytes already verified against `desc` (manifests, configs). Failures are ignored: the
    /// cache is an optimisation and a read-only or full disk must not fail a run.
    pub fn put_verified(&self, desc: &Descriptor, bytes: &[u8]) {
        if self.contains(desc) {
            return;
        }
        let _ = (|| -> io::Result<()> {
            let mut tmp = self.temp_file(&desc.digest)?;
            tmp.write_all(bytes)?;
            self.commit(tmp, &desc.digest)
        })();
    }

    /// Wraps a download so that it is written to the cache as it is read, and committed only when
    /// the stream ends verified. The returned reader verifies digest and size itself.
    ///
    /// When the temporary file cannot be created the download is streamed without caching.
    pub fn tee<'a>(
        &self,
        desc: &Descriptor,
        download: Box<dyn Read + Send + 'a>,
    ) -> Box<dyn Read + Send + 'a> {
        let verified = VerifyingReader::for_descriptor(download, desc);
        match self.temp_file(&desc.digest) {
            Ok(tmp) => Box::new(Tee {
                inner: verified,
                tmp: Some(tmp),
                cache: self.clone(),
                digest: desc.digest.clone(),
            }),
            Err(_) => Box::new(verified),
        }
    }

    fn temp_file(&self, digest: &Digest) -> io::Result<BufWriter<tempfile::NamedTempFile>> {
        let dir = self.root.join("blobs").join(digest.algorithm().as_str());
        std::fs::create_dir_all(&dir)?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".tmp-{}-", &digest.hex()[..12]))
            .tempfile_in(&dir)?;
        Ok(BufWriter::with_capacity(256 << 10, tmp))
    }

    fn commit(&self, tmp: BufWriter<tempfile::NamedTempFile>, digest: &Digest) -> io::Result<()> {
        let tmp = tmp.into_inner().map_err(|e| e.into_error())?;
        // Rename is atomic: a concurrent run either sees no file or the complete, verified one.
        tmp.persist(self.path_of(digest)).map_err(|e| e.error)?;
        Ok(())
    }

    /// The cache's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many blobs the cache holds and their total size in bytes.
    pub fn usage(&self) -> (u64, u64) {
        let (mut count, mut bytes) = (0, 0);
        self.each_blob(|_, meta| {
            count += 1;
            bytes += meta.len();
        });
        (count, bytes)
    }

    /// Removes blobs not used for longer than `unused_for` (a blob's modification time is refreshed
    /// each time it is read); returns how many were removed and their bytes.
    pub fn prune(&self, unused_for: std::time::Duration) -> (u64, u64) {
        let (mut count, mut bytes) = (0, 0);
        self.each_blob(|path, meta| {
            let old = meta
                .modified()
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > unused_for);
            if old && std::fs::remove_file(path).is_ok() {
                count += 1;
                bytes += meta.len();
            }
        });
        (count, bytes)
    }

    fn each_blob(&self, mut f: impl FnMut(&Path, &std::fs::Metadata)) {
        for alg in ["sha256", "sha512"] {
            let Ok(entries) = std::fs::read_dir(self.root.join("blobs").join(alg)) else {
                continue;
            };
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                if let Ok(meta) = entry.metadata()
                    && meta.is_file()
                {
                    f(&entry.path(), &meta);
                }
            }
        }
    }
}

/// Marks a cached blob as used now, for [`BlobCache::prune`]. Best effort.
fn touch(file: &File) {
    let _ = file.set_modified(std::time::SystemTime::now());
}

/// `$XDG_CACHE_HOME/drydock`, else `~/.cache/drydock`.
pub fn default_root() -> Option<PathBuf> {
    let nonempty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    nonempty("XDG_CACHE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| nonempty("HOME").map(|h| h.join(".cache")))
        .map(|base| base.join("drydock"))
}

/// Removes a cached blob that turned out corrupt, so the next run fetches it again.
struct EvictOnMismatch<R: Read> {
    inner: VerifyingReader<R>,
    path: PathBuf,
    /// The stream ended (verified) or failed; nothing left to check.
    done: bool,
}

fn is_integrity(e: &io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.is::<crate::blob::IntegrityError>())
}

impl<R: Read> Read for EvictOnMismatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.done |= n == 0 && !buf.is_empty();
                Ok(n)
            }
            Err(e) => {
                self.done = true;
                if is_integrity(&e) {
                    let _ = std::fs::remove_file(&self.path);
                }
                Err(e)
            }
        }
    }
}

impl<R: Read> Drop for EvictOnMismatch<R> {
    fn drop(&mut self) {
        // A reader dropped early (say, a decompressor choked on tampered bytes before the end) has not
        // been checked; finish hashing the local file so a corrupt copy does not stay in the cache.
        if !self.done
            && let Err(e) = io::copy(&mut self.inner, &mut io::sink())
            && is_integrity(&e)
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Copies what passes through into a temporary file and renames it into the cache at a verified end.
struct Tee<R> {
    inner: VerifyingReader<R>,
    tmp: Option<BufWriter<tempfile::NamedTempFile>>,
    cache: BlobCache,
    digest: Digest,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // On any error the temporary file is dropped, which deletes it.
        let n = self.inner.read(buf).inspect_err(|_| self.tmp = None)?;
        if n > 0 {
            if let Some(tmp) = self.tmp.as_mut()
                && tmp.write_all(&buf[..n]).is_err()
            {
                // A full disk stops the caching, not the run.
                self.tmp = None;
            }
        } else if !buf.is_empty()
            && let Some(tmp) = self.tmp.take()
        {
            // End of stream and the verifying reader did not object: the content is the blob.
            let _ = self.cache.commit(tmp, &self.digest);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: String::new(),
            digest: Digest::sha256_of(bytes),
            size: bytes.len() as u64,
            urls: Vec::new(),
            annotations: Default::default(),
            platform: None,
            artifact_type: None,
        }
    }

    #[test]
    fn tee_commits_only_verified_content() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::at(dir.path());
        let d = desc(b"layer bytes");
        let mut out = Vec::new();
        cache
            .tee(&d, Box::new(&b"layer bytes"[..]))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"layer bytes");
        assert!(cache.contains(&d));

        let bad = desc(b"other bytes");
        let err = cache
            .tee(&bad, Box::new(&b"other bytez"[..]))
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(matches!(Error::io("x", err), Error::DigestMismatch { .. }));
        assert!(!cache.contains(&bad));
        // No temporary files are left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path().join("blobs/sha256"))
            .unwrap()
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }

    #[test]
    fn corrupt_cached_blob_is_detected_and_evicted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::at(dir.path());
        let d = desc(b"config json");
        cache.put_verified(&d, b"config json");
        assert_eq!(cache.read_small(&d, 1 << 20).unwrap(), b"config json");
        std::fs::write(cache.path_of(&d.digest), b"config jsoN").unwrap();
        let err = cache
            .open(&d)
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(matches!(Error::io("x", err), Error::DigestMismatch { .. }));
        assert!(
            !cache.path_of(&d.digest).exists(),
            "corrupt blob must be removed"
        );

        cache.put_verified(&d, b"config json");
        std::fs::write(cache.path_of(&d.digest), b"config jsoN").unwrap();
        assert!(cache.read_small(&d, 1 << 20).is_none());
        assert!(!cache.path_of(&d.digest).exists());
    }

    #[test]
    fn stale_temporaries_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().join("blobs/sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        let old = std::fs::File::create(blobs.join(".tmp-old")).unwrap();
        old.set_modified(
            std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 24 * 3600),
        )
        .unwrap();
        std::fs::write(blobs.join(".tmp-live"), b"downloading").unwrap();
        let opts = OpenOptions {
            cache_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        assert!(BlobCache::from_options(&opts).is_some());
        assert!(!blobs.join(".tmp-old").exists());
        assert!(
            blobs.join(".tmp-live").exists(),
            "a live download is left alone"
        );
        assert!(
            BlobCache::from_options(&OpenOptions {
                no_cache: true,
                ..opts
            })
            .is_none()
        );
    }

    #[test]
    fn usage_and_prune() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::at(dir.path());
        let (a, b) = (desc(b"old blob"), desc(b"new blob!"));
        cache.put_verified(&a, b"old blob");
        cache.put_verified(&b, b"new blob!");
        assert_eq!(cache.usage(), (2, 17));
        let old = std::fs::File::options()
            .write(true)
            .open(cache.path_of(&a.digest))
            .unwrap();
        old.set_modified(
            std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 24 * 3600),
        )
        .unwrap();
        assert_eq!(
            cache.prune(std::time::Duration::from_secs(30 * 24 * 3600)),
            (1, 8)
        );
        assert!(!cache.contains(&a) && cache.contains(&b));
        // Reading a blob keeps it fresh.
        let f = std::fs::File::options()
            .write(true)
            .open(cache.path_of(&b.digest))
            .unwrap();
        f.set_modified(
            std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 24 * 3600),
        )
        .unwrap();
        assert!(cache.read_small(&b, 1 << 20).is_some());
        assert_eq!(
            cache.prune(std::time::Duration::from_secs(30 * 24 * 3600)),
            (0, 0)
        );
    }
}
