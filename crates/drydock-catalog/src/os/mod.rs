//! Operating-system package catalogers: dpkg, apk, rpm, opkg.

use std::io::Read;

use crate::{Cataloger, Context, Package};

pub mod apk;
pub mod chisel;
pub mod control;
mod deps;
pub mod dpkg;
pub mod rpm;

/// Every OS cataloger, in a fixed order.
pub fn catalogers() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(dpkg::Dpkg::new()),
        Box::new(apk::Apk::new()),
        Box::new(rpm::Rpm::new()),
        Box::new(dpkg::Dpkg::opkg()),
    ]
}

/// How many times its input's size a decoded package database (or one rpm header's file list) may
/// take. Real ones take about once; a hostile input that expands further is stopped.
pub const EXPANSION: usize = 16;
/// Small inputs may always decode this much (one entry may legitimately expand past
/// [`EXPANSION`] times a tiny input).
const EXPANSION_FLOOR: usize = 1 << 20;

/// How many bytes decoding `input_len` bytes may produce: [`EXPANSION`] times as many, and at least
/// [`EXPANSION_FLOOR`].
pub(crate) fn decode_limit(input_len: usize) -> usize {
    input_len.saturating_mul(EXPANSION).max(EXPANSION_FLOOR)
}

/// Reads a whole file, refusing (without allocating it) one larger than `limit` bytes.
pub(crate) fn read_limited(content: &mut dyn Read, limit: u64) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    content
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    if buf.len() as u64 > limit {
        return Err(format!("larger than the {} MiB limit", limit >> 20));
    }
    Ok(buf)
}

/// Records the layer that introduced a package, with its digest and base-image membership.
pub(crate) fn set_layer(p: &mut Package, layer: usize, ctx: &Context) {
    p.layer = Some(layer);
    p.layer_digest = ctx.layers.get(layer).map(|d| d.to_string());
    p.in_base_image = ctx.base_layers.map(|b| layer < b);
}

/// The `distro` qualifier for OS purls: `<id>-<version_id>`, or just the id.
pub(crate) fn distro(os: &drydock_image::osrelease::OsRelease) -> Option<String> {
    let id = os.id.as_deref()?;
    Some(match os.version_id.as_deref() {
        Some(v) => format!("{id}-{v}"),
        None => id.to_string(),
    })
}
