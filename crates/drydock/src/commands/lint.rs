//! `drydock lint FILE...`: Dockerfiles against the hardening policy, with base-image facts from the
//! bundled table or, with `--resolve`, from the real images.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use drydock_facts::report::LibcKind;
use drydock_lint::{
    BaseFacts, BaseResolver, BundledResolver, Config, FirstOf, Libc, Severity, output,
};

use crate::cli::{LintArgs, LintFormat};

pub fn run(a: &LintArgs) -> Result<u8> {
    let mappings = parse_mappings(&a.images)?;
    let image_resolver = ImageResolver {
        opts: super::open_options(&a.image_args)?,
        mappings,
        registries: a.resolve,
        cache: RefCell::new(HashMap::new()),
    };
    let use_images = a.resolve || !image_resolver.mappings.is_empty();
    let resolver: FirstOf = if use_images {
        FirstOf(vec![&image_resolver, &BundledResolver])
    } else {
        FirstOf(vec![&BundledResolver])
    };
    let format = match a.format {
        LintFormat::Tty => output::Format::Tty,
        LintFormat::Json => output::Format::Json,
        LintFormat::Sarif => output::Format::Sarif,
        LintFormat::Checkstyle => output::Format::Checkstyle,
        LintFormat::Github => output::Format::Github,
    };
    let mut all = Vec::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut threshold: Option<Severity> = None;
    // A file that cannot be read or parsed is reported on its own line and the others are still
    // linted; any such error makes the exit code 2.
    let mut failed = false;
    for file in &a.files {
        match lint_one(a, file, &resolver) {
            Ok((label, text, findings, t)) => {
                threshold = Some(threshold.map_or(t, |old: Severity| old.min(t)));
                all.extend(findings);
                texts.push((label, text));
            }
            Err(e) => {
                failed = true;
                let _ = writeln!(
                    std::io::stderr(),
                    "drydock: error: {}",
                    crate::one_line(&crate::chain(&e))
                );
            }
        }
    }
    let sources: Vec<(&str, &str)> = texts
        .iter()
        .map(|(l, t)| (l.as_str(), t.as_str()))
        .collect();
    let mut out = std::io::stdout().lock();
    output::write(format, &all, &sources, &mut out)?;
    out.flush()?;
    if failed {
        return Ok(2);
    }
    let threshold = threshold.unwrap_or(Config::default().failure_threshold);
    Ok(drydock_lint::exit_code(&all, threshold) as u8)
}

/// Reads, configures and lints one file: its label, text, findings and failure threshold.
fn lint_one(
    a: &LintArgs,
    file: &str,
    resolver: &dyn BaseResolver,
) -> Result<(String, String, Vec<drydock_lint::Finding>, Severity)> {
    let (label, text, dir_for_config) = if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading standard input")?;
        (
            "-".to_string(),
            s,
            std::env::current_dir()?.join("Dockerfile"),
        )
    } else {
        let bytes = std::fs::read(file).with_context(|| format!("reading {file}"))?;
        (
            file.to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
            Path::new(file).to_path_buf(),
        )
    };
    let config = Config::discover(a.config.as_deref(), &dir_for_config)?;
    let threshold = match &a.failure_threshold {
        Some(s) => parse_severity(s)?,
        None => config.failure_threshold,
    };
    let findings = drydock_lint::lint_source(&label, &text, &config, resolver)?;
    Ok((label, text, findings, threshold))
}

fn parse_severity(s: &str) -> Result<Severity> {
    let text = format!("[lint]\nfailure-threshold = {:?}\n", s);
    Config::from_toml(&text, None)
        .map(|c| c.failure_threshold)
        .map_err(|_| {
            anyhow::anyhow!("--failure-threshold {s:?}: expected error, warning, info or style")
        })
}

/// `REF=SOURCE` pairs from `--image`.
fn parse_mappings(items: &[String]) -> Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|item| {
            let Some((r, source)) = item.split_once('=') else {
                bail!("--image {item:?}: expected REF=SOURCE, e.g. python:3.12-slim=oci:./python");
            };
            Ok((normalize_ref(r), source.to_string()))
        })
        .collect()
}

