//! The binary cataloger on real Rust binaries carrying cargo-auditable data: one built with
//! `cargo auditable` when that subcommand is installed, and ones built here with `rustc` whose
//! `.dep-v0` section is added with `objcopy`, laid out as cargo-auditable writes it (a zlib stream
//! of `{"packages":[{name, version, source, kind?, dependencies?, root?}], "format": 1}` in a
//! non-allocated section).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_catalog::{Catalog, PackageType, lang};

mod common;

use common::{scratch, write};

fn catalog(files: &[(&str, Vec<u8>)]) -> Catalog {
    common::catalog_files(lang::catalogers(), files, 0o755, 0)
}

fn purls(c: &Catalog) -> Vec<&str> {
    c.packages.iter().map(|p| p.purl.as_str()).collect()
}

fn zlib(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// A tiny Rust program compiled with rustc.
fn rustc_binary(dir: &Path) -> PathBuf {
    let src = dir.join("main.rs");
    write(&src, "fn main() { println!(\"hello\"); }\n");
    let out = dir.join("hello");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let status = Command::new(rustc)
        .args(["--edition", "2021", "-O", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("rustc");
    assert!(status.success());
    out
}

/// `objcopy --add-section .dep-v0=<data>`: the section lands after the loaded segments, where
/// cargo-auditable's linker section also ends up.
fn with_section(binary: &Path, data: &[u8], out: &Path) -> Vec<u8> {
    let blob = out.with_extension("dep");
    std::fs::write(&blob, data).unwrap();
    let status = Command::new("objcopy")
        .arg("--add-section")
        .arg(format!(".dep-v0={}", blob.display()))
        .arg(binary)
        .arg(out)
        .status()
        .expect("objcopy (binutils)");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

#[test]
fn constructed_dep_v0_section() {
    let dir = scratch("rust-objcopy");
    let bin = rustc_binary(&dir);
    let json = br#"{"packages":[
        {"name":"cc","version":"1.0.83","source":"registry","kind":"build"},
        {"name":"hello","version":"0.3.1","source":"local","dependencies":[0,2,3],"root":true},
        {"name":"serde","version":"1.0.197","source":"registry","dependencies":[3]},
        {"name":"serde_derive","version":"1.0.197","source":"registry","kind":"runtime"}
    ],"format":1}"#;
    let good = with_section(&bin, &zlib(json), &dir.join("good"));
    let c = catalog(&[("/usr/local/bin/hello", good.clone())]);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(
        purls(&c),
        [
            "pkg:cargo/hello@0.3.1",
            "pkg:cargo/serde@1.0.197",
            "pkg:cargo/serde_derive@1.0.197"
        ]
    );
    assert!(c.packages.iter().all(|p| p.kind == PackageType::Cargo));
    let root = c.packages.iter().find(|p| p.name == "hello").unwrap();
    assert_eq!(root.metadata["root"], "true");
    assert_eq!(root.metadata["source"], "local");
    assert_eq!(root.locations, ["/usr/local/bin/hello"]);

    // Without audit data: nothing, no warning.
    let c = catalog(&[("/usr/local/bin/plain", std::fs::read(&bin).unwrap())]);
    assert!(
        c.packages.is_empty() && c.warnings.is_empty(),
        "{:?} {:?}",
        c.packages,
        c.warnings
    );

    // Hostile sections: not zlib, a decompression bomb, JSON of the wrong shape. Each warns.
    let bomb = zlib(&vec![b' '; 64 << 20]);
    for (name, data) in [
        ("garbage", b"\x78\x9cnot really zlib".to_vec()),
        ("bomb", bomb),
        ("shape", zlib(br#"{"packages":{"name":"x"}}"#)),
    ] {
        let bytes = with_section(&bin, &data, &dir.join(name));
        let path = format!("/usr/local/bin/{name}");
        let c = catalog(&[(path.as_str(), bytes)]);
        assert!(c.packages.is_empty(), "{name}");
        assert_eq!(c.warnings.len(), 1, "{name}: {:?}", c.warnings);
        assert_eq!(c.warnings[0].path, path);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A binary built by `cargo auditable` itself, with a path dependency and a build dependency.
#[test]
fn cargo_auditable_binary() {
    let has = Command::new("cargo")
        .args(["auditable", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has,
        "`cargo auditable` is not installed: cargo install --locked cargo-auditable (scripts/test does)"
    );
    let dir = scratch("rust-auditable");
    write(
        &dir.join("Cargo.toml"),
        "[package]\nname = \"hello-audit\"\nversion = \"0.3.1\"\nedition = \"2021\"\n\n\
         [dependencies]\nhelper = { path = \"helper\" }\n\n[build-dependencies]\nbh = { path = \"bh\" }\n\n\
         [workspace]\n",
    );
    write(
        &dir.join("src/main.rs"),
        "fn main() { println!(\"{}\", helper::x()); }\n",
    );
    write(&dir.join("build.rs"), "fn main() { bh::y(); }\n");
    write(
        &dir.join("helper/Cargo.toml"),
        "[package]\nname = \"helper\"\nversion = \"0.2.0\"\nedition = \"2021\"\n",
    );
    write(&dir.join("helper/src/lib.rs"), "pub fn x() -> u32 { 7 }\n");
    write(
        &dir.join("bh/Cargo.toml"),
        "[package]\nname = \"bh\"\nversion = \"1.0.0\"\nedition = \"2021\"\n",
    );
    write(&dir.join("bh/src/lib.rs"), "pub fn y() {}\n");
    // Release (as shipped) and debug (`.dep-v0` after megabytes of debug sections).
    for (args, out) in [
        (&["--release"][..], "target/release/hello-audit"),
        (&[][..], "target/debug/hello-audit"),
    ] {
        let status = Command::new("cargo")
            .args(["auditable", "build", "--offline", "--quiet"])
            .args(args)
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .env_remove("RUSTFLAGS")
            .status()
            .unwrap();
        assert!(status.success(), "cargo auditable build {args:?}");
        let bytes = std::fs::read(dir.join(out)).unwrap();
        let c = catalog(&[("/app/hello-audit", bytes)]);
        assert!(c.warnings.is_empty(), "{out}: {:?}", c.warnings);
        // The build dependency is not in the binary.
        assert_eq!(
            purls(&c),
            ["pkg:cargo/hello-audit@0.3.1", "pkg:cargo/helper@0.2.0"],
            "{out}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
