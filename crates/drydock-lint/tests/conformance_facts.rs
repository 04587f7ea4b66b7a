//! The bundled facts table against real base-image contents from the shared data: the Alpine
//! minirootfs tarballs (what the official `alpine` image is built from).

mod common;

use drydock_lint::{BaseResolver, BundledResolver, Libc};
use std::collections::BTreeSet;
use std::io::Read;

fn executables(tarball: &std::path::Path) -> (BTreeSet<String>, bool, bool) {
    let mut gz = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(tarball).expect("tarball"))
        .read_to_end(&mut gz)
        .expect("gunzip");
    let mut names = BTreeSet::new();
    let (mut has_sh, mut musl) = (false, false);
    let mut archive = tar::Archive::new(gz.as_slice());
    for entry in archive.entries().expect("tar") {
        let entry = entry.expect("entry");
        let path = entry
            .path()
            .expect("path")
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        for dir in ["bin/", "sbin/", "usr/bin/", "usr/sbin/"] {
            if let Some(name) = path.strip_prefix(dir)
                && !name.is_empty()
                && !name.contains('/')
            {
                names.insert(name.to_string());
            }
        }
        has_sh |= path == "bin/sh";
        musl |= path.starts_with("lib/ld-musl-");
    }
    (names, has_sh, musl)
}

#[test]
fn conformance_alpine_table_matches_minirootfs() {
    let dir = common::shared_dir().join("images/alpine");
    let facts = BundledResolver
        .resolve("alpine:3.20")
        .expect("alpine is in the table");
    assert_eq!(facts.shell, Some(true));
    assert_eq!(facts.libc, Some(Libc::Musl));
    let mut checked = 0;
    for e in std::fs::read_dir(&dir)
        .expect("shared/images/alpine")
        .flatten()
    {
        let p = e.path();
        if !p.to_string_lossy().ends_with(".tar.gz") {
            continue;
        }
        let (names, has_sh, musl) = executables(&p);
        assert!(has_sh && musl, "{}: expected /bin/sh and musl", p.display());
        assert!(
            names.len() > 200,
            "{}: only {} executables",
            p.display(),
            names.len()
        );
        // Every executable the image really has must be known to the table (no false "missing binary").
        let missing: Vec<_> = names
            .iter()
            .filter(|n| facts.has_binary(n) != Some(true))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: table lacks {missing:?}",
            p.display()
        );
        // And what the rules rely on being absent really is absent.
        for absent in ["curl", "bash", "git", "python3"] {
            assert!(
                !names.contains(absent),
                "{}: {absent} is present",
                p.display()
            );
            assert_eq!(facts.has_binary(absent), Some(false));
        }
        checked += 1;
    }
    assert!(
        checked >= 1,
        "no Alpine minirootfs found in {}",
        dir.display()
    );
}
