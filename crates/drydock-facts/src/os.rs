//! The operating system: os-release (or a distribution release file), its family and support status.

use drydock_image::FileTree;
use drydock_image::osrelease::{self, OsRelease};
use time::Date;
use time::macros::date;

use crate::collector::FactsCollector;
use crate::report::{Eol, EolState, Os};

/// Reads the OS facts from the collected files.
pub(crate) fn detect(c: &FactsCollector, tree: &FileTree, today: Date) -> Os {
    let text = |p: &str| {
        c.files
            .get(p)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    let mut os = Os::default();
    let mut rel: Option<OsRelease> = None;
    for p in osrelease::PATHS {
        // `/etc/os-release` is usually a symlink; its target is what the collector read.
        let real = tree.resolve(p).map_or_else(|| p.to_string(), |(r, _)| r);
        if let Some(t) = text(&real) {
            let parsed = osrelease::parse(&t);
            if parsed.id.is_some() || parsed.pretty_name.is_some() {
                os.source = Some(real);
                rel = Some(parsed);
                break;
            }
        }
    }
    if let Some(r) = &rel {
        os.id = r.id.clone();
        os.version_id = r.version_id.clone();
        os.codename = r.version_codename.clone();
        os.pretty_name = r.pretty_name.clone();
    }
    // Release files: a fallback for images without os-release, and a finer version for those with it.
    if let Some(v) = text("/etc/alpine-release")
        .map(|t| t.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        os.release_file_version = Some(v.clone());
        if os.id.is_none() {
            os.id = Some("alpine".into());
            os.version_id = Some(v);
            os.source = Some("/etc/alpine-release".into());
        }
    } else if let Some(v) = text("/etc/debian_version")
        .map(|t| t.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        if os.id.is_none() {
            os.id = Some("debian".into());
            os.source = Some("/etc/debian_version".into());
            // `12.8` names a release; `trixie/sid` is testing or unstable.
            if v.starts_with(|ch: char| ch.is_ascii_digit()) {
                os.version_id = v.split('.').next().map(str::to_string);
            }
        }
        if os.id.as_deref() == Some("debian") {
            os.release_file_version = Some(v);
        }
    } else if let Some(t) = text("/etc/redhat-release").or_else(|| text("/etc/system-release")) {
        let line = t.lines().next().unwrap_or("").trim().to_string();
        if os.id.is_none() && !line.is_empty() {
            let (id, version) = parse_redhat_release(&line);
            os.id = Some(id.to_string());
            os.version_id = version.clone();
            os.pretty_name = Some(line.clone());
            os.source = Some("/etc/redhat-release".into());
        }
    }
    os.family = family(
        os.id.as_deref(),
        rel.as_ref().map(|r| r.id_like.as_slice()).unwrap_or(&[]),
    )
    .to_string();
    os.eol = eol(&os, today);
    os
}

/// `Red Hat Enterprise Linux release 8.9 (Ootpa)` → (`rhel`, `8.9`).
fn parse_redhat_release(line: &str) -> (&'static str, Option<String>) {
    let lower = line.to_ascii_lowercase();
    let id = if lower.starts_with("red hat") {
        "rhel"
    } else if lower.starts_with("centos") {
        "centos"
    } else if lower.starts_with("rocky") {
        "rocky"
    } else if lower.starts_with("almalinux") {
        "almalinux"
    } else if lower.starts_with("amazon linux") {
        "amzn"
    } else if lower.starts_with("fedora") {
        "fedora"
    } else {
        "unknown"
    };
    let version = line
        .split_whitespace()
        .skip_while(|w| *w != "release")
        .nth(1)
        .map(str::to_string);
    (id, version)
}

/// The distribution family from `ID` and `ID_LIKE`.
pub(crate) fn family(id: Option<&str>, id_like: &[String]) -> &'static str {
    let known = |s: &str| -> Option<&'static str> {
        Some(match s {
            "debian" | "ubuntu" | "raspbian" | "linuxmint" | "pop" | "kali" | "devuan" => "debian",
            "alpine" | "postmarketos" => "alpine",
            "rhel" | "centos" | "fedora" | "rocky" | "almalinux" | "ol" | "amzn" | "scientific"
            | "cloudlinux" | "mariner" | "azurelinux" => "rhel",
            "wolfi" | "chainguard" => "wolfi",
            "opensuse"
            | "opensuse-leap"
            | "opensuse-tumbleweed"
            | "sles"
            | "suse"
            | "sle-micro" => "suse",
            "arch" | "archlinux" | "manjaro" => "arch",
            "gentoo" => "gentoo",
            "photon" => "photon",
            _ => return None,
        })
    };
    id.and_then(known)
        .or_else(|| id_like.iter().find_map(|l| known(l)))
        .unwrap_or("unknown")
}

