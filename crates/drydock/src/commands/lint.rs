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
    let opts = super::open_options(&a.image_args)?;
    // Every explicit mapping is read up front: one that cannot be read is an error, not a fallback.
    let mappings = a
        .images
        .iter()
        .map(|item| Mapping::read(item, &opts))
        .collect::<Result<Vec<_>>>()?;
    let image_resolver = ImageResolver {
        opts,
        mappings,
        registries: a.resolve,
        cache: RefCell::new(HashMap::new()),
        warned: RefCell::new(BTreeSet::new()),
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

/// The parts of a reference that mappings are matched on: `registry/repository`, tag and digest pin.
/// The name is parsed without the digest, so a malformed pin still matches by repository and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RefParts {
    name: String,
    tag: Option<String>,
    pin: Option<String>,
}

impl RefParts {
    fn parse(r: &str) -> Option<RefParts> {
        let r = r.trim();
        let (rest, pin) = match r.split_once('@') {
            Some((a, d)) => (a, Some(d.to_ascii_lowercase())),
            None => (r, None),
        };
        let reference: drydock_image::Reference = rest.parse().ok()?;
        Some(RefParts {
            name: reference.name(),
            tag: reference.tag().map(str::to_string),
            pin,
        })
    }

    /// The tag a pull would use: as written, or `latest` when neither tag nor digest is given.
    fn pulled_tag(&self) -> Option<&str> {
        match (&self.tag, &self.pin) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }
}

/// One `--image REF=SOURCE`, with the facts of the image it names (read when the mapping is parsed).
struct Mapping {
    /// As given on the command line.
    given: String,
    parts: RefParts,
    facts: BaseFacts,
    /// The mapped image's manifest digest and, for an index, the index digest.
    digests: Vec<String>,
}

impl Mapping {
    fn read(item: &str, opts: &drydock_image::OpenOptions) -> Result<Mapping> {
        let Some((r, source)) = item.split_once('=') else {
            bail!("--image {item:?}: expected REF=SOURCE, e.g. python:3.12-slim=oci:./python");
        };
        let parts = RefParts::parse(r)
            .with_context(|| format!("--image {item}: `{r}` is not an image reference"))?;
        if let Some(pin) = &parts.pin {
            pin.parse::<drydock_image::Digest>()
                .map_err(|e| anyhow::anyhow!("--image {item}: `{pin}` is not a digest: {e}"))?;
        }
        let (facts, digests) = read_image(source, opts)
            .with_context(|| format!("--image {item}: cannot read {source}"))?;
        Ok(Mapping {
            given: item.to_string(),
            parts,
            facts,
            digests,
        })
    }

    /// The warning for a Dockerfile reference (`image_ref`) whose `pin` is not the mapped image's
    /// digest, on one line: the mapping and the reference are sanitised (they come from the command
    /// line and the Dockerfile).
    fn pin_warning(&self, pin: &str, image_ref: &str) -> String {
        format!(
            "drydock: warning: --image {}: the mapped image is {}, not {} as `{}` pins; its facts are used anyway",
            crate::one_line(&self.given),
            self.digests
                .first()
                .map(String::as_str)
                .unwrap_or("unknown"),
            crate::one_line(pin),
            crate::one_line(image_ref)
        )
    }

    /// A mapping with a digest matches that exact pin (and the tag, when both give one); one without a
    /// digest matches the repository and tag whether or not the Dockerfile also pins a digest.
    fn matches(&self, r: &RefParts) -> bool {
        let m = &self.parts;
        if m.name != r.name {
            return false;
        }
        match &m.pin {
            Some(pin) => {
                r.pin.as_ref() == Some(pin)
                    && (m.tag.is_none() || r.tag.is_none() || m.tag == r.tag)
            }
            None => r.pulled_tag().is_some() && m.pulled_tag() == r.pulled_tag(),
        }
    }
}

/// The warning for a base whose image cannot be read, on one line (every part is sanitised: the
/// reference comes from the Dockerfile, the error may quote the registry).
fn unreadable_base_warning(image_ref: &str, source: &str, e: &anyhow::Error) -> String {
    format!(
        "drydock: warning: could not read base image {} ({}): {}; using the bundled table",
        crate::one_line(image_ref),
        crate::one_line(source),
        crate::one_line(&format!("{e:#}"))
    )
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
    mappings: Vec<Mapping>,
    registries: bool,
    cache: RefCell<HashMap<String, Option<BaseFacts>>>,
    /// (mapping, pin) pairs already warned about.
    warned: RefCell<BTreeSet<(String, String)>>,
}

impl ImageResolver {
    /// The mapping for a reference: an exact digest mapping first, then one by repository and tag.
    fn mapping_for(&self, r: &RefParts) -> Option<&Mapping> {
        let matching = || self.mappings.iter().filter(|m| m.matches(r));
        matching()
            .find(|m| m.parts.pin.is_some())
            .or_else(|| matching().next())
    }
}

