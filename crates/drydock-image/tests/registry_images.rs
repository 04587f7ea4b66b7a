//! The registry source on the real Debian-built test images: pushed to a real `docker-registry` with
//! `skopeo`, pulled back, and compared with the same image read from its OCI layout.

use std::collections::BTreeMap;

use drydock_image::{Image, Kind, OpenOptions, Platform, list_platforms, open};
use drydock_testkit::images;
use drydock_testkit::registry::{Format, Registry};

/// (kind, size, link) per path of the merged view.
fn tree(image: &Image) -> BTreeMap<String, (Kind, u64, Option<String>)> {
    let tree = image
        .walk(&mut [])
        .unwrap_or_else(|e| panic!("{}: {e}", image.spec));
    tree.iter()
        .map(|(p, n)| (p.to_string(), (n.kind, n.size, n.link.clone())))
        .collect()
}

fn local(name: &str) -> Image {
    let spec = format!("oci:{}:latest", images::layout(name).display());
    open(&spec, &OpenOptions::default()).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

#[test]
fn registry_pulls_of_real_images_equal_their_layouts() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let o = OpenOptions {
        cache_dir: Some(tmp.path().join("cache")),
        ..Default::default()
    };
    for (name, format) in [("distroless", Format::Oci), ("app", Format::V2s2)] {
        // A layout directory is pushed as its `latest`.
        let layout = images::layout(name);
        reg.push(
            layout.to_str().unwrap(),
            &format!("test/{name}:latest"),
            format,
        );
        let want = local(name);
        let got = open(&reg.reference(&format!("test/{name}:latest")), &o).unwrap();
        assert_eq!(got.layers().len(), want.layers().len(), "{name}");
        assert_eq!(got.config.config.user, want.config.config.user, "{name}");
        // skopeo, reading the same registry, agrees on the manifest digest.
        let out = std::process::Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
            .arg(format!(
                "docker://{}",
                reg.reference(&format!("test/{name}:latest"))
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            got.manifest_digest.as_ref().unwrap().to_string(),
            "{name}"
        );
        if format == Format::Oci {
            // Same format: skopeo copies the manifest as it is, so the digests are the layout's.
            assert_eq!(got.manifest_digest, want.manifest_digest, "{name}");
        }
        let (got_tree, want_tree) = (tree(&got), tree(&want));
        assert!(got_tree.len() > 100, "{name}: {} paths", got_tree.len());
        let differ: Vec<_> = want_tree
            .iter()
            .filter(|(p, v)| got_tree.get(*p) != Some(v))
            .map(|(p, _)| p)
            .chain(got_tree.keys().filter(|p| !want_tree.contains_key(*p)))
            .take(10)
            .collect();
        assert!(differ.is_empty(), "{name}: paths differ: {differ:?}");

        // The second read comes from the cache, with the same result.
        let again = open(&reg.reference(&format!("test/{name}:latest")), &o).unwrap();
        assert_eq!(tree(&again), got_tree, "{name}");
    }
}

#[test]
fn registry_multi_platform_real_image() {
    let reg = Registry::start();
    let layout = images::layout(images::MULTI);
    reg.push_all(
        &format!("oci:{}:latest", layout.display()),
        "test/multi:latest",
        Format::Oci,
    );
    let o = OpenOptions {
        no_cache: true,
        ..Default::default()
    };
    let reference = reg.reference("test/multi:latest");
    let mut listed = list_platforms(&reference, &o).unwrap();
    let mut want = list_platforms(&format!("oci:{}:latest", layout.display()), &o).unwrap();
    listed.sort_by_key(|(p, _)| p.to_string());
    want.sort_by_key(|(p, _)| p.to_string());
    assert_eq!(listed, want, "the registry offers what the layout holds");
    assert!(listed.len() >= 2);

    let arm = open(
        &reference,
        &OpenOptions {
            platform: Some(Platform::parse("linux/arm64").unwrap()),
            ..o.clone()
        },
    )
    .unwrap();
    assert_eq!(arm.config.architecture, "arm64");
    let arm_digest = listed
        .iter()
        .find(|(p, _)| p.architecture == "arm64")
        .unwrap()
        .1
        .clone();
    assert_eq!(arm.manifest_digest, Some(arm_digest));
    assert!(tree(&arm).len() > 100);
}
