//! Local sources on the real test images: the merged view equals the root file system the image was
//! built from (truth written by scripts/build-test-images), from every source form.

use std::collections::BTreeMap;

use drydock_image::{Error, Kind, OpenOptions, Platform, open};
use drydock_testkit::images;

type Entry = (String, u64, String);

/// (kind letter, size, link target) per path, from the build's truth file.
fn truth_files(name: &str) -> BTreeMap<String, Entry> {
    images::truth_tsv(name, "files.tsv")
        .into_iter()
        .map(|r| {
            let kind = match r[1].as_str() {
                "h" => "f".to_string(),
                k => k.to_string(),
            };
            let link = if kind == "l" {
                r.get(3).cloned().unwrap_or_default()
            } else {
                String::new()
            };
            (r[0].clone(), (kind, r[2].parse().unwrap_or(0), link))
        })
        // Device nodes are dropped from the layers; /dev itself stays.
        .filter(|(p, _)| !p.starts_with("/dev/"))
        .collect()
}

fn walked(spec: &str) -> BTreeMap<String, Entry> {
    let image = open(spec, &OpenOptions::default()).unwrap_or_else(|e| panic!("{spec}: {e}"));
    let tree = image
        .walk(&mut [])
        .unwrap_or_else(|e| panic!("{spec}: {e}"));
    tree.iter()
        .filter(|(p, _)| !p.starts_with("/dev/"))
        .map(|(p, n)| {
            let kind = match n.kind {
                Kind::File | Kind::Hardlink => "f",
                Kind::Dir => "d",
                Kind::Symlink => "l",
                Kind::CharDevice => "c",
                Kind::BlockDevice => "b",
                Kind::Fifo => "p",
            };
            let size = if kind == "f" { n.size } else { 0 };
            let link = if kind == "l" {
                n.link.clone().unwrap_or_default()
            } else {
                String::new()
            };
            (p.to_string(), (kind.to_string(), size, link))
        })
        .collect()
}

fn assert_same(name: &str, spec: &str) {
    let want = truth_files(name);
    let got = walked(spec);
    let missing: Vec<_> = want
        .keys()
        .filter(|p| !got.contains_key(*p))
        .take(10)
        .collect();
    let extra: Vec<_> = got
        .keys()
        .filter(|p| !want.contains_key(*p))
        .take(10)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{spec}: missing {missing:?}, extra {extra:?}"
    );
    for (p, w) in &want {
        assert_eq!(&got[p], w, "{spec}: {p}");
    }
}

#[test]
fn images_merged_view_equals_the_built_root_fs_from_every_source() {
    for name in ["minbase", "python", "app", "distroless", "hardlinks"] {
        assert_same(name, &format!("oci:{}", images::layout(name).display()));
        assert_same(
            name,
            &format!("oci-archive:{}", images::oci_archive(name).display()),
        );
        assert_same(
            name,
            &format!("docker-archive:{}", images::docker_archive(name).display()),
        );
    }
    assert_same(
        "app",
        &format!(
            "docker-archive:{}",
            images::docker25_archive("app").display()
        ),
    );
}

#[test]
fn images_sources_agree_on_identity() {
    let o = OpenOptions::default();
    let layout = open(&format!("oci:{}", images::layout("app").display()), &o).unwrap();
    let archive = open(
        &format!("oci-archive:{}", images::oci_archive("app").display()),
        &o,
    )
    .unwrap();
    let docker = open(
        &format!("docker-archive:{}", images::docker_archive("app").display()),
        &o,
    )
    .unwrap();
    assert_eq!(layout.manifest_digest, archive.manifest_digest);
    assert_eq!(layout.config_digest, archive.config_digest);
    // docker-archive holds the same layers (uncompressed, so named by their diff ids).
    assert_eq!(layout.config.rootfs.diff_ids, docker.config.rootfs.diff_ids);
    let layers: usize = images::truth("app", "layers.txt").trim().parse().unwrap();
    assert_eq!(layout.layers().len(), layers);
    assert_eq!(docker.layers().len(), layers);
    // skopeo records the normalised name in RepoTags.
    assert!(
        docker
            .local_name
            .as_deref()
            .unwrap()
            .ends_with("drydock-test/app:latest")
    );
    // A bare path is recognised too.
    let bare = open(&images::docker_archive("app").display().to_string(), &o).unwrap();
    assert_eq!(bare.config_digest, docker.config_digest);
}

