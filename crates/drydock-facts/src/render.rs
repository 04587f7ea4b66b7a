//! The human summary: one section per concern, keys aligned, sizes human-readable, risks flagged `!`.

use std::io::Write;

use crate::report::{EolState, LibcKind, Report, RunCheck};

/// Width of the key column.
const KEY: usize = 16;

/// Bytes as `12.3 MiB`.
pub(crate) fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `sha256:0123456789ab…`
fn short_digest(d: &str) -> String {
    match d.split_once(':') {
        Some((alg, hex)) if hex.len() > 12 => format!("{alg}:{}", hex.get(..12).unwrap_or(hex)),
        _ => d.to_string(),
    }
}

struct Out<'a> {
    w: &'a mut dyn Write,
}

impl Out<'_> {
    fn section(&mut self, title: &str) -> std::io::Result<()> {
        writeln!(self.w, "{title}")
    }
    /// A key/value line; `flag` marks a risk.
    fn kv(&mut self, flag: bool, key: &str, value: impl std::fmt::Display) -> std::io::Result<()> {
        let mark = if flag { "!" } else { " " };
        writeln!(self.w, " {mark} {key:<KEY$} {value}")
    }
}

fn json_argv(argv: &[String]) -> String {
    serde_json::to_string(argv).unwrap_or_default()
}

fn run_line(c: &RunCheck) -> String {
    let verdict = if c.can_run { "ok" } else { "CANNOT RUN" };
    format!("{verdict}: {}", c.why)
}

