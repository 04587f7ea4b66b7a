//! A resolver supplied by the caller (as the CLI's `--resolve` does) is used in front of the bundled table,
//! and findings name its source.

use drydock_lint::{
    BaseFacts, BaseResolver, BundledResolver, Config, FirstOf, Libc, NoFacts, lint_source,
};
use std::collections::BTreeSet;

struct RealImage;

impl BaseResolver for RealImage {
    fn resolve(&self, image_ref: &str) -> Option<BaseFacts> {
        if !image_ref.starts_with("registry.example/app-base") {
            return None;
        }
        let mut f = BaseFacts::new("image oci:/tmp/app-base@sha256:0123");
        f.shell = Some(false);
        f.libc = Some(Libc::Glibc);
        f.user = Some("65532".into());
        f.entrypoint = Some(false);
        f.binaries = Some(BTreeSet::from([
            "/app/server".to_string(),
            "server".to_string(),
        ]));
        Some(f)
    }
}

const TEXT: &str = "FROM registry.example/app-base:1.0\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]\nCMD /app/server\n";

#[test]
fn caller_resolver_is_used_and_named() {
    let real = RealImage;
    let chain = FirstOf(vec![&real, &BundledResolver]);
    let f = lint_source("Dockerfile", TEXT, &Config::default(), &chain).unwrap();
    let shell = f
        .iter()
        .find(|f| f.code == "DD013")
        .expect("shell-form CMD on a shell-less base");
    assert_eq!(shell.span.line, 3);
    assert_eq!(
        shell.fact_source.as_deref(),
        Some("image oci:/tmp/app-base@sha256:0123")
    );
    let missing = f
        .iter()
        .find(|f| f.code == "DD014")
        .expect("curl is not in the image");
    assert_eq!(missing.span.line, 2);
    // Default user 65532: not root, so no DD010.
    assert!(f.iter().all(|f| f.code != "DD010"), "{f:#?}");
}

#[test]
fn unknown_base_keeps_fact_rules_silent() {
    let f = lint_source("Dockerfile", TEXT, &Config::default(), &NoFacts).unwrap();
    for code in ["DD010", "DD013", "DD014", "DD015", "DD049"] {
        assert!(
            f.iter().all(|x| x.code != code),
            "{code} fired without facts: {f:#?}"
        );
    }
    // The policy rules that need no facts still run.
    assert!(f.iter().any(|x| x.code == "DD003"));
}

#[test]
fn config_changes_severity_ignores_and_exit_code() {
    let cfg = Config::from_toml(
        "[lint]\nignore = [\"DD049\"]\nfailure-threshold = \"error\"\n[lint.severity]\nbase-image-not-digest-pinned = \"error\"\n",
        None,
    )
    .unwrap();
    let f = lint_source(
        "D",
        "FROM python:3.12-slim\nUSER 1000\n",
        &cfg,
        &BundledResolver,
    )
    .unwrap();
    let pin = f.iter().find(|x| x.code == "DD003").unwrap();
    assert_eq!(pin.severity, drydock_lint::Severity::Error);
    assert!(f.iter().all(|x| x.code != "DD049"));
    assert_eq!(drydock_lint::exit_code(&f, cfg.failure_threshold), 1);
    let lax = Config::from_toml(
        "[lint]\nignore = [\"DD003\", \"DD049\"]\nfailure-threshold = \"error\"\n",
        None,
    )
    .unwrap();
    let f = lint_source(
        "D",
        "FROM python:3.12-slim\nUSER 1000\n",
        &lax,
        &BundledResolver,
    )
    .unwrap();
    assert_eq!(
        drydock_lint::exit_code(&f, lax.failure_threshold),
        0,
        "{f:#?}"
    );
}

#[test]
fn parse_error_carries_line() {
    let err = lint_source(
        "D",
        "FROM alpine\nRUN <<EOF\necho\n",
        &Config::default(),
        &BundledResolver,
    )
    .unwrap_err();
    match err {
        drydock_lint::LintError::Parse { line, .. } => assert!(line >= 1),
        other => panic!("expected a parse error, got {other}"),
    }
}
