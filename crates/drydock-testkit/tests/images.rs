//! Guards the fixture contract of `scripts/build-test-images`: every image exists in its three
//! forms, the layouts are valid OCI layouts whose blobs match their digests, and the truth files
//! agree with each other.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::Path;

use drydock_testkit::images::{self, ALPINE, DEBIAN, MULTI};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Checks an OCI layout: `oci-layout`, `index.json` with tag latest, and every blob reachable from
/// it present with the digest and size its descriptor names.
fn assert_layout(dir: &Path) {
    let layout: Value = read_json(&dir.join("oci-layout"));
    assert_eq!(layout["imageLayoutVersion"], "1.0.0", "{}", dir.display());
    let index: Value = read_json(&dir.join("index.json"));
    assert_eq!(index["schemaVersion"], 2, "{}", dir.display());
    let manifests = index["manifests"].as_array().expect("index.json manifests");
    assert_eq!(manifests.len(), 1, "{}: one tag", dir.display());
    assert_eq!(
        manifests[0]["annotations"]["org.opencontainers.image.ref.name"],
        "latest",
        "{}",
        dir.display()
    );
    check_descriptor(dir, &manifests[0]);
}

/// Verifies one descriptor's blob and, for manifests and indexes, everything below it.
fn check_descriptor(dir: &Path, desc: &Value) {
    let digest = desc["digest"].as_str().expect("descriptor digest");
    let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
    let path = dir.join("blobs/sha256").join(hex);
    let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        Some(data.len() as u64),
        desc["size"].as_u64(),
        "{}: size",
        path.display()
    );
    assert_eq!(
        hex::encode(Sha256::digest(&data)),
        hex,
        "{}: digest",
        path.display()
    );
    match desc["mediaType"].as_str().unwrap_or_default() {
        "application/vnd.oci.image.index.v1+json" => {
            let index: Value = serde_json::from_slice(&data).unwrap();
            for m in index["manifests"].as_array().expect("index manifests") {
                assert!(m["platform"]["architecture"].is_string(), "{m}");
                check_descriptor(dir, m);
            }
        }
        "application/vnd.oci.image.manifest.v1+json" => {
            let manifest: Value = serde_json::from_slice(&data).unwrap();
            check_descriptor(dir, &manifest["config"]);
            let layers = manifest["layers"].as_array().expect("manifest layers");
            assert!(!layers.is_empty(), "{}: no layers", path.display());
            for layer in layers {
                check_descriptor(dir, layer);
            }
        }
        _ => {}
    }
}

fn read_json(path: &Path) -> Value {
    let text = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The entry names of a tar archive and the content of entry `wanted`.
fn tar_entry(archive: &Path, wanted: &str) -> (Vec<String>, Option<Vec<u8>>) {
    let file = fs::File::open(archive).unwrap();
    let mut tar = tar::Archive::new(file);
    let mut names = Vec::new();
    let mut content = None;
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if name.trim_start_matches("./") == wanted {
            let mut buf = Vec::new();
            entry.read_to_end(&mut buf).unwrap();
            content = Some(buf);
        }
        names.push(name);
    }
    (names, content)
}

fn assert_archives(name: &str) {
    let (names, index) = tar_entry(&images::oci_archive(name), "index.json");
    assert!(index.is_some(), "{name}.oci.tar has no index.json");
    assert!(
        names
            .iter()
            .any(|n| n.trim_start_matches("./") == "oci-layout")
    );
    let (_, manifest) = tar_entry(&images::docker_archive(name), "manifest.json");
    let manifest: Value = serde_json::from_slice(&manifest.expect("docker manifest.json")).unwrap();
    let tags = manifest[0]["RepoTags"].to_string();
    assert!(
        tags.contains(&format!("drydock-test/{name}:latest")),
        "{name}.docker.tar tags {tags}"
    );
    let layers: usize = images::truth(name, "layers.txt").trim().parse().unwrap();
    assert_eq!(
        manifest[0]["Layers"].as_array().unwrap().len(),
        layers,
        "{name}"
    );
}

