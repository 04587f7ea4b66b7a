//! Third-party package-database test vectors (osv-scalibr, Syft, go-rpmdb) read by path from the
//! shared conformance folder, compared field by field with their expected results.

use drydock_catalog::os::{apk, dpkg, rpm};
use drydock_catalog::{Catalog, Options, Package, PackageType, os};
use serde_json::Value;

mod common;

use common::{json, pkgdb, read};

fn catalog(files: &[(&str, Vec<u8>)]) -> Catalog {
    common::catalog_files(os::catalogers(), files, 0o644, 0)
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string).filter(|s| !s.is_empty())
}

#[test]
fn conformance_scalibr_dpkg() {
    let cases = json("osv-scalibr/dpkg/expected_TestExtract.json");
    let mut ran = 0;
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let path = case["path"].as_str().unwrap();
        let opkg = path.contains("/opkg/");
        let content = read(&format!("osv-scalibr/dpkg/{path}"));
        let include_all = case["cfg"]
            .to_string()
            .contains("\"IncludeNotInstalled\":true");
        let want = case["wantPackages"].as_array().cloned().unwrap_or_default();
        if include_all {
            // Parser level: every stanza with a name and version, whatever its status.
            let got: Vec<(String, String)> = dpkg::parse_status(&String::from_utf8_lossy(&content))
                .unwrap()
                .into_iter()
                .filter(|e| !e.version.is_empty())
                .map(|e| (e.package, e.status.unwrap_or_default()))
                .collect();
            let exp: Vec<(String, String)> = want
                .iter()
                .map(|p| {
                    (
                        s(&p["Name"]).unwrap(),
                        s(&p["Metadata"]["Status"]).unwrap_or_default(),
                    )
                })
                .collect();
            assert_eq!(got, exp, "{name}");
            ran += 1;
            continue;
        }
        let image_path = if opkg {
            "/usr/lib/opkg/status".to_string()
        } else if path.contains("status.d/") {
            format!(
                "/var/lib/dpkg/status.d/{}",
                path.rsplit('/').next().unwrap()
            )
        } else {
            "/var/lib/dpkg/status".to_string()
        };
        let os_release = case["osrelease"].as_str().unwrap_or("").as_bytes().to_vec();
        let cat = catalog(&[(&image_path, content), ("/etc/os-release", os_release)]);
        if case.get("wantErr").is_some_and(|e| !e.is_null()) {
            assert!(cat.packages.is_empty(), "{name}");
            assert!(
                cat.warnings
                    .iter()
                    .any(|w| w.path == image_path
                        && w.cataloger == if opkg { "opkg" } else { "dpkg" }),
                "{name}: no warning naming the file: {:?}",
                cat.warnings
            );
            ran += 1;
            continue;
        }
        assert!(cat.warnings.is_empty(), "{name}: {:?}", cat.warnings);
        // scalibr keeps database order; drydock sorts by name. scalibr leaves the source version
        // empty when `Source:` names none; drydock reports dpkg-query's ${source:Version}, the
        // package's own version then.
        let mut want_rows: Vec<_> = want
            .iter()
            .map(|p| {
                let m = &p["Metadata"];
                let source = s(&m["SourceName"]);
                let source_version = s(&m["SourceVersion"])
                    .or_else(|| source.as_ref().and_then(|_| s(&p["Version"])));
                (
                    s(&p["Name"]).unwrap(),
                    s(&p["Version"]).unwrap(),
                    s(&m["Architecture"]),
                    source,
                    source_version,
                    s(&m["Maintainer"]),
                    s(&m["Status"]),
                )
            })
            .collect();
        want_rows.sort();
        let got_rows: Vec<_> = cat
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.arch.clone(),
                    p.source_name.clone(),
                    p.source_version.clone(),
                    p.metadata.get("maintainer").cloned(),
                    p.metadata.get("status").cloned(),
                )
            })
            .collect();
        assert_eq!(got_rows, want_rows, "{name}");
        for p in &cat.packages {
            assert_eq!(
                p.kind,
                if opkg {
                    PackageType::Opkg
                } else {
                    PackageType::Deb
                }
            );
            assert_eq!(p.locations[0], image_path, "{name}");
            let os = drydock_image::osrelease::parse(case["osrelease"].as_str().unwrap_or(""));
            match (&os.id, &os.version_id) {
                (Some(id), Some(v)) => {
                    assert!(p.purl.contains(&format!("distro={id}-{v}")), "{}", p.purl)
                }
                (Some(id), None) => assert!(
                    p.purl
                        .starts_with(&format!("pkg:{}/{id}/", p.kind.purl_type()))
                ),
                (None, _) => assert!(!p.purl.contains("distro="), "{}", p.purl),
            }
        }
        ran += 1;
    }
    assert_eq!(ran, 29, "every dpkg and opkg case runs");
}

