//! The registry source against a real registry (Debian's `docker-registry`, pushed to with `skopeo`),
//! and against a stub only for faults a real registry cannot produce.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use drydock_image::{
    Error, FileVisitor, Image, Node, OpenOptions, Platform, cache::BlobCache, open,
};
use drydock_testkit::registry::{
    FaultKind, Format, Registry, Stub, multi_layout, refresh_token_for, tiny_layout,
};

/// Collects the content of a few files during the walk.
struct Grab {
    wanted: Vec<&'static str>,
    got: BTreeMap<String, String>,
}

impl FileVisitor for Grab {
    fn wants(&self, path: &str, _: &Node) -> bool {
        self.wanted.contains(&path.trim_start_matches('/'))
    }
    fn visit(&mut self, path: &str, _: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let mut s = String::new();
        content.read_to_string(&mut s)?;
        self.got.insert(path.trim_start_matches('/').to_string(), s);
        Ok(())
    }
}

fn read_files(image: &Image) -> drydock_image::Result<BTreeMap<String, String>> {
    let mut grab = Grab {
        wanted: vec!["etc/hello", "etc/arch"],
        got: BTreeMap::new(),
    };
    image.walk(&mut [&mut grab])?;
    Ok(grab.got)
}

fn opts(cache: &Path) -> OpenOptions {
    OpenOptions {
        cache_dir: Some(cache.to_path_buf()),
        platform: Some(Platform::parse("linux/amd64").unwrap()),
        ..Default::default()
    }
}

#[test]
fn pulls_oci_and_docker_schema2_pushes() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tiny_layout(tmp.path(), "amd64", "hello registry\n");
    let reg = Registry::start();
    reg.push_layout(&layout, "team/app:oci", Format::Oci);
    reg.push_layout(&layout, "team/app:v2s2", Format::V2s2);

    let o = opts(&tmp.path().join("cache"));
    let oci = open(&reg.reference("team/app:oci"), &o).unwrap();
    assert_eq!(oci.source, drydock_image::SourceKind::Registry);
    assert_eq!(
        oci.reference.as_ref().unwrap().to_string(),
        reg.reference("team/app:oci")
    );
    assert_eq!(oci.config.architecture, "amd64");
    assert_eq!(oci.layers().len(), 1);
    assert!(oci.index_digest.is_none());
    assert_eq!(read_files(&oci).unwrap()["etc/hello"], "hello registry\n");

    let docker = open(&format!("docker://{}", reg.reference("team/app:v2s2")), &o).unwrap();
    assert_eq!(
        docker.manifest.media_type.as_deref(),
        Some("application/vnd.docker.distribution.manifest.v2+json")
    );
    assert_eq!(
        docker.layers()[0].media_type,
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
    );
    assert_ne!(
        docker.manifest_digest, oci.manifest_digest,
        "the two formats are different manifests"
    );
    assert_eq!(
        read_files(&docker).unwrap()["etc/hello"],
        "hello registry\n"
    );

    // Opening by the digest the tag resolved to gives the same image.
    let by_digest = format!(
        "{}@{}",
        reg.reference("team/app"),
        oci.manifest_digest.clone().unwrap()
    );
    let again = open(
        &by_digest,
        &OpenOptions {
            no_cache: true,
            ..o.clone()
        },
    )
    .unwrap();
    assert_eq!(again.config_digest, oci.config_digest);
}

