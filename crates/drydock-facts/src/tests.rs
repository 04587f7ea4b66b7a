//! Whole reports from small root file systems built in temp directories.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use drydock_image::oci::ImageConfig;
use time::macros::date;

use super::*;
use crate::report::{EolState, LibcKind};

fn write(root: &Path, path: &str, content: &[u8], mode: u32) {
    let p = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, content).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

fn link(root: &Path, path: &str, target: &str) {
    let p = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    symlink(target, p).unwrap();
}

fn opts() -> InspectOptions {
    InspectOptions {
        today: date!(2026 - 11 - 25),
    }
}

fn report_of(root: &Path, config: Option<&ImageConfig>) -> Report {
    let mut collector = FactsCollector::new(config.unwrap_or(&ImageConfig::default()));
    let tree = drydock_image::rootfs::walk_dir(root, &mut [&mut collector]).unwrap();
    report_from_tree("dir:test", &tree, collector, config, &opts())
}

/// A small merged-usr Debian root with a non-root user and a Python entrypoint.
fn debian_root(root: &Path) {
    link(root, "/bin", "usr/bin");
    link(root, "/lib", "usr/lib");
    write(root, "/usr/bin/dash", b"\x7fELF dash", 0o755);
    link(root, "/usr/bin/sh", "dash");
    write(root, "/usr/bin/python3.11", b"\x7fELF", 0o755);
    link(root, "/usr/bin/python3", "python3.11");
    write(
        root,
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        b"\x7fELF GNU C Library (Debian GLIBC 2.36-9+deb12u9) stable release version 2.36.\n",
        0o755,
    );
    write(
        root,
        "/etc/os-release",
        b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
        0o644,
    );
    write(root, "/etc/debian_version", b"12.8\n", 0o644);
    write(
        root,
        "/etc/passwd",
        b"root:x:0:0:root:/root:/bin/bash\nthis is not a passwd line\napp:x:1000:1000::/home/app:/bin/sh\n",
        0o644,
    );
    write(root, "/etc/group", b"root:x:0:\napp:x:1000:\n", 0o644);
    write(root, "/var/lib/dpkg/status", b"Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u9\n\nPackage: python3.11\nStatus: install ok installed\nVersion: 3.11.2-6+deb12u6\n", 0o644);
    write(
        root,
        "/app/main.py",
        b"#!/usr/bin/env python3\nprint('hi')\n",
        0o755,
    );
    write(root, "/usr/bin/env", b"\x7fELF", 0o755);
    write(root, "/usr/bin/passwd", b"\x7fELF", 0o4755);
    write(root, "/srv/shared.txt", b"x", 0o666);
}

fn app_config() -> ImageConfig {
    let mut c = ImageConfig::default();
    c.config.user = Some("app".into());
    c.config.entrypoint = Some(vec!["/app/main.py".into()]);
    c.config.env = vec![
        "PATH=/usr/local/bin:/usr/bin:/bin".into(),
        "DB_PASSWORD=hunter2".into(),
    ];
    c.config.healthcheck = Some(drydock_image::oci::Healthcheck {
        test: vec!["CMD-SHELL".into(), "true".into()],
        ..Default::default()
    });
    c
}

#[test]
fn debian_directory_report() {
    let dir = tempfile::tempdir().unwrap();
    debian_root(dir.path());
    let cfg = app_config();
    let r = report_of(dir.path(), Some(&cfg));
    assert_eq!(r.schema, "drydock.inspect/v1");
    assert_eq!(r.identity.source, "directory");
    assert_eq!(
        (r.os.id.as_deref(), r.os.family.as_str()),
        (Some("debian"), "debian")
    );
    assert_eq!(r.os.release_file_version.as_deref(), Some("12.8"));
    assert_eq!(r.os.eol.state, EolState::Supported);
    assert!(r.os.eol.lts);
    assert_eq!(
        (r.libc.kind, r.libc.version.as_deref()),
        (LibcKind::Glibc, Some("2.36"))
    );
    assert_eq!(r.shells.sh.kind.as_deref(), Some("dash"));
    assert_eq!(r.shells.sh.resolved.as_deref(), Some("/usr/bin/dash"));
    assert_eq!(
        (r.user.uid, r.user.is_root, r.user.resolved),
        (Some(1000), false, true)
    );
    assert!(
        r.runnability.command.can_run,
        "{}",
        r.runnability.command.why
    );
    assert_eq!(
        r.runnability.command.interpreter.as_deref(),
        Some("/usr/bin/env python3")
    );
    assert!(r.runnability.healthcheck.as_ref().unwrap().can_run);
    assert_eq!(r.config.secret_like_env, ["DB_PASSWORD"]);
    assert_eq!(r.risk.setuid_setgid.items[0].path, "/usr/bin/passwd");
    assert_eq!(r.risk.world_writable.items[0].path, "/srv/shared.txt");
    assert_eq!(r.runtimes[0].version.as_deref(), Some("3.11.2"));
    assert!(
        r.warnings.iter().any(|w| w.contains("/etc/passwd")),
        "{:?}",
        r.warnings
    );
    let mut out = Vec::new();
    render_table(&r, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("/bin/sh -> /usr/bin/dash (dash)"), "{text}");
    assert!(text.contains("! setuid/setgid"), "{text}");
    assert!(text.contains("LTS only"), "{text}");
}

