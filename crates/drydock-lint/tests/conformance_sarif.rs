//! The SARIF writer's output validates against the SARIF 2.1.0 JSON schema from the shared data.

mod common;

use drydock_lint::output::{self, Format};
use drydock_lint::{BundledResolver, Config, lint_source};

#[test]
fn conformance_sarif_validates_against_schema() {
    let schema_path =
        common::shared_dir().join("conformance/schemas/sarif/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).expect("schema"))
            .expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("compile schema");
    let text = "# drydock ignore=DD999\nFROM python:3.12-slim AS build\nRUN pip install \\\n    flask\nFROM gcr.io/distroless/python3-debian12\nCOPY --from=build /usr/local/lib/python3.12/site-packages /x\nCMD python3 app.py\n";
    let findings =
        lint_source("svc/Dockerfile", text, &Config::default(), &BundledResolver).unwrap();
    assert!(findings.len() >= 5, "{findings:#?}");
    let mut buf = Vec::new();
    output::write(Format::Sarif, &findings, &[], &mut buf).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&buf).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid: {errors:#?}");
    assert_eq!(
        doc["runs"][0]["results"].as_array().unwrap().len(),
        findings.len()
    );
    // The multi-line RUN's findings carry where they end.
    let multi = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["locations"][0]["physicalLocation"]["region"]["endLine"] == 4)
        .count();
    assert!(multi >= 1, "no result ends on line 4: {doc:#}");
    // An empty run is valid too.
    let mut empty = Vec::new();
    output::write(Format::Sarif, &[], &[], &mut empty).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&empty).unwrap();
    assert!(validator.is_valid(&doc));
}