#[test]
fn images_whiteouts_and_layer_attribution() {
    let image = open(
        &format!("oci:{}", images::layout("app").display()),
        &OpenOptions::default(),
    )
    .unwrap();
    let tree = image.walk(&mut []).unwrap();
    let top = image.layers().len() - 1;
    let gone = images::truth_lines("app", "whiteouts.txt");
    assert!(!gone.is_empty());
    for path in gone {
        assert!(
            tree.get(&path).is_none(),
            "{path} was deleted by the app layer"
        );
    }
    assert!(tree.layers[top].whiteouts > 0);
    // Files the app layer wrote are attributed to it; the base's untouched files to layer 0.
    assert_eq!(tree.get("/app/main.py").unwrap().layer, top);
    assert_eq!(tree.resolve("/usr/bin/dash").unwrap().1.layer, 0);
    assert!(tree.resolve("/usr/bin/python3").is_some());
    let compressed: u64 = image.layers().iter().map(|l| l.size).sum();
    assert_eq!(
        tree.layers.iter().map(|l| l.compressed_size).sum::<u64>(),
        compressed
    );
    assert!(
        tree.layers
            .iter()
            .all(|l| l.uncompressed_size >= l.compressed_size)
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn images_tampered_blobs_are_caught_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("distroless");
    copy_dir(&images::layout("distroless"), &dir);
    let spec = format!("oci:{}", dir.display());
    let image = open(&spec, &OpenOptions::default()).unwrap();
    let layer = image.layers()[0].clone();
    let path = dir.join("blobs/sha256").join(layer.digest.hex());
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let err = image.walk(&mut []).unwrap_err();
    // Even when gzip trips over the damage first, the report is the digest mismatch.
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains(layer.digest.hex()),
        "names the blob: {err}"
    );

    bytes.truncate(mid);
    std::fs::write(&path, &bytes).unwrap();
    let err = open(&spec, &OpenOptions::default())
        .unwrap()
        .walk(&mut [])
        .unwrap_err();
    assert!(err.to_string().contains(layer.digest.hex()), "{err}");

    std::fs::write(dir.join("index.json"), b"{\"manifests\": [").unwrap();
    let err = open(&spec, &OpenOptions::default()).unwrap_err();
    assert!(err.to_string().contains("index.json"), "{err}");

    let err = open(
        &format!("oci:{}:nope", images::layout("distroless").display()),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
}

/// The archive index seeks over members' contents rather than reading them, so damage inside a
/// `docker save` layer is found by the walk's digest check, and an archive cut short fails to open.
#[test]
fn images_damaged_docker_archives_are_caught_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let original = std::fs::read(images::docker_archive("distroless")).unwrap();
    let image = open(
        &format!(
            "docker-archive:{}",
            images::docker_archive("distroless").display()
        ),
        &OpenOptions::default(),
    )
    .unwrap();
    let layer = image.layers()[0].clone();

    // skopeo writes the layer member first: flip bytes in the middle of its contents.
    let mut flipped = original.clone();
    for b in &mut flipped[original.len() / 3..original.len() / 3 + 8] {
        *b ^= 0x55;
    }
    let path = tmp.path().join("flipped.tar");
    std::fs::write(&path, &flipped).unwrap();
    let image = open(
        &format!("docker-archive:{}", path.display()),
        &OpenOptions::default(),
    )
    .expect("the archive's small members are intact");
    let err = image.walk(&mut []).unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(err.to_string().contains(layer.digest.hex()), "{err}");

    let path = tmp.path().join("cut.tar");
    std::fs::write(&path, &original[..original.len() / 2]).unwrap();
    let err = open(
        &format!("docker-archive:{}", path.display()),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("cut.tar"), "{err}");
}

