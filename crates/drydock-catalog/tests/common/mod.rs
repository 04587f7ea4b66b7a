//! Helpers shared by the catalog's integration tests (each test file uses a subset).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use drydock_catalog::{Catalog, Cataloger, Options, catalog_with};
use drydock_image::{FileTree, Kind, Node};

/// The package-database fixtures of the shared conformance folder (panics loudly when absent).
pub fn pkgdb() -> PathBuf {
    let dir = drydock_testkit::images::shared_dir().join("conformance/pkgdb");
    assert!(dir.is_dir(), "conformance data missing: {}", dir.display());
    dir
}

/// A fixture's bytes, by path relative to `pkgdb()`.
pub fn read(rel: &str) -> Vec<u8> {
    let p = pkgdb().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A fixture parsed as JSON.
pub fn json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Runs `catalogers` over `(image path, content)` pairs offered as regular files with `mode`, all
/// written by layer `layer`.
pub fn catalog_files(
    catalogers: Vec<Box<dyn Cataloger>>,
    files: &[(&str, Vec<u8>)],
    mode: u32,
    layer: usize,
) -> Catalog {
    let node = |size: usize| Node {
        kind: Kind::File,
        mode,
        uid: 0,
        gid: 0,
        size: size as u64,
        mtime: 0,
        layer,
        link: None,
    };
    let (c, _) = catalog_with(
        catalogers,
        &Options::default(),
        Vec::new(),
        &mut [],
        |visitors| {
            for (path, content) in files {
                for v in visitors.iter_mut() {
                    if v.wants(path, &node(content.len())) {
                        v.visit(path, &node(content.len()), &mut content.as_slice())
                            .unwrap();
                    }
                }
            }
            Ok(FileTree::from_nodes(
                files.iter().map(|(p, c)| (p.to_string(), node(c.len()))),
            ))
        },
    )
    .unwrap();
    c
}

/// A fresh scratch directory for building real binaries and archives.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("drydock-lang-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a text file, creating its directory.
pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}
