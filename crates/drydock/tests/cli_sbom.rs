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

/// The creation time drydock takes from `SOURCE_DATE_EPOCH` (see `drydock()`).
const CREATED: &str = "2025-01-01T00:00:00Z";

/// The manifest digest an OCI layout's index names for its image.
fn manifest_digest(layout: &Path) -> String {
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

fn os_release_field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(|v| v.trim_matches('"').to_string())
}

/// CycloneDX and SPDX from the binary are byte for byte what the library's writers produce for the
/// same image, which `conformance_real_image_sboms_are_schema_valid` (drydock-catalog) validates
/// against the published CycloneDX 1.6 and SPDX 2.3 schemas in the shared conformance folder; the
/// drydock JSON likewise (`drydock_json_matches_its_schema`). The CLI adds nothing of its own.
#[test]
fn images_sbom_formats_are_the_validated_writers_output() {
    use drydock_catalog::sbom::{self, Format, WriteOptions};
    let image = drydock_image::open(&oci("app"), &drydock_image::OpenOptions::default()).unwrap();
    let catalog = drydock_catalog::catalog_image(&image, &mut []).unwrap();
    assert!(!catalog.packages.is_empty());
    let opts = WriteOptions {
        created: CREATED.into(),
        ..WriteOptions::default()
    };
    for (flag, format) in [
        ("cyclonedx-json", Format::CycloneDxJson),
        ("spdx-json", Format::SpdxJson),
        ("json", Format::Json),
    ] {
        let out = drydock(&["sbom", "--format", flag, &oci("app")]);
        assert!(out.status.success(), "{flag}");
        let mut want = Vec::new();
        sbom::write(&catalog, format, &opts, &mut want).unwrap();
        assert!(out.stdout == want, "{flag}: the binary's output differs");
    }
    // And what the formats say, checked here too: versions, the image, every package.
    let digest = manifest_digest(&images::layout("app"));
    let (cdx, _) = json(&["sbom", "--format", "cyclonedx-json", &oci("app")]);
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    assert_eq!(cdx["specVersion"], "1.6");
    assert_eq!(cdx["metadata"]["timestamp"], CREATED);
    assert_eq!(cdx["metadata"]["component"]["version"], digest.as_str());
    let libraries = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .count();
    assert_eq!(libraries, catalog.packages.len());
    let (spdx, _) = json(&["sbom", "--format", "spdx-json", &oci("app")]);
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(spdx["creationInfo"]["created"], CREATED);
    // The image and its OS besides the packages.
    assert_eq!(
        spdx["packages"].as_array().unwrap().len(),
        catalog.packages.len() + 2
    );
}

/// What the subject says: digests, name, tag, platform, layers and OS, from the layout itself.
#[test]
fn images_sbom_subject_fields() {
    let layout = images::layout("alpine-3.20");
    let digest = manifest_digest(&layout);
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(
            layout
                .join("blobs/sha256")
                .join(digest.trim_start_matches("sha256:")),
        )
        .unwrap(),
    )
    .unwrap();
    let (bom, _) = json(&["sbom", "--format", "json", &oci("alpine-3.20")]);
    let s = &bom["subject"];
    assert_eq!(s["name"], "alpine-3.20:latest");
    assert_eq!(s["digest"], digest.as_str());
    assert_eq!(s["tag"], "latest");
    assert_eq!(s["config_digest"], manifest["config"]["digest"]);
    let layers: Vec<&Value> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["digest"])
        .collect();
    assert_eq!(
        s["layers"].as_array().unwrap().iter().collect::<Vec<_>>(),
        layers
    );
    let config: Value = serde_json::from_str(&images::truth("alpine-3.20", "config.json")).unwrap();
    assert!(
        s["platform"].as_str().unwrap().ends_with(&format!(
            "/{}",
            config["architecture"].as_str().unwrap_or("amd64")
        )),
        "{s}"
    );
    let osr = images::truth("alpine-3.20", "os-release");
    assert_eq!(
        bom["os"]["id"].as_str(),
        os_release_field(&osr, "ID").as_deref()
    );
    assert_eq!(
        bom["os"]["version_id"].as_str(),
        os_release_field(&osr, "VERSION_ID").as_deref()
    );
    // The purl is named after the image, not its tag.
    let arch = s["platform"].as_str().unwrap().split('/').nth(1).unwrap();
    let (cdx, _) = json(&["sbom", "--format", "cyclonedx-json", &oci("alpine-3.20")]);
    assert_eq!(
        cdx["metadata"]["component"]["purl"],
        format!("pkg:oci/alpine-3.20@{digest}?arch={arch}&tag=latest").as_str()
    );
    assert_eq!(cdx["metadata"]["component"]["name"], "alpine-3.20:latest");
    // A copy in a directory of another name takes that name.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("Team-App");
    run(Command::new("cp").arg("-r").arg(&layout).arg(&copy));
    let (cdx, _) = json(&[
        "sbom",
        "--format",
        "cyclonedx-json",
        &format!("oci:{}", copy.display()),
    ]);
    assert_eq!(
        cdx["metadata"]["component"]["purl"],
        format!("pkg:oci/team-app@{digest}?arch={arch}&tag=latest").as_str()
    );
}

