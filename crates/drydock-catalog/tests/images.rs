//! The catalogers on the real test images built by scripts/build-test-images: the package sets must
//! equal what dpkg-query (or the status.d parse, or apk's database) wrote into the truth files.

use std::collections::{BTreeSet, HashSet};

use drydock_catalog::purl::encode;
use drydock_catalog::sbom::{self, Format, WriteOptions};
use drydock_catalog::{Catalog, Options, PackageType, catalog_image_with};
use drydock_image::{FileTree, OpenOptions};
use drydock_testkit::images;

fn open(spec: String) -> drydock_image::Image {
    drydock_image::open(&spec, &OpenOptions::default()).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

fn catalog(name: &str, opts: &Options) -> (drydock_image::Image, Catalog, FileTree) {
    let image = open(format!("oci:{}", images::layout(name).display()));
    let (c, tree) = catalog_image_with(&image, opts, &mut []).unwrap();
    (image, c, tree)
}

type Row = (String, String, String);

fn truth(name: &str, file: &str) -> BTreeSet<Row> {
    images::truth_tsv(name, file)
        .into_iter()
        .map(|r| {
            assert_eq!(r.len(), 3, "{name}/{file}: {r:?}");
            (r[0].clone(), r[1].clone(), r[2].clone())
        })
        .collect()
}

fn rows(c: &Catalog, kind: PackageType) -> BTreeSet<Row> {
    let v: Vec<Row> = c
        .packages
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.arch.clone().unwrap_or_default(),
            )
        })
        .collect();
    let set: BTreeSet<Row> = v.iter().cloned().collect();
    assert_eq!(set.len(), v.len(), "a package is reported twice");
    set
}

/// Checks the invariants every catalogued image must hold, returns the dpkg rows.
fn check_debian(name: &str, opts: &Options) -> Catalog {
    let (image, c, _) = catalog(name, opts);
    assert!(c.warnings.is_empty(), "{name}: {:?}", c.warnings);
    assert_eq!(
        rows(&c, PackageType::Deb),
        truth(name, "dpkg.tsv"),
        "{name}: dpkg set"
    );
    let os = c.os.as_ref().expect("os-release");
    assert_eq!(os.id.as_deref(), Some("debian"));
    let distro = format!("distro=debian-{}", os.version_id.as_deref().unwrap());
    let layers: Vec<String> = image
        .layers()
        .iter()
        .map(|l| l.digest.to_string())
        .collect();
    for p in c.packages.iter().filter(|p| p.kind == PackageType::Deb) {
        assert!(
            p.purl
                .starts_with(&format!("pkg:deb/debian/{}@", encode(&p.name))),
            "{}",
            p.purl
        );
        assert!(p.purl.contains(&distro), "{}", p.purl);
        let layer = p
            .layer
            .unwrap_or_else(|| panic!("{name}: {} has no layer", p.name));
        assert_eq!(p.layer_digest.as_deref(), Some(layers[layer].as_str()));
        assert!(!p.files.is_empty(), "{name}: {} has no files", p.name);
    }
    // Language packages whose metadata dpkg owns are reported as the deb, not twice.
    let owned: HashSet<&str> = c
        .packages
        .iter()
        .filter(|p| p.kind.is_os())
        .flat_map(|p| p.files.iter().map(String::as_str))
        .collect();
    for p in c.packages.iter().filter(|p| !p.kind.is_os()) {
        assert!(
            !p.locations.iter().any(|l| owned.contains(l.as_str())),
            "{name}: {} {:?} is owned by an OS package",
            p.name,
            p.locations
        );
    }
    c
}

#[test]
fn minbase_dpkg_matches_dpkg_query() {
    let c = check_debian("minbase", &Options::default());
    // A doc directory that is a symlink to a sibling package's shares its copyright.
    let (_, _, tree) = catalog("minbase", &Options::default());
    let mut shared = 0;
    for p in &c.packages {
        let own = format!("/usr/share/doc/{}/copyright", p.name);
        let Some((real, _)) = tree.resolve(&own) else {
            continue;
        };
        if real == own {
            continue;
        }
        if let Some(q) = c
            .packages
            .iter()
            .find(|q| q.locations.contains(&real) && q.name != p.name)
        {
            assert_eq!(p.licenses, q.licenses, "{} shares {real}", p.name);
            assert!(!p.licenses.is_empty());
            shared += 1;
        }
    }
    assert!(
        shared > 0,
        "no package in minbase links its doc directory to a sibling's"
    );
    assert!(
        c.packages
            .iter()
            .all(|p| p.layer == Some(0) && p.in_base_image.is_none())
    );
    // Machine-readable copyright files give licenses for some packages, SPDX where they parse.
    assert!(c.packages.iter().any(|p| p.license_expression.is_some()));
}