#[test]
fn conformance_scalibr_apk() {
    let cases = json("osv-scalibr/apk/expected_TestExtract.json");
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let path = case["path"].as_str().unwrap();
        let content = read(&format!("osv-scalibr/apk/{path}"));
        let os_release = case["osrelease"].as_str().unwrap_or("").as_bytes().to_vec();
        let cat = catalog(&[
            ("/lib/apk/db/installed", content),
            ("/etc/os-release", os_release),
        ]);
        if case.get("wantErr").is_some_and(|e| !e.is_null()) {
            assert!(cat.packages.is_empty(), "{name}");
            assert!(
                cat.warnings
                    .iter()
                    .any(|w| w.path == "/lib/apk/db/installed"),
                "{name}"
            );
            continue;
        }
        let mut want: Vec<_> = case["wantPackages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    s(&p["pkgName"]).unwrap(),
                    s(&p["version"]).unwrap(),
                    s(&p["origin"]),
                    s(&p["maintainer"]),
                    s(&p["arch"]),
                    s(&p["license"]),
                    s(&p["commit"]),
                )
            })
            .collect();
        want.sort();
        let got: Vec<_> = cat
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.source_name.clone(),
                    p.metadata.get("maintainer").cloned(),
                    p.arch.clone(),
                    p.licenses.first().cloned(),
                    p.metadata.get("commit").cloned(),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}");
        for p in &cat.packages {
            let os = drydock_image::osrelease::parse(case["osrelease"].as_str().unwrap_or(""));
            let ns = os.id.clone().unwrap_or_else(|| "alpine".into());
            assert!(
                p.purl.starts_with(&format!("pkg:apk/{ns}/")),
                "{name}: {}",
                p.purl
            );
        }
    }
}

#[test]
fn conformance_scalibr_rpm_epoch() {
    let cases = json("osv-scalibr/rpm/expected_TestExtract.json");
    let case = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "custom_rpm")
        .expect("custom_rpm case");
    let content = read(&format!(
        "osv-scalibr/rpm/{}",
        case["path"].as_str().unwrap()
    ));
    let os_release = case["osrelease"].as_str().unwrap().as_bytes().to_vec();
    let cat = catalog(&[
        ("/var/lib/rpm/Packages", content),
        ("/etc/os-release", os_release),
    ]);
    let want = &case["wantPackages"].as_array().unwrap();
    assert_eq!(cat.packages.len(), want.len());
    let (p, w) = (&cat.packages[0], &want[0]);
    let m = &w["Metadata"];
    assert_eq!(p.name, w["Name"].as_str().unwrap());
    // scalibr's Version is version-release; drydock's carries the epoch in front, as rpm compares.
    assert_eq!(
        p.version,
        format!("{}:{}", m["Epoch"], w["Version"].as_str().unwrap())
    );
    assert_eq!(
        p.metadata.get("epoch").map(String::as_str),
        Some(m["Epoch"].to_string().as_str())
    );
    assert_eq!(
        p.metadata.get("source-rpm").map(String::as_str),
        m["SourceRPM"].as_str()
    );
    assert_eq!(p.arch.as_deref(), m["Architecture"].as_str());
    let lic: Vec<String> = serde_json::from_value(w["Licenses"].clone()).unwrap();
    assert_eq!(p.licenses, lic);
    assert_eq!(
        p.purl,
        format!(
            "pkg:rpm/{}/hello@0.0.1-rls?arch=x86_64&distro={}-{}&epoch=1&upstream=hello-0.0.1-rls.src.rpm",
            m["OSID"].as_str().unwrap(),
            m["OSID"].as_str().unwrap(),
            m["OSVersionID"].as_str().unwrap()
        )
    );
    // The other fixtures in that folder are an invalid file and an empty sqlite db.
    let bad = catalog(&[(
        "/var/lib/rpm/Packages",
        read("osv-scalibr/rpm/testdata/invalid"),
    )]);
    assert!(
        bad.packages.is_empty() && bad.warnings.len() == 1,
        "{:?}",
        bad.warnings
    );
    let empty = catalog(&[(
        "/var/lib/rpm/rpmdb.sqlite",
        read("osv-scalibr/rpm/testdata/empty.sqlite"),
    )]);
    assert!(empty.packages.is_empty());
}

