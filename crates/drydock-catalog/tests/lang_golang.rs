//! The binary cataloger on real Go binaries: ones built here with the Go toolchain (internal and
//! external linker, stripped, without a section table) and the Debian-built `docker-registry`.

use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_catalog::{Catalog, Package, PackageType, lang};

mod common;

use common::{scratch, write};

fn catalog(files: &[(&str, Vec<u8>)]) -> Catalog {
    common::catalog_files(lang::catalogers(), files, 0o755, 1)
}

fn find<'a>(c: &'a Catalog, name: &str) -> &'a Package {
    c.packages
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no package {name} in {:#?} (warnings {:?})",
                c.packages, c.warnings
            )
        })
}

/// A Go binary the Debian archive built (`docker-registry`, which the test tools install): GOPATH
/// mode, so no main module, only the package path, the toolchain and build settings.
#[test]
fn debian_built_go_binary() {
    let path = Path::new("/usr/bin/docker-registry");
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (scripts/test installs the docker-registry package)",
            path.display()
        )
    });
    let c = catalog(&[("/usr/bin/docker-registry", bytes)]);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let std = find(&c, "stdlib");
    assert_eq!(std.kind, PackageType::Golang);
    assert!(std.version.starts_with("go1."), "{}", std.version);
    assert_eq!(std.purl, format!("pkg:golang/stdlib@{}", std.version));
    // github.com/docker/distribution (2.x) or github.com/distribution/distribution (3.x).
    let main_path = &std.metadata["main_path"];
    assert!(
        main_path.starts_with("github.com/") && main_path.ends_with("/cmd/registry"),
        "{main_path}"
    );
    assert_eq!(std.locations, ["/usr/bin/docker-registry"]);
    assert_eq!(std.layer, Some(1));
}