fn assert_image(name: &str) {
    assert_layout(&images::layout(name));
    assert_archives(name);
    let files = images::truth_tsv(name, "files.tsv");
    assert!(
        files.len() > 100,
        "{name}: files.tsv has {} rows",
        files.len()
    );
    for row in &files {
        assert_eq!(row.len(), 4, "{name}: files.tsv row {row:?}");
        assert!(row[0].starts_with('/'), "{name}: files.tsv path {row:?}");
        assert!(
            ["f", "d", "l", "h"].contains(&row[1].as_str()),
            "{name}: files.tsv type {row:?}"
        );
    }
    let paths: BTreeSet<&str> = files.iter().map(|r| r[0].as_str()).collect();
    assert!(paths.contains("/etc/passwd"), "{name}: no /etc/passwd");
    assert!(!images::truth(name, "passwd").is_empty(), "{name}: passwd");
    assert!(
        images::truth(name, "group")
            .lines()
            .any(|l| l.starts_with("root:")),
        "{name}: group"
    );
    assert!(
        images::truth(name, "os-release").contains("ID="),
        "{name}: os-release"
    );
    let config = images::truth_json(name, "config.json");
    assert!(config["user"].is_string(), "{name}: config.json {config}");
    assert!(config["env"].is_array(), "{name}: config.json {config}");
    let layers: usize = images::truth(name, "layers.txt").trim().parse().unwrap();
    assert!((1..=3).contains(&layers), "{name}: layers.txt {layers}");
}

fn dpkg_names(name: &str) -> BTreeSet<String> {
    let rows = images::truth_tsv(name, "dpkg.tsv");
    for row in &rows {
        assert_eq!(row.len(), 3, "{name}: dpkg.tsv row {row:?}");
        assert!(
            !row[1].is_empty() && !row[2].is_empty(),
            "{name}: dpkg.tsv {row:?}"
        );
    }
    rows.into_iter().map(|r| r[0].clone()).collect()
}

#[test]
fn every_debian_image_is_built_with_its_truth() {
    for name in DEBIAN {
        assert_image(name);
    }
}

#[test]
fn minbase_has_the_bookworm_minbase_package_set() {
    let pkgs = dpkg_names("minbase");
    assert!(
        (80..=100).contains(&pkgs.len()),
        "minbase: {} packages",
        pkgs.len()
    );
    for p in ["base-files", "bash", "dpkg", "libc6", "apt"] {
        assert!(pkgs.contains(p), "minbase lacks {p}");
    }
    assert!(!pkgs.contains("usrmerge"), "merged-usr hook not used");
    // Directories dpkg says apt owns stay (mmdebstrap empties lists and cache, keeping these).
    let files = images::truth("minbase", "files.tsv");
    for dir in [
        "/var/lib/apt/lists/partial",
        "/var/cache/apt/archives/partial",
    ] {
        assert!(
            files.contains(&format!("{dir}\td\t")),
            "minbase lacks {dir}"
        );
    }
    assert!(images::truth("minbase", "os-release").contains("VERSION_CODENAME=bookworm"));
    assert_eq!(images::truth("minbase", "layers.txt").trim(), "1");
}

#[test]
fn python_and_app_stack_layers_on_minbase() {
    let base = dpkg_names("minbase");
    let python = dpkg_names("python");
    assert!(python.is_superset(&base), "python lost minbase packages");
    for p in ["python3", "python3-pip", "python3-venv", "python3.11"] {
        assert!(python.contains(p), "python lacks {p}");
    }
    assert_eq!(
        dpkg_names("app"),
        python,
        "the app layer installs no dpkg package"
    );
    assert_eq!(images::truth("python", "layers.txt").trim(), "2");
    assert_eq!(images::truth("app", "layers.txt").trim(), "3");
}

#[test]
fn app_has_whiteouts_an_opaque_dir_a_venv_and_a_user() {
    let whiteouts = images::truth_lines("app", "whiteouts.txt");
    assert!(!whiteouts.is_empty(), "app has no whiteouts");
    let app: BTreeSet<String> = images::truth_tsv("app", "files.tsv")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let python: BTreeSet<String> = images::truth_tsv("python", "files.tsv")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    for path in &whiteouts {
        assert!(python.contains(path), "{path} was not in the python image");
        assert!(!app.contains(path), "{path} still in the app image");
        let below = format!("{path}/");
        assert!(
            !app.iter().any(|p| p.starts_with(&below)),
            "files under deleted {path} remain"
        );
    }
    for dir in images::truth_lines("app", "opaque.txt") {
        let below = format!("{dir}/");
        let lower: Vec<_> = python.iter().filter(|p| p.starts_with(&below)).collect();
        assert!(!lower.is_empty(), "opaque {dir} hid nothing");
        assert!(
            lower.iter().all(|p| !app.contains(*p)),
            "lower files under opaque {dir} remain"
        );
    }
    assert!(app.contains("/app/main.py"));
    assert!(app.contains("/opt/venv/bin/python3"));

    let venv: BTreeSet<(String, String)> = images::truth_tsv("app", "venv.tsv")
        .into_iter()
        .map(|r| (r[0].to_lowercase(), r[1].clone()))
        .collect();
    assert!(venv.contains(&("six".into(), "1.16.0".into())), "{venv:?}");
    assert!(venv.contains(&("idna".into(), "3.7".into())), "{venv:?}");

    assert!(
        images::truth("app", "passwd").contains("app:x:1000:1000:"),
        "no user app"
    );
    let config = images::truth("app", "config.json");
    for needle in [
        "\"user\": \"app\"",
        "\"workdir\": \"/app\"",
        "8080/tcp",
        "org.opencontainers.image.base.name",
    ] {
        assert!(config.contains(needle), "app config.json lacks {needle}");
    }
}

