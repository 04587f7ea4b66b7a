//! Registries through the OCI Distribution API. (Being written: see the crate README.)

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::{Image, OpenOptions};
use crate::oci::Platform;
use crate::reference::Reference;

pub(crate) fn open(reference: &Reference, _spec: &str, _opts: &OpenOptions) -> Result<Image> {
    Err(Error::Usage(format!("registry sources are not implemented yet ({reference})")))
}

pub(crate) fn list_platforms(reference: &Reference, _opts: &OpenOptions) -> Result<Vec<(Platform, Digest)>> {
    Err(Error::Usage(format!("registry sources are not implemented yet ({reference})")))
}
