//! The one error type of image reading; each variant renders as one line naming the thing.

use crate::digest::Digest;

/// Anything that can go wrong while finding, fetching or reading an image.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("blob {blob}: content has digest {actual} (corrupt or tampered)")]
    DigestMismatch { blob: Digest, actual: Digest },
    #[error("blob {blob}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        blob: Digest,
        expected: u64,
        actual: u64,
    },
    #[error("{0}")]
    Reference(#[from] crate::reference::ReferenceError),
    #[error("{0}")]
    Digest(#[from] crate::digest::DigestError),
    #[error("unsupported media type {0}")]
    UnsupportedMediaType(String),
    #[error("{what}: {reason}")]
    Malformed { what: String, reason: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("no image for platform {wanted} in {what} (it has: {available})")]
    NoMatchingPlatform {
        what: String,
        wanted: String,
        available: String,
    },
    #[error("{what}: image is {image}, not the requested {wanted}")]
    PlatformMismatch {
        what: String,
        image: String,
        wanted: String,
    },
    #[error("authentication refused by {registry}: {reason}")]
    Unauthorized { registry: String, reason: String },
    #[error("registry {registry} unreachable: {reason}")]
    Unreachable { registry: String, reason: String },
    #[error("registry {registry}: {reason}")]
    Registry { registry: String, reason: String },
    #[error("layer {layer}: {reason}")]
    CorruptLayer { layer: Digest, reason: String },
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// An I/O error with what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Error {
        // Integrity failures travel through `Read` as io errors; give them back their own variant.
        if source
            .get_ref()
            .is_some_and(|e| e.is::<crate::blob::IntegrityError>())
        {
            let inner = source
                .into_inner()
                .expect("checked above")
                .downcast::<crate::blob::IntegrityError>()
                .expect("checked above");
            return (*inner).into();
        }
        Error::Io {
            what: what.into(),
            source,
        }
    }

    /// A malformed document or file.
    pub fn malformed(what: impl Into<String>, reason: impl std::fmt::Display) -> Error {
        Error::Malformed {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
