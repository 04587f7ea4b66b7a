//! The standard SBOM formats validated against their published JSON schemas (shared conformance
//! folder, read by path, no network), on catalogs built from real package databases.

use std::path::PathBuf;

use drydock_catalog::sbom::{self, Format, WriteOptions};
use drydock_catalog::{
    Catalog, Options, Package, PackageType, Subject, Warning, catalog_dir, license,
};
use serde_json::Value;

fn shared() -> PathBuf {
    let dir = std::env::var_os("DRYDOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let c = dir.join("conformance");
    assert!(
        c.is_dir(),
        "conformance data missing: {} (set DRYDOCK_SHARED to the shared folder)",
        c.display()
    );
    c
}

fn load(rel: &str) -> Value {
    let p = shared().join(rel);
    serde_json::from_slice(&std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

fn cyclonedx_validator() -> jsonschema::Validator {
    let mut opts = jsonschema::options();
    for name in ["spdx.schema.json", "jsf-0.82.schema.json"] {
        let doc = load(&format!("schemas/cyclonedx/{name}"));
        opts = opts.with_resource(
            format!("http://cyclonedx.org/schema/{name}"),
            jsonschema::Resource::from_contents(doc).unwrap(),
        );
    }
    opts.build(&load("schemas/cyclonedx/bom-1.6.schema.json"))
        .expect("CycloneDX 1.6 schema")
}

fn spdx_validator() -> jsonschema::Validator {
    jsonschema::options()
        .build(&load("schemas/spdx/spdx-schema-2.3.json"))
        .expect("SPDX 2.3 schema")
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not schema-valid:\n{}",
        errors.join("\n")
    );
}

/// Real catalogs: Syft's dpkg mini rootfs and distroless rootfs, plus packages with awkward values.
fn catalogs() -> Vec<Catalog> {
    let mut out = Vec::new();
    for dir in ["image-dpkg", "image-distroless-deb"] {
        let root = shared().join("pkgdb/syft/debian/testdata").join(dir);
        let (mut c, _) = catalog_dir(&root, &Options::default(), &mut []).unwrap();
        assert!(!c.packages.is_empty(), "{dir}");
        c.subject = Subject {
            name: format!("local/{dir}:test"),
            digest: Some(format!("sha256:{}", "a".repeat(64))),
            repository: Some(format!("local/{dir}")),
            registry: Some("registry.invalid".into()),
            tag: Some("test".into()),
            config_digest: Some(format!("sha256:{}", "b".repeat(64))),
            platform: Some("linux/amd64".into()),
            layers: vec![format!("sha256:{}", "c".repeat(64))],
        };
        out.push(c);
    }
    let mut odd = Catalog::default();
    odd.subject.name = "odd image".into();
    let mut a = Package::new(
        PackageType::Apk,
        "g++",
        "1:2 3",
        "pkg:apk/alpine/g%2B%2B@1:2%203",
    );
    a.licenses = vec!["MIT BSD GPL2+".into()];
    a.metadata
        .insert("maintainer".into(), "Someone <a@b.invalid>".into());
    let mut b = a.clone();
    b.name = "g++ two".into();
    b.licenses = vec!["GPL-2.0-or-later".into()];
    b.license_expression = Some("GPL-2.0-or-later".into());
    let mut c = a.clone();
    c.license_expression = license::expression("MIT or GPL-2+");
    c.locations = vec!["/a".into(), "/b".into()];
    c.layer = Some(0);
    c.layer_digest = Some(format!("sha256:{}", "d".repeat(64)));
    c.in_base_image = Some(true);
    // Same purl twice (two locations of one package): bom-refs must still be unique; and a name
    // that looks like a de-duplicated SPDX id of another.
    let mut d = Package::new(PackageType::Apk, "g---2", "1", "pkg:apk/alpine/g---2@1");
    d.licenses = vec![String::new()];
    odd.packages = vec![a, b, c, d];
    odd.warnings.push(Warning {
        cataloger: "rpm",
        path: "/var/lib/rpm/Packages".into(),
        message: "bad Berkeley DB file: page size 3".into(),
    });
    out.push(odd);
    out
}

fn opts() -> WriteOptions {
    WriteOptions {
        created: "2026-01-02T03:04:05Z".into(),
        tool_version: "0.0.0-test".into(),
    }
}

fn render(c: &Catalog, f: Format) -> Vec<u8> {
    let mut buf = Vec::new();
    sbom::write(c, f, &opts(), &mut buf).unwrap();
    buf
}

#[test]
fn conformance_cyclonedx_schema() {
    let v = cyclonedx_validator();
    // The validator must reject something, or the test proves nothing.
    assert!(!v.is_valid(&serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "nope"}]})));
    for c in catalogs() {
        let bytes = render(&c, Format::CycloneDxJson);
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_valid(&v, &doc, &c.subject.name);
        assert_eq!(doc["metadata"]["timestamp"], "2026-01-02T03:04:05Z");
        let kind = if c.subject.digest.is_some() {
            "container"
        } else {
            "file"
        };
        assert_eq!(doc["metadata"]["component"]["type"], kind);
        let comps = doc["components"].as_array().unwrap();
        let libs: Vec<&Value> = comps.iter().filter(|c| c["type"] == "library").collect();
        assert_eq!(libs.len(), c.packages.len());
        for (p, comp) in c.packages.iter().zip(&libs) {
            assert_eq!(comp["purl"], p.purl.as_str());
            assert_eq!(comp["name"], p.name.as_str());
        }
        let image_deps = doc["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ref"] == doc["metadata"]["component"]["bom-ref"])
            .expect("image dependency entry");
        assert_eq!(
            image_deps["dependsOn"].as_array().unwrap().len(),
            comps.len()
        );
        if c.subject.digest.is_some() {
            assert_eq!(
                doc["metadata"]["component"]["version"],
                c.subject.digest.as_deref().unwrap()
            );
            assert!(
                doc["metadata"]["component"]["purl"]
                    .as_str()
                    .unwrap()
                    .starts_with("pkg:oci/")
            );
        }
        assert_eq!(
            bytes,
            render(&c, Format::CycloneDxJson),
            "output is deterministic"
        );
    }
}

