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

/// The message of an error from the tar parser, without the raw header bytes some of them quote
/// (`numeric field did not have utf-8 text: <bytes> when getting cksum for <bytes>`): a hostile or
/// random file would otherwise put its garbage into the one-line error.
pub(crate) fn tar_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    if text.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return text;
    }
    let head = text.split(": ").next().unwrap_or_default();
    if head.chars().all(|c| c.is_ascii_graphic() || c == ' ') && !head.is_empty() {
        format!("{head} (bytes that are not text)")
    } else {
        "bytes that are not a tar header".to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tar_reasons_leave_raw_header_bytes_out() {
        let quoted = std::io::Error::other(
            "numeric field did not have utf-8 text: \u{6d1}\u{fffd}\u{1} when getting cksum for x",
        );
        assert_eq!(
            super::tar_reason(&quoted),
            "numeric field did not have utf-8 text (bytes that are not text)"
        );
        let plain = std::io::Error::other("archive header checksum mismatch");
        assert_eq!(
            super::tar_reason(&plain),
            "archive header checksum mismatch"
        );
    }
}