/// One row of the support table: distribution id, version prefix, end of regular security support,
/// end of LTS (when a free LTS phase follows).
struct Row {
    id: &'static str,
    version: &'static str,
    regular: Date,
    lts: Option<Date>,
    source: &'static str,
}

const DEBIAN: &str =
    "Debian security team and Debian LTS (the Debian wiki's DebianReleases and LTS pages)";
const UBUNTU: &str =
    "Canonical release cycle, end of standard support (ubuntu.com/about/release-cycle)";
const ALPINE: &str = "Alpine Linux releases page (alpinelinux.org/releases)";
const RHEL: &str = "Red Hat Enterprise Linux life cycle, end of maintenance support (access.redhat.com/support/policy/updates/errata)";
const AMAZON: &str =
    "Amazon Linux 2 FAQ and Amazon Linux 2023 release cadence (aws.amazon.com/amazon-linux-2/faqs)";
const CENTOS: &str = "CentOS project end-of-life announcements (centos.org)";

/// The bundled support table. Sources are the distributions' own pages named in each row; dates
/// were checked against them when the table was written (November 2026). A release missing here
/// is reported as `unknown`, never guessed.
const TABLE: &[Row] = &[
    // Debian: regular security support ends a year after the next release; LTS runs to five years.
    Row {
        id: "debian",
        version: "9",
        regular: date!(2020 - 07 - 06),
        lts: Some(date!(2022 - 06 - 30)),
        source: DEBIAN,
    },
    Row {
        id: "debian",
        version: "10",
        regular: date!(2022 - 09 - 10),
        lts: Some(date!(2024 - 06 - 30)),
        source: DEBIAN,
    },
    Row {
        id: "debian",
        version: "11",
        regular: date!(2024 - 08 - 14),
        lts: Some(date!(2026 - 08 - 31)),
        source: DEBIAN,
    },
    Row {
        id: "debian",
        version: "12",
        regular: date!(2026 - 06 - 10),
        lts: Some(date!(2028 - 06 - 30)),
        source: DEBIAN,
    },
    Row {
        id: "debian",
        version: "13",
        regular: date!(2028 - 08 - 09),
        lts: Some(date!(2030 - 06 - 30)),
        source: DEBIAN,
    },
    // Ubuntu: standard (free) support; Canonical publishes months for future dates, taken as the
    // first day of the month so drydock never claims support past the published month.
    Row {
        id: "ubuntu",
        version: "16.04",
        regular: date!(2021 - 04 - 30),
        lts: None,
        source: UBUNTU,
    },
    Row {
        id: "ubuntu",
        version: "18.04",
        regular: date!(2023 - 05 - 31),
        lts: None,
        source: UBUNTU,
    },
    Row {
        id: "ubuntu",
        version: "20.04",
        regular: date!(2025 - 05 - 31),
        lts: None,
        source: UBUNTU,
    },
    Row {
        id: "ubuntu",
        version: "22.04",
        regular: date!(2027 - 04 - 01),
        lts: None,
        source: UBUNTU,
    },
    Row {
        id: "ubuntu",
        version: "24.04",
        regular: date!(2029 - 04 - 01),
        lts: None,
        source: UBUNTU,
    },
    Row {
        id: "ubuntu",
        version: "24.10",
        regular: date!(2025 - 07 - 10),
        lts: None,
        source: UBUNTU,
    },
    Row {
        id: "ubuntu",
        version: "25.04",
        regular: date!(2026 - 01 - 01),
        lts: None,
        source: UBUNTU,
    },
    Row {
        id: "ubuntu",
        version: "25.10",
        regular: date!(2026 - 07 - 01),
        lts: None,
        source: UBUNTU,
    },
    // Alpine: each branch gets two years of security fixes.
    Row {
        id: "alpine",
        version: "3.16",
        regular: date!(2024 - 05 - 23),
        lts: None,
        source: ALPINE,
    },
    Row {
        id: "alpine",
        version: "3.17",
        regular: date!(2024 - 11 - 22),
        lts: None,
        source: ALPINE,
    },
    Row {
        id: "alpine",
        version: "3.18",
        regular: date!(2025 - 05 - 09),
        lts: None,
        source: ALPINE,
    },
    Row {
        id: "alpine",
        version: "3.19",
        regular: date!(2025 - 11 - 01),
        lts: None,
        source: ALPINE,
    },
    Row {
        id: "alpine",
        version: "3.20",
        regular: date!(2026 - 04 - 01),
        lts: None,
        source: ALPINE,
    },
    Row {
        id: "alpine",
        version: "3.21",
        regular: date!(2026 - 11 - 01),
        lts: None,
        source: ALPINE,
    },
    Row {
        id: "alpine",
        version: "3.22",
        regular: date!(2027 - 05 - 01),
        lts: None,
        source: ALPINE,
    },
    Row {
        id: "alpine",
        version: "3.23",
        regular: date!(2027 - 11 - 01),
        lts: None,
        source: ALPINE,
    },
    // RHEL (and UBI, which reports ID=rhel); Rocky and AlmaLinux follow the same dates.
    Row {
        id: "rhel",
        version: "7",
        regular: date!(2024 - 06 - 30),
        lts: None,
        source: RHEL,
    },
    Row {
        id: "rhel",
        version: "8",
        regular: date!(2029 - 05 - 31),
        lts: None,
        source: RHEL,
    },
    Row {
        id: "rhel",
        version: "9",
        regular: date!(2032 - 05 - 31),
        lts: None,
        source: RHEL,
    },
    Row {
        id: "rhel",
        version: "10",
        regular: date!(2035 - 05 - 31),
        lts: None,
        source: RHEL,
    },
    Row {
        id: "rocky",
        version: "8",
        regular: date!(2029 - 05 - 31),
        lts: None,
        source: RHEL,
    },
    Row {
        id: "rocky",
        version: "9",
        regular: date!(2032 - 05 - 31),
        lts: None,
        source: RHEL,
    },
    Row {
        id: "almalinux",
        version: "8",
        regular: date!(2029 - 05 - 31),
        lts: None,
        source: RHEL,
    },
    Row {
        id: "almalinux",
        version: "9",
        regular: date!(2032 - 05 - 31),
        lts: None,
        source: RHEL,
    },
    Row {
        id: "centos",
        version: "7",
        regular: date!(2024 - 06 - 30),
        lts: None,
        source: CENTOS,
    },
    Row {
        id: "centos",
        version: "8",
        regular: date!(2021 - 12 - 31),
        lts: None,
        source: CENTOS,
    },
    // CentOS Stream shares ID=centos; its NAME says Stream (looked up as `centos-stream`).
    Row {
        id: "centos-stream",
        version: "8",
        regular: date!(2024 - 05 - 31),
        lts: None,
        source: CENTOS,
    },
    Row {
        id: "centos-stream",
        version: "9",
        regular: date!(2027 - 05 - 31),
        lts: None,
        source: CENTOS,
    },
    // Amazon Linux 2's end was moved from 2025-06-30 to 2026-06-30.
    Row {
        id: "amzn",
        version: "2",
        regular: date!(2026 - 06 - 30),
        lts: None,
        source: AMAZON,
    },
    Row {
        id: "amzn",
        version: "2023",
        regular: date!(2029 - 06 - 30),
        lts: None,
        source: AMAZON,
    },
];

