//! hadolint's own rule cases, for the hadolint codes that drydock rules overlap (each rule's `hadolint`
//! list). For every such case drydock must agree, or the case must be listed in
//! `tests/hadolint_disagreements.txt` with the reason (and the rule's doc says why). The list is exact:
//! a case that starts agreeing must be removed from it.

mod common;

use drydock_lint::{BundledResolver, Config, RULES, lint_source};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn onbuild_wrap(text: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            if t.len() >= 4 && t[..4].eq_ignore_ascii_case("RUN ") {
                format!("ONBUILD {t}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn config_for(case: &Value) -> Config {
    let mut cfg = Config::default();
    if let Some(regs) = case["config"]["allowedRegistries"].as_array() {
        cfg.trusted_registries = Some(
            regs.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        );
    }
    cfg
}

#[test]
fn conformance_hadolint_agreement() {
    let path = common::shared_dir().join("conformance/hadolint/hadolint_cases.json");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read cases")).expect("json");
    let cases = doc["cases"].as_array().expect("cases array");
    let mut mapped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in RULES {
        for h in r.hadolint {
            mapped.entry(h).or_default().push(r.code);
        }
    }
    let known_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/hadolint_disagreements.txt"
    ))
    .expect("disagreement list");
    let known: BTreeSet<String> = known_text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').take(2).collect::<Vec<_>>().join("\t"))
        .collect();
    let mut total = 0;
    let mut agree = 0;
    let mut disagreements = BTreeSet::new();
    let mut per_code: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for case in cases {
        let rule = case["rule"].as_str().unwrap_or("");
        let Some(codes) = mapped.get(rule) else {
            continue;
        };
        total += 1;
        let mut text = format!("{}\n", case["dockerfile_text"].as_str().unwrap_or(""));
        if case["onbuild_wrap"].as_bool() == Some(true) {
            text = format!("{}\n", onbuild_wrap(&text));
        }
        let count = match lint_source("Dockerfile", &text, &config_for(case), &BundledResolver) {
            Ok(f) => f
                .iter()
                .filter(|f| codes.contains(&f.code.as_str()))
                .count(),
            Err(_) => 0,
        };
        let ok = match (case["expect"].as_str(), &case["expect_count"]) {
            (Some("passes"), _) => count == 0,
            (Some("violates"), Value::Number(n)) => n.as_u64() == Some(count as u64),
            (Some("violates"), _) => count >= 1,
            _ => panic!("unknown expectation in {case}"),
        };
        let e = per_code.entry(rule).or_default();
        e.1 += 1;
        if ok {
            agree += 1;
            e.0 += 1;
        } else {
            let id = format!(
                "{}\t{}",
                case["source"].as_str().unwrap_or(""),
                if case["onbuild_wrap"].as_bool() == Some(true) {
                    "onbuild"
                } else {
                    "plain"
                }
            );
            disagreements.insert(id);
        }
    }
    eprintln!("hadolint agreement: {agree}/{total}");
    for (code, (a, t)) in &per_code {
        eprintln!("  {code}: {a}/{t}");
    }
    assert!(
        total > 300,
        "expected the mapped hadolint codes to cover many cases, got {total}"
    );
    let unexpected: Vec<_> = disagreements.difference(&known).collect();
    let fixed: Vec<_> = known.difference(&disagreements).collect();
    assert!(
        unexpected.is_empty(),
        "new disagreements with hadolint (fix or list with a reason): {unexpected:#?}"
    );
    assert!(
        fixed.is_empty(),
        "listed disagreements that now agree (remove them): {fixed:#?}"
    );
}
