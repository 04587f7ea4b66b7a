//! Locating the shared conformance data.

use std::path::PathBuf;

/// The shared directory: `$DRYDOCK_SHARED`, else `<workspace>/../shared`; panics if missing.
pub fn shared_dir() -> PathBuf {
    let dir = match std::env::var_os("DRYDOCK_SHARED") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    assert!(
        dir.join("conformance").is_dir(),
        "conformance data not found at {} (set DRYDOCK_SHARED)",
        dir.display()
    );
    dir
}

/// Sorted subdirectories of a directory.
#[allow(dead_code)]
pub fn subdirs(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}