/// Distributions that have no releases to end.
const ROLLING: &[&str] = &[
    "wolfi",
    "chainguard",
    "arch",
    "archlinux",
    "gentoo",
    "opensuse-tumbleweed",
];

/// Support status of an OS on `today`.
pub(crate) fn eol(os: &Os, today: Date) -> Eol {
    let as_of = today.to_string();
    let mut out = Eol {
        as_of,
        ..Eol::default()
    };
    let Some(id) = os.id.as_deref() else {
        return out;
    };
    let version = os.version_id.as_deref().unwrap_or("");
    let pretty = os.pretty_name.as_deref().unwrap_or("").to_ascii_lowercase();
    let rolling = ROLLING.contains(&id)
        // Alpine edge reports VERSION_ID like 3.21_alpha20240923.
        || (id == "alpine" && (version.contains("_alpha") || pretty.contains("edge")))
        // Debian testing and unstable have no VERSION_ID.
        || (id == "debian" && version.is_empty() && (pretty.contains("sid") || pretty.contains("testing")));
    if rolling {
        out.state = EolState::Rolling;
        out.source = Some("rolling release: no end-of-life date".into());
        return out;
    }
    let table_id = if id == "centos" && pretty.contains("stream") {
        "centos-stream"
    } else {
        id
    };
    let Some(row) = lookup(table_id, version) else {
        return out;
    };
    let end = row.lts.unwrap_or(row.regular);
    out.date = Some(end.to_string());
    out.days_left = Some((end - today).whole_days());
    out.source = Some(row.source.to_string());
    if row.lts.is_some() {
        out.regular_support_until = Some(row.regular.to_string());
    }
    if today > end {
        out.state = EolState::Eol;
    } else {
        out.state = EolState::Supported;
        out.lts = row.lts.is_some() && today > row.regular;
    }
    out
}

