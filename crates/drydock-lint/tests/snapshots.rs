//! Rendered output of the ADR scenario fixtures, compared with committed snapshots in
//! `tests/snapshots/`. Regenerate with `DRYDOCK_BLESS=1 cargo test -p drydock-lint --test snapshots`.

use drydock_lint::output::{self, Format};
use drydock_lint::{BundledResolver, Config, lint_source};
use std::path::PathBuf;

fn check(name: &str, format: Format, ext: &str) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let text =
        std::fs::read_to_string(root.join("fixtures").join(format!("{name}.Dockerfile"))).unwrap();
    let label = format!("{name}.Dockerfile");
    let findings = lint_source(&label, &text, &Config::default(), &BundledResolver).unwrap();
    let mut buf = Vec::new();
    output::write(format, &findings, &[(&label, &text)], &mut buf).unwrap();
    let got = String::from_utf8(buf).unwrap();
    // Keep snapshots independent of the crate version.
    let got = got.replace(env!("CARGO_PKG_VERSION"), "[version]");
    let path = root.join("snapshots").join(format!("{name}.{ext}"));
    if std::env::var_os("DRYDOCK_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        got,
        want,
        "snapshot {} differs (DRYDOCK_BLESS=1 to accept)",
        path.display()
    );
}

#[test]
fn adr_scenarios_tty() {
    for name in [
        "adr-alpine-mistakes",
        "adr-distroless-release-debug",
        "adr-chainguard",
        "adr-alpine-trivy",
    ] {
        check(name, Format::Tty, "tty");
    }
}

#[test]
fn adr_scenario_machine_formats() {
    check("adr-distroless-release-debug", Format::Json, "json");
    check("adr-distroless-release-debug", Format::Github, "github");
    check(
        "adr-distroless-release-debug",
        Format::Checkstyle,
        "checkstyle.xml",
    );
}
