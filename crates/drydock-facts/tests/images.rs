//! `inspect` on the real test images, checked against the truth files the build script wrote
//! (never against drydock's own earlier output). They need `scripts/build-test-images`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{TruthFs, truth_config, truth_os_release, upstream};
use drydock_facts::Report;
use drydock_facts::report::{EolState, LibcKind};
use drydock_testkit::images;

/// Checks every fact that has a truth file, for any image.
pub fn check_against_truth(name: &str, r: &Report) {
    let fs = TruthFs::load(name);

    // OS from the os-release the build copied.
    let osr = truth_os_release(name);
    assert_eq!(
        r.os.id.as_deref(),
        osr.get("ID").map(String::as_str),
        "{name}: os id"
    );
    assert_eq!(
        r.os.version_id.as_deref(),
        osr.get("VERSION_ID").map(String::as_str),
        "{name}: version id"
    );
    assert_eq!(
        r.os.pretty_name.as_deref(),
        osr.get("PRETTY_NAME").map(String::as_str),
        "{name}: pretty name"
    );
    assert_eq!(
        r.os.codename.as_deref(),
        osr.get("VERSION_CODENAME").map(String::as_str),
        "{name}: codename"
    );

    // Files and bytes of the final view.
    assert_eq!(r.size.file_count, fs.file_count(), "{name}: file count");
    assert_eq!(
        r.size.content_bytes,
        fs.content_bytes(),
        "{name}: content bytes"
    );

    // Layers: count, stored sizes and history straight from the layout.
    let layers: usize = images::truth(name, "layers.txt").trim().parse().unwrap();
    assert_eq!(r.size.layers.len(), layers, "{name}: layers");
    let (manifest_digest, sizes, created_by) = common::layout_layers(name);
    assert_eq!(
        r.identity.manifest_digest.as_deref(),
        Some(manifest_digest.as_str())
    );
    assert_eq!(
        r.size
            .layers
            .iter()
            .map(|l| l.compressed)
            .collect::<Vec<_>>(),
        sizes,
        "{name}: layer sizes"
    );
    assert_eq!(r.size.compressed, sizes.iter().sum::<u64>());
    for (l, by) in r
        .size
        .layers
        .iter()
        .zip(created_by.iter().chain(std::iter::repeat(&None)))
    {
        assert_eq!(&l.created_by, by, "{name}: layer {} created_by", l.index);
    }
    assert!(r.size.uncompressed >= r.size.content_bytes);

    // /bin/sh: present exactly when the truth resolves it, to the same file.
    let sh = fs.resolve_file("/bin/sh");
    assert_eq!(
        r.shells.sh.present,
        sh.is_some(),
        "{name}: /bin/sh presence"
    );
    assert_eq!(r.shells.sh.resolved, sh, "{name}: /bin/sh target");
    for shell in &r.shells.available {
        assert_eq!(
            fs.resolve_file(&shell.path),
            shell.resolved,
            "{name}: {}",
            shell.path
        );
    }
    for s in ["bash", "dash", "zsh"] {
        let truth = ["/bin", "/usr/bin"]
            .iter()
            .any(|d| fs.resolve_file(&format!("{d}/{s}")).is_some());
        assert_eq!(
            r.shells.available.iter().any(|x| x.name == s),
            truth,
            "{name}: {s} presence"
        );
    }

    // Package managers found in the standard bin directories.
    for tool in ["dpkg", "apt-get", "apk", "rpm", "pip", "pip3", "npm"] {
        let truth = [
            "/usr/local/bin",
            "/usr/bin",
            "/bin",
            "/sbin",
            "/usr/sbin",
            "/opt/venv/bin",
        ]
        .iter()
        .any(|d| fs.resolve_file(&format!("{d}/{tool}")).is_some());
        let got = r.package_managers.tools.iter().any(|t| t.name == tool);
        assert_eq!(got, truth, "{name}: package manager {tool}");
    }

    // Config as the build script set it.
    let cfg = truth_config(name);
    let list = |v: &serde_json::Value| -> Option<Vec<String>> {
        v.as_array()
            .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
    };
    assert_eq!(
        r.config.entrypoint,
        list(&cfg["entrypoint"]),
        "{name}: entrypoint"
    );
    assert_eq!(r.config.cmd, list(&cfg["cmd"]), "{name}: cmd");
    assert_eq!(Some(r.config.env.clone()), list(&cfg["env"]), "{name}: env");
    assert_eq!(
        Some(r.config.exposed_ports.clone()),
        list(&cfg["exposed_ports"]),
        "{name}: ports"
    );
    let wd = cfg["workdir"].as_str().unwrap_or("");
    assert_eq!(
        r.config.working_dir.as_deref().unwrap_or(""),
        wd,
        "{name}: workdir"
    );
    let labels: BTreeMap<String, String> =
        serde_json::from_value(cfg["labels"].clone()).unwrap_or_default();
    assert_eq!(r.identity.labels, labels, "{name}: labels");
    let platform = format!(
        "{}/{}",
        cfg["os"].as_str().unwrap(),
        cfg["architecture"].as_str().unwrap()
    );
    let got = r.identity.platform.as_deref().unwrap_or("");
    assert!(
        got == platform || got.starts_with(&format!("{platform}/")),
        "{name}: platform {got}"
    );

    // The user, resolved through the truth passwd by a tiny independent parse.
    let user = cfg["user"].as_str().unwrap_or("");
    let passwd = images::truth(name, "passwd");
    let rows: Vec<Vec<&str>> = passwd
        .lines()
        .map(|l| l.split(':').collect())
        .filter(|f: &Vec<&str>| f.len() == 7)
        .collect();
    let user_part = user.split(':').next().unwrap_or("");
    let expected_uid: u64 = if user_part.is_empty() {
        0
    } else if let Ok(n) = user_part.parse() {
        n
    } else {
        rows.iter()
            .find(|f| f[0] == user_part)
            .map(|f| f[2].parse().unwrap())
            .expect("user in truth passwd")
    };
    assert_eq!(r.user.uid, Some(expected_uid), "{name}: uid");
    assert_eq!(r.user.is_root, expected_uid == 0, "{name}: is_root");
    assert!(r.user.resolved, "{name}: user resolves");
    let expected_name = rows
        .iter()
        .find(|f| f[2].parse::<u64>().ok() == Some(expected_uid))
        .map(|f| f[0]);
    assert_eq!(r.user.name.as_deref(), expected_name, "{name}: user name");

    // The command: its program must be where the truth resolves it.
    let argv: Vec<String> = list(&cfg["entrypoint"])
        .unwrap_or_default()
        .into_iter()
        .chain(list(&cfg["cmd"]).unwrap_or_default())
        .collect();
    match argv.first() {
        None => {
            assert!(!r.runnability.command.can_run);
            assert_eq!(r.runnability.command.form, "none");
        }
        Some(prog) => {
            let path_env = r
                .config
                .env
                .iter()
                .find_map(|e| e.strip_prefix("PATH="))
                .unwrap();
            let truth = if prog.starts_with('/') {
                fs.resolve_file(prog)
            } else {
                path_env
                    .split(':')
                    .find_map(|d| fs.resolve_file(&format!("{d}/{prog}")))
            };
            assert_eq!(
                r.runnability.command.resolved, truth,
                "{name}: program {prog}"
            );
            assert_eq!(
                r.runnability.command.can_run,
                truth.is_some(),
                "{name}: {}",
                r.runnability.command.why
            );
        }
    }

    // CA bundle and zoneinfo, from the truth listing.
    let bundle = fs.resolve_file("/etc/ssl/certs/ca-certificates.crt");
    if let Some(b) = &bundle {
        assert_eq!(
            r.essentials.ca_bundle.as_deref(),
            Some("/etc/ssl/certs/ca-certificates.crt"),
            "{name}"
        );
        assert_eq!(r.essentials.ca_bundle_bytes, fs.files[b].size, "{name}");
    } else if ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
        .iter()
        .all(|p| fs.resolve_file(p).is_none())
    {
        assert_eq!(r.essentials.ca_bundle, None, "{name}");
    }
    let zones = fs
        .files
        .iter()
        .filter(|(p, f)| p.starts_with("/usr/share/zoneinfo/") && f.kind == "f")
        .count() as u64;
    assert_eq!(r.essentials.zoneinfo_files, zones, "{name}: zoneinfo");

    common::assert_valid(r);
    let mut table = Vec::new();
    drydock_facts::render_table(r, &mut table).unwrap();
    assert!(!table.is_empty());
}