impl BaseResolver for ImageResolver {
    fn resolve(&self, image_ref: &str) -> Option<BaseFacts> {
        if image_ref.eq_ignore_ascii_case("scratch") {
            return None;
        }
        if let Some(parts) = RefParts::parse(image_ref)
            && let Some(m) = self.mapping_for(&parts)
        {
            if let Some(pin) = &parts.pin
                && !m.digests.contains(pin)
                && self
                    .warned
                    .borrow_mut()
                    .insert((m.given.clone(), pin.clone()))
            {
                let _ = writeln!(std::io::stderr(), "{}", m.pin_warning(pin, image_ref));
            }
            return Some(m.facts.clone());
        }
        if !self.registries {
            return None;
        }
        let key = normalize_ref(image_ref);
        if let Some(hit) = self.cache.borrow().get(&key) {
            return hit.clone();
        }
        let source = format!("docker://{key}");
        let facts = match read_image(&source, &self.opts) {
            Ok((f, _)) => Some(f),
            Err(e) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "{}",
                    unreadable_base_warning(image_ref, &source, &e)
                );
                None
            }
        };
        self.cache.borrow_mut().insert(key, facts.clone());
        facts
    }
}

/// Directories whose executables count as "on PATH" when the image's own PATH is unknown.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The base facts of an image and its digests (manifest, then index if any).
fn read_image(source: &str, opts: &drydock_image::OpenOptions) -> Result<(BaseFacts, Vec<String>)> {
    let image = drydock_image::open(source, opts)?;
    let digests: Vec<String> = image
        .manifest_digest
        .iter()
        .chain(image.index_digest.iter())
        .map(|d| d.to_string())
        .collect();
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
    let facts = BaseFacts {
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
    };
    Ok((facts, digests))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(r: &str) -> Mapping {
        Mapping {
            given: format!("{r}=oci:/x"),
            parts: RefParts::parse(r).expect("reference"),
            facts: BaseFacts::default(),
            digests: Vec::new(),
        }
    }

    fn parts(r: &str) -> RefParts {
        RefParts::parse(r).expect("reference")
    }

    #[test]
    fn tag_mappings_match_digest_pinned_references() {
        let d = format!("sha256:{}", "a".repeat(64));
        let m = mapping("python:3.12-slim");
        assert!(m.matches(&parts("python:3.12-slim")));
        assert!(m.matches(&parts("docker.io/library/python:3.12-slim")));
        assert!(m.matches(&parts(&format!("python:3.12-slim@{d}"))));
        // A malformed pin still matches by repository and tag.
        assert!(m.matches(&parts("python:3.12-slim@sha256:abc")));
        assert!(!m.matches(&parts("python:3.11-slim")));
        assert!(
            !m.matches(&parts(&format!("python@{d}"))),
            "no tag to match"
        );
        assert!(!m.matches(&parts("example.com/python:3.12-slim")));
        assert!(mapping("python").matches(&parts("python:latest")));
    }

    #[test]
    fn warnings_are_one_sanitised_line() {
        let clean = |w: &str| !w.contains(|c: char| c.is_control()) && !w.contains("  ");
        let mut m = mapping("python:3.12-slim");
        m.given = "python:3.12-slim=oci:/x\x1b[2J\n/y".to_string();
        m.digests = vec![format!("sha256:{}", "a".repeat(64))];
        let image_ref = "  python:3.12-slim@sha256:\x1b]0;title\x07abc\r\n ";
        let pin = parts(image_ref).pin.unwrap();
        let w = m.pin_warning(&pin, image_ref);
        assert!(clean(&w), "{w:?}");
        assert!(
            w.starts_with("drydock: warning: --image python:3.12-slim=oci:/x?[2J /y: the mapped image is sha256:aaaa"),
            "{w:?}"
        );
        assert!(
            w.ends_with("not sha256:?]0;title?abc as `python:3.12-slim@sha256:?]0;title?abc` pins; its facts are used anyway"),
            "{w:?}"
        );
        let e = anyhow::anyhow!("registry said:\n\x1b[31mdenied").context("pulling");
        let w = unreadable_base_warning(image_ref, "docker://x\x1b", &e);
        assert!(clean(&w), "{w:?}");
        assert_eq!(
            w,
            "drydock: warning: could not read base image python:3.12-slim@sha256:?]0;title?abc (docker://x?): pulling: registry said: ?[31mdenied; using the bundled table"
        );
    }

    #[test]
    fn digest_mappings_match_that_exact_pin() {
        let d = format!("sha256:{}", "a".repeat(64));
        let other = format!("sha256:{}", "b".repeat(64));
        let m = mapping(&format!("python:3.12-slim@{d}"));
        assert!(m.matches(&parts(&format!("python:3.12-slim@{d}"))));
        assert!(m.matches(&parts(&format!("python@{d}"))));
        assert!(!m.matches(&parts(&format!("python:3.12-slim@{other}"))));
        assert!(!m.matches(&parts("python:3.12-slim")));
        assert!(!m.matches(&parts(&format!("python:3.11@{d}"))));
        // The exact pin wins over a tag mapping for the same reference.
        let resolver = ImageResolver {
            opts: drydock_image::OpenOptions::default(),
            mappings: vec![mapping("python:3.12-slim"), m],
            registries: false,
            cache: RefCell::new(HashMap::new()),
            warned: RefCell::new(BTreeSet::new()),
        };
        let chosen = resolver
            .mapping_for(&parts(&format!("python:3.12-slim@{d}")))
            .unwrap();
        assert!(chosen.parts.pin.is_some());
        let tagged = resolver
            .mapping_for(&parts(&format!("python:3.12-slim@{other}")))
            .unwrap();
        assert!(tagged.parts.pin.is_none());
    }
}
