//! Every language cataloger together, through the real directory walker (streamed file content,
//! the whole orchestration): a root file system holding a Go binary, a cargo-auditable binary, npm
//! packages, a virtualenv and a Java archive, plus files none of them should report.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use drydock_catalog::{Options, catalog_dir};

fn put(root: &Path, path: &str, bytes: &[u8], mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let p = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn zlib(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[test]
fn every_language_through_the_directory_walk() {
    let work = std::env::temp_dir().join(format!("drydock-lang-rootfs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let root = work.join("root");
    std::fs::create_dir_all(&root).unwrap();

    // Go: the Debian-built docker-registry (scripts/test installs it).
    let go = std::fs::read("/usr/bin/docker-registry").expect("/usr/bin/docker-registry");
    put(&root, "/usr/local/bin/registry", &go, 0o755);

    // Rust: a rustc-built program with a cargo-auditable section.
    let src = work.join("main.rs");
    std::fs::write(&src, "fn main() { println!(\"hi\"); }\n").unwrap();
    let bin = work.join("hello");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    assert!(
        Command::new(rustc)
            .arg("-o")
            .arg(&bin)
            .arg(&src)
            .status()
            .unwrap()
            .success()
    );
    let dep = work.join("dep-v0");
    std::fs::write(
        &dep,
        zlib(br#"{"packages":[{"name":"hello","version":"0.1.0","source":"local","root":true,"dependencies":[1]},{"name":"itoa","version":"1.0.11","source":"registry"}]}"#),
    )
    .unwrap();
    let with = work.join("hello-audit");
    assert!(
        Command::new("objcopy")
            .arg("--add-section")
            .arg(format!(".dep-v0={}", dep.display()))
            .arg(&bin)
            .arg(&with)
            .status()
            .unwrap()
            .success()
    );
    put(
        &root,
        "/usr/local/bin/hello",
        &std::fs::read(&with).unwrap(),
        0o755,
    );

    // npm.
    put(
        &root,
        "/app/node_modules/left-pad/package.json",
        br#"{"name":"left-pad","version":"1.3.0","license":"WTFPL"}"#,
        0o644,
    );
    put(
        &root,
        "/app/node_modules/@scope/util/package.json",
        br#"{"name":"@scope/util","version":"0.0.1-beta.2"}"#,
        0o644,
    );
    put(
        &root,
        "/app/package.json",
        br#"{"name":"the-app","version":"1.0.0"}"#,
        0o644,
    );

    // Python virtualenv.
    let sp = "/opt/venv/lib/python3.12/site-packages";
    put(
        &root,
        &format!("{sp}/Requests_OAuthlib-2.0.0.dist-info/METADATA"),
        b"Metadata-Version: 2.1\nName: requests-oauthlib\nVersion: 2.0.0\nLicense: ISC\n",
        0o644,
    );
    put(
        &root,
        &format!("{sp}/Requests_OAuthlib-2.0.0.dist-info/RECORD"),
        b"requests_oauthlib/__init__.py,sha256=x,10\nRequests_OAuthlib-2.0.0.dist-info/RECORD,,\n",
        0o644,
    );

    // Java, zipped by Python's zipfile.
    let jar = work.join("app.jar");
    let script = "import sys, zipfile\n\
        with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
        \x20   z.writestr('META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\\r\\n\\r\\n')\n\
        \x20   z.writestr('META-INF/maven/io.example/svc/pom.properties', 'groupId=io.example\\nartifactId=svc\\nversion=4.2.0\\n')\n";
    assert!(
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&jar)
            .status()
            .unwrap()
            .success()
    );
    put(&root, "/srv/svc.jar", &std::fs::read(&jar).unwrap(), 0o644);

    // Nothing to report: a script, a plain ELF, an unrelated file named METADATA.
    put(
        &root,
        "/usr/local/bin/run.sh",
        &[b"#!/bin/sh\n".as_slice(), &[b'#'; 4096]].concat(),
        0o755,
    );
    put(
        &root,
        "/usr/local/bin/plain",
        &std::fs::read(&bin).unwrap(),
        0o755,
    );
    put(&root, "/srv/METADATA", b"Name: x\nVersion: 1\n", 0o644);

    let (catalog, _) = catalog_dir(&root, &Options::default(), &mut []).unwrap();
    assert!(catalog.warnings.is_empty(), "{:?}", catalog.warnings);
    let mut got: Vec<String> = catalog
        .packages
        .iter()
        .filter(|p| !p.purl.starts_with("pkg:golang/stdlib@"))
        .map(|p| format!("{} {}", p.purl, p.locations.join(",")))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "pkg:cargo/hello@0.1.0 /usr/local/bin/hello",
            "pkg:cargo/itoa@1.0.11 /usr/local/bin/hello",
            "pkg:maven/io.example/svc@4.2.0 /srv/svc.jar",
            "pkg:npm/%40scope/util@0.0.1-beta.2 /app/node_modules/@scope/util/package.json",
            "pkg:npm/left-pad@1.3.0 /app/node_modules/left-pad/package.json",
            format!(
                "pkg:pypi/requests-oauthlib@2.0.0 {sp}/Requests_OAuthlib-2.0.0.dist-info/METADATA"
            )
            .as_str(),
        ]
    );
    let stdlib: Vec<_> = catalog
        .packages
        .iter()
        .filter(|p| p.name == "stdlib")
        .collect();
    assert_eq!(stdlib.len(), 1);
    assert_eq!(stdlib[0].locations, ["/usr/local/bin/registry"]);
    let py = catalog
        .packages
        .iter()
        .find(|p| p.name == "requests-oauthlib")
        .unwrap();
    assert_eq!(
        py.files,
        [
            format!("{sp}/requests_oauthlib/__init__.py"),
            format!("{sp}/Requests_OAuthlib-2.0.0.dist-info/RECORD")
        ]
    );
    assert_eq!(py.license_expression.as_deref(), Some("ISC"));
    let _ = std::fs::remove_dir_all(&work);
}
