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
pub struct VerifyingReader<R> {
    inner: R,
    expected: Digest,
    expected_size: Option<u64>,
    hasher: Option<Hasher>,
    read: u64,
}

impl<R: Read> VerifyingReader<R> {
    /// Verifies against a digest and, when known, a size.
    pub fn new(inner: R, expected: Digest, expected_size: Option<u64>) -> Self {
        let hasher = Some(expected.hasher());
        VerifyingReader {
            inner,
            expected,
            expected_size,
            hasher,
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
                let actual = h.finish();
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
    fn sniffing() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"usr/"), Compression::None);
    }
}