/// From a registry on a port: the purl names the repository's last segment and says where it is.
#[test]
fn images_sbom_subject_from_a_registry_with_a_port() {
    use drydock_testkit::registry::{Format, Registry};
    let reg = Registry::start();
    reg.push_layout(&images::layout("alpine-3.20"), "team/alpine:1", Format::Oci);
    let reference = reg.reference("team/alpine:1");
    assert!(reference.starts_with("127.0.0.1:"), "{reference}");
    let (bom, _) = json(&["sbom", "--format", "json", "--no-cache", &reference]);
    let s = &bom["subject"];
    assert_eq!(s["registry"], format!("127.0.0.1:{}", reg.port()).as_str());
    assert_eq!(s["repository"], "team/alpine");
    assert_eq!(s["tag"], "1");
    let digest = s["digest"].as_str().unwrap();
    let arch = s["platform"].as_str().unwrap().split('/').nth(1).unwrap();
    let (cdx, _) = json(&[
        "sbom",
        "--format",
        "cyclonedx-json",
        "--no-cache",
        &reference,
    ]);
    assert_eq!(
        cdx["metadata"]["component"]["purl"],
        format!(
            "pkg:oci/alpine@{digest}?arch={arch}&repository_url=127.0.0.1:{}%2Fteam%2Falpine&tag=1",
            reg.port()
        )
        .as_str()
    );
}

/// `--format table` on stdout, `-o FILE` writing the same bytes to a file instead.
#[test]
fn images_sbom_table_and_output_file() {
    let out = drydock(&["sbom", "--format", "table", &oci("alpine-3.20")]);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout.clone()).unwrap();
    let truth = images::truth_tsv("alpine-3.20", "apk.tsv");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), truth.len() + 1, "{table}");
    assert!(lines[0].starts_with("NAME"), "{table}");
    for row in &truth {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        let want = [cells[0], cells[1], "apk", cells[2], "0"];
        assert!(
            lines
                .iter()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == want),
            "{want:?} not in\n{table}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.txt");
    let written = drydock(&[
        "sbom",
        "--format",
        "table",
        "-o",
        &file.display().to_string(),
        &oci("alpine-3.20"),
    ]);
    assert!(written.status.success());
    assert!(written.stdout.is_empty());
    assert_eq!(std::fs::read(&file).unwrap(), out.stdout);
}

/// A root file system directory with a damaged rpm database next to a good dpkg one: exit 0, the
/// dpkg package reported, and the damage named once, on standard error, whatever the format.
#[test]
fn sbom_of_a_directory_warns_once_about_a_corrupt_database() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("rootfs");
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/rpm")).unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: hello\nStatus: install ok installed\nVersion: 2.10-3\nArchitecture: amd64\n",
    )
    .unwrap();
    std::fs::write(
        root.join("var/lib/rpm/Packages"),
        b"not an rpm database".repeat(8),
    )
    .unwrap();
    let root = root.display().to_string();
    for format in ["table", "json", "cyclonedx-json", "spdx-json"] {
        let out = drydock(&["sbom", "--format", format, &root]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
        let warnings: Vec<&str> = stderr.lines().collect();
        assert_eq!(warnings.len(), 1, "{format}: {stderr}");
        assert!(
            warnings[0].starts_with("drydock: warning: rpm: /var/lib/rpm/Packages: "),
            "{format}: {stderr}"
        );
        assert!(stdout.contains("hello"), "{format}: {stdout}");
        if format == "table" {
            assert!(!stdout.contains("warning"), "{stdout}");
        }
        if format == "json" {
            let v: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(v["warnings"][0]["path"], "/var/lib/rpm/Packages");
            assert!(v["subject"]["digest"].is_null());
        }
        if format == "cyclonedx-json" {
            let v: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(v["metadata"]["component"]["type"], "file");
        }
    }
}

/// Base-image annotations on a local image: no network access by design, so the base is not read,
/// and one warning says to pass `--base`; with `--base` there is nothing to warn about.
#[test]
fn images_sbom_local_image_with_base_annotations_warns_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = copy_layout("app", dir.path());
    let base_name = "registry.invalid/team/python:1";
    run(Command::new("umoci")
        .arg("config")
        .arg("--image")
        .arg(format!("{}:latest", app.display()))
        .arg(format!(
            "--manifest.annotation=org.opencontainers.image.base.name={base_name}"
        ))
        .arg(format!(
            "--manifest.annotation=org.opencontainers.image.base.digest={}",
            manifest_digest(&images::layout("python"))
        )));
    let spec = format!("oci:{}", app.display());
    let (bom, stderr) = json(&["sbom", "--format", "json", &spec]);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("drydock: warning: "), "{stderr}");
    assert!(lines[0].contains(base_name), "{stderr}");
    assert!(lines[0].contains("--base"), "{stderr}");
    let packages = bom["packages"].as_array().unwrap();
    assert!(!packages.is_empty());
    assert!(packages.iter().all(|p| p.get("in_base_image").is_none()));

    let (bom, stderr) = json(&["sbom", "--format", "json", "--base", &oci("python"), &spec]);
    assert!(stderr.is_empty(), "{stderr}");
    let packages = bom["packages"].as_array().unwrap();
    assert!(packages.iter().any(|p| p["in_base_image"] == true));
    assert!(packages.iter().any(|p| p["in_base_image"] == false));
}