#[test]
fn images_multi_platform_index() {
    let spec = format!("oci:{}", images::layout(images::MULTI).display());
    let platforms = drydock_image::list_platforms(&spec, &OpenOptions::default()).unwrap();
    let names: Vec<String> = platforms.iter().map(|(p, _)| p.to_string()).collect();
    assert!(
        names.iter().any(|n| n == "linux/amd64")
            && names.iter().any(|n| n.starts_with("linux/arm64")),
        "{names:?}"
    );
    for arch in ["amd64", "arm64"] {
        let opts = OpenOptions {
            platform: Platform::parse(&format!("linux/{arch}")),
            ..OpenOptions::default()
        };
        let image = open(&spec, &opts).unwrap();
        assert_eq!(image.config.architecture, arch);
        assert!(image.index_digest.is_some());
        let tree = image.walk(&mut []).unwrap();
        assert!(tree.resolve("/bin/sh").is_none());
        assert!(tree.resolve("/etc/passwd").is_some());
    }
    let opts = OpenOptions {
        platform: Platform::parse("linux/s390x"),
        ..OpenOptions::default()
    };
    let err = open(&spec, &opts).unwrap_err();
    assert!(matches!(err, Error::NoMatchingPlatform { .. }), "{err}");
    assert!(
        err.to_string().contains("linux/arm64"),
        "lists what is there: {err}"
    );
}

/// Re-encodes an image's layers with skopeo (a real peer tool) into a fresh OCI layout.
fn skopeo_convert(name: &str, dest: &std::path::Path, extra: &[&str]) {
    let status = std::process::Command::new("skopeo")
        .args(["copy", "-q"])
        .args(extra)
        .arg(format!("oci:{}:latest", images::layout(name).display()))
        .arg(format!("oci:{}:latest", dest.display()))
        .status()
        .expect("skopeo runs (scripts/test installs it)");
    assert!(status.success());
}

#[test]
fn images_zstd_layers_give_the_same_view() {
    let tmp = tempfile::tempdir().unwrap();
    let zstd = tmp.path().join("zstd");
    skopeo_convert("app", &zstd, &["--dest-compress-format=zstd"]);
    let image = open(&format!("oci:{}", zstd.display()), &OpenOptions::default()).unwrap();
    assert!(
        image
            .layers()
            .iter()
            .all(|l| l.media_type.ends_with("+zstd"))
    );
    let tree = image.walk(&mut []).unwrap();
    assert!(
        tree.layers
            .iter()
            .all(|l| l.compression == Some(drydock_image::blob::Compression::Zstd))
    );
    assert_same("app", &format!("oci:{}", zstd.display()));
    // Uncompressed layers: docker-archive's (checked in the merged-view test above).
}

/// Copies a tar archive, replacing the bytes of members `change` has new bytes for.
fn rewrite_archive(
    from: &std::path::Path,
    to: &std::path::Path,
    change: impl Fn(&str, &[u8]) -> Option<Vec<u8>>,
) {
    use std::io::Read;
    let mut input = tar::Archive::new(std::fs::File::open(from).unwrap());
    let mut output = tar::Builder::new(std::fs::File::create(to).unwrap());
    for entry in input.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut header = entry.header().clone();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        let bytes = change(&name, &bytes).unwrap_or(bytes);
        header.set_size(bytes.len() as u64);
        output
            .append_data(&mut header, &name, bytes.as_slice())
            .unwrap();
    }
    output.finish().unwrap();
}