#[test]
fn multi_platform_index_selection_and_listing() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = multi_layout(tmp.path(), &["amd64", "arm64"]);
    let reg = Registry::start();
    let src = format!("oci:{}:multi", layout.display());
    reg.push_all(&src, "multi:oci", Format::Oci);
    reg.push_all(&src, "multi:docker", Format::V2s2);

    for tag in ["multi:oci", "multi:docker"] {
        let o = OpenOptions {
            no_cache: true,
            ..Default::default()
        };
        let mut listed: Vec<String> = drydock_image::list_platforms(&reg.reference(tag), &o)
            .unwrap()
            .into_iter()
            .map(|(p, _)| p.to_string())
            .collect();
        listed.sort();
        assert_eq!(listed, ["linux/amd64", "linux/arm64"], "{tag}");

        let arm = OpenOptions {
            platform: Some(Platform::parse("linux/arm64").unwrap()),
            ..o.clone()
        };
        let image = open(&reg.reference(tag), &arm).unwrap();
        assert_eq!(image.config.architecture, "arm64", "{tag}");
        assert!(image.index_digest.is_some());
        assert_eq!(image.index_platforms.len(), 2);
        assert_eq!(read_files(&image).unwrap()["etc/arch"], "arm64");

        let s390 = OpenOptions {
            platform: Some(Platform::parse("linux/s390x").unwrap()),
            ..o.clone()
        };
        let err = open(&reg.reference(tag), &s390).unwrap_err();
        assert!(matches!(err, Error::NoMatchingPlatform { .. }), "{err}");
    }
}

#[test]
fn basic_auth_from_docker_config() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tiny_layout(tmp.path(), "amd64", "secret stuff\n");
    let reg = Registry::start_htpasswd("alice", "wonderland");
    reg.push_layout(&layout, "private/app:1", Format::Oci);

    let good_dir = tmp.path().join("good");
    std::fs::create_dir_all(&good_dir).unwrap();
    let good = OpenOptions {
        docker_config: Some(reg.docker_config(&good_dir, "alice", "wonderland")),
        no_cache: true,
        ..Default::default()
    };
    let image = open(&reg.reference("private/app:1"), &good).unwrap();
    assert_eq!(read_files(&image).unwrap()["etc/hello"], "secret stuff\n");

    let bad_dir = tmp.path().join("bad");
    std::fs::create_dir_all(&bad_dir).unwrap();
    let bad = OpenOptions {
        docker_config: Some(reg.docker_config(&bad_dir, "alice", "wrong")),
        ..good.clone()
    };
    let err = open(&reg.reference("private/app:1"), &bad).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains(&reg.host()), "{err}");

    // No credentials at all: refused with a message saying so.
    std::fs::write(tmp.path().join("empty.json"), "{}").unwrap();
    let none = OpenOptions {
        docker_config: Some(tmp.path().join("empty.json")),
        ..good.clone()
    };
    let err = open(&reg.reference("private/app:1"), &none).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("credentials"), "{err}");

    // A credentials file the user named but that is not there is an error naming it.
    let missing = OpenOptions {
        docker_config: Some(tmp.path().join("missing.json")),
        ..good
    };
    let err = open(&reg.reference("private/app:1"), &missing).unwrap_err();
    assert!(err.to_string().contains("missing.json"), "{err}");
}

#[test]
fn bearer_token_auth_with_podman_auth_file() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tiny_layout(tmp.path(), "amd64", "token protected\n");
    let reg = Registry::start_token("bob", "builder");
    reg.push_layout(&layout, "tok/app:1", Format::Oci);

    // Podman's auth.json has the same `auths` shape; `auth_file` points at it.
    let good_dir = tmp.path().join("good");
    std::fs::create_dir_all(&good_dir).unwrap();
    let auth_file = reg.docker_config(&good_dir, "bob", "builder");
    let good = OpenOptions {
        auth_file: Some(auth_file),
        no_cache: true,
        ..Default::default()
    };
    let before = reg.token_requests();
    let image = open(&reg.reference("tok/app:1"), &good).unwrap();
    assert_eq!(
        read_files(&image).unwrap()["etc/hello"],
        "token protected\n"
    );
    let fetched = reg.token_requests() - before;
    assert_eq!(fetched, 1, "one token for the whole pull");
    // The token is cached for the run: a second open asks the token service nothing.
    open(&reg.reference("tok/app:1"), &good).unwrap();
    assert_eq!(reg.token_requests() - before, 1);

    let bad_dir = tmp.path().join("bad");
    std::fs::create_dir_all(&bad_dir).unwrap();
    let bad = OpenOptions {
        auth_file: Some(reg.docker_config(&bad_dir, "bob", "nope")),
        ..good.clone()
    };
    let err = open(&reg.reference("tok/app:1"), &bad).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("bob"), "{err}");

    // Anonymous: the token service grants nothing and the registry refuses.
    std::fs::write(tmp.path().join("empty.json"), r#"{"auths":{}}"#).unwrap();
    let anon = OpenOptions {
        auth_file: Some(tmp.path().join("empty.json")),
        ..good
    };
    let err = open(&reg.reference("tok/app:1"), &anon).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
}

