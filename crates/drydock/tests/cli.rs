//! End-to-end: the drydock binary on the real test images, checked against the build's truth files.

use std::process::{Command, Output};

use drydock_testkit::images;
use serde_json::Value;

fn drydock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .env(
            "DRYDOCK_CACHE_DIR",
            std::env::temp_dir().join("drydock-cli-test-cache"),
        )
        .output()
        .expect("drydock runs")
}

fn json(args: &[&str]) -> Value {
    let out = drydock(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Asserts exit code 2 and a single `drydock: error:` line naming `needle`.
fn assert_error(args: &[&str], needle: &str) {
    let out = drydock(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("drydock: error: "), "{stderr}");
    assert!(stderr.contains(needle), "{stderr} should name {needle}");
}

fn os_release_field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(|v| v.trim_matches('"').to_string())
}

fn oci(name: &str) -> String {
    format!("oci:{}", images::layout(name).display())
}

#[test]
fn images_inspect_reports_the_built_facts() {
    for name in ["minbase", "python", "app", "distroless"] {
        let r = json(&["inspect", "--format", "json", &oci(name)]);
        assert_eq!(r["schema"], "drydock.inspect/v1");
        let osr = images::truth(name, "os-release");
        assert_eq!(
            r["os"]["id"].as_str(),
            os_release_field(&osr, "ID").as_deref(),
            "{name}"
        );
        assert_eq!(
            r["os"]["version_id"].as_str(),
            os_release_field(&osr, "VERSION_ID").as_deref(),
            "{name}"
        );
        let config: Value = serde_json::from_str(&images::truth(name, "config.json")).unwrap();
        let files = images::truth_tsv(name, "files.tsv")
            .iter()
            .filter(|r| (r[1] == "f" || r[1] == "h") && !r[0].starts_with("/dev/"))
            .count();
        assert_eq!(
            r["size"]["file_count"].as_u64(),
            Some(files as u64),
            "{name}"
        );
        let layers: usize = images::truth(name, "layers.txt").trim().parse().unwrap();
        assert_eq!(
            r["size"]["layers"].as_array().unwrap().len(),
            layers,
            "{name}"
        );
        // The shell: present on the Debian images, absent from the distroless one.
        let has_sh = images::truth_tsv(name, "files.tsv")
            .iter()
            .any(|r| r[0] == "/usr/bin/sh" || r[0] == "/bin/sh");
        assert_eq!(
            r["shells"]["sh"]["present"].as_bool(),
            Some(has_sh),
            "{name}"
        );
        assert_eq!(r["libc"]["kind"], "glibc", "{name}");
        // The user: the configured one, resolved through the image's own passwd.
        let user = config["user"].as_str().unwrap_or("");
        let passwd = images::truth(name, "passwd");
        let entry = passwd.lines().find(|l| {
            let f: Vec<&str> = l.split(':').collect();
            f.len() > 3 && (f[0] == user || f[2] == user)
        });
        match entry {
            Some(l) => {
                let uid: u64 = l.split(':').nth(2).unwrap().parse().unwrap();
                assert_eq!(r["user"]["uid"].as_u64(), Some(uid), "{name}");
                assert_eq!(r["user"]["is_root"].as_bool(), Some(uid == 0), "{name}");
            }
            None => assert!(user.is_empty(), "{name}: user {user} should be in passwd"),
        }
    }
}

#[test]
fn images_inspect_is_the_same_from_every_source() {
    let strip = |mut v: Value| {
        v["identity"] = Value::Null;
        v["os"]["eol"]["as_of"] = Value::Null;
        // Layer digests and compressed sizes differ (docker-archive layers are uncompressed).
        v["size"]["compressed"] = Value::Null;
        for l in v["size"]["layers"].as_array_mut().unwrap() {
            l["digest"] = Value::Null;
            l["compressed"] = Value::Null;
        }
        v
    };
    let a = strip(json(&["inspect", "--format", "json", &oci("app")]));
    let b = strip(json(&[
        "inspect",
        "--format",
        "json",
        &format!("oci-archive:{}", images::oci_archive("app").display()),
    ]));
    let c = strip(json(&[
        "inspect",
        "--format",
        "json",
        &format!("docker-archive:{}", images::docker_archive("app").display()),
    ]));
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn images_sbom_lists_what_dpkg_lists() {
    for name in ["minbase", "distroless"] {
        let bom = json(&["sbom", "--format", "json", &oci(name)]);
        let mut got: Vec<(String, String, String)> = bom["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["type"] == "deb")
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["version"].as_str().unwrap().to_string(),
                    p["arch"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        got.sort();
        let mut want: Vec<(String, String, String)> = images::truth_tsv(name, "dpkg.tsv")
            .into_iter()
            .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
            .collect();
        want.sort();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn images_lint_uses_the_real_base_image() {
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = dir.path().join("Dockerfile");
    std::fs::write(
        &dockerfile,
        "FROM example.invalid/runtime:1\nCMD run-server --port 8080\n",
    )
    .unwrap();
    let path = dockerfile.display().to_string();
    // The bundled table does not know this base: no shell finding.
    let out = drydock(&["lint", "--format", "json", &path]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v.to_string().contains("shell-form-without-shell"), "{v}");
    // With the real distroless image standing in, the missing shell is an error, and says where the fact came from.
    let mapping = format!("example.invalid/runtime:1={}", oci("distroless"));
    let out = drydock(&["lint", "--format", "json", "--image", &mapping, &path]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "shell-form-without-shell")
        .unwrap_or_else(|| panic!("{v}"))
        .clone();
    assert!(finding.to_string().contains("image oci:"), "{finding}");
}

#[test]
fn images_platforms_of_an_index() {
    let out = drydock(&["platforms", &oci(images::MULTI)]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("linux/amd64\tsha256:") && text.contains("linux/arm64"),
        "{text}"
    );
    let r = json(&[
        "inspect",
        "--format",
        "json",
        "--platform",
        "linux/arm64",
        &oci(images::MULTI),
    ]);
    assert!(
        r["identity"]["platform"]
            .as_str()
            .unwrap()
            .starts_with("linux/arm64")
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    assert_error(&["inspect", &format!("oci:{}", missing.display())], "nope");
    let junk = dir.path().join("junk.tar");
    std::fs::write(
        &junk,
        b"this is not a tar archive at all, not even close........",
    )
    .unwrap();
    assert_error(
        &["inspect", &format!("docker-archive:{}", junk.display())],
        "junk.tar",
    );
    let bad = dir.path().join("Dockerfile");
    // BuildKit refuses ENV without a value.
    std::fs::write(&bad, "FROM alpine\nENV PATH\n").unwrap();
    assert_error(&["lint", &bad.display().to_string()], "Dockerfile:2");
    // A registry that is not there: a closed loopback port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_error(
        &["inspect", "--no-cache", &format!("127.0.0.1:{port}/x:1")],
        &format!("127.0.0.1:{port}"),
    );
    assert_error(&["inspect", "Not/A/Valid:Ref:x"], "invalid image reference");
    assert_error(
        &["inspect", "--platform", "linux", &oci("distroless")],
        "--platform",
    );
}

#[test]
fn images_corrupt_blob_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let src = images::layout("distroless");
    let dst = dir.path().join("img");
    let status = Command::new("cp")
        .arg("-r")
        .arg(&src)
        .arg(&dst)
        .status()
        .unwrap();
    assert!(status.success());
    let index: Value =
        serde_json::from_slice(&std::fs::read(dst.join("index.json")).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap();
    let blob = |d: &str| {
        dst.join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(blob(manifest_digest)).unwrap()).unwrap();
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bytes = std::fs::read(blob(&layer)).unwrap();
    let n = bytes.len();
    bytes[n - 100] ^= 1;
    std::fs::write(blob(&layer), bytes).unwrap();
    assert_error(&["inspect", &format!("oci:{}", dst.display())], &layer);
}

/// The app image's OCI base annotations name the python image in a real registry: `sbom` reads the base
/// from there and marks which packages came with it.
#[test]
fn images_sbom_marks_base_packages_from_registry_annotations() {
    use drydock_testkit::registry::{Format, Registry};
    let reg = Registry::start();
    reg.push_layout(&images::layout("python"), "t/python:1", Format::Oci);
    let python_digest = {
        let index: Value = serde_json::from_slice(
            &std::fs::read(images::layout("python").join("index.json")).unwrap(),
        )
        .unwrap();
        index["manifests"][0]["digest"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // A copy of the app image whose annotations point at the registry copy of its base.
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    let status = Command::new("cp")
        .arg("-r")
        .arg(images::layout("app"))
        .arg(&app)
        .status()
        .unwrap();
    assert!(status.success());
    let status = Command::new("umoci")
        .arg("config")
        .arg("--image")
        .arg(format!("{}:latest", app.display()))
        .arg(format!(
            "--manifest.annotation=org.opencontainers.image.base.name={}",
            reg.reference("t/python:1")
        ))
        .arg(format!(
            "--manifest.annotation=org.opencontainers.image.base.digest={python_digest}"
        ))
        .status()
        .expect("umoci runs (scripts/test installs it)");
    assert!(status.success());
    reg.push_layout(&app, "t/app:1", Format::Oci);

    let bom = json(&[
        "sbom",
        "--format",
        "json",
        "--no-cache",
        &reg.reference("t/app:1"),
    ]);
    let packages = bom["packages"].as_array().unwrap();
    let python_layers: u64 = images::truth("python", "layers.txt")
        .trim()
        .parse()
        .unwrap();
    assert!(!packages.is_empty());
    for p in packages {
        let layer = p["layer"].as_u64().unwrap_or_else(|| panic!("{p}"));
        assert_eq!(
            p["in_base_image"].as_bool(),
            Some(layer < python_layers),
            "{p}"
        );
    }
    // The venv packages came with the app layer; the dpkg ones with the base.
    assert!(
        packages
            .iter()
            .any(|p| p["type"] == "python" && p["in_base_image"] == false)
    );
    assert!(
        packages
            .iter()
            .any(|p| p["type"] == "deb" && p["in_base_image"] == true)
    );

    // --base with a local source gives the same answer.
    let local = json(&[
        "sbom",
        "--format",
        "json",
        "--base",
        &oci("python"),
        &oci("app"),
    ]);
    let flags = |v: &Value| -> Vec<(String, Value)> {
        v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["purl"].as_str().unwrap().to_string(),
                    p["in_base_image"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(flags(&bom), flags(&local));
}

#[test]
fn lint_many_files_reports_each_error_and_still_lints_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.Dockerfile");
    let good = dir.path().join("good.Dockerfile");
    std::fs::write(&bad, "FROM alpine:3\nENV PATH\n").unwrap();
    std::fs::write(&good, "FROM alpine:3\nUSER root\n").unwrap();
    let out = drydock(&[
        "lint",
        "--format",
        "json",
        &bad.display().to_string(),
        &good.display().to_string(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unparsable file makes the run an error"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad.Dockerfile:2"), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(
        findings
            .iter()
            .all(|f| f["file"].as_str().unwrap().ends_with("good.Dockerfile"))
    );
}

/// `--resolve` reads a base image from its registry: the real distroless image, pushed to a real
/// registry, has no shell and runs as 65532, and the findings say so, naming the image as the source.
#[test]
fn images_lint_resolve_reads_bases_from_the_registry() {
    use drydock_testkit::registry::{Format, Registry};
    let reg = Registry::start();
    reg.push_layout(&images::layout("distroless"), "t/distroless:1", Format::Oci);
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = dir.path().join("Dockerfile");
    let base = reg.reference("t/distroless:1");
    std::fs::write(
        &dockerfile,
        format!("FROM {base}\nCMD run-server --port 8080\n"),
    )
    .unwrap();
    let path = dockerfile.display().to_string();
    let out = drydock(&["lint", "--format", "json", "--resolve", "--no-cache", &path]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let shell = findings
        .iter()
        .find(|f| f["name"] == "shell-form-without-shell")
        .unwrap_or_else(|| panic!("{v}"));
    assert!(
        shell.to_string().contains(&format!("docker://{base}")),
        "{shell}"
    );
    // The image's own user (65532) is not root: no root finding.
    assert!(
        findings
            .iter()
            .all(|f| f["name"] != "final-stage-runs-as-root"),
        "{v}"
    );
}

fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_drydock"));
    c.args(args).env(
        "DRYDOCK_CACHE_DIR",
        std::env::temp_dir().join("drydock-cli-test-cache"),
    );
    c
}

#[test]
fn inspect_help_says_how_a_directory_is_read() {
    let out = drydock(&["inspect", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("`oci-layout` file"), "{help}");
    assert!(help.contains("read as a root file system"), "{help}");
    assert!(help.contains("drydock inspect /"), "{help}");
}

/// `drydock … | head`: the reader went away. No error line, exit 0, for every subcommand.
#[test]
fn a_closed_stdout_is_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = dir.path().join("Dockerfile");
    std::fs::write(&dockerfile, "FROM alpine:3\nRUN apk add curl\n").unwrap();
    let dockerfile = dockerfile.display().to_string();
    let (app, python, multi) = (oci("app"), oci("python"), oci(images::MULTI));
    let runs: Vec<Vec<&str>> = vec![
        vec!["inspect", "--format", "json", &app],
        vec!["inspect", &app],
        vec!["sbom", "--format", "json", &python],
        vec!["sbom", "--format", "table", &python],
        vec!["platforms", &multi],
        vec!["lint", "--format", "json", &dockerfile],
        vec!["lint", &dockerfile],
    ];
    for args in runs {
        // The pipe's reading end is closed before drydock starts, so its first write fails with
        // EPIPE every time (closing it after the spawn would race with a fast writer).
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = cmd(&args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}

/// The platform this machine's images are for, in OCI's names.
fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Without --platform an index gives the host's image; an explicit platform must be the image's.
#[test]
fn images_default_platform_is_the_hosts_and_an_explicit_one_must_match() {
    let rows = images::truth_tsv("multi", "platforms.tsv");
    let out = drydock(&["inspect", "--format", "json", &oci(images::MULTI)]);
    match rows.iter().find(|r| r[0] == "linux" && r[1] == host_arch()) {
        Some(row) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let r: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(r["identity"]["manifest_digest"], row[3].as_str());
            let platform = r["identity"]["platform"].as_str().unwrap();
            assert!(
                platform.starts_with(&format!("linux/{}", host_arch())),
                "{platform}"
            );
        }
        None => assert_error(
            &["inspect", &oci(images::MULTI)],
            &format!("linux/{}", host_arch()),
        ),
    }

    let config = images::truth_json("distroless", "config.json");
    let own = format!(
        "{}/{}",
        config["os"].as_str().unwrap(),
        config["architecture"].as_str().unwrap()
    );
    let other = if own == "linux/s390x" {
        "linux/riscv64"
    } else {
        "linux/s390x"
    };
    assert_error(
        &["inspect", "--platform", other, &oci("distroless")],
        &format!("image is {own}, not the requested {other}"),
    );
    let r = json(&[
        "inspect",
        "--format",
        "json",
        "--platform",
        &own,
        &oci("distroless"),
    ]);
    assert_eq!(r["identity"]["platform"], own.as_str());
}

/// Copies a layout and replaces its first layer with `layer` (compressed with gzip), rewriting the
/// manifest and index.json to the new digests: damage a digest check cannot see.
fn with_first_layer(src: &std::path::Path, dst: &std::path::Path, tar: &[u8]) -> String {
    let status = Command::new("cp")
        .arg("-r")
        .arg(src)
        .arg(dst)
        .status()
        .unwrap();
    assert!(status.success());
    let mut gzip = Command::new("gzip")
        .args(["-n", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = gzip.stdin.take().unwrap();
    let input = tar.to_vec();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(&input).unwrap();
    });
    let gz = gzip.wait_with_output().unwrap().stdout;
    feeder.join().unwrap();
    with_first_layer_blob(dst, &gz)
}

/// Puts `blob` in as the first layer of the layout at `dir`; returns the layer digest.
fn with_first_layer_blob(dir: &std::path::Path, blob: &[u8]) -> String {
    let put = |bytes: &[u8]| {
        let digest = drydock_image::Digest::sha256_of(bytes);
        std::fs::write(dir.join("blobs/sha256").join(digest.hex()), bytes).unwrap();
        digest.to_string()
    };
    let layer = put(blob);
    let index_path = dir.join("index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    let old = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let mut manifest: Value = serde_json::from_slice(
        &std::fs::read(
            dir.join("blobs/sha256")
                .join(old.trim_start_matches("sha256:")),
        )
        .unwrap(),
    )
    .unwrap();
    manifest["layers"][0]["digest"] = layer.clone().into();
    manifest["layers"][0]["size"] = blob.len().into();
    let manifest = serde_json::to_vec(&manifest).unwrap();
    index["manifests"][0]["digest"] = put(&manifest).into();
    index["manifests"][0]["size"] = manifest.len().into();
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();
    layer
}

/// The tar stream of a layout's first layer.
fn first_layer_tar(layout: &std::path::Path) -> Vec<u8> {
    use std::io::Read;
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let blob = |d: &str| {
        layout
            .join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(blob(index["manifests"][0]["digest"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    let file =
        std::fs::File::open(blob(manifest["layers"][0]["digest"].as_str().unwrap())).unwrap();
    let (_, mut tar) = drydock_image::blob::decompress(Box::new(file)).unwrap();
    let mut out = Vec::new();
    tar.read_to_end(&mut out).unwrap();
    out
}

/// (header offset, content offset, size) of every entry of a tar stream, read by hand.
fn tar_entries(tar: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() && tar[at..at + 512].iter().any(|&b| b != 0) {
        let field = String::from_utf8_lossy(&tar[at + 124..at + 136]);
        let size = usize::from_str_radix(field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
            .unwrap_or(0);
        out.push((at, at + 512, size));
        at += 512 + size.div_ceil(512) * 512;
    }
    out
}

/// A layer whose stored bytes match their digest but whose gzip or tar stream is broken: exit 2,
/// one line naming the layer and what broke.
#[test]
fn images_broken_layer_streams_under_a_matching_digest_are_named() {
    let src = images::layout("distroless");
    let tar = first_layer_tar(&src);
    let entries = tar_entries(&tar);
    // A regular file well inside the stream, with bytes to cut into.
    let &(header, content, size) = entries
        .iter()
        .skip(entries.len() / 2)
        .find(|&&(h, _, size)| tar[h + 156] == b'0' && size > 1024)
        .expect("a sizeable regular file");
    let tmp = tempfile::tempdir().unwrap();

    let mut bad_header = tar.clone();
    bad_header[header + 148..header + 154].copy_from_slice(b"777777");
    let cut = tar[..content + size / 2].to_vec();
    let mut bad_gzip = Vec::new();
    let gz_dir = tmp.path().join("gzip");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "tar-header",
            with_first_layer(&src, &tmp.path().join("tar-header"), &bad_header),
            "tar stream is corrupt",
        ),
        (
            "tar-cut",
            with_first_layer(&src, &tmp.path().join("tar-cut"), &cut),
            "tar stream is truncated",
        ),
        (
            "gzip",
            {
                let layer = with_first_layer(&src, &gz_dir, &tar);
                // Flip bytes in the middle of the deflate data, then give the blob its new digest.
                let path = gz_dir
                    .join("blobs/sha256")
                    .join(layer.trim_start_matches("sha256:"));
                bad_gzip.extend(std::fs::read(&path).unwrap());
                let mid = bad_gzip.len() / 2;
                for b in &mut bad_gzip[mid..mid + 16] {
                    *b ^= 0x5a;
                }
                with_first_layer_blob(&gz_dir, &bad_gzip)
            },
            "gzip stream is corrupt",
        ),
    ];
    for (name, layer, says) in cases {
        let spec = format!("oci:{}", tmp.path().join(name).display());
        assert_error(&["inspect", &spec], &layer);
        assert_error(&["inspect", &spec], says);
    }
}

/// Progress is for people: nothing on stderr when it is a pipe or with --quiet; on a terminal
/// (script(1) gives drydock one) each layer's download is drawn.
#[test]
fn images_progress_only_on_a_terminal_and_never_with_quiet() {
    use drydock_testkit::registry::{Format, Registry};
    let reg = Registry::start();
    reg.push_layout(&images::layout("distroless"), "t/progress:1", Format::Oci);
    let reference = reg.reference("t/progress:1");
    let cache = tempfile::tempdir().unwrap();
    let cache = cache.path().display().to_string();
    for quiet in [false, true] {
        let mut args = vec!["inspect", "--no-cache", "--format", "json", &reference];
        if quiet {
            args.push("--quiet");
        }
        let out = drydock(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let layer = {
        let r = json(&["inspect", "--format", "json", &oci("distroless")]);
        r["size"]["layers"][0]["digest"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // The progress line is "\r<short digest> <done>/<total>".
    let label = format!("\r{} ", &layer[..layer.find(':').unwrap() + 13]);
    for quiet in [false, true] {
        let line = format!(
            "{} inspect --cache-dir {cache} --no-cache --format json {reference}{}",
            env!("CARGO_BIN_EXE_drydock"),
            if quiet { " --quiet" } else { "" }
        );
        let out = Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("script(1) from util-linux");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{line}: {text}");
        assert!(text.contains("\"schema\""), "{line}: {text}");
        assert_eq!(
            text.contains(&label),
            !quiet,
            "{line}: {label:?} in {text:?}"
        );
    }
}

/// Two drydock processes pulling the same image into one cache at once: both succeed, and the
/// cache holds each blob once, verified, with no temporary files left.
#[test]
fn images_concurrent_processes_share_one_cache() {
    use drydock_testkit::registry::{Format, Registry};
    let reg = Registry::start();
    reg.push_layout(&images::layout("python"), "t/shared:1", Format::Oci);
    let reference = reg.reference("t/shared:1");
    let cache = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_drydock"))
                .args(["inspect", "--format", "json", "--cache-dir"])
                .arg(cache.path())
                .arg(&reference)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let reports: Vec<Value> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        })
        .collect();
    assert_eq!(reports[0]["identity"], reports[1]["identity"]);
    assert_eq!(reports[0]["size"], reports[1]["size"]);
    let blobs = cache.path().join("blobs/sha256");
    let mut names: Vec<String> = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let manifest = reports[0]["identity"]["manifest_digest"].as_str().unwrap();
    let config = reports[0]["identity"]["config_digest"].as_str().unwrap();
    let mut want: Vec<String> = reports[0]["size"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .chain([manifest.to_string(), config.to_string()])
        .map(|d| d.trim_start_matches("sha256:").to_string())
        .collect();
    want.sort();
    assert_eq!(names, want, "each blob once, nothing else");
    for name in names {
        let bytes = std::fs::read(blobs.join(&name)).unwrap();
        assert_eq!(drydock_image::Digest::sha256_of(&bytes).hex(), name);
    }
    // A third run reads everything from the cache, with the registry gone.
    drop(reg);
    let out = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["inspect", "--format", "json", "--cache-dir"])
        .arg(cache.path())
        .arg(format!("{}@{manifest}", reference.trim_end_matches(":1")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Credentials end to end against a registry that wants them (htpasswd): from a Docker config's
/// `credHelpers` and `credsStore` (a docker-credential-* program on PATH), from a podman auth.json
/// named on the command line or found through $REGISTRY_AUTH_FILE, and from $DOCKER_CONFIG.
#[test]
fn images_credentials_from_helpers_and_auth_files() {
    use drydock_testkit::registry::{Format, Registry};
    use std::os::unix::fs::PermissionsExt;
    let (user, pass) = ("alice", "wonderland");
    let reg = Registry::start_htpasswd(user, pass);
    reg.push_layout(&images::layout("distroless"), "private/base:1", Format::Oci);
    let reference = reg.reference("private/base:1");
    let host = reg.host();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    // Answers for this registry only, and notes each question it was asked.
    let asked = tmp.path().join("asked");
    let helper = bin.join("docker-credential-drydocktest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\necho \"$1 $server\" >> {asked}\n[ \"$1\" = get ] && [ \"$server\" = {host} ] || exit 1\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{pass}\"}}' \"$server\"\n",
            asked = asked.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let write = |name: &str, json: Value| {
        let p = tmp.path().join(name);
        std::fs::write(&p, json.to_string()).unwrap();
        p.display().to_string()
    };
    let run = |extra: &[&str], env: &[(&str, String)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_drydock"));
        c.args(["inspect", "--no-cache", "--format", "json"])
            .args(extra)
            .arg(&reference)
            .env("PATH", &path)
            .env("HOME", &home)
            .env_remove("DOCKER_CONFIG")
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("XDG_CONFIG_HOME");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let os_id = os_release_field(&images::truth("distroless", "os-release"), "ID");
    let ok = |out: Output, how: &str| {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{how}: {stderr}");
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["os"]["id"].as_str(), os_id.as_deref(), "{how}");
    };
    let asked_count = || {
        std::fs::read_to_string(&asked)
            .unwrap_or_default()
            .lines()
            .filter(|l| *l == format!("get {host}"))
            .count()
    };

    // Nothing configured: refused, saying so.
    let out = run(&[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("none are configured"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let helpers = write(
        "helpers.json",
        serde_json::json!({"credHelpers": {host.clone(): "drydocktest"}}),
    );
    ok(run(&["--docker-config", &helpers], &[]), "credHelpers");
    assert_eq!(asked_count(), 1, "the helper was asked");

    let store = write(
        "store.json",
        serde_json::json!({"auths": {}, "credsStore": "drydocktest"}),
    );
    ok(run(&["--docker-config", &store], &[]), "credsStore");
    assert_eq!(asked_count(), 2);

    // A helper that knows nothing of this registry: refused, naming it.
    let other = write(
        "other.json",
        serde_json::json!({"credHelpers": {"elsewhere.example:5000": "drydocktest", host.clone(): "missinghelper"}}),
    );
    let out = run(&["--docker-config", &other], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("docker-credential-missinghelper"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Podman's auth.json has the `auths` shape of Docker's file.
    let podman_dir = tmp.path().join("podman");
    std::fs::create_dir_all(&podman_dir).unwrap();
    let podman = reg.docker_config(&podman_dir, user, pass);
    let podman = podman.display().to_string();
    ok(run(&["--authfile", &podman], &[]), "--authfile");
    ok(
        run(&[], &[("REGISTRY_AUTH_FILE", podman.clone())]),
        "$REGISTRY_AUTH_FILE",
    );
    let docker_dir = tmp.path().join("docker");
    std::fs::create_dir_all(&docker_dir).unwrap();
    std::fs::copy(&helpers, docker_dir.join("config.json")).unwrap();
    ok(
        run(&[], &[("DOCKER_CONFIG", docker_dir.display().to_string())]),
        "$DOCKER_CONFIG",
    );
    assert_eq!(asked_count(), 3);
}