/// A reference in Docker's normalised form when it parses, else as written.
fn normalize_ref(r: &str) -> String {
    r.trim()
        .parse::<drydock_image::Reference>()
        .map(|x| x.to_string())
        .unwrap_or_else(|_| r.trim().to_string())
}

/// Facts read from real images (mapped local sources, or registries with `--resolve`).
struct ImageResolver {
    opts: drydock_image::OpenOptions,
    mappings: Vec<(String, String)>,
    registries: bool,
    cache: RefCell<HashMap<String, Option<BaseFacts>>>,
}

impl BaseResolver for ImageResolver {
    fn resolve(&self, image_ref: &str) -> Option<BaseFacts> {
        if image_ref.eq_ignore_ascii_case("scratch") {
            return None;
        }
        let key = normalize_ref(image_ref);
        if let Some(hit) = self.cache.borrow().get(&key) {
            return hit.clone();
        }
        let source = match self.mappings.iter().find(|(r, _)| *r == key) {
            Some((_, s)) => Some(s.clone()),
            None if self.registries => Some(format!("docker://{key}")),
            None => None,
        };
        let facts = source.and_then(|s| match facts_of(&s, &self.opts) {
            Ok(f) => Some(f),
            Err(e) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "drydock: warning: could not read base image {image_ref} ({s}): {}; using the bundled table",
                    format!("{e:#}").split_whitespace().collect::<Vec<_>>().join(" ")
                );
                None
            }
        });
        self.cache.borrow_mut().insert(key, facts.clone());
        facts
    }
}

/// Directories whose executables count as "on PATH" when the image's own PATH is unknown.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn facts_of(source: &str, opts: &drydock_image::OpenOptions) -> Result<BaseFacts> {
    let image = drydock_image::open(source, opts)?;
    let (report, tree) = drydock_facts::inspect_with_tree(&image, &Default::default(), &mut [])?;
    let path = image
        .config
        .config
        .env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH)
        .to_string();
    let mut binaries = BTreeSet::new();
    for dir in path.split(':').filter(|d| d.starts_with('/')) {
        let Some((real_dir, _)) = tree.resolve(dir) else {
            continue;
        };
        for (p, _) in tree.children(&real_dir) {
            if tree.resolve(p).is_some_and(|(_, n)| n.is_executable()) {
                let name = p.rsplit('/').next().unwrap_or(p);
                binaries.insert(name.to_string());
                binaries.insert(format!("{dir}/{name}"));
            }
        }
    }
    let version_of = |name: &str| {
        report
            .runtimes
            .iter()
            .find(|r| r.name == name)
            .and_then(|r| r.version.clone())
    };
    let major_minor = |v: String| v.split('.').take(2).collect::<Vec<_>>().join(".");
    let package_manager = ["apt", "apk", "dnf", "microdnf", "yum"]
        .into_iter()
        .find(|pm| report.package_managers.tools.iter().any(|t| t.name == *pm))
        .unwrap_or("")
        .to_string();
    let user = image.config.config.user.clone().filter(|u| !u.is_empty());
    Ok(BaseFacts {
        shell: Some(report.shells.sh.present),
        libc: Some(match report.libc.kind {
            LibcKind::Glibc => Libc::Glibc,
            LibcKind::Musl => Libc::Musl,
            LibcKind::None => Libc::None,
        }),
        user,
        user_known: true,
        python: version_of("python").map(major_minor),
        node: version_of("node").map(|v| v.split('.').next().unwrap_or_default().to_string()),
        package_manager: Some(package_manager),
        entrypoint: Some(
            image
                .config
                .config
                .entrypoint
                .as_ref()
                .is_some_and(|e| !e.is_empty()),
        ),
        binaries: Some(binaries),
        absent: BTreeSet::new(),
        build_tools: Some(
            report
                .risk
                .build_tools
                .iter()
                .map(|t| t.name.clone())
                .collect(),
        ),
        healthcheck: Some(image.config.config.healthcheck.is_some()),
        os: Some(image.config.os.clone()).filter(|o| !o.is_empty()),
        source: format!(
            "image {source}@{}",
            image
                .manifest_digest
                .as_ref()
                .unwrap_or(&image.config_digest)
        ),
    })
}