#[test]
fn distroless_has_six_packages_in_status_d_and_no_shell() {
    for name in ["distroless", "distroless-arm64"] {
        let pkgs = dpkg_names(name);
        let want: BTreeSet<String> = [
            "base-files",
            "ca-certificates",
            "libc6",
            "libssl3",
            "netbase",
            "tzdata",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(pkgs, want, "{name}");
        let files = images::truth_tsv(name, "files.tsv");
        let paths: BTreeSet<&str> = files.iter().map(|r| r[0].as_str()).collect();
        for shell in ["/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/bash"] {
            assert!(!paths.contains(shell), "{name} has {shell}");
        }
        assert!(paths.contains("/var/lib/dpkg/status.d/libc6"), "{name}");
        assert!(!paths.contains("/var/lib/dpkg/status"), "{name}");
        assert!(
            images::truth(name, "passwd").contains("nonroot:x:65532:65532:"),
            "{name}"
        );
        assert!(images::truth(name, "config.json").contains("\"user\": \"65532\""));
    }
    assert!(images::truth("distroless-arm64", "config.json").contains("\"arm64\""));
    let arm_libs = images::truth("distroless-arm64", "files.tsv");
    assert!(
        arm_libs.contains("/lib/aarch64-linux-gnu/"),
        "arm64 libc path"
    );
}

#[test]
fn multi_is_an_index_of_both_platforms() {
    let dir = images::layout(MULTI);
    assert_layout(&dir);
    let index: Value = read_json(&dir.join("index.json"));
    let top = &index["manifests"][0];
    assert_eq!(top["mediaType"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(
        top["digest"].as_str().unwrap(),
        images::truth(MULTI, "index-digest").trim()
    );
    let hex = top["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    let inner: Value = read_json(&dir.join("blobs/sha256").join(hex));
    let entries = inner["manifests"].as_array().unwrap();
    let platforms = images::truth_tsv(MULTI, "platforms.tsv");
    assert_eq!(platforms.len(), 2);
    assert_eq!(entries.len(), 2);
    for (row, entry) in platforms.iter().zip(entries) {
        assert_eq!(entry["platform"]["os"], row[0].as_str());
        assert_eq!(entry["platform"]["architecture"], row[1].as_str());
        assert_eq!(entry["digest"], row[3].as_str());
        // The same manifest as the single-platform layout of that image.
        let single: Value = read_json(&images::layout(&row[4]).join("index.json"));
        assert_eq!(single["manifests"][0]["digest"], entry["digest"]);
    }
}

#[test]
fn conformance_alpine_images_are_built_with_apk_truth() {
    if !images::has_shared() {
        panic!("conformance_ test run without the shared directory");
    }
    for name in ALPINE {
        assert_image(name);
        let rows = images::truth_tsv(name, "apk.tsv");
        assert!(
            (10..=20).contains(&rows.len()),
            "{name}: {} apk packages",
            rows.len()
        );
        let names: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        for p in ["musl", "busybox", "alpine-baselayout"] {
            assert!(names.contains(p), "{name} lacks {p}");
        }
        assert!(images::truth(name, "os-release").contains("ID=alpine"));
    }
}

/// The layer entries (path, tar type, link target) of every layer of a layout, bottom first.
fn layer_entries(name: &str) -> Vec<Vec<(String, tar::EntryType, String)>> {
    let dir = images::layout(name);
    let blob = |d: &str| {
        dir.join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let index = read_json(&dir.join("index.json"));
    let manifest = read_json(&blob(index["manifests"][0]["digest"].as_str().unwrap()));
    manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let file = fs::File::open(blob(l["digest"].as_str().unwrap())).unwrap();
            let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
            tar.entries()
                .unwrap()
                .map(|e| {
                    let e = e.unwrap();
                    let path = e.path().unwrap().to_string_lossy().into_owned();
                    let link = e
                        .link_name()
                        .unwrap()
                        .map(|l| l.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    (
                        path.trim_start_matches("./").to_string(),
                        e.header().entry_type(),
                        link,
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
fn hardlinks_has_links_in_a_layer_across_layers_and_outliving_their_original() {
    let layers = layer_entries("hardlinks");
    assert_eq!(layers.len(), 3);
    let link = |n: usize, path: &str, target: &str| {
        assert!(
            layers[n]
                .iter()
                .any(|(p, t, l)| p == path && *t == tar::EntryType::Link && l == target),
            "layer {n} has no hard link {path} -> {target}"
        );
    };
    let position = |n: usize, path: &str| layers[n].iter().position(|(p, _, _)| p == path);
    // Same layer, the original first, as tar writes it.
    link(0, "etc/passwd", "usr/share/drydock-test/passwd.orig");
    link(0, "etc/group", "opt/orig/group");
    assert!(
        position(0, "usr/share/drydock-test/passwd.orig") < position(0, "etc/passwd")
            && position(0, "opt/orig/group") < position(0, "etc/group")
    );
    // Across layers.
    link(1, "etc/os-release", "usr/lib/os-release");
    link(
        1,
        "etc/ssl/certs/ca-bundle.crt",
        "etc/ssl/certs/ca-certificates.crt",
    );
    assert!(position(1, "opt/.wh.orig").is_some());
    assert!(position(2, "usr/lib/os-release").is_some());

    // The unpacked root file system: links share an inode, the outlived one is a plain file, and the
    // linked os-release kept the bytes it was linked with.
    let files: std::collections::BTreeMap<String, Vec<String>> =
        images::truth_tsv("hardlinks", "files.tsv")
            .into_iter()
            .map(|r| (r[0].clone(), r))
            .collect();
    let pair = |a: &str, b: &str| {
        let (x, y) = (&files[a], &files[b]);
        let h = if x[1] == "h" { (x, b) } else { (y, a) };
        assert_eq!(
            (h.0[1].as_str(), h.0[3].as_str()),
            ("h", h.1),
            "{a} and {b}"
        );
        assert_eq!(x[2], y[2]);
    };
    pair("/etc/passwd", "/usr/share/drydock-test/passwd.orig");
    pair(
        "/etc/ssl/certs/ca-bundle.crt",
        "/etc/ssl/certs/ca-certificates.crt",
    );
    assert_eq!(files["/etc/group"][1], "f");
    assert!(!files.contains_key("/opt/orig/group"));
    assert_eq!(files["/etc/os-release"][1], "f");
    assert_ne!(files["/etc/os-release"][2], files["/usr/lib/os-release"][2]);
    assert!(images::truth("hardlinks", "os-release").contains("ID=debian"));
}

#[test]
fn app_docker25_archive_is_an_oci_layout_beside_manifest_json() {
    let archive = images::docker25_archive("app");
    let (names, index) = tar_entry(&archive, "index.json");
    for member in ["oci-layout", "manifest.json", "repositories"] {
        assert!(
            names.iter().any(|n| n == member),
            "{member} missing: {names:?}"
        );
    }
    let index: Value = serde_json::from_slice(&index.unwrap()).unwrap();
    let digest = images::truth("app", "docker25-manifest-digest");
    assert_eq!(index["manifests"][0]["digest"], digest.trim());
    assert_eq!(
        index["manifests"][0]["annotations"]["io.containerd.image.name"],
        "docker.io/drydock-test/app:latest"
    );
    let (_, manifest) = tar_entry(
        &archive,
        &format!(
            "blobs/sha256/{}",
            digest.trim().trim_start_matches("sha256:")
        ),
    );
    let manifest = manifest.expect("the manifest blob");
    assert_eq!(
        format!("sha256:{}", hex::encode(Sha256::digest(&manifest))),
        digest.trim()
    );
    let manifest: Value = serde_json::from_slice(&manifest).unwrap();
    let (_, legacy) = tar_entry(&archive, "manifest.json");
    let legacy: Value = serde_json::from_slice(&legacy.unwrap()).unwrap();
    // Both name the same config and the same (uncompressed) layers.
    let config = manifest["config"]["digest"].as_str().unwrap();
    assert_eq!(
        legacy[0]["Config"],
        format!("blobs/sha256/{}", config.trim_start_matches("sha256:"))
    );
    let layers: Vec<String> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["mediaType"], "application/vnd.oci.image.layer.v1.tar");
            format!(
                "blobs/sha256/{}",
                l["digest"].as_str().unwrap().trim_start_matches("sha256:")
            )
        })
        .collect();
    assert_eq!(legacy[0]["Layers"], serde_json::json!(layers));
}