fn lookup(id: &str, version: &str) -> Option<&'static Row> {
    // Match on the release the table knows: Debian/RHEL by major, Ubuntu by YY.MM, Alpine by 3.N.
    let key: String = match id {
        "alpine" | "ubuntu" => version.split('.').take(2).collect::<Vec<_>>().join("."),
        _ => version.split('.').next().unwrap_or("").to_string(),
    };
    if key.is_empty() {
        return None;
    }
    TABLE.iter().find(|r| r.id == id && r.version == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(id: &str, version: &str) -> Os {
        Os {
            id: Some(id.into()),
            version_id: Some(version.into()).filter(|v: &String| !v.is_empty()),
            ..Os::default()
        }
    }

    #[test]
    fn debian_lts_phases() {
        let o = os("debian", "12");
        let e = eol(&o, date!(2026 - 01 - 01));
        assert_eq!((e.state, e.lts), (EolState::Supported, false));
        assert_eq!(e.date.as_deref(), Some("2028-06-30"));
        assert_eq!(e.days_left, Some(911));
        let e = eol(&o, date!(2026 - 11 - 25));
        assert_eq!((e.state, e.lts), (EolState::Supported, true));
        assert_eq!(e.regular_support_until.as_deref(), Some("2026-06-10"));
        assert_eq!(eol(&o, date!(2028 - 07 - 01)).state, EolState::Eol);
        assert_eq!(eol(&o, date!(2028 - 07 - 01)).days_left, Some(-1));
        assert_eq!(
            eol(&os("debian", "10"), date!(2026 - 11 - 25)).state,
            EolState::Eol
        );
        // The last day is still supported.
        assert_eq!(
            eol(&os("debian", "11"), date!(2026 - 08 - 31)).state,
            EolState::Supported
        );
        assert_eq!(
            eol(&os("debian", "11"), date!(2026 - 09 - 01)).state,
            EolState::Eol
        );
    }

    #[test]
    fn alpine_ubuntu_rhel_amazon() {
        let today = date!(2026 - 11 - 25);
        assert_eq!(eol(&os("alpine", "3.20.3"), today).state, EolState::Eol);
        assert_eq!(
            eol(&os("alpine", "3.22.1"), today).state,
            EolState::Supported
        );
        assert_eq!(
            eol(&os("alpine", "3.19.4"), date!(2025 - 01 - 01)).state,
            EolState::Supported
        );
        assert_eq!(
            eol(&os("alpine", "3.21_alpha20240923"), today).state,
            EolState::Rolling
        );
        assert_eq!(eol(&os("alpine", "3.9.2"), today).state, EolState::Unknown);
        assert_eq!(
            eol(&os("ubuntu", "22.04"), today).state,
            EolState::Supported
        );
        assert_eq!(eol(&os("ubuntu", "20.04"), today).state, EolState::Eol);
        assert_eq!(eol(&os("rhel", "9.4"), today).state, EolState::Supported);
        assert_eq!(eol(&os("amzn", "2"), today).state, EolState::Eol);
        assert_eq!(eol(&os("amzn", "2023"), today).state, EolState::Supported);
        assert_eq!(
            eol(&os("wolfi", "20230201"), today).state,
            EolState::Rolling
        );
        assert_eq!(eol(&os("chainguard", ""), today).state, EolState::Rolling);
        assert_eq!(eol(&os("fedora", "40"), today).state, EolState::Unknown);
        let mut stream = os("centos", "9");
        stream.pretty_name = Some("CentOS Stream 9".into());
        assert_eq!(eol(&stream, today).date.as_deref(), Some("2027-05-31"));
        assert_eq!(
            eol(&os("centos", "8"), today).date.as_deref(),
            Some("2021-12-31")
        );
        let mut sid = os("debian", "");
        sid.pretty_name = Some("Debian GNU/Linux trixie/sid".into());
        assert_eq!(eol(&sid, today).state, EolState::Rolling);
        assert_eq!(eol(&Os::default(), today).state, EolState::Unknown);
    }

    #[test]
    fn families() {
        assert_eq!(family(Some("ubuntu"), &[]), "debian");
        assert_eq!(family(Some("amzn"), &[]), "rhel");
        assert_eq!(
            family(Some("somethingnew"), &["rhel".into(), "fedora".into()]),
            "rhel"
        );
        assert_eq!(family(Some("chainguard"), &[]), "wolfi");
        assert_eq!(family(None, &[]), "unknown");
    }

    #[test]
    fn release_files_without_os_release() {
        let mut c = FactsCollector::default();
        c.files
            .insert("/etc/alpine-release".into(), b"3.20.3\n".to_vec());
        let o = detect(&c, &FileTree::default(), date!(2026 - 01 - 01));
        assert_eq!(o.id.as_deref(), Some("alpine"));
        assert_eq!(o.family, "alpine");
        assert_eq!(o.eol.state, EolState::Supported);
        let mut c = FactsCollector::default();
        c.files.insert(
            "/etc/redhat-release".into(),
            b"Red Hat Enterprise Linux release 8.9 (Ootpa)\n".to_vec(),
        );
        let o = detect(&c, &FileTree::default(), date!(2026 - 01 - 01));
        assert_eq!(
            (o.id.as_deref(), o.version_id.as_deref()),
            (Some("rhel"), Some("8.9"))
        );
        assert_eq!(o.eol.date.as_deref(), Some("2029-05-31"));
        let mut c = FactsCollector::default();
        c.files.insert(
            "/usr/lib/os-release".into(),
            b"ID=debian\nVERSION_ID=\"12\"\n".to_vec(),
        );
        c.files
            .insert("/etc/debian_version".into(), b"12.8\n".to_vec());
        let o = detect(&c, &FileTree::default(), date!(2026 - 01 - 01));
        assert_eq!(o.source.as_deref(), Some("/usr/lib/os-release"));
        assert_eq!(o.release_file_version.as_deref(), Some("12.8"));
        // A symlinked /etc/os-release is read through its target.
        let mut c = FactsCollector::default();
        c.files
            .insert("/usr/lib/os-release.d/x".into(), b"ID=wolfi\n".to_vec());
        let node = |kind, link: Option<&str>| drydock_image::Node {
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: 9,
            mtime: 0,
            layer: 0,
            link: link.map(str::to_string),
        };
        let tree = FileTree::from_nodes(vec![
            (
                "/etc/os-release".to_string(),
                node(
                    drydock_image::Kind::Symlink,
                    Some("../usr/lib/os-release.d/x"),
                ),
            ),
            (
                "/usr/lib/os-release.d/x".to_string(),
                node(drydock_image::Kind::File, None),
            ),
        ]);
        let o = detect(&c, &tree, date!(2026 - 01 - 01));
        assert_eq!(
            (o.id.as_deref(), o.family.as_str()),
            (Some("wolfi"), "wolfi")
        );
        assert_eq!(o.eol.state, EolState::Rolling);
    }
}
