//! The test images built by `scripts/build-test-images`, and the truth files written next to them
//! from the build inputs (never by drydock), so tests can compare what drydock reads with what was
//! put in.
//!
//! Layout of [`root()`]: `<name>/` (OCI layout, tag `latest`), `<name>.oci.tar` (OCI archive),
//! `<name>.docker.tar` (`docker save` archive, tagged `drydock-test/<name>:latest`),
//! `app.docker25.tar` (the same in Docker 25's OCI form) and `truth/<name>/<file>`. See `crates/drydock-testkit/README.md` for every image and truth file.
//!
//! Tests that need the shared conformance directory ([`shared_dir()`]), including the Alpine
//! images, are named with the prefix `conformance_` so `scripts/test` can skip them when it is
//! absent.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Debian-based images, always built.
pub const DEBIAN: &[&str] = &[
    "minbase",
    "python",
    "app",
    "distroless",
    "distroless-arm64",
    "hardlinks",
];

/// Alpine images, built only when the shared directory exists (tests using them are `conformance_`).
pub const ALPINE: &[&str] = &["alpine-3.19", "alpine-3.20", "alpine-edge"];

/// The multi-platform image (amd64 + arm64 distroless): an OCI layout only, no archives.
pub const MULTI: &str = "multi";

const MISSING: &str = "test images missing: run scripts/build-test-images";

/// The cache directory holding every build (`<key>/` and the `current` symlink):
/// `$DRYDOCK_TEST_IMAGES`, else `$XDG_CACHE_HOME/drydock/test-images`, else
/// `$HOME/.cache/drydock/test-images`. The same rule as the build script's.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = non_empty_env("DRYDOCK_TEST_IMAGES") {
        return PathBuf::from(dir);
    }
    let cache = non_empty_env("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty_env("HOME").map(|h| Path::new(&h).join(".cache")))
        .expect("neither DRYDOCK_TEST_IMAGES, XDG_CACHE_HOME nor HOME is set");
    cache.join("drydock").join("test-images")
}

/// The directory of the current build (`<cache_dir>/current`, resolved once per process so a
/// rebuild that moves `current` mid-run cannot mix two builds). `DRYDOCK_TEST_IMAGES` may also
/// name one build directory itself (one holding `.complete`).
///
/// Panics with "test images missing: run scripts/build-test-images" when it does not exist or the
/// build did not complete.
pub fn root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(resolve_root).clone()
}

fn resolve_root() -> PathBuf {
    let dir = cache_dir();
    if dir.join(".complete").is_file() {
        return dir;
    }
    let current = dir.join("current");
    let root = std::fs::canonicalize(&current)
        .unwrap_or_else(|_| panic!("{MISSING} (no {})", current.display()));
    if !root.join(".complete").is_file() {
        panic!("{MISSING} (build in {} did not complete)", root.display());
    }
    root
}

/// The OCI layout directory of image `name` (tag `latest`). Panics when it was not built.
pub fn layout(name: &str) -> PathBuf {
    existing(root().join(name), name)
}

/// The OCI archive (`skopeo copy ... oci-archive:`) of image `name`. Panics when it was not built.
pub fn oci_archive(name: &str) -> PathBuf {
    existing(root().join(format!("{name}.oci.tar")), name)
}

/// The `docker save` archive of image `name`, tagged `drydock-test/<name>:latest`. Panics when it
/// was not built.
pub fn docker_archive(name: &str) -> PathBuf {
    existing(root().join(format!("{name}.docker.tar")), name)
}

/// The `docker save` archive of image `name` in the form Docker 25+ writes: an OCI layout
/// (uncompressed layers, `index.json`) beside `manifest.json`. Built for `app` only; the digest of
/// its manifest is `truth(name, "docker25-manifest-digest")`. Panics when it was not built.
pub fn docker25_archive(name: &str) -> PathBuf {
    existing(root().join(format!("{name}.docker25.tar")), name)
}

/// The path of truth file `file` of image `name` (e.g. `truth_path("minbase", "dpkg.tsv")`).
pub fn truth_path(name: &str, file: &str) -> PathBuf {
    let dir = existing(root().join("truth").join(name), name);
    let path = dir.join(file);
    if !path.is_file() {
        panic!(
            "image {name} has no truth file {file} (see crates/drydock-testkit/README.md): {}",
            path.display()
        );
    }
    path
}

/// The content of truth file `file` of image `name`. Panics when it is missing.
pub fn truth(name: &str, file: &str) -> String {
    let path = truth_path(name, file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read truth file {}: {e}", path.display()))
}

/// A tab-separated truth file of image `name` as rows of fields (empty lines skipped).
pub fn truth_tsv(name: &str, file: &str) -> Vec<Vec<String>> {
    truth(name, file)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// A JSON truth file of image `name` (`config.json`), parsed.
pub fn truth_json(name: &str, file: &str) -> serde_json::Value {
    let path = truth_path(name, file);
    serde_json::from_str(&truth(name, file))
        .unwrap_or_else(|e| panic!("truth file {} is not JSON: {e}", path.display()))
}

/// The lines of a one-path-per-line truth file (`whiteouts.txt`, `opaque.txt`), empty lines skipped.
pub fn truth_lines(name: &str, file: &str) -> Vec<String> {
    truth(name, file)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The shared conformance directory: `$DRYDOCK_SHARED`, else `<workspace>/../shared`.
///
/// Panics when it does not exist; only `conformance_` tests may call this.
pub fn shared_dir() -> PathBuf {
    let dir = shared_candidate();
    if !dir.is_dir() {
        panic!(
            "shared conformance directory missing at {} (set DRYDOCK_SHARED); \
             only tests named conformance_* may need it",
            dir.display()
        );
    }
    dir
}

/// Whether the shared conformance directory exists.
pub fn has_shared() -> bool {
    shared_candidate().is_dir()
}

fn shared_candidate() -> PathBuf {
    match non_empty_env("DRYDOCK_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_dir().join("..").join("shared"),
    }
}

/// The workspace root (two levels above this crate's manifest).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

fn existing(path: PathBuf, name: &str) -> PathBuf {
    if !path.exists() {
        let hint = if ALPINE.contains(&name) {
            " (Alpine images are built only when the shared directory exists)"
        } else {
            ""
        };
        panic!("{MISSING}: {} does not exist{hint}", path.display());
    }
    path
}

fn non_empty_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}