/// Hard-linked names are regular files to every count: a leftover, a zone or a `status.d` entry that
/// is the second name of a file is counted as one, and a cache's bytes count each file once.
#[test]
fn hard_linked_leftovers_zones_and_status_d_entries_count() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let hard_link = |original: &str, name: &str| {
        let p = root.join(name.trim_start_matches('/'));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::hard_link(root.join(original.trim_start_matches('/')), p).unwrap();
    };
    // The walk meets /zz before /var and /usr (a stack, sorted): the names under /zz hold the bytes,
    // and the names in the caches are their hard links.
    write(root, "/zz/lists/main_Packages", &[b'p'; 10], 0o644);
    hard_link(
        "/zz/lists/main_Packages",
        "/var/lib/apt/lists/main_Packages",
    );
    write(root, "/var/lib/apt/lists/other_Packages", &[b'o'; 7], 0o644);
    hard_link(
        "/var/lib/apt/lists/other_Packages",
        "/var/lib/apt/lists/other_Packages.copy",
    );
    write(root, "/zz/debs/tool.deb", &[b'd'; 20], 0o644);
    hard_link("/zz/debs/tool.deb", "/var/cache/apt/archives/tool.deb");
    write(root, "/zz/zones/UTC", b"TZif2", 0o644);
    hard_link("/zz/zones/UTC", "/usr/share/zoneinfo/UTC");
    hard_link("/zz/zones/UTC", "/usr/share/zoneinfo/Etc/UTC");
    write(root, "/zz/status/base", b"Package: base-files\n", 0o644);
    hard_link("/zz/status/base", "/var/lib/dpkg/status.d/base");
    let r = report_of(root, None);
    assert_eq!(
        r.essentials.zoneinfo_files, 2,
        "both names of the zone count"
    );
    let left: Vec<(&str, u64, u64)> = r
        .risk
        .package_leftovers
        .iter()
        .map(|l| (l.kind.as_str(), l.files, l.bytes))
        .collect();
    // apt lists: three names, two files (one held outside, one with two names inside).
    assert_eq!(left, [("apt-archives", 1, 20), ("apt-lists", 3, 10 + 7)]);
    assert!(
        r.package_managers
            .databases
            .iter()
            .any(|d| d.name == "dpkg-status.d"),
        "{:?}",
        r.package_managers.databases
    );
}

#[test]
fn no_shell_image_cannot_run_shell_form_or_scripts() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "/app/server", b"\x7fELF", 0o755);
    write(
        dir.path(),
        "/app/start.sh",
        b"#!/bin/sh\nexec /app/server\n",
        0o755,
    );
    write(
        dir.path(),
        "/etc/passwd",
        b"nonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n",
        0o644,
    );
    let mut cfg = ImageConfig::default();
    cfg.config.user = Some("65532".into());
    cfg.config.cmd = Some(vec!["/bin/sh".into(), "-c".into(), "/app/server".into()]);
    let r = report_of(dir.path(), Some(&cfg));
    assert!(!r.shells.sh.present);
    assert_eq!(r.libc.kind, LibcKind::None);
    assert!(!r.runnability.command.can_run);
    assert_eq!(r.runnability.command.form, "shell");
    assert_eq!(r.user.name.as_deref(), Some("nonroot"));
    cfg.config.cmd = Some(vec!["/app/start.sh".into()]);
    let r = report_of(dir.path(), Some(&cfg));
    assert!(!r.runnability.command.can_run);
    assert!(
        r.runnability.command.why.contains("interpreter"),
        "{}",
        r.runnability.command.why
    );
    cfg.config.cmd = Some(vec!["/app/server".into()]);
    assert!(
        report_of(dir.path(), Some(&cfg))
            .runnability
            .command
            .can_run
    );
}

