//! End-to-end `drydock sbom`: the binary on the real test images and on images derived from them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use drydock_testkit::images;
use serde_json::Value;

fn drydock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .env(
            "DRYDOCK_CACHE_DIR",
            std::env::temp_dir().join("drydock-cli-sbom-test-cache"),
        )
        .env("SOURCE_DATE_EPOCH", "1735689600")
        .output()
        .expect("drydock runs")
}

/// Runs drydock, expecting success; stdout parsed as JSON, and stderr.
fn json(args: &[&str]) -> (Value, String) {
    let out = drydock(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {stderr}");
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stderr}"));
    (v, stderr)
}

fn oci(name: &str) -> String {
    format!("oci:{}", images::layout(name).display())
}

fn run(cmd: &mut Command) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (scripts/test installs umoci)"));
    assert!(status.success(), "{cmd:?}");
}

/// A copy of a test image's OCI layout in `dir`, so it can be changed.
fn copy_layout(name: &str, dir: &Path) -> PathBuf {
    let dst = dir.join(name);
    run(Command::new("cp")
        .arg("-r")
        .arg(images::layout(name))
        .arg(&dst));
    dst
}

/// Adds one layer to the layout's `latest` image: `change` edits the unpacked root file system.
fn add_layer(layout: &Path, change: impl FnOnce(&Path)) {
    let bundle = layout.with_extension("bundle");
    let image = format!("{}:latest", layout.display());
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image", &image])
        .arg(&bundle));
    change(&bundle.join("rootfs"));
    run(Command::new("umoci")
        .args(["repack", "--image", &image])
        .arg(&bundle));
}

fn append(path: &Path, text: &str) {
    let mut s = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    s.push_str(text);
    std::fs::write(path, s).unwrap();
}

/// A later layer that touches files of base packages without reinstalling them (appends to
/// /etc/motd, regenerates the CA bundle, adds a user) and installs one package with apk: the base
/// packages stay in layer 0 and in the base image, the new one is in layer 1 and not.
#[test]
fn images_sbom_later_layer_edits_leave_packages_in_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let layout = copy_layout("alpine-3.20", dir.path());
    add_layer(&layout, |root| {
        append(&root.join("etc/motd"), "Welcome to the app image.\n");
        append(
            &root.join("etc/passwd"),
            "app:x:1000:1000::/home/app:/sbin/nologin\n",
        );
        // What update-ca-certificates leaves: the bundle rewritten, cert.pem a file of its own.
        let bundle = root.join("etc/ssl/certs/ca-certificates.crt");
        append(&bundle, "# regenerated\n");
        std::fs::remove_file(root.join("etc/ssl/cert.pem")).unwrap();
        std::fs::copy(&bundle, root.join("etc/ssl/cert.pem")).unwrap();
        // What `apk add` leaves: its files and one more record in the database.
        std::fs::write(root.join("usr/bin/drydock-extra"), "#!/bin/sh\n").unwrap();
        append(
            &root.join("lib/apk/db/installed"),
            "\nP:drydock-extra\nV:1.0-r0\nA:x86_64\nT:added by a later layer\no:drydock-extra\nF:usr/bin\nR:drydock-extra\n",
        );
    });
    let (bom, _) = json(&[
        "sbom",
        "--format",
        "json",
        "--base",
        &oci("alpine-3.20"),
        &format!("oci:{}", layout.display()),
    ]);
    let packages = bom["packages"].as_array().unwrap();
    let base: Vec<String> = images::truth_tsv("alpine-3.20", "apk.tsv")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(base.contains(&"alpine-baselayout".to_string()));
    assert!(base.contains(&"ca-certificates-bundle".to_string()));
    assert_eq!(packages.len(), base.len() + 1);
    for p in packages {
        let name = p["name"].as_str().unwrap();
        let from_base = base.iter().any(|b| b == name);
        assert_eq!(p["layer"], if from_base { 0 } else { 1 }, "{p}");
        assert_eq!(p["in_base_image"], from_base, "{p}");
    }
    assert!(packages.iter().any(|p| p["name"] == "drydock-extra"));
}
