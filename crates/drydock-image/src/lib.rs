//! Container images read straight from their source: references, layouts, archives and registries,
//! verified blobs, and the merged file view of their layers. Nothing is extracted to the host.

pub mod blob;
pub mod cache;
pub mod digest;
pub mod error;
pub mod image;
pub mod oci;
pub mod osrelease;
pub mod reference;
pub mod rootfs;
pub mod source;
pub mod tree;

pub use blob::BlobStore;
pub use digest::Digest;
pub use error::{Error, Result};
pub use image::{Image, OpenOptions, SourceKind, list_platforms, open};
pub use oci::{Descriptor, ImageConfig, Platform};
pub use reference::Reference;
pub use tree::{FileTree, FileVisitor, Kind, Node};