/// dpkg.tsv rows as name → version.
fn dpkg_versions(name: &str) -> BTreeMap<String, String> {
    images::truth_tsv(name, "dpkg.tsv")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

/// Setuid/setgid and world-writable paths of a one-layer image, from its tar headers.
fn check_modes_single_layer(name: &str, r: &Report) {
    let entries = common::single_layer_entries(name);
    let setuid: BTreeSet<(String, String)> = entries
        .iter()
        .filter(|e| e.is_file && e.mode & 0o6000 != 0)
        .map(|e| (e.path.clone(), format!("{:04o}", e.mode)))
        .collect();
    let got: BTreeSet<(String, String)> = r
        .risk
        .setuid_setgid
        .items
        .iter()
        .map(|s| (s.path.clone(), s.mode.clone()))
        .collect();
    assert_eq!(got, setuid, "{name}: setuid/setgid");
    assert_eq!(r.risk.setuid_setgid.total as usize, setuid.len());
    let temp = |p: &str| {
        ["/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock"]
            .iter()
            .any(|t| p == *t || p.starts_with(&format!("{t}/")))
    };
    let ww: BTreeSet<String> = entries
        .iter()
        .filter(|e| !e.is_symlink && e.mode & 0o002 != 0 && !temp(&e.path))
        .map(|e| e.path.clone())
        .collect();
    let got: BTreeSet<String> = r
        .risk
        .world_writable
        .items
        .iter()
        .map(|w| w.path.clone())
        .collect();
    assert_eq!(got, ww, "{name}: world-writable");
    for s in &r.risk.setuid_setgid.items {
        let e = entries.iter().find(|e| e.path == s.path).unwrap();
        assert_eq!(
            (s.uid, s.gid),
            (e.uid, e.gid),
            "{name}: owner of {}",
            s.path
        );
    }
}

#[test]
fn images_minbase() {
    let r = common::inspect_layout("minbase");
    check_against_truth("minbase", &r);
    check_modes_single_layer("minbase", &r);
    assert_eq!(r.identity.source, "oci-layout");
    assert_eq!(r.os.family, "debian");
    // Debian 12's regular support ended 2026-06-10; LTS runs to 2028-06-30.
    assert_eq!(r.os.eol.state, EolState::Supported);
    assert!(r.os.eol.lts);
    let dpkg = dpkg_versions("minbase");
    assert_eq!(r.libc.kind, LibcKind::Glibc);
    assert_eq!(r.libc.package_version.as_ref(), dpkg.get("libc6"));
    assert_eq!(r.libc.version, dpkg.get("libc6").map(|v| upstream(v)));
    assert_eq!(r.shells.sh.kind.as_deref(), Some("dash"));
    assert!(
        r.package_managers
            .databases
            .iter()
            .any(|d| d.name == "dpkg")
    );
    assert!(r.user.is_root);
    // The build removes apt lists and caches.
    assert!(
        r.risk.package_leftovers.is_empty(),
        "{:?}",
        r.risk.package_leftovers
    );
    assert!(r.risk.build_tools.is_empty(), "{:?}", r.risk.build_tools);
    let perl = r
        .runtimes
        .iter()
        .find(|x| x.name == "perl")
        .expect("perl-base's perl");
    assert_eq!(perl.version, dpkg.get("perl-base").map(|v| upstream(v)));
}

#[test]
fn images_python() {
    let r = common::inspect_layout("python");
    check_against_truth("python", &r);
    let dpkg = dpkg_versions("python");
    let (pkg, ver) = dpkg
        .iter()
        .find(|(k, _)| {
            k.strip_prefix("python3.")
                .is_some_and(|m| m.chars().all(|c| c.is_ascii_digit()))
        })
        .expect("a python3.X package");
    let py = r
        .runtimes
        .iter()
        .find(|x| x.name == "python")
        .expect("python runtime");
    assert_eq!(py.version, Some(upstream(ver)), "{pkg}");
    assert_eq!(py.path, format!("/usr/bin/{pkg}"));
    assert!(r.package_managers.tools.iter().any(|t| t.name == "pip3"));
    // python3 -> python3.11 was read: an x86-64 glibc binary needs the loader the truth lists.
    let loader = r
        .runnability
        .command
        .loader
        .as_deref()
        .expect("ELF loader of python3.11");
    assert!(
        TruthFs::load("python").resolve_file(loader).is_some(),
        "{loader}"
    );
    assert_eq!(
        r.size.layers[1].created_by.as_deref(),
        Some("apt-get install python3 python3-pip python3-venv")
    );
}

#[test]
fn images_app() {
    let r = common::inspect_layout("app");
    check_against_truth("app", &r);
    let cfg = truth_config("app");
    assert_eq!(r.user.name.as_deref(), Some("app"));
    assert_eq!((r.user.uid, r.user.gid), (Some(1000), Some(1000)));
    assert!(!r.user.is_root);
    assert!(
        r.runnability.command.can_run,
        "{}",
        r.runnability.command.why
    );
    let hc = r.runnability.healthcheck.as_ref().expect("healthcheck");
    assert_eq!(hc.form, "exec");
    assert!(hc.can_run, "{}", hc.why);
    let test: Vec<String> = serde_json::from_value(cfg["healthcheck"]["Test"].clone()).unwrap();
    assert_eq!(r.config.healthcheck.as_ref().unwrap().test, test);
    let ann = &cfg["annotations"];
    let base = r
        .identity
        .base_image
        .as_ref()
        .expect("base image annotations");
    assert_eq!(
        base.name.as_deref(),
        ann["org.opencontainers.image.base.name"].as_str()
    );
    assert_eq!(
        base.digest.as_deref(),
        ann["org.opencontainers.image.base.digest"].as_str()
    );
    // The third layer deleted files: its whiteouts are counted.
    let whiteouts = images::truth_lines("app", "whiteouts.txt").len()
        + images::truth_lines("app", "opaque.txt").len();
    assert!(r.size.layers[2].whiteouts as usize >= whiteouts);
    assert!(
        r.package_managers
            .tools
            .iter()
            .any(|t| t.path == "/opt/venv/bin/pip")
    );
}

#[test]
fn images_distroless() {
    let r = common::inspect_layout("distroless");
    check_against_truth("distroless", &r);
    check_modes_single_layer("distroless", &r);
    assert!(!r.shells.sh.present);
    assert!(r.shells.available.is_empty());
    assert!(r.package_managers.tools.is_empty());
    assert_eq!(
        r.package_managers
            .databases
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>(),
        ["dpkg-status.d"]
    );
    let dpkg = dpkg_versions("distroless");
    assert_eq!(r.libc.kind, LibcKind::Glibc);
    assert_eq!(r.libc.version, dpkg.get("libc6").map(|v| upstream(v)));
    assert_eq!(r.user.name.as_deref(), Some("nonroot"));
    assert_eq!(r.user.uid, Some(65532));
    assert!(!r.runnability.command.can_run);
}

/// Hard links where inspect looks: /etc/passwd and /etc/group inside one layer (group outliving its
/// original, which the next layer deletes), /etc/os-release and the CA bundle to files of a lower
/// layer (the os-release original rewritten above the link). Every fact is the one of the root file
/// system umoci unpacked.
#[test]
fn images_hardlinks() {
    let r = common::inspect_layout("hardlinks");
    check_against_truth("hardlinks", &r);
    assert!(r.os.id.is_some() && r.user.resolved);
    // The group name, through the /etc/group that outlived its original.
    let gid = r.user.gid.expect("the user's gid");
    let group = images::truth("hardlinks", "group")
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 3 && f[2].parse::<u64>().ok() == Some(gid))
        .map(|f| f[0].to_string());
    assert!(group.is_some(), "gid {gid} in the truth group file");
    assert_eq!(r.user.group, group);
}