/// Docker Hub's way for public images: no credentials, the token service still grants `pull`.
#[test]
fn anonymous_bearer_token_pulls_a_public_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tiny_layout(tmp.path(), "amd64", "public pull\n");
    let reg = Registry::start_token_public("erin", "pw", &["pub/app"]);
    reg.push_layout(&layout, "pub/app:1", Format::Oci);
    reg.push_layout(&layout, "priv/app:1", Format::Oci);
    std::fs::write(tmp.path().join("empty.json"), r#"{"auths":{}}"#).unwrap();
    let anon = OpenOptions {
        auth_file: Some(tmp.path().join("empty.json")),
        no_cache: true,
        ..Default::default()
    };
    let before = reg.token_requests();
    let image = open(&reg.reference("pub/app:1"), &anon).unwrap();
    assert_eq!(read_files(&image).unwrap()["etc/hello"], "public pull\n");
    assert!(
        reg.token_requests() > before,
        "an anonymous token was fetched"
    );
    // The same service grants anonymous callers nothing on a private repository.
    let err = open(&reg.reference("priv/app:1"), &anon).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
    assert!(err.to_string().contains("no credentials"), "{err}");
}

#[test]
fn identity_token_is_exchanged_with_an_oauth2_refresh_grant() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tiny_layout(tmp.path(), "amd64", "refreshed\n");
    let reg = Registry::start_token("dave", "pw");
    reg.push_layout(&layout, "oauth/app:1", Format::Oci);
    let write = |name: &str, token: &str| {
        let path = tmp.path().join(name);
        let json = format!(
            r#"{{"auths":{{"{}":{{"identitytoken":"{token}"}}}}}}"#,
            reg.host()
        );
        std::fs::write(&path, json).unwrap();
        path
    };
    let good = OpenOptions {
        docker_config: Some(write("good.json", &refresh_token_for("dave"))),
        no_cache: true,
        ..Default::default()
    };
    let image = open(&reg.reference("oauth/app:1"), &good).unwrap();
    assert_eq!(read_files(&image).unwrap()["etc/hello"], "refreshed\n");

    let bad = OpenOptions {
        docker_config: Some(write("bad.json", "stale-refresh-token")),
        ..good
    };
    let err = open(&reg.reference("oauth/app:1"), &bad).unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err}");
}