#[test]
fn conformance_spdx_schema() {
    let v = spdx_validator();
    assert!(!v.is_valid(&serde_json::json!({"spdxVersion": "SPDX-2.3"})));
    for c in catalogs() {
        let bytes = render(&c, Format::SpdxJson);
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_valid(&v, &doc, &c.subject.name);
        let ns = doc["documentNamespace"].as_str().unwrap();
        assert!(ns.starts_with("https://drydock.invalid/spdx/"), "{ns}");
        assert_eq!(doc["creationInfo"]["created"], "2026-01-02T03:04:05Z");
        let packages = doc["packages"].as_array().unwrap();
        let ids: std::collections::HashSet<&str> = packages
            .iter()
            .map(|p| p["SPDXID"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), packages.len(), "SPDX ids are unique");
        let rels = doc["relationships"].as_array().unwrap();
        let contains = rels
            .iter()
            .filter(|r| r["relationshipType"] == "CONTAINS")
            .count();
        assert_eq!(contains, packages.len() - 1);
        assert!(rels.iter().any(|r| r["relationshipType"] == "DESCRIBES"));
        for p in &c.packages {
            assert!(
                packages
                    .iter()
                    .any(|x| x["externalRefs"][0]["referenceLocator"] == p.purl.as_str()),
                "{}",
                p.purl
            );
        }
        // Every LicenseRef used is declared with its text.
        let declared: Vec<&str> = doc["hasExtractedLicensingInfos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["licenseId"].as_str().unwrap())
            .collect();
        for p in packages {
            let l = p["licenseDeclared"].as_str().unwrap();
            for tok in l
                .split([' ', '(', ')'])
                .filter(|t| t.starts_with("LicenseRef-"))
            {
                assert!(declared.contains(&tok), "{tok} not declared");
            }
        }
        assert_eq!(bytes, render(&c, Format::SpdxJson));
        if c.subject.name == "odd image" {
            assert_eq!(
                packages[1]["licenseDeclared"],
                "LicenseRef-MIT-BSD-GPL2-plus"
            );
            assert_eq!(
                doc["hasExtractedLicensingInfos"][0]["extractedText"],
                "MIT BSD GPL2+"
            );
        }
    }
}

#[test]
fn conformance_spdx_ids_in_license_list() {
    let list = load("schemas/cyclonedx/spdx.schema.json");
    let ids: Vec<&str> = list["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for id in license::SPDX_IDS {
        assert!(ids.contains(id), "{id} is not an SPDX license id");
    }
}

#[test]
fn conformance_drydock_json_and_table() {
    let schema_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/schemas/sbom-v1.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(schema_path).unwrap()).unwrap();
    let v = jsonschema::options().build(&schema).unwrap();
    for c in catalogs() {
        let doc: Value = serde_json::from_slice(&render(&c, Format::Json)).unwrap();
        assert_valid(&v, &doc, &c.subject.name);
        assert_eq!(doc["schema"], sbom::json::SCHEMA);
        assert_eq!(doc["packages"].as_array().unwrap().len(), c.packages.len());
        assert_eq!(doc["warnings"].as_array().unwrap().len(), c.warnings.len());
        let table = String::from_utf8(render(&c, Format::Table)).unwrap();
        // Packages only: warnings are the caller's to show (once, on standard error).
        assert_eq!(table.lines().count(), c.packages.len().max(1) + 1);
        for w in &c.warnings {
            assert!(!table.contains(&w.message), "{table}");
        }
        for p in &c.packages {
            assert!(table.contains(&p.name));
        }
    }
}
