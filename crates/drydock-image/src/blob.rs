//! Verified blob reading and layer decompression.

use std::io::{self, BufRead, BufReader, Read};

use crate::digest::{Digest, Hasher};
use crate::error::{Error, Result};
use crate::oci::Descriptor;

/// Where blobs come from. Every implementation returns readers that verify digest and size.
pub trait BlobStore: Send + Sync {
    /// Opens a blob for streaming; the reader fails at its end if the content does not match `desc`.
    fn open(&self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>>;

    /// Opens, as [`BlobStore::open`] does, a blob this walk has already read once (a layer read a
    /// second time for hard links, see `tree/merge.rs`), drawing no download progress: the first
    /// read drew it.
    fn reopen(&self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>> {
        self.open(desc)
    }

    /// Reads a small blob (manifest, config) whole, verified, refusing ones above `limit` bytes.
    fn read_small(&self, desc: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        if desc.size > limit {
            return Err(Error::malformed(
                format!("blob {}", desc.digest),
                format!(
                    "{} bytes is more than the {limit} allowed for this kind of blob",
                    desc.size
                ),
            ));
        }
        let mut out = Vec::with_capacity(desc.size as usize);
        self.open(desc)?
            .read_to_end(&mut out)
            .map_err(|e| Error::io(format!("reading blob {}", desc.digest), e))?;
        Ok(out)
    }
}

/// Largest manifest or config drydock reads (Distribution's own limit is 4 MiB).
pub const SMALL_BLOB_LIMIT: u64 = 16 << 20;

/// A digest or size mismatch found while streaming.
#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    #[error("digest mismatch")]
    Digest { blob: Digest, actual: Digest },
    #[error("size mismatch")]
    Size {
        blob: Digest,
        expected: u64,
        actual: u64,
    },
}

impl From<IntegrityError> for Error {
    fn from(e: IntegrityError) -> Error {
        match e {
            IntegrityError::Digest { blob, actual } => Error::DigestMismatch { blob, actual },
            IntegrityError::Size {
                blob,
                expected,
                actual,
            } => Error::SizeMismatch {
                blob,
                expected,
                actual,
            },
        }
    }
}

/// Wraps a reader, hashing and counting; at end of stream it fails unless both match.
///
/// A blob of at least [`BACKGROUND_HASH_MIN`] bytes (a layer) is hashed on a thread of its own, fed
/// copies of what is read: SHA-256 costs more than reading, inflating or parsing a layer whose
/// contents compress poorly, and it then runs beside them instead of before them.
pub struct VerifyingReader<R> {
    inner: R,
    expected: Digest,
    expected_size: Option<u64>,
    hasher: Option<HashState>,
    read: u64,
}

/// Blobs at least this large are hashed on a background thread.
pub const BACKGROUND_HASH_MIN: u64 = 4 << 20;
/// Bytes per message to a background hasher.
const HASH_CHUNK: usize = 256 << 10;
/// Messages in flight to a background hasher (bounds its memory to `HASH_CHUNK * HASH_CHUNKS`).
const HASH_CHUNKS: usize = 8;

/// Where the hashing happens.
enum HashState {
    Inline(Hasher),
    Background(BackgroundHasher),
}

impl HashState {
    fn update(&mut self, bytes: &[u8]) {
        match self {
            HashState::Inline(h) => h.update(bytes),
            HashState::Background(b) => b.update(bytes),
        }
    }

    /// The digest of everything passed to `update`.
    fn finish(self) -> io::Result<Digest> {
        match self {
            HashState::Inline(h) => Ok(h.finish()),
            HashState::Background(b) => b.finish(),
        }
    }
}

/// A hashing thread fed chunks over a bounded channel; emptied chunks come back for reuse.
struct BackgroundHasher {
    pending: Vec<u8>,
    chunks: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    spares: std::sync::mpsc::Receiver<Vec<u8>>,
    thread: Option<std::thread::JoinHandle<Digest>>,
}

impl BackgroundHasher {
    /// Starts the thread; `None` when one cannot be started (the caller then hashes inline).
    fn start(hasher: Hasher) -> Option<BackgroundHasher> {
        let (chunks, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(HASH_CHUNKS);
        let (spare_tx, spares) = std::sync::mpsc::channel::<Vec<u8>>();
        let thread = std::thread::Builder::new()
            .name("drydock-hash".into())
            .spawn(move || {
                let mut hasher = hasher;
                for mut chunk in rx {
                    hasher.update(&chunk);
                    chunk.clear();
                    // The reader may be gone (it stopped early); the chunk is then dropped.
                    let _ = spare_tx.send(chunk);
                }
                hasher.finish()
            })
            .ok()?;
        Some(BackgroundHasher {
            pending: Vec::with_capacity(HASH_CHUNK),
            chunks: Some(chunks),
            spares,
            thread: Some(thread),
        })
    }

    fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let room = HASH_CHUNK - self.pending.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.pending.extend_from_slice(now);
            bytes = later;
            if self.pending.len() == HASH_CHUNK {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let next = self
            .spares
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(HASH_CHUNK));
        let full = std::mem::replace(&mut self.pending, next);
        if let Some(chunks) = &self.chunks {
            // A send fails only if the thread is gone, which `finish` reports.
            let _ = chunks.send(full);
        }
    }