#[test]
fn cache_serves_digest_references_offline_and_rejects_corruption() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tiny_layout(tmp.path(), "amd64", "cached content\n");
    let mut reg = Registry::start();
    reg.push_layout(&layout, "cache/app:1", Format::Oci);
    let cache_dir = tmp.path().join("cache");
    let o = opts(&cache_dir);

    let first = open(&reg.reference("cache/app:1"), &o).unwrap();
    assert_eq!(read_files(&first).unwrap()["etc/hello"], "cached content\n");
    let cache = BlobCache::at(&cache_dir);
    let layer = first.layers()[0].clone();
    let manifest_digest = first.manifest_digest.clone().unwrap();
    assert!(cache.contains(&layer), "layer cached after the walk");
    assert!(cache.path_of(&first.config_digest).is_file());
    assert!(cache.path_of(&manifest_digest).is_file());
    // Nothing but verified blobs: no temporary files left.
    let leftovers: Vec<_> = std::fs::read_dir(cache_dir.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // With the registry gone, the digest reference opens from the cache alone.
    reg.stop();
    let by_digest = format!("{}@{manifest_digest}", reg.reference("cache/app"));
    let offline = open(&by_digest, &o).unwrap();
    assert_eq!(offline.config_digest, first.config_digest);
    assert_eq!(
        read_files(&offline).unwrap()["etc/hello"],
        "cached content\n"
    );

    // Without the cache the same reference needs the registry, which is gone.
    let err = open(
        &by_digest,
        &OpenOptions {
            no_cache: true,
            ..o.clone()
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");

    // A tampered cached layer is detected, not trusted, and removed.
    let path = cache.path_of(&layer.digest);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let image = open(&by_digest, &o).unwrap();
    let err = read_files(&image).unwrap_err();
    assert!(
        matches!(&err, Error::DigestMismatch { blob, .. } if *blob == layer.digest)
            || err.to_string().contains(&layer.digest.to_string()),
        "{err}"
    );
    assert!(!path.exists(), "corrupt cached blob is evicted");
}

#[test]
fn concurrent_pulls_share_one_cache_safely() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tiny_layout(tmp.path(), "amd64", "shared cache\n");
    let reg = Registry::start();
    reg.push_layout(&layout, "conc/app:1", Format::Oci);
    let cache_dir = tmp.path().join("cache");
    let reference = reg.reference("conc/app:1");
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let image = open(&reference, &opts(&cache_dir))?;
                    read_files(&image)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in results {
        assert_eq!(r.unwrap()["etc/hello"], "shared cache\n");
    }
    let names: Vec<String> = std::fs::read_dir(cache_dir.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        3,
        "manifest, config and layer, no temporary files: {names:?}"
    );
}

#[test]
fn loopback_registry_serving_https_is_spoken_to_over_https() {
    // A port-forwarded registry on loopback often speaks TLS; HTTPS is tried before plain HTTP.
    let tmp = tempfile::tempdir().unwrap();
    let layout = tiny_layout(tmp.path(), "amd64", "over tls\n");
    let reg = Registry::start_tls();
    reg.push_layout(&layout, "tls/app:1", Format::Oci);
    let image = open(
        &reg.reference("tls/app:1"),
        &opts(&tmp.path().join("cache")),
    )
    .unwrap();
    assert_eq!(read_files(&image).unwrap()["etc/hello"], "over tls\n");
}

#[test]
fn unknown_tag_and_closed_port() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tiny_layout(tmp.path(), "amd64", "x\n");
    let reg = Registry::start();
    reg.push_layout(&layout, "team/app:1", Format::Oci);
    let o = OpenOptions {
        no_cache: true,
        ..Default::default()
    };
    let err = open(&reg.reference("team/app:nope"), &o).unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("manifest nope of team/app at 127.0.0.1:"),
        "{msg}"
    );
    let err = open(&reg.reference("team/other:1"), &o).unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let err = open(&format!("127.0.0.1:{port}/team/app:1"), &o).unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused connections are not retried at length"
    );
}

// ---- Faults a real registry cannot be made to produce: a stub serving a real layout. ----

fn stub_setup(content: &str) -> (tempfile::TempDir, Stub, drydock_image::Image) {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tiny_layout(tmp.path(), "amd64", content);
    let stub = Stub::serve(&layout);
    // A first, clean open tells the tests the digests to aim faults at.
    let clean = open(
        &format!("{}/stub/app:latest", stub.host()),
        &OpenOptions {
            no_cache: true,
            ..Default::default()
        },
    )
    .unwrap();
    (tmp, stub, clean)
}

fn no_cache() -> OpenOptions {
    OpenOptions {
        no_cache: true,
        ..Default::default()
    }
}