/// Writes the human summary of a report.
pub fn render_table(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    let mut o = Out { w };
    let id = &report.identity;

    o.section("Image")?;
    o.kv(false, "source", format!("{} ({})", id.spec, id.source))?;
    if let Some(r) = &id.reference {
        o.kv(false, "reference", r)?;
    } else if let Some(n) = &id.local_name {
        o.kv(false, "name", n)?;
    }
    if let Some(p) = &id.platform {
        let others = if id.index_platforms.len() > 1 {
            format!("  (index offers {})", id.index_platforms.join(", "))
        } else {
            String::new()
        };
        o.kv(false, "platform", format!("{p}{others}"))?;
    }
    if let Some(d) = &id.manifest_digest {
        o.kv(false, "manifest", d)?;
    }
    if let Some(d) = &id.config_digest {
        o.kv(false, "config", d)?;
    }
    if let Some(c) = &id.created {
        o.kv(false, "created", c)?;
    }
    if let Some(b) = &id.base_image {
        let text = match (&b.name, &b.digest) {
            (Some(n), Some(d)) => format!("{n}@{d}"),
            (Some(n), None) => n.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => String::new(),
        };
        o.kv(false, "base image", text)?;
    }

    let os = &report.os;
    o.section("System")?;
    let os_name = os
        .pretty_name
        .clone()
        .or_else(|| {
            os.id
                .as_ref()
                .map(|i| format!("{i} {}", os.version_id.clone().unwrap_or_default()))
        })
        .unwrap_or_else(|| "unknown (no os-release)".into());
    o.kv(false, "os", format!("{os_name}  [family {}]", os.family))?;
    let support = match os.eol.state {
        EolState::Supported if os.eol.lts => format!(
            "supported until {} (LTS only; regular support ended {})",
            os.eol.date.as_deref().unwrap_or("?"),
            os.eol.regular_support_until.as_deref().unwrap_or("?")
        ),
        EolState::Supported => format!(
            "supported until {} ({} days left)",
            os.eol.date.as_deref().unwrap_or("?"),
            os.eol.days_left.unwrap_or(0)
        ),
        EolState::Eol => format!(
            "END OF LIFE since {}",
            os.eol.date.as_deref().unwrap_or("?")
        ),
        EolState::Rolling => "rolling release".into(),
        EolState::Unknown => "unknown".into(),
    };
    o.kv(
        os.eol.state == EolState::Eol,
        "support",
        format!("{support} (as of {})", os.eol.as_of),
    )?;
    let libc = match report.libc.kind {
        LibcKind::None => "none found (only static binaries can run)".to_string(),
        k => {
            let name = if k == LibcKind::Glibc {
                "glibc"
            } else {
                "musl"
            };
            format!(
                "{name} {}",
                report
                    .libc
                    .version
                    .as_deref()
                    .unwrap_or("(version unknown)")
            )
        }
    };
    o.kv(false, "libc", libc)?;
    let sh = &report.shells.sh;
    let sh_text = if sh.present {
        format!(
            "/bin/sh -> {} ({})",
            sh.resolved.as_deref().unwrap_or("?"),
            sh.kind.as_deref().unwrap_or("unknown")
        )
    } else {
        "no /bin/sh".into()
    };
    let others: Vec<&str> = report
        .shells
        .available
        .iter()
        .filter(|s| s.name != "sh")
        .map(|s| s.name.as_str())
        .collect();
    let others = if others.is_empty() {
        String::new()
    } else {
        format!("; also {}", others.join(", "))
    };
    o.kv(false, "shell", format!("{sh_text}{others}"))?;
    let mut tools: Vec<&str> = report
        .package_managers
        .tools
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    tools.dedup();
    let dbs: Vec<&str> = report
        .package_managers
        .databases
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    o.kv(
        false,
        "package mgrs",
        format!(
            "{}{}",
            if tools.is_empty() {
                "none".to_string()
            } else {
                tools.join(", ")
            },
            if dbs.is_empty() {
                String::new()
            } else {
                format!("  (databases: {})", dbs.join(", "))
            }
        ),
    )?;
    if !report.runtimes.is_empty() {
        let rts: Vec<String> = report
            .runtimes
            .iter()
            .map(|r| match &r.version {
                Some(v) => format!("{} {v}", r.name),
                None => r.name.clone(),
            })
            .collect();
        o.kv(false, "runtimes", rts.join(", "))?;
    }

    let e = &report.essentials;
    o.kv(
        e.ca_bundle.is_none(),
        "ca certificates",
        e.ca_bundle.as_ref().map_or_else(
            || "NONE (TLS clients cannot verify servers)".to_string(),
            |p| format!("{p} ({})", human(e.ca_bundle_bytes)),
        ),
    )?;
    o.kv(
        false,
        "time zones",
        if e.zoneinfo {
            format!("{} zoneinfo files", e.zoneinfo_files)
        } else {
            "none (UTC only)".into()
        },
    )?;

    o.section("Runtime")?;
    let u = &report.user;
    let who = match (&u.name, u.uid) {
        (Some(n), Some(uid)) => format!(
            "{n} (uid {uid}, gid {})",
            u.gid.map_or("?".into(), |g| g.to_string())
        ),
        (None, Some(uid)) => format!(
            "uid {uid}, gid {}",
            u.gid.map_or("?".into(), |g| g.to_string())
        ),
        _ => format!("{:?}", u.spec),
    };
    let note = if !u.resolved {
        format!("  UNRESOLVED: {}", u.why.as_deref().unwrap_or(""))
    } else if u.is_root {
        "  runs as root".into()
    } else {
        String::new()
    };
    o.kv(u.is_root || !u.resolved, "user", format!("{who}{note}"))?;
    let c = &report.config;
    if let Some(wd) = &c.working_dir {
        o.kv(false, "workdir", wd)?;
    }
    if let Some(e) = &c.entrypoint {
        o.kv(false, "entrypoint", json_argv(e))?;
    }
    if let Some(cmd) = &c.cmd {
        o.kv(false, "cmd", json_argv(cmd))?;
    }
    o.kv(
        !report.runnability.command.can_run,
        "command",
        run_line(&report.runnability.command),
    )?;
    if let Some(h) = &report.runnability.healthcheck {
        o.kv(
            !h.can_run,
            "healthcheck",
            format!("{}  {}", json_argv(&h.argv), run_line(h)),
        )?;
    }
    if !c.exposed_ports.is_empty() {
        o.kv(false, "ports", c.exposed_ports.join(", "))?;
    }
    if !c.volumes.is_empty() {
        o.kv(false, "volumes", c.volumes.join(", "))?;
    }
    if let Some(s) = &c.stop_signal {
        o.kv(false, "stop signal", s)?;
    }
    if !c.on_build.is_empty() {
        o.kv(true, "onbuild", c.on_build.join(" | "))?;
    }
    if !c.secret_like_env.is_empty() {
        o.kv(true, "secret-like env", c.secret_like_env.join(", "))?;
    }

    let s = &report.size;
    o.section("Size")?;
    let is_dir = id.source == "directory";
    let total = if is_dir {
        // A directory has no layer blobs: only its files' bytes mean anything.
        format!("{} in {} files", human(s.content_bytes), s.file_count)
    } else {
        format!(
            "{} compressed, {} uncompressed, {} in {} files",
            human(s.compressed),
            human(s.uncompressed),
            human(s.content_bytes),
            s.file_count
        )
    };
    o.kv(false, "total", total)?;
    if !s.layers.is_empty() && !is_dir {
        writeln!(
            o.w,
            "   {:>3}  {:<19} {:>10} {:>12} {:>10} {:>7}  created by",
            "#", "digest", "compressed", "uncompressed", "final", "entries"
        )?;
        for l in &s.layers {
            let by = l.created_by.as_deref().unwrap_or("").replace('\n', " ");
            let by: String = if by.chars().count() > 60 {
                format!("{}…", by.chars().take(59).collect::<String>())
            } else {
                by
            };
            writeln!(
                o.w,
                "   {:>3}  {:<19} {:>10} {:>12} {:>10} {:>7}  {}",
                l.index,
                l.digest
                    .as_deref()
                    .map(short_digest)
                    .unwrap_or_else(|| "-".into()),
                human(l.compressed),
                human(l.uncompressed),
                human(l.final_bytes),
                l.entries,
                by
            )?;
        }
    }

    let r = &report.risk;
    o.section("Risk")?;
    let list = |items: Vec<String>, total: u64| {
        let shown = items.len() as u64;
        let mut text = items.into_iter().take(5).collect::<Vec<_>>().join(", ");
        if total > shown.min(5) {
            text.push_str(&format!(", … ({total} in all)"));
        }
        text
    };
    let su = &r.setuid_setgid;
    o.kv(
        su.total > 0,
        "setuid/setgid",
        if su.total == 0 {
            "none".into()
        } else {
            list(
                su.items
                    .iter()
                    .map(|f| format!("{} ({})", f.path, f.mode))
                    .collect(),
                su.total,
            )
        },
    )?;
    let ww = &r.world_writable;
    o.kv(
        ww.total > 0,
        "world-writable",
        if ww.total == 0 {
            "none outside /tmp, /var/tmp, /dev/shm".into()
        } else {
            list(
                ww.items
                    .iter()
                    .map(|f| format!("{} ({})", f.path, f.mode))
                    .collect(),
                ww.total,
            )
        },
    )?;
    let mut tools: Vec<&str> = r.build_tools.iter().map(|t| t.name.as_str()).collect();
    tools.sort();
    tools.dedup();
    o.kv(
        !tools.is_empty(),
        "build tools",
        if tools.is_empty() {
            "none".into()
        } else {
            tools.join(", ")
        },
    )?;
    if r.package_leftovers.is_empty() {
        o.kv(false, "pkg leftovers", "none")?;
    }
    for l in &r.package_leftovers {
        o.kv(
            true,
            "pkg leftovers",
            format!(
                "{} {} in {} files at {} (layer {})",
                l.kind,
                human(l.bytes),
                l.files,
                l.path,
                l.layers
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )?;
    }
    if !report.warnings.is_empty() {
        o.section("Warnings")?;
        for wmsg in &report.warnings {
            o.kv(false, "", wmsg)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_aligned() {
        let dir = drydock_image::FileTree::from_nodes(Vec::new());
        let report = crate::report_from_tree(
            "scratch",
            &dir,
            crate::FactsCollector::default(),
            None,
            &crate::InspectOptions {
                today: time::macros::date!(2026 - 01 - 01),
            },
        );
        let mut out = Vec::new();
        super::render_table(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let kv: Vec<&str> = text
            .lines()
            .filter(|l| {
                (l.starts_with("   ") || l.starts_with(" ! "))
                    && l[3..].starts_with(|c: char| c.is_ascii_alphabetic())
            })
            .collect();
        assert!(kv.len() > 8, "{text}");
        for l in kv {
            assert_eq!(&l[3 + super::KEY..4 + super::KEY], " ", "{l:?}");
            assert_ne!(&l[4 + super::KEY..5 + super::KEY], " ", "{l:?}");
        }
    }

    #[test]
    fn human_sizes() {
        assert_eq!(super::human(0), "0 B");
        assert_eq!(super::human(1023), "1023 B");
        assert_eq!(super::human(1536), "1.5 KiB");
        assert_eq!(super::human(120 * 1024 * 1024), "120.0 MiB");
        assert_eq!(
            super::short_digest("sha256:0123456789abcdef"),
            "sha256:0123456789ab"
        );
    }
}

/// The short facts of one report used by the comparison, one cell per row.
fn comparison_cells(r: &Report) -> Vec<(&'static str, String)> {
    let os =
        r.os.pretty_name
            .clone()
            .or_else(|| r.os.id.clone())
            .unwrap_or_else(|| "unknown".into());
    let support = match r.os.eol.state {
        EolState::Supported if r.os.eol.lts => {
            format!("LTS to {}", r.os.eol.date.as_deref().unwrap_or("?"))
        }
        EolState::Supported => format!("to {}", r.os.eol.date.as_deref().unwrap_or("?")),
        EolState::Eol => format!("EOL {}", r.os.eol.date.as_deref().unwrap_or("?")),
        EolState::Rolling => "rolling".into(),
        EolState::Unknown => "unknown".into(),
    };
    let libc = match r.libc.kind {
        LibcKind::None => "none".to_string(),
        LibcKind::Glibc => format!("glibc {}", r.libc.version.as_deref().unwrap_or("?")),
        LibcKind::Musl => format!("musl {}", r.libc.version.as_deref().unwrap_or("?")),
    };
    let sh = if r.shells.sh.present {
        r.shells.sh.kind.clone().unwrap_or_else(|| "unknown".into())
    } else {
        "none".into()
    };
    let mut tools: Vec<&str> = r
        .package_managers
        .tools
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    tools.dedup();
    let user = match (&r.user.name, r.user.uid) {
        (Some(n), Some(u)) => format!("{n} ({u})"),
        (None, Some(u)) => u.to_string(),
        _ => format!("{:?} (unresolved)", r.user.spec),
    };
    let mut build: Vec<&str> = r.risk.build_tools.iter().map(|t| t.name.as_str()).collect();
    build.sort();
    build.dedup();
    let leftovers: u64 = r.risk.package_leftovers.iter().map(|l| l.bytes).sum();
    let runtimes: Vec<String> = r
        .runtimes
        .iter()
        .map(|x| match &x.version {
            Some(v) => format!("{} {v}", x.name),
            None => x.name.clone(),
        })
        .collect();
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    vec![
        ("os", os),
        ("support", support),
        ("libc", libc),
        ("/bin/sh", sh),
        (
            "package mgrs",
            list(tools.iter().map(|s| s.to_string()).collect()),
        ),
        ("user", user),
        (
            "command runs",
            if r.runnability.command.can_run {
                "yes".into()
            } else {
                "NO".into()
            },
        ),
        ("compressed", human(r.size.compressed)),
        ("uncompressed", human(r.size.uncompressed)),
        ("files", r.size.file_count.to_string()),
        ("layers", r.size.layers.len().to_string()),
        ("setuid/setgid", r.risk.setuid_setgid.total.to_string()),
        ("world-writable", r.risk.world_writable.total.to_string()),
        (
            "build tools",
            list(build.iter().map(|s| s.to_string()).collect()),
        ),
        ("pkg leftovers", human(leftovers)),
        ("runtimes", list(runtimes)),
        (
            "ca certificates",
            if r.essentials.ca_bundle.is_some() {
                "yes".into()
            } else {
                "NO".into()
            },
        ),
        (
            "time zones",
            if r.essentials.zoneinfo {
                "yes".into()
            } else {
                "no".into()
            },
        ),
    ]
}

/// Writes several reports side by side, one column per image, for choosing between base images.
pub fn render_comparison(reports: &[Report], w: &mut dyn Write) -> std::io::Result<()> {
    let columns: Vec<Vec<(&'static str, String)>> = reports.iter().map(comparison_cells).collect();
    let headers: Vec<String> = reports.iter().map(column_label).collect();
    let widths: Vec<usize> = headers
        .iter()
        .zip(&columns)
        .map(|(h, cells)| {
            cells
                .iter()
                .map(|(_, v)| v.chars().count())
                .chain(std::iter::once(h.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut line = format!("{:<KEY$}", "");
    for (h, width) in headers.iter().zip(&widths) {
        line.push_str(&format!("  {h:<width$}"));
    }
    writeln!(w, "{}", line.trim_end())?;
    let rows = columns.first().map_or(0, Vec::len);
    for row in 0..rows {
        let mut line = format!("{:<KEY$}", columns[0][row].0);
        for (cells, width) in columns.iter().zip(&widths) {
            line.push_str(&format!("  {:<width$}", cells[row].1));
        }
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

/// A column header: the registry reference, else the source's last path component (with its tag).
fn column_label(r: &Report) -> String {
    if let Some(reference) = &r.identity.reference {
        return reference.clone();
    }
    let spec = &r.identity.spec;
    let rest = spec
        .split_once(':')
        .filter(|(scheme, _)| matches!(*scheme, "oci" | "oci-archive" | "docker-archive"))
        .map_or(spec.as_str(), |(_, rest)| rest);
    let last = rest
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(rest);
    if last.is_empty() {
        spec.clone()
    } else {
        last.to_string()
    }
}

#[cfg(test)]
mod comparison_tests {
    #[test]
    fn columns_line_up() {
        let opts = crate::InspectOptions {
            today: time::macros::date!(2026 - 01 - 01),
        };
        let empty = drydock_image::FileTree::from_nodes(Vec::new());
        let a = crate::report_from_tree(
            "scratch-a",
            &empty,
            crate::FactsCollector::default(),
            None,
            &opts,
        );
        let b = crate::report_from_tree(
            "a-much-longer-name",
            &empty,
            crate::FactsCollector::default(),
            None,
            &opts,
        );
        let mut out = Vec::new();
        super::render_comparison(&[a, b], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 19, "{text}");
        let col = lines[0].find("a-much-longer-name").unwrap();
        assert!(lines.iter().all(|l| !l.ends_with(' ')), "{text}");
        for l in &lines[1..] {
            assert_eq!(&l[col - 2..col], "  ", "{text}");
        }
        assert!(text.contains("command runs"));
        let mut none = Vec::new();
        super::render_comparison(&[], &mut none).unwrap();
    }
}
