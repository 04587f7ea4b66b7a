//! hadolint's rule-case Dockerfile snippets as extra parser input: none may panic, and they parse
//! except where BuildKit's parser would also refuse them.

mod common;

use drydock_dockerfile::{dump, parse, validate};

#[test]
fn conformance_hadolint_snippets_parse() {
    let path = common::shared_dir().join("conformance/hadolint/hadolint_cases.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = v["cases"].as_array().expect("cases array");
    assert!(cases.len() > 1000);
    let mut failed = Vec::new();
    for c in cases {
        let src = format!("{}\n", c["dockerfile_text"].as_str().unwrap());
        match parse(&src) {
            Ok(df) => {
                let _ = validate(&df);
                assert!(!dump(&df).is_empty());
            }
            Err(e) => failed.push(format!("{e}: {src:?}")),
        }
    }
    // Each refusal must be one BuildKit's parser also makes (no instructions, ENV without value, …).
    for f in &failed {
        assert!(
            f.contains("file with no instructions")
                || f.contains("must have two arguments")
                || f.contains("unterminated heredoc"),
            "unexpected refusal: {f}"
        );
    }
    eprintln!(
        "hadolint snippets: {}/{} parse",
        cases.len() - failed.len(),
        cases.len()
    );
}