#[test]
fn images_archives_agree_with_layout() {
    for name in ["minbase", "app", "distroless", "hardlinks"] {
        let layout = common::inspect_layout(name);
        for spec in [
            format!("oci-archive:{}", images::oci_archive(name).display()),
            format!("docker-archive:{}", images::docker_archive(name).display()),
        ] {
            let r = common::inspect_spec(&spec, None);
            check_against_truth_facts_only(&layout, &r, &spec);
            common::assert_valid(&r);
        }
    }
}

fn check_against_truth_facts_only(a: &Report, b: &Report, what: &str) {
    let facts = |r: &Report| {
        serde_json::json!({
            "os": r.os, "libc": r.libc, "shells": r.shells, "user": r.user, "risk": r.risk,
            "runtimes": r.runtimes, "files": r.size.file_count, "bytes": r.size.content_bytes,
            "command": r.runnability.command,
        })
    };
    assert_eq!(facts(a), facts(b), "{what}");
}

#[test]
fn images_multi_platform_index() {
    let layout = images::layout(images::MULTI);
    let r = common::inspect_spec(&format!("oci:{}", layout.display()), Some("linux/arm64"));
    let index_digest = images::truth("multi", "index-digest");
    assert_eq!(
        r.identity.index_digest.as_deref(),
        Some(index_digest.trim())
    );
    let rows = images::truth_tsv("multi", "platforms.tsv");
    assert_eq!(r.identity.index_platforms.len(), rows.len());
    let arm = rows.iter().find(|row| row[1] == "arm64").unwrap();
    assert_eq!(r.identity.manifest_digest.as_deref(), Some(arm[3].as_str()));
    assert!(
        r.identity
            .platform
            .as_deref()
            .unwrap()
            .starts_with("linux/arm64")
    );
    // The arm64 entry is the distroless-arm64 image: every fact matches its truth.
    check_against_truth("distroless-arm64", &r);
    check_modes_single_layer("distroless-arm64", &r);
    assert_eq!(r.libc.kind, LibcKind::Glibc);
    assert!(
        r.libc.evidence.iter().any(|e| e.contains("aarch64")),
        "{:?}",
        r.libc.evidence
    );
}