#[test]
fn stub_wrong_digest_is_a_mismatch_naming_the_blob() {
    let (_tmp, stub, clean) = stub_setup("digest check\n");
    let config = clean.config_digest.to_string();
    stub.fault(&config, 1, FaultKind::Corrupt);
    let err = open(&format!("{}/stub/app:latest", stub.host()), &no_cache()).unwrap_err();
    assert!(
        matches!(&err, Error::DigestMismatch { blob, .. } if blob.to_string() == config),
        "{err}"
    );
    assert!(err.to_string().contains(&config), "{err}");

    // A layer with wrong bytes fails the walk, and is not cached.
    let layer = clean.layers()[0].digest.clone();
    stub.fault(&layer.to_string(), 1, FaultKind::Corrupt);
    let cache = tempfile::tempdir().unwrap();
    let o = OpenOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..Default::default()
    };
    let image = open(&format!("{}/stub/app:latest", stub.host()), &o).unwrap();
    let err = read_files(&image).unwrap_err();
    assert!(err.to_string().contains(&layer.to_string()), "{err}");
    assert!(!BlobCache::at(cache.path()).path_of(&layer).exists());

    // A manifest whose bytes do not match Docker-Content-Digest is refused.
    stub.fault("/manifests/latest", 1, FaultKind::Corrupt);
    let err = open(&format!("{}/stub/app:latest", stub.host()), &no_cache()).unwrap_err();
    assert!(
        matches!(err, Error::DigestMismatch { .. } | Error::Malformed { .. }),
        "{err}"
    );
}

/// A one-layer OCI layout, tagged `latest`, whose layer holds `usr/share/passwd.orig` and then
/// `etc/passwd`, a hard link to it.
fn hard_link_layout(dir: &Path) -> std::path::PathBuf {
    use drydock_image::Digest;
    let layout = dir.join("layout-hardlink");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let d = Digest::sha256_of(bytes);
        std::fs::write(blobs.join(d.hex()), bytes).unwrap();
        (d.to_string(), bytes.len())
    };
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(6);
    tar.append_data(&mut h, "usr/share/passwd.orig", &b"root:x"[..])
        .unwrap();
    h.set_entry_type(tar::EntryType::Link);
    h.set_size(0);
    tar.append_link(&mut h, "etc/passwd", "usr/share/passwd.orig")
        .unwrap();
    let tar = tar.into_inner().unwrap();
    let diff_id = Digest::sha256_of(&tar).to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    let (layer, layer_size) = put(&gz.finish().unwrap());
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    });
    let (config, config_size) = put(config.to_string().as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": layer_size}],
    });
    let (manifest, manifest_size) = put(manifest.to_string().as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest,
            "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }],
    });
    std::fs::write(layout.join("index.json"), index.to_string()).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    layout
}

/// A wanted hard-link name whose original went past unread makes the walk read its layer a second
/// time: from the cache the first read filled, or, without a cache, downloaded again (verified
/// again too).
#[test]
fn stub_a_layer_read_again_for_a_hard_link_comes_from_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let stub = Stub::serve(&hard_link_layout(tmp.path()));
    let reference = format!("{}/stub/app:latest", stub.host());
    let walk = |o: &OpenOptions| {
        let image = open(&reference, o).unwrap();
        let layer = image.layers()[0].digest.to_string();
        let before = stub.requests().len();
        let mut grab = Grab {
            wanted: vec!["etc/passwd"],
            got: BTreeMap::new(),
        };
        let tree = image.walk(&mut [&mut grab]).unwrap();
        assert_eq!(grab.got["etc/passwd"], "root:x");
        assert_eq!(tree.get("/etc/passwd").map(|n| n.size), Some(6));
        stub.requests()[before..]
            .iter()
            .filter(|r| r.target.contains(&layer))
            .count()
    };
    assert_eq!(walk(&no_cache()), 2, "without a cache: twice");
    let o = opts(&tmp.path().join("cache"));
    assert_eq!(walk(&o), 1, "the second read is the cache's");
    assert_eq!(walk(&o), 0, "both from the cache");
}

