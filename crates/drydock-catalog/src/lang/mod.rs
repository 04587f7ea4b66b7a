//! Language-ecosystem catalogers: Python, Node, Go binaries, Rust binaries, Java archives.

use crate::Cataloger;

/// Every language cataloger, in a fixed order.
pub fn catalogers() -> Vec<Box<dyn Cataloger>> {
    Vec::new()
}