/// Alpine images (built from the shared minirootfs tarballs).
fn alpine(name: &str) -> Report {
    let r = common::inspect_layout(name);
    check_against_truth(name, &r);
    check_modes_single_layer(name, &r);
    let apk: BTreeMap<String, String> = images::truth_tsv(name, "apk.tsv")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(r.os.family, "alpine");
    assert_eq!(r.libc.kind, LibcKind::Musl);
    assert_eq!(r.libc.package_version.as_ref(), apk.get("musl"));
    assert_eq!(r.libc.version, apk.get("musl").map(|v| upstream(v)));
    assert_eq!(r.shells.sh.kind.as_deref(), Some("busybox-ash"));
    assert!(r.shells.available.iter().any(|s| s.name == "ash"));
    assert!(r.package_managers.databases.iter().any(|d| d.name == "apk"));
    assert!(
        r.runnability.command.can_run,
        "{}",
        r.runnability.command.why
    );
    assert_eq!(
        r.runnability.command.resolved.as_deref(),
        Some("/bin/busybox")
    );
    r
}

#[test]
fn conformance_alpine_3_19() {
    // Alpine 3.19's security support ended 2025-11-01.
    let r = alpine("alpine-3.19");
    assert_eq!(r.os.eol.state, EolState::Eol);
    assert_eq!(r.os.eol.date.as_deref(), Some("2025-11-01"));
}

