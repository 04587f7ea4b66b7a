//! The Python cataloger against osv-scalibr's wheelegg cases and Syft's site-packages fixtures (read
//! by path from the shared conformance folder), and against the virtualenv in the `app` test image.

use std::collections::BTreeSet;

use drydock_catalog::lang::python;
use drydock_catalog::{Catalog, PackageType, lang};
use serde_json::Value;

mod common;

use common::read;

fn catalog(files: &[(&str, Vec<u8>)]) -> Catalog {
    common::catalog_files(lang::catalogers(), files, 0o644, 0)
}

/// Where each scalibr fixture would sit in an image, by the kind of file its case names.
fn image_path(case: &str, fixture: &str) -> Option<String> {
    let sp = "/usr/local/lib/python3.11/site-packages";
    Some(match case {
        ".egg/EGG-INFO/PKG-INFO" => format!("{sp}/setuptools-57.4.0-py3.9.egg/EGG-INFO/PKG-INFO"),
        ".egg-info" => format!("{sp}/{fixture}.egg-info"),
        ".egg-info/PKG-INFO" => format!("{sp}/{fixture}.egg-info/PKG-INFO"),
        ".egg" | ".egg without PKG-INFO" => format!("{sp}/{fixture}"),
        // Wheels are distribution files, not installed packages: read by parse_zip_metadata below.
        ".whl" => return None,
        _ => format!("{sp}/{fixture}.dist-info/METADATA"),
    })
}

#[test]
fn conformance_python_scalibr_wheelegg() {
    let cases: Value =
        serde_json::from_slice(&read("osv-scalibr/wheelegg/expected_TestExtract.json")).unwrap();
    let mut checked = 0;
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let rel = case["path"].as_str().unwrap();
        let fixture = rel.rsplit('/').next().unwrap();
        let bytes = read(&format!("osv-scalibr/wheelegg/{rel}"));
        let got: Vec<(String, String, String, String)> = match image_path(name, fixture) {
            Some(path) => {
                let c = catalog(&[(path.as_str(), bytes)]);
                if case.get("wantErr").is_some() {
                    assert!(c.packages.is_empty(), "{name}: {:?}", c.packages);
                    assert!(
                        c.warnings
                            .iter()
                            .any(|w| w.path == path && w.cataloger == "python"),
                        "{name}: no warning for an unreadable file: {:?}",
                        c.warnings
                    );
                    checked += 1;
                    continue;
                }
                for p in &c.packages {
                    assert_eq!(p.kind, PackageType::Python);
                    assert_eq!(p.locations, [path.as_str()], "{name}");
                    assert_eq!(p.layer, Some(0));
                }
                c.packages
                    .iter()
                    .map(|p| {
                        let md = |k: &str| p.metadata.get(k).cloned().unwrap_or_default();
                        (
                            p.name.clone(),
                            p.version.clone(),
                            md("author"),
                            md("author_email"),
                        )
                    })
                    .collect()
            }
            None => python::parse_zip_metadata(bytes)
                .unwrap()
                .into_iter()
                .map(|m| (m.name, m.version, m.author, m.author_email))
                .collect(),
        };
        let want: Vec<(String, String, String, String)> = case["wantPackages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let s = |v: &Value| v.as_str().unwrap_or("").to_string();
                let md = &p["Metadata"];
                (
                    s(&p["Name"]),
                    s(&p["Version"]),
                    s(&md["Author"]),
                    s(&md["AuthorEmail"]),
                )
            })
            .collect();
        assert_eq!(got, want, "case {name}");
        checked += 1;
    }
    assert_eq!(checked, 13, "every scalibr case is checked");
}

#[test]
fn conformance_python_scalibr_requires_dist_in_order() {
    let m = python::parse_metadata(&read(
        "osv-scalibr/wheelegg/testdata/pyopenssl-26.0.0.dist-info",
    ))
    .unwrap();
    assert_eq!(m.name, "pyOpenSSL");
    assert_eq!(m.requires_dist.len(), 7);
    assert_eq!(m.requires_dist[0], "cryptography<47,>=46.0.0");
    let p = m.to_package().unwrap();
    // The name as written; the purl name normalised.
    assert_eq!(p.name, "pyOpenSSL");
    assert_eq!(p.purl, "pkg:pypi/pyopenssl@26.0.0");
}

