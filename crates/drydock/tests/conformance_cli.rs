//! What the binary writes, validated directly against the published schemas in the shared
//! conformance folder (read by path, no network): CycloneDX 1.6 and SPDX 2.3 for `sbom` on real test
//! images, SARIF 2.1.0 for `lint`.

use std::path::PathBuf;
use std::process::Command;

use drydock_testkit::images;
use serde_json::Value;

fn conformance() -> PathBuf {
    images::shared_dir().join("conformance")
}

fn load(rel: &str) -> Value {
    let p = conformance().join(rel);
    serde_json::from_slice(&std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Runs drydock and parses its standard output as JSON; `ok` is the exit code expected.
fn drydock_json(args: &[&str], ok: i32) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1735689600")
        .output()
        .expect("drydock runs");
    assert_eq!(
        out.status.code(),
        Some(ok),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}"))
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not schema-valid:\n{}",
        errors.join("\n")
    );
}

#[test]
fn conformance_cli_sboms_validate_against_the_published_schemas() {
    let mut opts = jsonschema::options();
    for name in ["spdx.schema.json", "jsf-0.82.schema.json"] {
        opts = opts.with_resource(
            format!("http://cyclonedx.org/schema/{name}"),
            jsonschema::Resource::from_contents(load(&format!("schemas/cyclonedx/{name}")))
                .unwrap(),
        );
    }
    let cdx = opts
        .build(&load("schemas/cyclonedx/bom-1.6.schema.json"))
        .expect("CycloneDX 1.6 schema");
    let spdx = jsonschema::options()
        .build(&load("schemas/spdx/spdx-schema-2.3.json"))
        .expect("SPDX 2.3 schema");
    // The validators must be able to say no, or a pass proves nothing.
    assert!(!cdx.is_valid(&serde_json::json!({"bomFormat": "CycloneDX", "specVersion": 16})));
    assert!(!spdx.is_valid(&serde_json::json!({"spdxVersion": "SPDX-2.3"})));

    let mut seen = 0;
    for name in ["app", "distroless", "alpine-3.20"] {
        let layout = images::layout(name);
        assert!(layout.is_dir(), "{}: test image missing", layout.display());
        let src = format!("oci:{}", layout.display());
        let doc = drydock_json(&["sbom", "--format", "cyclonedx-json", &src], 0);
        assert_valid(&cdx, &doc, &format!("CycloneDX of {name}"));
        let components = doc["components"].as_array().map_or(0, Vec::len);
        assert!(components > 0, "{name}: no components");
        let doc = drydock_json(&["sbom", "--format", "spdx-json", &src], 0);
        assert_valid(&spdx, &doc, &format!("SPDX of {name}"));
        // Every package besides the image (and its OS) is related to the document's subject.
        assert!(
            doc["packages"].as_array().unwrap().len() > 2,
            "{name}: no packages"
        );
        seen += components;
    }
    assert!(seen > 100);
}

#[test]
fn conformance_cli_sarif_validates_against_the_published_schema() {
    let schema = load("schemas/sarif/sarif-schema-2.1.0.json");
    let sarif = jsonschema::validator_for(&schema).expect("SARIF 2.1.0 schema");
    assert!(!sarif.is_valid(&serde_json::json!({"version": "2.1.0", "runs": 1})));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Dockerfile");
    std::fs::write(
        &file,
        "FROM python:3.12-slim AS build\nRUN pip install \\\n    flask\nFROM gcr.io/distroless/python3-debian12\nCOPY --from=build /usr/local/lib/python3.12/site-packages /x\nCMD python3 app.py\n",
    )
    .unwrap();
    // Two files, the second from the real corpus, in one call.
    let corpus = conformance().join("dockerfiles");
    let real = std::fs::read_dir(&corpus)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with("Dockerfile"))
        })
        .min()
        .expect("a corpus Dockerfile");
    let doc = drydock_json(
        &[
            "lint",
            "--format",
            "sarif",
            file.to_str().unwrap(),
            real.to_str().unwrap(),
        ],
        1,
    );
    assert_valid(&sarif, &doc, "SARIF of lint");
    assert!(doc["runs"][0]["results"].as_array().unwrap().len() >= 4);
}