#[test]
fn conformance_alpine_3_20() {
    // Alpine 3.20's security support ended 2026-04-01.
    let r = alpine("alpine-3.20");
    assert_eq!(r.os.eol.state, EolState::Eol);
    assert_eq!(r.os.release_file_version, r.os.version_id);
}

#[test]
fn conformance_alpine_edge() {
    let r = alpine("alpine-edge");
    assert_eq!(r.os.eol.state, EolState::Rolling);
}

#[test]
fn conformance_alpine_directory_matches_image() {
    // The same minirootfs unpacked to a directory gives the same facts as the OCI image of it.
    for name in images::ALPINE {
        let tarball = images::truth(name, "source");
        let tgz = images::shared_dir()
            .join("images/alpine")
            .join(tarball.trim());
        let dir = tempfile::tempdir().unwrap();
        let file = std::fs::File::open(&tgz).unwrap_or_else(|e| panic!("{}: {e}", tgz.display()));
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
        archive.set_preserve_permissions(true);
        archive.unpack(dir.path()).unwrap();
        let image = common::inspect_layout(name);
        let mut collector = drydock_facts::FactsCollector::default();
        let tree = drydock_image::rootfs::walk_dir(dir.path(), &mut [&mut collector]).unwrap();
        let r = drydock_facts::report_from_tree("dir", &tree, collector, None, &common::opts());
        let facts = |r: &Report| {
            serde_json::json!({
                "os": r.os, "libc": r.libc, "shells": r.shells, "runtimes": r.runtimes,
                "essentials": r.essentials, "files": r.size.file_count, "bytes": r.size.content_bytes,
                "tools": r.package_managers,
            })
        };
        assert_eq!(facts(&r), facts(&image), "{name}");
        common::assert_valid(&r);
    }
}

/// Counts the bytes a visitor actually reads.
struct CountingRead<'a> {
    inner: &'a mut dyn std::io::Read,
    n: u64,
}

impl std::io::Read for CountingRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// Wraps the collector to count what it asks for and reads.
struct Counting {
    inner: drydock_facts::FactsCollector,
    files: Vec<String>,
    bytes: u64,
}