/// That second download draws no second progress line. Progress goes to the process's stderr, so
/// the test runs its walk in a child (this test binary again) and reads the child's stderr.
#[test]
fn stub_a_layer_downloaded_again_draws_one_progress_line() {
    const CHILD: &str = "DRYDOCK_TEST_PROGRESS_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let tmp = tempfile::tempdir().unwrap();
        let stub = Stub::serve(&hard_link_layout(tmp.path()));
        let o = OpenOptions {
            progress: true,
            ..no_cache()
        };
        let image = open(&format!("{}/stub/app:latest", stub.host()), &o).unwrap();
        let mut grab = Grab {
            wanted: vec!["etc/passwd"],
            got: BTreeMap::new(),
        };
        image.walk(&mut [&mut grab]).unwrap();
        assert_eq!(grab.got["etc/passwd"], "root:x");
        let layer = image.layers()[0].digest.short();
        let hits = stub
            .requests()
            .iter()
            .filter(|r| r.target.contains(image.layers()[0].digest.hex()))
            .count();
        assert_eq!(hits, 2, "downloaded twice");
        // Tells the parent which label to count.
        eprintln!("\nlabel={layer}");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "stub_a_layer_downloaded_again_draws_one_progress_line",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let label = stderr
        .lines()
        .find_map(|l| l.strip_prefix("label="))
        .unwrap_or_else(|| panic!("no label in {stderr:?}"));
    // A progress line is redrawn with \r and ends with one newline: one line per download drawn.
    let drawn = stderr
        .lines()
        .filter(|l| l.contains(&format!("\r{label} ")))
        .count();
    assert_eq!(drawn, 1, "{stderr:?}");
}

#[test]
fn stub_truncated_blob_resumes_once_and_fails_when_persistent() {
    let (_tmp, stub, clean) = stub_setup("truncation\n");
    let layer = clean.layers()[0].digest.to_string();
    stub.fault(&layer, 1, FaultKind::Truncate);
    let image = open(&format!("{}/stub/app:latest", stub.host()), &no_cache()).unwrap();
    assert_eq!(read_files(&image).unwrap()["etc/hello"], "truncation\n");
    let hits = stub
        .requests()
        .iter()
        .filter(|r| r.target.contains(&layer))
        .count();
    assert_eq!(
        hits, 2,
        "a truncated try, then a resumed one (opening alone reads no layer)"
    );

    stub.fault(&layer, usize::MAX, FaultKind::Truncate);
    let image = open(&format!("{}/stub/app:latest", stub.host()), &no_cache()).unwrap();
    let err = read_files(&image).unwrap_err();
    assert!(err.to_string().contains(&layer), "{err}");
}

#[test]
fn stub_500_then_success_is_retried() {
    let (_tmp, stub, clean) = stub_setup("retry\n");
    let config = clean.config_digest.to_string();
    stub.fault(&config, 2, FaultKind::Status(500));
    let image = open(&format!("{}/stub/app:latest", stub.host()), &no_cache()).unwrap();
    assert_eq!(image.config_digest, clean.config_digest);
    let hits = stub
        .requests()
        .iter()
        .filter(|r| r.target.contains(&config))
        .count();
    assert_eq!(hits, 1 + 3, "clean open, two 500s, one success");
}

#[test]
fn stub_hangup_without_answer_is_retried() {
    let (_tmp, stub, clean) = stub_setup("hangup\n");
    stub.fault("/manifests/latest", 2, FaultKind::Hangup);
    let image = open(&format!("{}/stub/app:latest", stub.host()), &no_cache()).unwrap();
    assert_eq!(image.manifest_digest, clean.manifest_digest);
    let hits = stub
        .requests()
        .iter()
        .filter(|r| r.target.ends_with("/manifests/latest"))
        .count();
    assert_eq!(hits, 1 + 3, "clean open, two hang-ups, one answer");

    stub.fault("/manifests/latest", usize::MAX, FaultKind::Hangup);
    let err = open(&format!("{}/stub/app:latest", stub.host()), &no_cache()).unwrap_err();
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
}