#[test]
fn conformance_python_syft_metadata_and_licenses() {
    let cases: Value =
        serde_json::from_slice(&read("syft/python/expected_TestParseWheelEggMetadata.json"))
            .unwrap();
    for case in cases.as_array().unwrap() {
        let fixture = case["Fixture"].as_str().unwrap();
        let want = &case["ExpectedMetadata"];
        let m = python::parse_metadata(&read(&format!("syft/python/{fixture}"))).unwrap();
        let pp = &want["PythonPackage"];
        assert_eq!(m.name, pp["Name"].as_str().unwrap(), "{fixture}");
        assert_eq!(m.version, pp["Version"].as_str().unwrap(), "{fixture}");
        assert_eq!(m.author, pp["Author"].as_str().unwrap(), "{fixture}");
        assert_eq!(
            m.author_email,
            pp["AuthorEmail"].as_str().unwrap(),
            "{fixture}"
        );
        assert_eq!(
            m.requires_python,
            pp["RequiresPython"].as_str().unwrap(),
            "{fixture}"
        );
        let want_dist: Vec<&str> = pp["RequiresDist"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(m.requires_dist, want_dist, "{fixture}");
        assert_eq!(
            m.licenses(),
            [want["Licenses"].as_str().unwrap()],
            "{fixture}"
        );
    }
}

#[test]
fn conformance_python_syft_purl_tables() {
    let names: Value =
        serde_json::from_slice(&read("syft/purl/python_Test_normalization.json")).unwrap();
    let names: Vec<&str> = names
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(names.len() >= 5);
    for n in names {
        assert_eq!(python::normalize_name(n), "friendly-bard", "{n}");
    }
    let cases: Value =
        serde_json::from_slice(&read("syft/purl/python_Test_packageURL.json")).unwrap();
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let version = case["version"].as_str().unwrap();
        let mut files = vec![(
            "/usr/lib/python3/site-packages/x.dist-info/METADATA".to_string(),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").into_bytes(),
        )];
        if let Some(origin) = case["metadata"].get("DirectURLOrigin") {
            let direct = serde_json::json!({
                "url": origin["URL"],
                "vcs_info": {"vcs": origin["VCS"], "commit_id": origin["CommitID"]},
            });
            files.push((
                "/usr/lib/python3/site-packages/x.dist-info/direct_url.json".to_string(),
                direct.to_string().into_bytes(),
            ));
        }
        let files: Vec<(&str, Vec<u8>)> =
            files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
        let c = catalog(&files);
        assert_eq!(c.packages.len(), 1);
        // Syft's table was written by a packageurl-go that still encoded ':' as %3A; the spec's
        // canonical form (and packageurl-go since 0.1.5) leaves it as is.
        assert_eq!(
            c.packages[0].purl,
            case["want"].as_str().unwrap().replace("%3A", ":"),
            "{}",
            case["testName"]
        );
    }
}

#[test]
fn conformance_python_syft_record_and_direct_url_join_by_directory() {
    let base = "syft/python/testdata/site-packages/nested/dist-name/dist-info";
    let sp = "/usr/lib/python3.8/site-packages";
    let dir = format!("{sp}/Pygments-2.6.1.dist-info");
    let (m, r, d) = (
        format!("{dir}/METADATA"),
        format!("{dir}/RECORD"),
        format!("{dir}/direct_url.json"),
    );
    // RECORD arrives first, as it may in a layer's tar order.
    let c = catalog(&[
        (r.as_str(), read(&format!("{base}/RECORD"))),
        (m.as_str(), read(&format!("{base}/METADATA"))),
        (d.as_str(), read(&format!("{base}/direct_url.json"))),
    ]);
    assert_eq!(c.packages.len(), 1, "{:?}", c.warnings);
    let p = &c.packages[0];
    assert_eq!((p.name.as_str(), p.version.as_str()), ("Pygments", "2.6.1"));
    assert_eq!(p.licenses, ["BSD License"]);
    assert!(
        p.files.contains(&"/usr/bin/pygmentize".to_string()),
        "{:?}",
        p.files
    );
    assert!(
        p.files.contains(&format!("{sp}/pygments/util.py")),
        "{:?}",
        p.files
    );
    assert_eq!(p.files.len(), 7);
    assert!(
        p.purl.starts_with("pkg:pypi/pygments@2.6.1?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fpython-test%2Ftest.git%40"),
        "{}",
        p.purl
    );
}