impl drydock_image::FileVisitor for Counting {
    fn wants(&self, path: &str, node: &drydock_image::Node) -> bool {
        self.inner.wants(path, node)
    }
    fn visit(
        &mut self,
        path: &str,
        node: &drydock_image::Node,
        content: &mut dyn std::io::Read,
    ) -> std::io::Result<()> {
        self.files.push(path.to_string());
        let mut counted = CountingRead {
            inner: content,
            n: 0,
        };
        let r = self.inner.visit(path, node, &mut counted);
        self.bytes += counted.n;
        r
    }
}

#[test]
fn images_collector_reads_few_small_files() {
    let layout = images::layout("app");
    let image =
        drydock_image::open(&format!("oci:{}", layout.display()), &Default::default()).unwrap();
    let mut counting = Counting {
        inner: drydock_facts::FactsCollector::new(&image.config),
        files: Vec::new(),
        bytes: 0,
    };
    let tree = image.walk(&mut [&mut counting]).unwrap();
    let total = tree.file_count();
    assert!(
        counting.files.len() <= 30,
        "wanted {} of {total} files: {:?}",
        counting.files.len(),
        counting.files
    );
    // The most read is libc.so.6 (scanned, not kept); dpkg's status is streamed; programs give 4 KiB.
    assert!(
        counting.bytes < 8 << 20,
        "wanted {} bytes: {:?}",
        counting.bytes,
        counting.files
    );
    assert!(counting.files.iter().any(|f| f == "/etc/passwd"));
    assert!(counting.files.iter().any(|f| f.ends_with("/libc.so.6")));
}

/// A visitor that wants what the collector wants too, to check both get the content.
struct AlsoWantsPasswd(Vec<u8>);

impl drydock_image::FileVisitor for AlsoWantsPasswd {
    fn wants(&self, path: &str, _: &drydock_image::Node) -> bool {
        path == "/etc/passwd"
    }
    fn visit(
        &mut self,
        _: &str,
        _: &drydock_image::Node,
        content: &mut dyn std::io::Read,
    ) -> std::io::Result<()> {
        content.read_to_end(&mut self.0).map(|_| ())
    }
}

#[test]
fn images_extra_visitors_share_the_walk() {
    let layout = images::layout("app");
    let image =
        drydock_image::open(&format!("oci:{}", layout.display()), &Default::default()).unwrap();
    let mut extra = AlsoWantsPasswd(Vec::new());
    let (r, tree) =
        drydock_facts::inspect_with_tree(&image, &common::opts(), &mut [&mut extra]).unwrap();
    assert_eq!(
        String::from_utf8(extra.0).unwrap(),
        images::truth("app", "passwd")
    );
    assert_eq!(r.user.name.as_deref(), Some("app"));
    assert_eq!(tree.file_count() as u64, r.size.file_count);
}

#[test]
fn images_comparison_of_base_images() {
    let names = ["minbase", "distroless", "app"];
    let reports: Vec<Report> = names.iter().map(|n| common::inspect_layout(n)).collect();
    let mut out = Vec::new();
    drydock_facts::render_comparison(&reports, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let header = text.lines().next().unwrap();
    for n in names {
        assert!(header.contains(n), "{header}");
    }
    let row = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("{key}: {text}"))
            .to_string()
    };
    let files = row("files");
    for n in names {
        assert!(
            files.contains(&TruthFs::load(n).file_count().to_string()),
            "{files}"
        );
    }
    assert!(row("user").contains("nonroot (65532)"));
    assert!(row("user").contains("app (1000)"));
}

#[test]
fn images_corrupt_layer_is_an_error_not_a_report() {
    // A copy of minbase whose layer blob is cut short: inspect must fail, not report.
    let src = images::layout("minbase");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("minbase");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(&src)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(copy.join("index.json")).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .replace(':', "/");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(copy.join("blobs").join(&manifest_digest)).unwrap())
            .unwrap();
    let layer = copy.join("blobs").join(
        manifest["layers"][0]["digest"]
            .as_str()
            .unwrap()
            .replace(':', "/"),
    );
    let bytes = std::fs::read(&layer).unwrap();
    std::fs::write(&layer, &bytes[..bytes.len() / 2]).unwrap();
    let opts = drydock_image::OpenOptions {
        no_cache: true,
        ..Default::default()
    };
    let image = drydock_image::open(&format!("oci:{}", copy.display()), &opts).unwrap();
    assert!(drydock_facts::inspect(&image, &common::opts()).is_err());
}
