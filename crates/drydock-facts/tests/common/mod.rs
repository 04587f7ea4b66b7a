//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The inspect JSON schema from `docs/schemas`.
pub fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas/inspect-v1.schema.json")
}

/// Validates a report's JSON against the schema, panicking with every violation.
pub fn assert_valid(report: &drydock_facts::Report) {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path()).expect("schema file"))
            .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let instance = serde_json::to_value(report).expect("report serializes");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "report violates the schema:\n{}",
        errors.join("\n")
    );
}

/// The day every test computes support status for.
pub fn opts() -> drydock_facts::InspectOptions {
    drydock_facts::InspectOptions {
        today: time::macros::date!(2026 - 11 - 25),
    }
}