#[test]
fn empty_tree_is_a_report_not_a_panic() {
    let tree = FileTree::from_nodes(Vec::new());
    let r = report_from_tree("scratch", &tree, FactsCollector::default(), None, &opts());
    assert_eq!(r.os.family, "unknown");
    assert_eq!(r.os.eol.state, EolState::Unknown);
    assert_eq!(r.libc.kind, LibcKind::None);
    assert!(!r.runnability.command.can_run);
    assert!(r.user.is_root);
    let mut out = Vec::new();
    render_table(&r, &mut out).unwrap();
    assert!(String::from_utf8(out).unwrap().contains("no /bin/sh"));
}

#[test]
fn garbage_files_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let junk: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    for p in [
        "/etc/os-release",
        "/etc/passwd",
        "/etc/group",
        "/var/lib/dpkg/status",
        "/lib/apk/db/installed",
        "/usr/local/go/VERSION",
        "/bin/sh",
    ] {
        write(dir.path(), p, &junk, 0o755);
    }
    let mut cfg = ImageConfig::default();
    cfg.config.user = Some(":".into());
    cfg.config.entrypoint = Some(vec![String::new()]);
    let r = report_of(dir.path(), Some(&cfg));
    assert!(!r.runnability.command.can_run);
    serde_json::to_string(&r).unwrap();
}

#[test]
fn glibc_binary_on_a_musl_root_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "/lib/ld-musl-x86_64.so.1", b"\x7fELF", 0o755);
    write(
        dir.path(),
        "/etc/os-release",
        b"ID=alpine\nVERSION_ID=3.22.0\n",
        0o644,
    );
    let elf = crate::collector::tests::elf_with_interp("/lib64/ld-linux-x86-64.so.2");
    write(dir.path(), "/usr/local/bin/server", &elf, 0o755);
    let mut cfg = ImageConfig::default();
    cfg.config.entrypoint = Some(vec!["server".into()]);
    let r = report_of(dir.path(), Some(&cfg));
    assert!(!r.runnability.command.can_run);
    assert!(
        r.runnability
            .command
            .why
            .contains("/lib64/ld-linux-x86-64.so.2"),
        "{}",
        r.runnability.command.why
    );
    // With the loader in place it runs.
    write(dir.path(), "/lib64/ld-linux-x86-64.so.2", b"\x7fELF", 0o755);
    let r = report_of(dir.path(), Some(&cfg));
    assert!(
        r.runnability.command.can_run,
        "{}",
        r.runnability.command.why
    );
    assert_eq!(
        (r.libc.kind, r.libc.also_present.as_slice()),
        (LibcKind::Musl, &[LibcKind::Glibc][..])
    );
}

/// Pseudo-random inputs through every parser: nothing may panic.
#[test]
fn parsers_survive_random_input() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    const ALPHABET: &[u8] = b"\x7fELF:/.-_= \n\t#!\"'$;&|abcPV0123456789\x00\xff\xc3\xa9";
    for round in 0..3000 {
        let len = (next() % 300) as usize;
        let mut bytes: Vec<u8> = (0..len)
            .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
            .collect();
        if round % 7 == 0 && bytes.len() > 64 {
            // Plausible ELF headers with random program-header fields.
            bytes[..4].copy_from_slice(b"\x7fELF");
            bytes[4] = 1 + (next() % 2) as u8;
            bytes[5] = 1 + (next() % 2) as u8;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = crate::collector::elf_interpreter(&bytes);
        let _ = crate::user::parse_passwd(&text);
        let _ = crate::user::parse_group(&text);
        let _ = crate::user::member_gids(&text, "app");
        let _ = crate::user::resolve(&text, None, None);
        let _ = crate::run::shell_first_program(&text);
        let _ = crate::fs::upstream_version(&text);
        let mut c = FactsCollector::default();
        let node = drydock_image::Node {
            kind: drydock_image::Kind::File,
            mode: 0o755,
            uid: 0,
            gid: 0,
            size: bytes.len() as u64,
            mtime: 0,
            layer: 0,
            link: None,
        };
        for p in [
            "/etc/os-release",
            "/var/lib/dpkg/status",
            "/lib/apk/db/installed",
            "/bin/sh",
            "/lib/libc.so.6",
        ] {
            c.visit(p, &node, &mut bytes.as_slice()).unwrap();
        }
        let tree = FileTree::from_nodes(vec![(format!("/{text}"), node.clone())]);
        let _ = report_from_tree("fuzz", &tree, c, None, &opts());
    }
}
