//! `drydock platforms IMAGE`: what an index offers.

use std::io::Write;

use anyhow::Result;

use crate::cli::PlatformsArgs;

pub fn run(a: &PlatformsArgs) -> Result<u8> {
    let opts = super::open_options(&a.image_args)?;
    let platforms = drydock_image::list_platforms(&a.image, &opts)?;
    let mut out = std::io::stdout().lock();
    for (platform, digest) in platforms {
        writeln!(out, "{platform}\t{digest}")?;
    }
    Ok(0)
}