/// Docker 25+ `docker save`: an OCI layout beside manifest.json. The image is read through the
/// layout (so it has its manifest digest), and a broken layout is an error, not a quiet fall-back
/// to manifest.json.
#[test]
fn images_docker25_archive_is_read_through_its_oci_layout() {
    let archive = images::docker25_archive("app");
    let digest = images::truth("app", "docker25-manifest-digest")
        .trim()
        .to_string();
    let o = OpenOptions::default();
    for spec in [
        format!("docker-archive:{}", archive.display()),
        format!(
            "docker-archive:{}:drydock-test/app:latest",
            archive.display()
        ),
        archive.display().to_string(),
    ] {
        let image = open(&spec, &o).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(image.source, drydock_image::SourceKind::DockerArchive);
        assert_eq!(
            image.manifest_digest.as_ref().map(|d| d.to_string()),
            Some(digest.clone()),
            "{spec}"
        );
        assert_eq!(image.local_name.as_deref(), Some("drydock-test/app:latest"));
        let layout = open(&format!("oci:{}", images::layout("app").display()), &o).unwrap();
        assert_eq!(image.config_digest, layout.config_digest);
    }

    let tmp = tempfile::tempdir().unwrap();
    let manifest_member = format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"));
    // The manifest blob's bytes changed (not its size): the digest check names it.
    let tampered = tmp.path().join("tampered.tar");
    rewrite_archive(&archive, &tampered, |name, bytes| {
        (name == manifest_member).then(|| {
            String::from_utf8_lossy(bytes)
                .replacen("\"schemaVersion\":2", "\"schemaVersion\":3", 1)
                .into_bytes()
        })
    });
    let err = open(&format!("docker-archive:{}", tampered.display()), &o).unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(err.to_string().contains(&digest), "{err}");
    // index.json names a manifest the archive does not hold.
    let missing = tmp.path().join("missing.tar");
    let absent = format!("sha256:{}", "0".repeat(64));
    rewrite_archive(&archive, &missing, |name, bytes| {
        (name == "index.json").then(|| {
            String::from_utf8_lossy(bytes)
                .replace(&digest, &absent)
                .into_bytes()
        })
    });
    let err = open(&format!("docker-archive:{}", missing.display()), &o).unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    assert!(err.to_string().contains(&absent), "{err}");
}

#[test]
fn an_index_without_images_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("empty");
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        r#"{"schemaVersion":2,"manifests":[]}"#,
    )
    .unwrap();
    let spec = format!("oci:{}", dir.display());
    let err = open(&spec, &OpenOptions::default()).unwrap_err();
    assert!(err.to_string().contains("manifests list is empty"), "{err}");

    // The same for an image index the tag names.
    let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    let hex = drydock_image::Digest::sha256_of(index).hex().to_string();
    std::fs::write(dir.join("blobs/sha256").join(&hex), index).unwrap();
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{hex}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"latest"}}}}]}}"#,
            index.len()
        ),
    )
    .unwrap();
    for err in [
        open(&spec, &OpenOptions::default()).unwrap_err(),
        drydock_image::list_platforms(&spec, &OpenOptions::default()).unwrap_err(),
    ] {
        let msg = err.to_string();
        assert!(
            msg.contains("manifests list is empty") && msg.contains(&hex),
            "{msg}"
        );
    }
}

/// An explicit platform must be the image's, as `docker pull --platform` insists; the default
/// (the host's) only chooses from an index.
#[test]
fn images_explicit_platform_must_match_a_single_platform_image() {
    let config = images::truth_json("distroless", "config.json");
    let own = format!(
        "{}/{}",
        config["os"].as_str().unwrap(),
        config["architecture"].as_str().unwrap()
    );
    let other = if own == "linux/arm64" {
        "linux/amd64"
    } else {
        "linux/arm64"
    };
    for spec in [
        format!("oci:{}", images::layout("distroless").display()),
        format!(
            "oci-archive:{}",
            images::oci_archive("distroless").display()
        ),
        format!(
            "docker-archive:{}",
            images::docker_archive("distroless").display()
        ),
    ] {
        let with = |p: Option<&str>| OpenOptions {
            platform: p.map(|p| Platform::parse(p).unwrap()),
            ..OpenOptions::default()
        };
        assert!(open(&spec, &with(None)).is_ok(), "{spec}: default platform");
        assert!(open(&spec, &with(Some(&own))).is_ok(), "{spec}: {own}");
        let err = open(&spec, &with(Some(other))).unwrap_err();
        assert!(
            matches!(err, Error::PlatformMismatch { .. }),
            "{spec}: {err}"
        );
        assert!(
            err.to_string()
                .contains(&format!("image is {own}, not the requested {other}")),
            "{err}"
        );
    }
}
