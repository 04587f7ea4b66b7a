//! The JSON schema in docs/ accepts real reports and rejects broken ones.

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

use drydock_facts::{FactsCollector, report_from_tree};
use drydock_image::oci::ImageConfig;

#[test]
fn schema_accepts_directory_reports() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("usr/bin")).unwrap();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::create_dir_all(root.join("lib")).unwrap();
    fs::create_dir_all(root.join("data")).unwrap();
    fs::write(root.join("usr/bin/busybox"), b"\x7fELF BusyBox v1.36.1").unwrap();
    fs::set_permissions(
        root.join("usr/bin/busybox"),
        fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
    symlink("busybox", root.join("usr/bin/sh")).unwrap();
    symlink("usr/bin", root.join("bin")).unwrap();
    fs::write(root.join("lib/ld-musl-x86_64.so.1"), b"\x7fELF").unwrap();
    fs::write(
        root.join("etc/os-release"),
        b"ID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n",
    )
    .unwrap();
    fs::write(root.join("etc/passwd"), b"root:x:0:0:root:/root:/bin/sh\n").unwrap();
    fs::write(root.join("data/open"), b"x").unwrap();
    fs::set_permissions(root.join("data/open"), fs::Permissions::from_mode(0o666)).unwrap();
    let mut cfg = ImageConfig::default();
    cfg.config.cmd = Some(vec!["/bin/sh".into()]);
    cfg.config.healthcheck = Some(drydock_image::oci::Healthcheck {
        test: vec!["CMD-SHELL".into(), "true".into()],
        interval: Some(30_000_000_000),
        ..Default::default()
    });
    let mut collector = FactsCollector::new(&cfg);
    let tree = drydock_image::rootfs::walk_dir(root, &mut [&mut collector]).unwrap();
    let report = report_from_tree("dir:x", &tree, collector, Some(&cfg), &common::opts());
    assert!(
        report.runnability.command.can_run,
        "{}",
        report.runnability.command.why
    );
    assert_eq!(report.risk.setuid_setgid.total, 1);
    assert_eq!(report.risk.world_writable.total, 1);
    common::assert_valid(&report);

    let empty = report_from_tree(
        "scratch",
        &drydock_image::FileTree::from_nodes(Vec::new()),
        FactsCollector::default(),
        None,
        &common::opts(),
    );
    common::assert_valid(&empty);
}

#[test]
fn schema_rejects_a_report_missing_a_section() {
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(common::schema_path()).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let report = report_from_tree(
        "scratch",
        &drydock_image::FileTree::from_nodes(Vec::new()),
        FactsCollector::default(),
        None,
        &common::opts(),
    );
    let mut value = serde_json::to_value(&report).unwrap();
    value.as_object_mut().unwrap().remove("libc");
    assert!(!validator.is_valid(&value));
    let mut value = serde_json::to_value(&report).unwrap();
    value["os"]["eol"]["state"] = "maybe".into();
    assert!(!validator.is_valid(&value));
}

/// Every key of the JSON appears in docs/inspect.md as `key` (maps of user data excluded).
#[test]
fn docs_name_every_json_field() {
    let docs = fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/inspect.md"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("usr/bin")).unwrap();
    fs::write(dir.path().join("usr/bin/sh"), b"x").unwrap();
    fs::set_permissions(
        dir.path().join("usr/bin/sh"),
        fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
    fs::create_dir_all(dir.path().join("var/cache/apk")).unwrap();
    fs::write(dir.path().join("var/cache/apk/x"), b"x").unwrap();
    fs::write(dir.path().join("usr/bin/python3.12"), b"x").unwrap();
    fs::set_permissions(
        dir.path().join("usr/bin/python3.12"),
        fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let mut cfg = ImageConfig::default();
    cfg.config.cmd = Some(vec!["/usr/bin/sh".into(), "-c".into(), "python3.12".into()]);
    cfg.config.healthcheck = Some(drydock_image::oci::Healthcheck {
        test: vec!["CMD".into(), "true".into()],
        ..Default::default()
    });
    cfg.history = vec![Default::default()];
    let mut collector = FactsCollector::new(&cfg);
    let tree = drydock_image::rootfs::walk_dir(dir.path(), &mut [&mut collector]).unwrap();
    let mut report = report_from_tree("dir:x", &tree, collector, Some(&cfg), &common::opts());
    report.identity.base_image = Some(Default::default());
    let value = serde_json::to_value(&report).unwrap();
    let mut keys = std::collections::BTreeSet::new();
    fn walk(v: &serde_json::Value, keys: &mut std::collections::BTreeSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    keys.insert(k.clone());
                    if !matches!(
                        k.as_str(),
                        "labels" | "manifest_annotations" | "descriptor_annotations"
                    ) {
                        walk(v, keys);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, keys)),
            _ => {}
        }
    }
    walk(&value, &mut keys);
    assert!(keys.len() > 80, "{keys:?}");
    let missing: Vec<&String> = keys
        .iter()
        .filter(|k| !docs.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/inspect.md does not mention: {missing:?}"
    );
}