#[test]
fn stub_hostile_answers_are_bounded_and_named() {
    let (_tmp, stub, clean) = stub_setup("hostile\n");
    let reference = format!("{}/stub/app:latest", stub.host());

    // A manifest far larger than any real one is refused without reading it all.
    stub.fault("/manifests/latest", 1, FaultKind::Oversize(64 << 20));
    let err = open(&reference, &no_cache()).unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
    assert!(
        err.to_string().contains("manifest latest of stub/app"),
        "{err}"
    );

    // A blob the registry does not have is named.
    let config = clean.config_digest.to_string();
    stub.fault(&config, 1, FaultKind::Status(404));
    let err = open(&reference, &no_cache()).unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("blob {config} of stub/app at")),
        "{err}"
    );

    // A redirect loop ends.
    stub.fault(
        &config,
        usize::MAX,
        FaultKind::Redirect(format!("http://{}", stub.host())),
    );
    let err = open(&reference, &no_cache()).unwrap_err();
    assert!(err.to_string().contains("too many redirects"), "{err}");
}

#[test]
fn stub_429_with_retry_after_waits() {
    let (_tmp, stub, clean) = stub_setup("rate limit\n");
    stub.fault("/manifests/latest", 1, FaultKind::RetryAfter(429, 1));
    let started = Instant::now();
    let image = open(&format!("{}/stub/app:latest", stub.host()), &no_cache()).unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(image.manifest_digest, clean.manifest_digest);
}

#[test]
fn stub_permanent_500_is_a_clear_error() {
    let (_tmp, stub, _clean) = stub_setup("down\n");
    stub.fault("/manifests/latest", usize::MAX, FaultKind::Status(500));
    let err = open(&format!("{}/stub/app:latest", stub.host()), &no_cache()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Registry { .. }), "{msg}");
    assert!(
        msg.contains("HTTP 500") && msg.contains("after 4 attempts"),
        "{msg}"
    );
    assert!(msg.contains("manifest latest of stub/app"), "{msg}");
    assert!(!msg.contains('\n'));
}

#[test]
fn stub_redirect_to_other_host_drops_authorization() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tiny_layout(tmp.path(), "amd64", "redirected\n");
    let storage = Stub::serve(&layout);
    let registry = Stub::serve_with_basic(&layout, "carol", "pw");
    // Blobs live "elsewhere": localhost is another host than 127.0.0.1 as far as HTTP is concerned.
    registry.fault(
        "/blobs/",
        usize::MAX,
        FaultKind::Redirect(format!("http://localhost:{}", storage.port())),
    );
    let cfg_dir = tmp.path().join("cfg");
    std::fs::create_dir_all(&cfg_dir).unwrap();
    let auth = base64_config(&cfg_dir, &registry.host(), "carol", "pw");
    let o = OpenOptions {
        docker_config: Some(auth),
        no_cache: true,
        ..Default::default()
    };
    let image = open(&format!("{}/stub/app:latest", registry.host()), &o).unwrap();
    assert_eq!(read_files(&image).unwrap()["etc/hello"], "redirected\n");
    let got = storage.requests();
    assert!(
        got.iter().any(|r| r.target.contains("/blobs/")),
        "blobs came from storage"
    );
    assert!(
        got.iter().all(|r| r.header("authorization").is_none()),
        "credentials leaked: {got:?}"
    );
    assert!(
        registry
            .requests()
            .iter()
            .any(|r| r.header("authorization").is_some()),
        "the registry itself did get credentials"
    );
}

fn base64_config(dir: &Path, host: &str, user: &str, pass: &str) -> std::path::PathBuf {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    let path = dir.join("config.json");
    std::fs::write(
        &path,
        format!(r#"{{"auths":{{"http://{host}/":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    path
}