/// Non-ELF executables (scripts) and ELF files without Go or Rust data give nothing and no warning.
#[test]
fn scripts_and_plain_elf_files_give_nothing() {
    let sh = std::fs::read("/bin/sh").expect("/bin/sh");
    let mut script = b"#!/bin/sh\n".to_vec();
    script.resize(4096, b'#');
    let c = catalog(&[("/bin/sh", sh), ("/usr/local/bin/run.sh", script)]);
    assert!(c.packages.is_empty(), "{:?}", c.packages);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

/// A truncated Go binary warns (naming the file) and the run goes on.
#[test]
fn truncated_binary_warns() {
    let bytes = std::fs::read("/usr/bin/docker-registry").expect("docker-registry");
    let cut = bytes[..bytes.len() / 2].to_vec();
    let c = catalog(&[("/usr/bin/cut", cut)]);
    assert!(c.packages.is_empty());
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert_eq!(c.warnings[0].path, "/usr/bin/cut");
}

fn go() -> Option<PathBuf> {
    let out = Command::new("go").arg("env").arg("GOROOT").output().ok()?;
    out.status.success().then(|| PathBuf::from("go"))
}

/// Zeroes the section header fields of an ELF64 header, as `sstrip` would leave a file.
fn drop_section_table(mut b: Vec<u8>) -> Vec<u8> {
    b[40..48].fill(0); // e_shoff
    b[58..64].fill(0); // e_shentsize, e_shnum, e_shstrndx
    b
}

/// Go binaries built here: a module with a dependency replaced by a local directory, linked by
/// Go's own linker, by the system linker, stripped, and with the section table removed.
#[test]
fn go_built_binaries() {
    // scripts/test installs the toolchain; without it this test fails rather than skip silently.
    let go = go().expect("no Go toolchain: apt-get install golang-go (scripts/test does)");
    let dir = scratch("go");
    write(
        &dir.join("go.mod"),
        "module example.com/hello\n\ngo 1.18\n\nrequire example.com/greet v1.2.3\n\nreplace example.com/greet => ./greet\n",
    );
    write(
        &dir.join("main.go"),
        "package main\n\nimport \"example.com/greet\"\n\nvar version = \"dev\"\n\nfunc main() { println(greet.Hello(), version) }\n",
    );
    write(
        &dir.join("greet/go.mod"),
        "module example.com/greet\n\ngo 1.18\n",
    );
    write(
        &dir.join("greet/greet.go"),
        "package greet\n\nfunc Hello() string { return \"hi\" }\n",
    );
    let version = Command::new(&go)
        .args(["env", "GOVERSION"])
        .output()
        .unwrap();
    let version = String::from_utf8(version.stdout)
        .unwrap()
        .trim()
        .to_string();
    let variants: &[(&str, &str, &[&str])] = &[
        ("internal", "0", &[]),
        ("stripped", "0", &["-ldflags=-s -w"]),
        ("external", "1", &["-ldflags=-linkmode=external"]),
        ("pie", "1", &["-buildmode=pie"]),
        ("ldflags-version", "0", &["-ldflags=-X main.version=1.4.0"]),
    ];
    for (name, cgo, flags) in variants {
        let out = dir.join(format!("hello-{name}"));
        let status = Command::new(&go)
            .arg("build")
            .args(*flags)
            .arg("-o")
            .arg(&out)
            .arg(".")
            .current_dir(&dir)
            .env("CGO_ENABLED", cgo)
            .env("GOFLAGS", "-mod=mod -buildvcs=false")
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .env("GOCACHE", dir.join("cache"))
            .env("GOPATH", dir.join("gopath"))
            .status()
            .unwrap();
        assert!(status.success(), "go build {name}");
        let bytes = std::fs::read(&out).unwrap();
        // Without the Go build-id note the reader cannot tell a Go binary up front.
        let no_note_path = dir.join(format!("hello-{name}-no-note"));
        let status = Command::new("objcopy")
            .args(["--remove-section", ".note.go.buildid"])
            .arg(&out)
            .arg(&no_note_path)
            .status()
            .expect("objcopy (binutils)");
        assert!(status.success());
        let no_note = std::fs::read(&no_note_path).unwrap();
        for (form, bytes) in [
            ("as built", bytes.clone()),
            ("no section table", drop_section_table(bytes)),
            ("no Go note", no_note.clone()),
            ("no Go note nor section table", drop_section_table(no_note)),
        ] {
            let what = format!("{name}, {form}");
            let c = catalog(&[("/usr/local/bin/hello", bytes)]);
            assert!(c.warnings.is_empty(), "{what}: {:?}", c.warnings);
            let main = find(&c, "example.com/hello");
            let want = if *name == "ldflags-version" {
                "v1.4.0"
            } else {
                "(devel)"
            };
            assert_eq!(main.version, want, "{what}");
            assert_eq!(main.metadata["main_module"], "true", "{what}");
            assert_eq!(main.metadata["build.GOOS"], "linux", "{what}");
            assert_eq!(main.metadata["build.CGO_ENABLED"], *cgo, "{what}");
            assert_eq!(main.metadata["go_version"], version, "{what}");
            let dep = find(&c, "example.com/greet");
            assert_eq!(dep.version, "(devel)", "{what}");
            assert_eq!(dep.metadata["replaced_by"], "./greet", "{what}");
            assert_eq!(
                dep.purl, "pkg:golang/example.com/greet@%28devel%29",
                "{what}"
            );
            let std = find(&c, "stdlib");
            assert_eq!(std.version, version, "{what}");
            assert_eq!(c.packages.len(), 3, "{what}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `go version -m` on every Go binary in the machine's bin directories (at least the Debian-built
/// docker-registry) agrees with the cataloger: the same modules, replacements and toolchain.
#[test]
fn agrees_with_go_version_m() {
    let go = go().expect("no Go toolchain: apt-get install golang-go (scripts/test does)");
    let mut checked = Vec::new();
    for dir in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file()
                || meta.len() < (1 << 20)
                || meta.len() > (256 << 20)
                || checked.len() >= 12
            {
                continue;
            }
            let out = Command::new(&go)
                .arg("version")
                .arg("-m")
                .arg(&path)
                .output()
                .unwrap();
            if !out.status.success() {
                continue;
            }
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut lines = text.lines();
            // "<path>: go1.22.1 X:boringcrypto"
            let toolchain = lines
                .next()
                .and_then(|l| l.rsplit_once(": "))
                .and_then(|(_, v)| v.split_whitespace().next())
                .unwrap_or("")
                .to_string();
            if !toolchain.starts_with("go") {
                // Not a Go binary (`go version -m` says so on stderr and exits 0).
                continue;
            }
            let rows: Vec<Vec<&str>> = lines
                .map(|l| l.trim_start_matches('\t').split('\t').collect())
                .collect();
            let mut want = vec![format!("stdlib {toolchain}")];
            for (i, f) in rows.iter().enumerate() {
                if f[0] != "mod" && f[0] != "dep" {
                    continue;
                }
                let version = f.get(2).copied().unwrap_or("");
                match rows.get(i + 1) {
                    Some(r)
                        if r[0] == "=>"
                            && r.get(2).is_some_and(|v| !v.is_empty() && *v != "(devel)") =>
                    {
                        want.push(format!("{} {}", r[1], r[2]))
                    }
                    Some(r) if r[0] == "=>" => want.push(format!("{} (devel)", f[1])),
                    _ => want.push(format!("{} {version}", f[1])),
                }
            }
            want.sort();
            let bytes = std::fs::read(&path).unwrap();
            let image_path = path.to_string_lossy().into_owned();
            let c = catalog(&[(image_path.as_str(), bytes)]);
            assert!(c.warnings.is_empty(), "{image_path}: {:?}", c.warnings);
            let mut got: Vec<String> = c
                .packages
                .iter()
                .map(
                    |p| match p.metadata.get("version_from").map(String::as_str) {
                        // A version stamped with -ldflags replaces the module's (devel).
                        Some("ldflags") => format!("{} (devel)", p.name),
                        _ => format!("{} {}", p.name, p.version),
                    },
                )
                .collect();
            got.sort();
            assert_eq!(got, want, "{image_path}");
            checked.push(image_path);
        }
    }
    assert!(
        checked.iter().any(|p| p == "/usr/bin/docker-registry"),
        "docker-registry not among the checked binaries: {checked:?}"
    );
}