#[test]
fn python_layers_attribute_packages() {
    let c = check_debian("python", &Options::default());
    let base: HashSet<(String, String)> = truth("minbase", "dpkg.tsv")
        .into_iter()
        .map(|(n, v, _)| (n, v))
        .collect();
    for p in c.packages.iter().filter(|p| p.kind == PackageType::Deb) {
        let was_in_base = base.contains(&(p.name.clone(), p.version.clone()));
        assert_eq!(
            p.layer,
            Some(if was_in_base { 0 } else { 1 }),
            "{} {}",
            p.name,
            p.version
        );
    }
    assert!(c.packages.iter().any(|p| p.layer == Some(1)));
    // Debian's python3-pip ships pip's metadata: kept when asked, reported once as the deb otherwise.
    let keep = Options {
        keep_os_owned: true,
        ..Options::default()
    };
    let (_, all, _) = catalog("python", &keep);
    let owned: HashSet<&str> = all
        .packages
        .iter()
        .filter(|p| p.kind.is_os())
        .flat_map(|p| p.files.iter().map(String::as_str))
        .collect();
    let dropped: Vec<&str> = all
        .packages
        .iter()
        .filter(|p| !p.kind.is_os() && p.locations.iter().any(|l| owned.contains(l.as_str())))
        .map(|p| p.name.as_str())
        .collect();
    assert!(
        !dropped.is_empty(),
        "no language package in python is owned by a deb"
    );
    assert_eq!(all.packages.len(), c.packages.len() + dropped.len());
}

#[test]
fn app_base_layers_and_archives_agree() {
    let opts = Options {
        base_layers: Some(2),
        ..Options::default()
    };
    let c = check_debian("app", &opts);
    for p in c.packages.iter().filter(|p| p.kind == PackageType::Deb) {
        assert_eq!(p.in_base_image, Some(true), "{}", p.name);
    }
    // The same image from its two archive forms gives the same packages.
    for spec in [
        format!("oci-archive:{}", images::oci_archive("app").display()),
        format!("docker-archive:{}", images::docker_archive("app").display()),
    ] {
        let (other, _) = catalog_image_with(&open(spec.clone()), &opts, &mut []).unwrap();
        assert_eq!(other.packages.len(), c.packages.len(), "{spec}");
        // Layer digests differ between forms (docker save stores layers uncompressed).
        for (a, b) in other.packages.iter().zip(&c.packages) {
            let mut a = a.clone();
            a.layer_digest = b.layer_digest.clone();
            assert!(&a == b, "{spec}: {} {} differs", b.name, b.version);
        }
    }
}

#[test]
fn distroless_status_d() {
    let c = check_debian("distroless", &Options::default());
    for p in &c.packages {
        assert!(
            p.locations[0].starts_with("/var/lib/dpkg/status.d/"),
            "{:?}",
            p.locations
        );
    }
}

#[test]
fn sbom_of_real_image_is_deterministic() {
    let (_, c, _) = catalog("app", &Options::default());
    let opts = WriteOptions {
        created: "2026-01-01T00:00:00Z".into(),
        tool_version: "test".into(),
    };
    for f in [
        Format::CycloneDxJson,
        Format::SpdxJson,
        Format::Json,
        Format::Table,
    ] {
        let mut a = Vec::new();
        let mut b = Vec::new();
        sbom::write(&c, f, &opts, &mut a).unwrap();
        let (_, c2, _) = catalog("app", &Options::default());
        sbom::write(&c2, f, &opts, &mut b).unwrap();
        assert_eq!(a, b, "{f:?}");
    }
}

#[test]
fn conformance_alpine_apk_matches_database() {
    for name in images::ALPINE {
        let (image, c, _) = catalog(name, &Options::default());
        assert!(c.warnings.is_empty(), "{name}: {:?}", c.warnings);
        assert_eq!(rows(&c, PackageType::Apk), truth(name, "apk.tsv"), "{name}");
        let os = c.os.as_ref().expect("os-release");
        let distro = format!("distro=alpine-{}", os.version_id.as_deref().unwrap());
        for p in &c.packages {
            assert!(
                p.purl
                    .starts_with(&format!("pkg:apk/alpine/{}@", encode(&p.name))),
                "{}",
                p.purl
            );
            assert!(p.purl.contains(&distro), "{}", p.purl);
            assert_eq!(p.layer, Some(0), "{}", p.name);
            assert_eq!(p.layer_digest, Some(image.layers()[0].digest.to_string()));
        }
    }
}