#[test]
fn conformance_python_syft_no_version_is_warned_not_reported() {
    let path = "/usr/lib/python3/dist-packages/no_version-py3.8.egg-info";
    let c = catalog(&[(
        path,
        read("syft/python/testdata/site-packages/no-version/no-version-py3.8.egg-info"),
    )]);
    assert!(c.packages.is_empty());
    assert!(
        c.warnings.iter().any(|w| w.path == path),
        "{:?}",
        c.warnings
    );
}

#[test]
fn files_that_are_not_metadata_are_not_read() {
    let c = catalog(&[
        (
            "/usr/lib/python3/dist-packages/pip/METADATA",
            b"Name: x\nVersion: 1\n".to_vec(),
        ),
        (
            "/usr/lib/python3/dist-packages/pip-1.dist-info/LICENSE",
            b"Name: x\nVersion: 1\n".to_vec(),
        ),
    ]);
    assert!(c.packages.is_empty());
    assert!(c.warnings.is_empty());
}

#[test]
fn hostile_metadata_warns_and_the_run_goes_on() {
    let big = vec![b'A'; (8 << 20) + 1];
    let c = catalog(&[
        ("/venv/lib/site-packages/big-1.dist-info/METADATA", big),
        (
            "/venv/lib/site-packages/bin-1.dist-info/METADATA",
            vec![0xff, 0x00, 0x13, 0x37],
        ),
        (
            "/venv/lib/site-packages/bomb-1.egg",
            b"PK\x05\x06garbage".to_vec(),
        ),
        (
            "/venv/lib/site-packages/ok-1.dist-info/METADATA",
            b"Name: ok\nVersion: 1.0\n".to_vec(),
        ),
    ]);
    let names: Vec<&str> = c.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ok"]);
    let warned: BTreeSet<&str> = c.warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(warned.len(), 3, "{:?}", c.warnings);
}

/// The `app` test image's virtualenv (built with pip from a local wheelhouse): every distribution
/// its METADATA files name, with the same version, found in /opt/venv.
#[test]
fn app_image_venv_packages() {
    use drydock_testkit::images;
    let image = drydock_image::open(
        &format!("oci:{}", images::layout("app").display()),
        &drydock_image::OpenOptions::default(),
    )
    .unwrap();
    let catalog = drydock_catalog::catalog_image(&image, &mut []).unwrap();
    let truth: BTreeSet<(String, String)> = images::truth_tsv("app", "venv.tsv")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert!(truth.len() >= 2, "{truth:?}");
    let found: BTreeSet<(String, String)> = catalog
        .packages
        .iter()
        .filter(|p| {
            p.kind == PackageType::Python && p.locations.iter().any(|l| l.starts_with("/opt/venv/"))
        })
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    assert_eq!(found, truth);
    for p in catalog
        .packages
        .iter()
        .filter(|p| p.locations[0].starts_with("/opt/venv/"))
    {
        assert_eq!(p.layer, Some(2), "{} comes from the app layer", p.name);
        assert!(!p.files.is_empty(), "{} has a RECORD", p.name);
    }
}

/// Debian ships `x.egg-info` next to `x-1.0.dist-info` for one distribution: one package with
/// both locations (so the OS owner of either drops it), wheel metadata first. The same
/// distribution in another directory is another package.
#[test]
fn one_distribution_with_two_metadata_directories() {
    let meta = b"Metadata-Version: 2.1\nName: cryptography\nVersion: 38.0.4\n".to_vec();
    let dp = "/usr/lib/python3/dist-packages";
    let c = catalog(&[
        (
            &format!("{dp}/cryptography.egg-info/PKG-INFO"),
            meta.clone(),
        ),
        (
            &format!("{dp}/cryptography-38.0.4.dist-info/METADATA"),
            meta.clone(),
        ),
        (
            &format!("{dp}/cryptography-38.0.4.dist-info/RECORD"),
            b"cryptography/__init__.py,,\n".to_vec(),
        ),
        (
            "/opt/venv/lib/python3.11/site-packages/cryptography-38.0.4.dist-info/METADATA",
            meta,
        ),
    ]);
    assert_eq!(c.packages.len(), 2, "{:#?}", c.packages);
    let system = c
        .packages
        .iter()
        .find(|p| p.locations[0].starts_with(dp))
        .unwrap();
    assert_eq!(
        system.locations,
        [
            format!("{dp}/cryptography-38.0.4.dist-info/METADATA"),
            format!("{dp}/cryptography.egg-info/PKG-INFO"),
        ]
    );
    assert_eq!(system.files, [format!("{dp}/cryptography/__init__.py")]);
}