fn rpm_row(p: &rpm::RpmPackage) -> Value {
    serde_json::json!({
        "Epoch": p.epoch,
        "Name": p.name,
        "Version": p.version,
        "Release": p.release,
        "Arch": p.arch,
        "SourceRpm": p.source_rpm,
        "Size": p.size,
        "License": p.license,
        "Vendor": p.vendor,
        "Modularitylabel": p.modularity_label,
        "Summary": p.summary,
        "SigMD5": p.sig_md5,
    })
}

#[test]
fn conformance_gorpmdb_ndb_full_list() {
    let exp = json("go-rpmdb/expected.json");
    let want = exp["SLE15WithNDB"].as_array().unwrap();
    let got: Vec<Value> = rpm::read_db(&read("go-rpmdb/testdata/sle15-bci/Packages.db"))
        .unwrap()
        .headers
        .into_iter()
        .map(|r| rpm_row(&r.unwrap()))
        .collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w);
    }
}

#[test]
fn conformance_gorpmdb_single_packages() {
    let exp = json("go-rpmdb/expected.json");
    let mut ran = 0;
    for case in exp["TestRpmDB_Package"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let path = pkgdb().join("go-rpmdb").join(file);
        if !path.exists() {
            continue; // SOURCE.md: only the sqlite and libuuid fixtures are included.
        }
        let all = rpm::read_db(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(all.stopped, None, "{file}");
        let all: Vec<rpm::RpmPackage> = all.headers.into_iter().map(Result::unwrap).collect();
        if file.ends_with("rpmdb.sqlite") {
            assert_eq!(all.len(), 129, "SOURCE.md: 129 packages");
        }
        let name = case["pkgName"].as_str().unwrap();
        let p = all.iter().find(|p| p.name == name).expect(name);
        let w = &case["want"];
        let epoch = match &w["Epoch"] {
            Value::Object(o) => o["args"][0].as_i64().map(|e| e as i32),
            v => v.as_i64().map(|e| e as i32),
        };
        assert_eq!(p.epoch, epoch);
        for (field, got) in [
            ("Name", &p.name),
            ("Version", &p.version),
            ("Release", &p.release),
            ("Arch", &p.arch),
            ("SourceRpm", &p.source_rpm),
            ("License", &p.license),
            ("Vendor", &p.vendor),
            ("Summary", &p.summary),
            ("SigMD5", &p.sig_md5),
        ] {
            assert_eq!(got, w[field].as_str().unwrap_or(""), "{name} {field}");
        }
        assert_eq!(p.size, w["Size"].as_u64());
        let caps = |k: &str| -> Vec<String> { serde_json::from_value(w[k].clone()).unwrap() };
        assert_eq!(p.provides, caps("Provides"), "{name} provides");
        assert_eq!(p.requires, caps("Requires"), "{name} requires");
        let names_key = case["wantInstalledFileNames"]["ident"].as_str().unwrap();
        let want_names: Vec<String> = serde_json::from_value(exp[names_key].clone()).unwrap();
        assert_eq!(p.files, want_names, "{name} files");
        // Directories (mode 040xxx) are not owned files.
        let files_key = case["wantInstalledFiles"]["ident"].as_str().unwrap();
        let want_owned: Vec<String> = exp[files_key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["Mode"].as_u64().unwrap() & 0o170000 != 0o040000)
            .map(|f| f["Path"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(p.owned_files(), want_owned, "{name} owned files");
        ran += 1;
    }
    assert_eq!(ran, 2, "the curl (sqlite) and libuuid (bdb) cases");
}

#[test]
fn conformance_syft_dpkg_status() {
    let cases = json("syft/debian/expected_Test_parseDpkgStatus.json");
    let mut ran = 0;
    for case in cases.as_array().unwrap() {
        let fixture = case["fixturePath"].as_str().unwrap();
        if fixture.contains("opkg") {
            continue;
        }
        let text = String::from_utf8(read(&format!("syft/debian/{fixture}"))).unwrap();
        let got: Vec<dpkg::DpkgEntry> = dpkg::parse_status(&text)
            .unwrap()
            .into_iter()
            .filter(|e| e.is_installed(true))
            .collect();
        let want = case["expected"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{fixture}");
        for (g, w) in got.iter().zip(want) {
            let list = |k: &str| -> Vec<String> {
                serde_json::from_value(w[k].clone()).unwrap_or_default()
            };
            assert_eq!(g.package, w["Package"].as_str().unwrap());
            assert_eq!(g.version, w["Version"].as_str().unwrap_or(""), "{fixture}");
            assert_eq!(g.source, s(&w["Source"]), "{fixture}");
            assert_eq!(g.source_version, s(&w["SourceVersion"]), "{fixture}");
            assert_eq!(g.architecture, s(&w["Architecture"]), "{fixture}");
            assert_eq!(g.maintainer, s(&w["Maintainer"]), "{fixture}");
            assert_eq!(g.installed_size, w["InstalledSize"].as_u64(), "{fixture}");
            assert_eq!(g.description, s(&w["Description"]), "{fixture}");
            assert_eq!(g.provides, list("Provides"), "{fixture}");
            assert_eq!(g.depends, list("Depends"), "{fixture}");
            assert_eq!(g.pre_depends, list("PreDepends"), "{fixture}");
            let files: Vec<(String, String)> = w["Files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    assert_eq!(f["IsConfigFile"], true);
                    (s(&f["Path"]).unwrap(), s(&f["Digest"]["Value"]).unwrap())
                })
                .collect();
            assert_eq!(g.conffiles, files, "{fixture}");
        }
        ran += 1;
    }
    assert_eq!(ran, 4);
}

#[test]
fn conformance_syft_apk_details() {
    let cases = json("syft/alpine/expected_TestSinglePackageDetails.json");
    for case in cases.as_array().unwrap() {
        let fixture = case["fixture"].as_str().unwrap();
        let text = String::from_utf8(read(&format!("syft/alpine/{fixture}"))).unwrap();
        let got = apk::parse_installed(&text).unwrap();
        assert_eq!(got.len(), 1, "{fixture}");
        let (g, w) = (&got[0], &case["expected"]);
        let m = &w["Metadata"];
        assert_eq!(g.package, w["Name"].as_str().unwrap());
        assert_eq!(g.version, w["Version"].as_str().unwrap());
        let lic: Vec<String> = w["Licenses"]["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["args"][1].as_str().unwrap().to_string())
            .collect();
        let got_lic: Vec<String> = g
            .license
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        assert_eq!(got_lic, lic, "{fixture}");
        assert_eq!(g.origin, s(&m["OriginPackage"]));
        assert_eq!(g.description, s(&m["Description"]));
        assert_eq!(g.maintainer, s(&m["Maintainer"]));
        assert_eq!(g.architecture, s(&m["Architecture"]));
        assert_eq!(g.url, s(&m["URL"]));
        assert_eq!(g.size, m["Size"].as_u64());
        assert_eq!(g.installed_size, m["InstalledSize"].as_u64());
        assert_eq!(g.checksum, s(&m["Checksum"]));
        assert_eq!(g.commit, s(&m["GitCommit"]));
        let deps: Vec<String> = serde_json::from_value(m["Dependencies"].clone()).unwrap();
        let provides: Vec<String> = serde_json::from_value(m["Provides"].clone()).unwrap();
        assert_eq!(g.dependencies, deps);
        assert_eq!(g.provides, provides);
        assert_files(&g.files, &m["Files"], fixture);
    }
    let extra = json("syft/alpine/expected_TestExtraFileAttributes.json");
    let text = String::from_utf8(read("syft/alpine/testdata/extra-file-attributes")).unwrap();
    let got = apk::parse_installed(&text).unwrap();
    assert_files(
        &got[0].files,
        &extra[0]["expected"]["Files"],
        "extra-file-attributes",
    );
}

fn assert_files(got: &[apk::ApkFile], want: &Value, fixture: &str) {
    let want = want.as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{fixture}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.path, w["Path"].as_str().unwrap(), "{fixture}");
        assert_eq!(g.owner_uid, s(&w["OwnerUID"]), "{fixture} {}", g.path);
        assert_eq!(g.owner_gid, s(&w["OwnerGID"]), "{fixture} {}", g.path);
        assert_eq!(g.permissions, s(&w["Permissions"]), "{fixture} {}", g.path);
        assert_eq!(g.digest, s(&w["Digest"]["Value"]), "{fixture} {}", g.path);
    }
}

fn release(d: &Value) -> Option<drydock_image::osrelease::OsRelease> {
    if d.is_null() {
        return None;
    }
    let mut text = String::new();
    if let Some(id) = d["ID"].as_str() {
        text.push_str(&format!("ID=\"{id}\"\n"));
    }
    if let Some(v) = d["VersionID"].as_str() {
        text.push_str(&format!("VERSION_ID=\"{v}\"\n"));
    }
    Some(drydock_image::osrelease::parse(&text))
}

#[test]
fn conformance_syft_purls() {
    for case in json("syft/purl/debian_Test_packageURL.json")
        .as_array()
        .unwrap()
    {
        let m = &case["metadata"];
        let os = release(&case["distro"]);
        let got = dpkg::purl(
            os.as_ref(),
            m["Package"].as_str().unwrap(),
            m["Version"].as_str().unwrap(),
            m["Architecture"].as_str(),
            m["Source"].as_str(),
            m["SourceVersion"].as_str(),
        )
        .unwrap_or_default();
        assert_eq!(got, case["expected"].as_str().unwrap(), "{}", case["name"]);
    }
    for case in json("syft/purl/alpine_Test_PackageURL.json")
        .as_array()
        .unwrap()
    {
        let m = &case["metadata"]["ApkDBEntry"];
        let os = release(&case["distro"]);
        let e = apk::ApkEntry {
            package: m["Package"].as_str().unwrap().into(),
            version: m["Version"].as_str().unwrap().into(),
            architecture: s(&m["Architecture"]),
            origin: s(&m["OriginPackage"]),
            ..Default::default()
        };
        assert_eq!(
            apk::purl(os.as_ref(), &e),
            case["expected"].as_str().unwrap(),
            "{}",
            case["name"]
        );
    }
}

/// Syft's distroless fixture: a status.d stanza plus its md5sums (which must not read as a package
/// but do give the file list), catalogued from the directory as a root file system.
#[test]
fn conformance_syft_distroless_rootfs() {
    let root = pkgdb().join("syft/debian/testdata/image-distroless-deb");
    let (cat, _) = drydock_catalog::catalog_dir(&root, &Options::default(), &mut []).unwrap();
    let debs: Vec<&Package> = cat
        .packages
        .iter()
        .filter(|p| p.kind == PackageType::Deb)
        .collect();
    assert_eq!(debs.len(), 1, "{:?}", cat.packages);
    let sums =
        std::fs::read_to_string(root.join("var/lib/dpkg/status.d/libsqlite3-0.md5sums")).unwrap();
    let mut want: Vec<String> = sums
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|p| format!("/{p}"))
        .collect();
    want.sort();
    assert_eq!(debs[0].name, "libsqlite3-0");
    assert_eq!(debs[0].files, want);
    assert_eq!(debs[0].layer, Some(0));
    // The full mini rootfs with copyright: its license names come from the DEP-5 file.
    let root = pkgdb().join("syft/debian/testdata/image-dpkg");
    let (cat, _) = drydock_catalog::catalog_dir(&root, &Options::default(), &mut []).unwrap();
    let pam = cat
        .packages
        .iter()
        .find(|p| p.name == "libpam-runtime")
        .expect("libpam-runtime");
    let copyright =
        std::fs::read_to_string(root.join("usr/share/doc/libpam-runtime/copyright")).unwrap();
    assert!(!pam.licenses.is_empty());
    for l in &pam.licenses {
        assert!(copyright.contains(&format!("License: {l}")), "{l}");
    }
    assert!(cat.os.as_ref().and_then(|o| o.id.as_deref()).is_some());
}

/// The CBL-Mariner SQLite rpmdb through the whole pipeline: every package but the signing keys,
/// purls in the os-release namespace with the distro, and files owned.
#[test]
fn conformance_gorpmdb_sqlite_catalog() {
    let bytes = read("go-rpmdb/testdata/cbl-mariner-2.0/rpmdb.sqlite");
    let headers: Vec<rpm::RpmPackage> = rpm::read_db(&bytes)
        .unwrap()
        .headers
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let cat = catalog(&[
        ("/var/lib/rpm/rpmdb.sqlite", bytes),
        (
            "/etc/os-release",
            b"ID=mariner\nVERSION_ID=\"2.0\"\n".to_vec(),
        ),
    ]);
    assert!(cat.warnings.is_empty(), "{:?}", cat.warnings);
    let mut want: Vec<(String, String, String)> = headers
        .iter()
        .filter(|h| h.name != "gpg-pubkey")
        .map(|h| (h.name.clone(), rpm::full_version(h), h.arch.clone()))
        .collect();
    want.sort();
    let got: Vec<(String, String, String)> = cat
        .packages
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.arch.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(got, want);
    let curl = cat.packages.iter().find(|p| p.name == "curl").unwrap();
    assert_eq!(
        curl.purl,
        "pkg:rpm/mariner/curl@7.76.0-6.cm2?arch=x86_64&distro=mariner-2.0&upstream=curl-7.76.0-6.cm2.src.rpm"
    );
    assert_eq!(curl.source_name.as_deref(), Some("curl"));
    assert_eq!(curl.license_expression.as_deref(), Some("MIT"));
    let exp = json("go-rpmdb/expected.json");
    let n_files = exp["Mariner2CurlInstalledFiles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["Mode"].as_u64().unwrap() & 0o170000 != 0o040000)
        .count();
    assert_eq!(curl.files.len(), n_files);
    // Its requirements resolve to installed packages, by capability or by path.
    let purls: Vec<&str> = cat.packages.iter().map(|p| p.purl.as_str()).collect();
    assert!(!curl.depends_on.is_empty());
    for d in &curl.depends_on {
        assert!(purls.contains(&d.as_str()), "{d}");
    }
    let curl_libs = cat.packages.iter().find(|p| p.name == "curl-libs").unwrap();
    assert!(curl.depends_on.contains(&curl_libs.purl));
}

/// Two rpmdb files in one image: the one written last is the live database, reported once.
#[test]
fn conformance_rpm_live_database_wins() {
    let ndb = read("go-rpmdb/testdata/sle15-bci/Packages.db");
    let bdb = read("go-rpmdb/testdata/libuuid/Packages");
    let cat = catalog(&[
        ("/var/lib/rpm/Packages", bdb.clone()),
        ("/usr/lib/sysimage/rpm/Packages.db", ndb.clone()),
    ]);
    // Same layer: the newer backend (NDB) wins.
    assert_eq!(cat.packages.len(), 35);
    assert!(
        cat.packages
            .iter()
            .all(|p| p.locations[0] == "/usr/lib/sysimage/rpm/Packages.db")
    );
    // A broken preferred database falls back to the other, with a warning.
    let cat = catalog(&[
        ("/var/lib/rpm/Packages", bdb),
        ("/usr/lib/sysimage/rpm/Packages.db", ndb[..5000].to_vec()),
    ]);
    assert_eq!(cat.packages.len(), 1);
    assert_eq!(cat.packages[0].name, "libuuid");
    assert_eq!(cat.warnings.len(), 1);
    assert_eq!(cat.warnings[0].path, "/usr/lib/sysimage/rpm/Packages.db");
}