fn schema(rel: &str) -> serde_json::Value {
    let p = images::shared_dir().join("conformance/schemas").join(rel);
    serde_json::from_slice(&std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

/// SBOMs of the real images (Debian with a venv, distroless, Alpine) against the published schemas.
#[test]
fn conformance_real_image_sboms_are_schema_valid() {
    let mut cdx = jsonschema::options();
    for name in ["spdx.schema.json", "jsf-0.82.schema.json"] {
        cdx = cdx.with_resource(
            format!("http://cyclonedx.org/schema/{name}"),
            jsonschema::Resource::from_contents(schema(&format!("cyclonedx/{name}"))).unwrap(),
        );
    }
    let cdx = cdx.build(&schema("cyclonedx/bom-1.6.schema.json")).unwrap();
    let spdx = jsonschema::options()
        .build(&schema("spdx/spdx-schema-2.3.json"))
        .unwrap();
    let opts = WriteOptions {
        created: "2026-01-01T00:00:00Z".into(),
        tool_version: "test".into(),
    };
    for name in ["app", "distroless", "alpine-3.20"] {
        let (_, c, _) = catalog(name, &Options::default());
        for (format, validator) in [(Format::CycloneDxJson, &cdx), (Format::SpdxJson, &spdx)] {
            let mut buf = Vec::new();
            sbom::write(&c, format, &opts, &mut buf).unwrap();
            let doc: serde_json::Value = serde_json::from_slice(&buf).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&doc)
                .take(5)
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect();
            assert!(errors.is_empty(), "{name} {format:?}: {errors:?}");
        }
    }
}

/// The file lists are real: every file a deb owns is in the image (through the merged-/usr symlinks
/// where the list names the old path), except what the build removed afterwards, which the
/// independent `files.tsv` truth must not have either.
#[test]
fn minbase_owned_files_exist() {
    let (_, c, tree) = catalog("minbase", &Options::default());
    let truth: HashSet<String> = images::truth_tsv("minbase", "files.tsv")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(truth.len() > 5000);
    let mut missing = Vec::new();
    let mut total = 0;
    for p in &c.packages {
        for f in &p.files {
            total += 1;
            if !tree.exists(f) && tree.get(f).is_none() {
                assert!(
                    !truth.contains(f),
                    "{f} is in the image but drydock does not see it"
                );
                missing.push(f.clone());
            }
        }
    }
    assert!(total > 5000, "{total}");
    assert!(
        missing.len() * 100 < total,
        "{} of {total} missing: {:?}",
        missing.len(),
        &missing[..missing.len().min(20)]
    );
}

/// The dependency graph follows the databases: each `Depends` entry whose first alternative is an
/// installed package (same arch or `all`) points at it, and every edge lands on a package.
#[test]
fn dependency_graph_follows_dpkg_depends() {
    for name in ["minbase", "python"] {
        let (_, c, _) = catalog(name, &Options::default());
        let purls: HashSet<&str> = c.packages.iter().map(|p| p.purl.as_str()).collect();
        let mut edges = 0;
        for p in c.packages.iter().filter(|p| p.kind == PackageType::Deb) {
            for d in &p.depends_on {
                assert!(purls.contains(d.as_str()), "{name}: {} -> {d}", p.name);
                edges += 1;
            }
            let fields = [p.metadata.get("depends"), p.metadata.get("pre-depends")];
            for entry in fields.into_iter().flatten().flat_map(|f| f.split(", ")) {
                let first = entry
                    .split(" | ")
                    .next()
                    .unwrap()
                    .split([' ', ':'])
                    .next()
                    .unwrap();
                let target = c.packages.iter().find(|t| {
                    t.kind == PackageType::Deb
                        && t.name == first
                        && (t.arch == p.arch || t.arch.as_deref() == Some("all"))
                });
                if let Some(t) = target.filter(|t| t.name != p.name) {
                    assert!(
                        p.depends_on.contains(&t.purl),
                        "{name}: {} should depend on {}",
                        p.name,
                        t.name
                    );
                }
            }
        }
        assert!(edges > c.packages.len(), "{name}: only {edges} edges");
    }
}

/// apk: every `D:` token resolves (an installed name or something one provides), as apk ensures.
#[test]
fn conformance_alpine_dependencies_resolve() {
    let (_, c, _) = catalog("alpine-3.20", &Options::default());
    for p in &c.packages {
        let Some(deps) = p.metadata.get("depends") else {
            continue;
        };
        for tok in deps.split_whitespace().filter(|t| !t.starts_with('!')) {
            let want = tok.split(['<', '>', '=', '~']).next().unwrap();
            let providers: Vec<&str> = c
                .packages
                .iter()
                .filter(|t| {
                    t.name == want
                        || t.metadata.get("provides").is_some_and(|pr| {
                            pr.split_whitespace()
                                .any(|x| x.split('=').next() == Some(want))
                        })
                })
                .map(|t| t.purl.as_str())
                .collect();
            assert!(
                !providers.is_empty(),
                "{} needs {tok}: nothing provides it",
                p.name
            );
            assert!(
                providers
                    .iter()
                    .any(|pr| p.depends_on.iter().any(|d| d == pr))
                    || providers.contains(&p.purl.as_str()),
                "{} -> {tok} not in the graph",
                p.name
            );
        }
    }
}

/// drydock's own JSON of real images (with language packages, distroless, Alpine) against its
/// published schema, which is strict: a field added to the model must be documented there.
#[test]
fn drydock_json_matches_its_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/schemas/sbom-v1.schema.json");
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let v = jsonschema::options().build(&schema).unwrap();
    assert!(!v.is_valid(&serde_json::json!({"schema": "drydock.sbom/v1"})));
    let opts = WriteOptions {
        created: "2026-01-01T00:00:00Z".into(),
        tool_version: "test".into(),
    };
    for name in ["app", "distroless", "python"] {
        let (_, c, _) = catalog(name, &Options::default());
        let mut buf = Vec::new();
        sbom::write(&c, Format::Json, &opts, &mut buf).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .take(5)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
}

/// Keeps one file's content as the walk offers it.
struct Grab(&'static str, Vec<u8>);

impl drydock_image::FileVisitor for Grab {
    fn wants(&self, path: &str, _: &drydock_image::Node) -> bool {
        path == self.0
    }
    fn visit(
        &mut self,
        _: &str,
        _: &drydock_image::Node,
        content: &mut dyn std::io::Read,
    ) -> std::io::Result<()> {
        content.read_to_end(&mut self.1).map(|_| ())
    }
}

/// Source names and versions are dpkg-query's own `${source:Package}` and `${source:Version}` (the
/// binary version when `Source:` names none), asked of the image's status file on the host.
#[test]
fn minbase_source_fields_match_dpkg_query() {
    let image = open(format!("oci:{}", images::layout("minbase").display()));
    let mut status = Grab("/var/lib/dpkg/status", Vec::new());
    let (c, _) = catalog_image_with(&image, &Options::default(), &mut [&mut status]).unwrap();
    assert!(!status.1.is_empty());
    let admin = std::env::temp_dir().join(format!("drydock-dpkg-admin-{}", std::process::id()));
    std::fs::create_dir_all(admin.join("info")).unwrap();
    std::fs::write(admin.join("status"), &status.1).unwrap();
    let out = std::process::Command::new("dpkg-query")
        .arg(format!("--admindir={}", admin.display()))
        .args([
            "-W",
            "-f",
            "${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\n",
        ])
        .output()
        .expect("dpkg-query runs (the test images are built on Debian)");
    let _ = std::fs::remove_dir_all(&admin);
    assert!(out.status.success());
    let want: BTreeSet<(String, String, String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].into(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect();
    // drydock leaves the source fields out when the package is its own source.
    let got: BTreeSet<(String, String, String, String)> = c
        .packages
        .iter()
        .map(|p| {
            let (source, version) = match &p.source_name {
                Some(s) => (s.clone(), p.source_version.clone().unwrap_or_default()),
                None => (p.name.clone(), p.version.clone()),
            };
            (p.name.clone(), p.version.clone(), source, version)
        })
        .collect();
    assert_eq!(got, want);
    // The case this checks: a `Source:` without a version, whose version is the binary one.
    assert!(
        c.packages
            .iter()
            .any(|p| p.source_name.is_some()
                && p.source_version.as_deref() == Some(p.version.as_str())),
        "minbase has packages whose Source: names no version"
    );
}