    fn finish(mut self) -> io::Result<Digest> {
        self.flush();
        drop(self.chunks.take());
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .ok_or_else(|| io::Error::other("the hashing thread failed"))
    }
}

impl<R: Read> VerifyingReader<R> {
    /// Verifies against a digest and, when known, a size.
    pub fn new(inner: R, expected: Digest, expected_size: Option<u64>) -> Self {
        let inline = expected.hasher();
        let hasher = if expected_size.is_some_and(|s| s >= BACKGROUND_HASH_MIN) {
            match BackgroundHasher::start(expected.hasher()) {
                Some(b) => HashState::Background(b),
                None => HashState::Inline(inline),
            }
        } else {
            HashState::Inline(inline)
        };
        VerifyingReader {
            inner,
            expected,
            expected_size,
            hasher: Some(hasher),
            read: 0,
        }
    }

    /// Verifies against a descriptor.
    pub fn for_descriptor(inner: R, desc: &Descriptor) -> Self {
        Self::new(inner, desc.digest.clone(), Some(desc.size))
    }

    fn too_long(&self) -> bool {
        self.expected_size.is_some_and(|s| self.read > s)
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        self.read += n as u64;
        if self.too_long() {
            return Err(io::Error::other(IntegrityError::Size {
                blob: self.expected.clone(),
                expected: self.expected_size.unwrap_or_default(),
                actual: self.read,
            }));
        }
        if n == 0
            && !buf.is_empty()
            && let Some(h) = self.hasher.take()
        {
            {
                if let Some(size) = self.expected_size
                    && size != self.read
                {
                    return Err(io::Error::other(IntegrityError::Size {
                        blob: self.expected.clone(),
                        expected: size,
                        actual: self.read,
                    }));
                }
                let actual = h.finish()?;
                if actual != self.expected {
                    return Err(io::Error::other(IntegrityError::Digest {
                        blob: self.expected.clone(),
                        actual,
                    }));
                }
            }
        }
        Ok(n)
    }
}

/// Layer compression, told by magic bytes (media types are sometimes wrong, and docker-archive has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// Looks at the first bytes of a stream.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Turns a (verified) blob stream into the layer's tar stream, whatever its compression.
pub fn decompress<'a>(
    blob: Box<dyn Read + Send + 'a>,
) -> io::Result<(Compression, Box<dyn Read + Send + 'a>)> {
    let mut buffered = BufReader::with_capacity(256 << 10, blob);
    let head = buffered.fill_buf()?;
    let kind = Compression::sniff(head);
    let reader: Box<dyn Read + Send + 'a> = match kind {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
    };
    Ok((kind, reader))
}

/// Reads to the end so a verifying reader underneath checks the whole blob.
pub fn drain(mut r: impl Read) -> io::Result<u64> {
    io::copy(&mut r, &mut io::sink())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifying_reader_catches_tampering() {
        let good = Digest::sha256_of(b"payload");
        let mut ok = VerifyingReader::new(&b"payload"[..], good.clone(), Some(7));
        assert!(drain(&mut ok).is_ok());
        let mut bad = VerifyingReader::new(&b"payloaX"[..], good.clone(), Some(7));
        let e = Error::io("x", drain(&mut bad).unwrap_err());
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e}");
        let mut short = VerifyingReader::new(&b"payloa"[..], good.clone(), Some(7));
        let e = Error::io("x", drain(&mut short).unwrap_err());
        assert!(matches!(e, Error::SizeMismatch { .. }), "{e}");
        let mut long = VerifyingReader::new(&b"payload and more"[..], good, Some(7));
        assert!(drain(&mut long).is_err());
    }

    #[test]
    fn large_blobs_are_hashed_in_the_background_with_the_same_verdicts() {
        let size = BACKGROUND_HASH_MIN as usize + 12345;
        let data: Vec<u8> = (0..size).map(|i| (i * 7 + i / 251) as u8).collect();
        let good = Digest::sha256_of(&data);
        // Odd read sizes, so chunks are split and joined on the way to the hashing thread.
        let read_all = |r: &mut dyn Read| -> io::Result<u64> {
            let mut buf = vec![0u8; 70_001];
            let mut total = 0;
            loop {
                match r.read(&mut buf)? {
                    0 => return Ok(total),
                    n => total += n as u64,
                }
            }
        };
        let mut ok = VerifyingReader::new(&data[..], good.clone(), Some(size as u64));
        assert!(matches!(ok.hasher, Some(HashState::Background(_))));
        assert_eq!(read_all(&mut ok).unwrap(), size as u64);

        let mut tampered = data.clone();
        tampered[size - 3] ^= 1;
        let mut bad = VerifyingReader::new(&tampered[..], good.clone(), Some(size as u64));
        let e = Error::io("x", read_all(&mut bad).unwrap_err());
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e}");

        let mut short = VerifyingReader::new(&data[..size - 1], good.clone(), Some(size as u64));
        let e = Error::io("x", read_all(&mut short).unwrap_err());
        assert!(matches!(e, Error::SizeMismatch { .. }), "{e}");

        // A reader dropped half way stops its thread rather than hanging or failing.
        let mut early = VerifyingReader::new(&data[..], good, Some(size as u64));
        let mut half = vec![0u8; size / 2];
        early.read_exact(&mut half).unwrap();
        drop(early);
    }

    #[test]
    fn sniffing() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"usr/"), Compression::None);
    }
}
