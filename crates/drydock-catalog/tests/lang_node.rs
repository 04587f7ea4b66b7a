//! The Node cataloger against osv-scalibr's package.json cases (read by path from the shared
//! conformance folder), placed where npm installs packages.

use drydock_catalog::{Catalog, PackageType, lang};
use serde_json::Value;

mod common;

use common::read;

fn catalog(files: &[(&str, Vec<u8>)]) -> Catalog {
    common::catalog_files(lang::catalogers(), files, 0o644, 3)
}

#[test]
fn conformance_node_scalibr_packagejson() {
    let cases: Value =
        serde_json::from_slice(&read("osv-scalibr/packagejson/expected_TestExtract.json")).unwrap();
    let mut checked = 0;
    for (i, case) in cases.as_array().unwrap().iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let rel = case["path"].as_str().unwrap();
        let bytes = read(&format!("osv-scalibr/packagejson/{rel}"));
        // Each case's manifest as an installed package's own package.json.
        let path = format!("/srv/app/node_modules/case{i}/package.json");
        let c = catalog(&[(path.as_str(), bytes)]);
        if case.get("wantErr").is_some() {
            assert!(c.packages.is_empty(), "{name}");
            assert!(
                c.warnings
                    .iter()
                    .any(|w| w.path == path && w.cataloger == "node"),
                "{name}: {:?}",
                c.warnings
            );
            checked += 1;
            continue;
        }
        // Only the manifest's own package: declared dependencies are ranges, not installed
        // packages (each installed one has its own package.json).
        let want: Vec<(String, String)> = case["wantPackages"]
            .as_array()
            .unwrap()
            .iter()
            .take(1)
            .map(|p| {
                (
                    p["Name"].as_str().unwrap().to_string(),
                    p["Version"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let got: Vec<(String, String)> = c
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(got, want, "case {name}");
        assert!(c.warnings.is_empty(), "{name}: {:?}", c.warnings);
        for p in &c.packages {
            assert_eq!(p.kind, PackageType::Npm);
            assert_eq!(
                p.purl,
                format!("pkg:npm/{}@{}", p.name, p.version),
                "{name}"
            );
            assert_eq!(p.locations, [path.as_str()]);
            assert_eq!(p.layer, Some(3));
        }
        checked += 1;
    }
    assert_eq!(checked, 15, "every scalibr case is checked");
}

#[test]
fn conformance_node_scalibr_author_and_license() {
    let p = lang::node::parse_manifest(&read("osv-scalibr/packagejson/testdata/not-vscode.json"))
        .unwrap()
        .unwrap();
    assert_eq!(p.licenses, ["MIT"]);
    assert_eq!(p.metadata["author"], "Tim Caswell <tim@creationix.com>");
    let p = lang::node::parse_manifest(&read("osv-scalibr/packagejson/testdata/package.json"))
        .unwrap()
        .unwrap();
    assert_eq!(
        p.metadata["author"],
        "Developer <dev@corp.com> (http://blog.dev.com)"
    );
}

#[test]
fn only_package_roots_under_node_modules_are_read() {
    let m = |n: &str, v: &str| {
        format!(r#"{{"name":"{n}","version":"{v}","license":"MIT"}}"#).into_bytes()
    };
    let c = catalog(&[
        (
            "/usr/local/lib/node_modules/npm/package.json",
            m("npm", "10.8.2"),
        ),
        (
            "/usr/local/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json",
            m("@npmcli/arborist", "7.5.4"),
        ),
        (
            "/app/node_modules/left-pad/package.json",
            m("left-pad", "1.3.0"),
        ),
        // Not installed packages: the app's own manifest, a fixture inside a package.
        ("/app/package.json", m("my-app", "1.0.0")),
        (
            "/app/node_modules/left-pad/test/fixtures/package.json",
            m("fixture", "0.0.1"),
        ),
    ]);
    let purls: Vec<&str> = c.packages.iter().map(|p| p.purl.as_str()).collect();
    assert_eq!(
        purls,
        [
            "pkg:npm/%40npmcli/arborist@7.5.4",
            "pkg:npm/left-pad@1.3.0",
            "pkg:npm/npm@10.8.2",
        ]
    );
}

#[test]
fn oversized_and_broken_manifests_warn() {
    let mut big = br#"{"name":"big","version":"1.0.0","description":""#.to_vec();
    big.extend(std::iter::repeat_n(b'x', 9 << 20));
    big.extend(br#""}"#);
    let c = catalog(&[
        ("/app/node_modules/big/package.json", big),
        (
            "/app/node_modules/bad/package.json",
            b"{\"name\": \"bad\", ".to_vec(),
        ),
        (
            "/app/node_modules/ok/package.json",
            br#"{"name":"ok","version":"2.0.0"}"#.to_vec(),
        ),
    ]);
    assert_eq!(c.packages.len(), 1);
    assert_eq!(c.packages[0].name, "ok");
    let warned: Vec<&str> = c.warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        warned,
        [
            "/app/node_modules/bad/package.json",
            "/app/node_modules/big/package.json"
        ]
    );
}
