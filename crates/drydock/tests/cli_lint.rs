//! End-to-end: `drydock lint` as a user runs it — files and standard input, exit codes, config discovery
//! and precedence, every output format, and `--image` mappings onto the real test images.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use drydock_testkit::images;
use serde_json::Value;

/// Runs drydock in `dir` with `args`, feeding `stdin` when given.
fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_drydock"));
    cmd.args(args)
        .current_dir(dir)
        .env(
            "DRYDOCK_CACHE_DIR",
            std::env::temp_dir().join("drydock-cli-lint-test-cache"),
        )
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("drydock runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().expect("drydock finishes")
}

fn run(args: &[&str]) -> Output {
    run_in(&std::env::temp_dir(), args, None)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_findings(out: &Output) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}): {}", stderr(out)));
    assert_eq!(v["schema"], "drydock-lint/1");
    v["findings"].as_array().expect("findings").clone()
}

fn codes(findings: &[Value]) -> Vec<String> {
    findings
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// A temporary directory that is the root of a repository (it has `.git`), so config discovery never
/// looks above it.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    dir
}

fn write(path: &Path, text: &str) -> PathBuf {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn oci(name: &str) -> String {
    format!("oci:{}", images::layout(name).display())
}

/// The manifest digest an OCI layout's `index.json` names for its image.
fn layout_digest(name: &str) -> String {
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(images::layout(name).join("index.json")).unwrap(),
    )
    .unwrap();
    index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `python:3.12-slim` pinned by digest, a shell-form CMD and a curl health check: what the facts say
/// about the base decides DD013/DD014.
fn pinned_dockerfile(dir: &Path, pin: &str) -> String {
    s(&write(
        &dir.join("Dockerfile"),
        &format!(
            "FROM python:3.12-slim@{pin}\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]\nCMD python3 -m http.server\n"
        ),
    ))
}

#[test]
fn images_lint_mapping_applies_to_digest_pinned_references() {
    let dir = repo();
    let digest = layout_digest("distroless");
    let path = pinned_dockerfile(dir.path(), &digest);
    // The bundled table: python:3.12-slim has a shell, so no DD013.
    let out = run(&["lint", "--format", "json", &path]);
    assert!(!codes(&json_findings(&out)).contains(&"DD013".to_string()));
    // Mapped by repository and tag, the real (shell-less) image's facts apply to the pinned FROM,
    // and the pin is that image's digest: no warning.
    let mapping = format!("python:3.12-slim={}", oci("distroless"));
    let out = run(&["lint", "--format", "json", "--image", &mapping, &path]);
    let findings = json_findings(&out);
    let shell = findings
        .iter()
        .find(|f| f["code"] == "DD013")
        .unwrap_or_else(|| panic!("mapping not applied: {findings:?}"));
    assert!(
        shell["fact_source"]
            .as_str()
            .unwrap()
            .starts_with("image oci:"),
        "{shell}"
    );
    assert_eq!(stderr(&out), "", "matching pin: no warning");
    // A mapping written with the digest matches that exact pin...
    let exact = format!("python:3.12-slim@{digest}={}", oci("distroless"));
    let out = run(&["lint", "--format", "json", "--image", &exact, &path]);
    assert!(codes(&json_findings(&out)).contains(&"DD013".to_string()));
    // ...and not another one.
    let other = format!("sha256:{}", "0".repeat(64));
    let other_path = pinned_dockerfile(dir.path(), &other);
    let out = run(&["lint", "--format", "json", "--image", &exact, &other_path]);
    assert!(!codes(&json_findings(&out)).contains(&"DD013".to_string()));
}

#[test]
fn images_lint_mapping_warns_when_the_pin_is_another_image() {
    let dir = repo();
    let pin = format!("sha256:{}", "0".repeat(64));
    let path = pinned_dockerfile(dir.path(), &pin);
    let mapping = format!("python:3.12-slim={}", oci("distroless"));
    let out = run(&["lint", "--format", "json", "--image", &mapping, &path]);
    // The mapping still applies (the user asked for it), with one clear warning line.
    assert!(codes(&json_findings(&out)).contains(&"DD013".to_string()));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("drydock: warning: --image python:3.12-slim="));
    assert!(lines[0].contains(&layout_digest("distroless")), "{err}");
    assert!(lines[0].contains(&pin), "{err}");
}

#[test]
fn lint_unreadable_mapping_is_an_error() {
    let dir = repo();
    let path = pinned_dockerfile(dir.path(), &format!("sha256:{}", "0".repeat(64)));
    let missing = dir.path().join("no-such-layout");
    let mapping = format!("python:3.12-slim=oci:{}", missing.display());
    let out = run(&["lint", "--format", "json", "--image", &mapping, &path]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("drydock: error: --image "), "{err}");
    assert!(lines[0].contains(&mapping), "names the mapping: {err}");
    assert!(out.stdout.is_empty(), "no report on an error");
    // A mapping that is not REF=SOURCE, or whose REF is not a reference, is an error too.
    for bad in ["python:3.12-slim", "Not A Ref=oci:/x"] {
        let out = run(&["lint", "--image", bad, &path]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{bad}");
    }
}
