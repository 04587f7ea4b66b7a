//! Everything `drydock inspect` reports about an image, from its config and one walk of its files:
//! identity, OS and support status, libc, shells, package managers, user, runnability, size, risk
//! surface and language runtimes.
//!
//! This crate owns the facts and their `drydock.inspect/v1` JSON shape; it must not know about
//! packages beyond the few versions it reads itself (the catalogers own those) or about the CLI.

mod collector;
mod fs;
mod os;
mod render;
pub mod report;
mod run;
mod user;

use drydock_image::oci::ImageConfig;
use drydock_image::{FileTree, FileVisitor, Image};

pub use collector::FactsCollector;
pub use render::{render_comparison, render_table};
pub use report::{Report, SCHEMA};

/// Why facts could not be gathered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the image failed (a corrupt layer, a missing blob…).
    #[error(transparent)]
    Image(#[from] drydock_image::Error),
}

/// How to inspect.
#[derive(Clone, Debug)]
pub struct InspectOptions {
    /// The day support status is computed for (tests pin it; the CLI passes the current date).
    pub today: time::Date,
}

impl Default for InspectOptions {
    fn default() -> Self {
        InspectOptions {
            today: time::OffsetDateTime::now_utc().date(),
        }
    }
}

/// Inspects an image in one walk of its layers.
pub fn inspect(image: &Image, opts: &InspectOptions) -> Result<Report, Error> {
    inspect_with(image, opts, &mut [])
}

/// Inspects an image, feeding `extra` visitors (e.g. package catalogers) in the same walk; returns
/// the report and the merged file view for the caller's own use.
pub fn inspect_with_tree(
    image: &Image,
    opts: &InspectOptions,
    extra: &mut [&mut dyn FileVisitor],
) -> Result<(Report, FileTree), Error> {
    let mut collector = FactsCollector::new(&image.config);
    let tree = {
        let mut visitors: Vec<&mut dyn FileVisitor> = Vec::with_capacity(extra.len() + 1);
        visitors.push(&mut collector);
        for v in extra.iter_mut() {
            visitors.push(&mut **v);
        }
        image.walk(&mut visitors)?
    };
    let report = build(identity_of(image), &image.config, &tree, collector, opts);
    Ok((report, tree))
}

/// Inspects an image, feeding `extra` visitors in the same walk.
pub fn inspect_with(
    image: &Image,
    opts: &InspectOptions,
    extra: &mut [&mut dyn FileVisitor],
) -> Result<Report, Error> {
    inspect_with_tree(image, opts, extra).map(|(r, _)| r)
}

/// A report for a tree walked some other way (e.g. `drydock_image::rootfs::walk_dir` over a root
/// file system directory) with `collector` among its visitors. `config` is the image config when
/// there is one; a directory has none, and its identity says `source: "directory"`.
pub fn report_from_tree(
    spec: &str,
    tree: &FileTree,
    collector: FactsCollector,
    config: Option<&ImageConfig>,
    opts: &InspectOptions,
) -> Report {
    let default = ImageConfig::default();
    let config_missing = config.is_none();
    let config = config.unwrap_or(&default);
    let mut identity = report::Identity {
        spec: spec.to_string(),
        source: "directory".into(),
        ..report::Identity::default()
    };
    fill_config_identity(&mut identity, config);
    let mut report = build(identity, config, tree, collector, opts);
    if config_missing && report.runnability.command.form == "none" {
        report.runnability.command.why =
            "no image config: a directory has no ENTRYPOINT or CMD".into();
    }
    report
}

fn identity_of(image: &Image) -> report::Identity {
    let source = serde_json::to_value(&image.source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut id = report::Identity {
        spec: image.spec.clone(),
        source,
        reference: image.reference.as_ref().map(|r| r.to_string()),
        local_name: image.local_name.clone(),
        index_digest: image.index_digest.as_ref().map(|d| d.to_string()),
        manifest_digest: image.manifest_digest.as_ref().map(|d| d.to_string()),
        config_digest: Some(image.config_digest.to_string()),
        platform: Some(image.platform().to_string()).filter(|p| p != "/"),
        index_platforms: image
            .index_platforms
            .iter()
            .map(|p| p.to_string())
            .collect(),
        manifest_annotations: image.manifest.annotations.clone(),
        descriptor_annotations: image.descriptor_annotations.clone(),
        ..report::Identity::default()
    };
    fill_config_identity(&mut id, &image.config);
    id
}

const BASE_NAME: &str = "org.opencontainers.image.base.name";
const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

fn fill_config_identity(id: &mut report::Identity, config: &ImageConfig) {
    id.created = config.created.clone();
    id.author = config.author.clone();
    id.labels = config.config.labels.clone();
    id.history = config
        .history
        .iter()
        .map(|h| report::HistoryEntry {
            created: h.created.clone(),
            created_by: h.created_by.clone(),
            comment: h.comment.clone(),
            empty_layer: h.empty_layer,
        })
        .collect();
    // Manifest annotations are authoritative, then the index descriptor's, then labels.
    let find = |key: &str| {
        id.manifest_annotations
            .get(key)
            .or_else(|| id.descriptor_annotations.get(key))
            .or_else(|| id.labels.get(key))
            .cloned()
    };
    let (name, digest) = (find(BASE_NAME), find(BASE_DIGEST));
    if name.is_some() || digest.is_some() {
        id.base_image = Some(report::BaseImage { name, digest });
    }
}

/// Environment variable names that suggest a secret baked into the image.
fn secret_like(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    const MARKERS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "PRIVATE_KEY",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "CREDENTIAL",
    ];
    MARKERS.iter().any(|m| upper.contains(m))
}

fn runtime_config(config: &ImageConfig) -> report::RuntimeConfig {
    let c = &config.config;
    report::RuntimeConfig {
        user: c.user.clone(),
        working_dir: c.working_dir.clone(),
        entrypoint: c.entrypoint.clone(),
        cmd: c.cmd.clone(),
        env: c.env.clone(),
        secret_like_env: c
            .env
            .iter()
            .filter_map(|e| {
                let (k, v) = e.split_once('=').unwrap_or((e, ""));
                (secret_like(k) && !v.is_empty()).then(|| k.to_string())
            })
            .collect(),
        exposed_ports: c.exposed_ports.keys().cloned().collect(),
        volumes: c.volumes.keys().cloned().collect(),
        healthcheck: c.healthcheck.as_ref().map(|h| report::Healthcheck {
            test: h.test.clone(),
            interval_ns: h.interval,
            timeout_ns: h.timeout,
            start_period_ns: h.start_period,
            retries: h.retries,
        }),
        stop_signal: c.stop_signal.clone(),
        shell: c.shell.clone(),
        on_build: c.on_build.clone().unwrap_or_default(),
    }
}

fn size(tree: &FileTree, config: &ImageConfig) -> report::Size {
    // Non-empty history entries describe the layers, in order.
    let mut created_by = config
        .history
        .iter()
        .filter(|h| !h.empty_layer)
        .map(|h| h.created_by.clone());
    let layers: Vec<report::LayerSize> = tree
        .layers
        .iter()
        .enumerate()
        .map(|(index, l)| report::LayerSize {
            index,
            digest: l.digest.as_ref().map(|d| d.to_string()),
            compressed: l.compressed_size,
            uncompressed: l.uncompressed_size,
            entries: l.entries,
            whiteouts: l.whiteouts,
            final_bytes: l.final_bytes,
            created_by: created_by.next().flatten(),
        })
        .collect();
    report::Size {
        compressed: layers.iter().map(|l| l.compressed).sum(),
        uncompressed: layers.iter().map(|l| l.uncompressed).sum(),
        content_bytes: tree.content_bytes(),
        file_count: tree.file_count() as u64,
        layers,
    }
}

fn build(
    identity: report::Identity,
    config: &ImageConfig,
    tree: &FileTree,
    collector: FactsCollector,
    opts: &InspectOptions,
) -> Report {
    let mut warnings = collector.warnings.clone();
    let os = os::detect(&collector, tree, opts.today);
    let scan = fs::scan(tree);
    let text = |p: &str| {
        collector
            .files
            .get(p)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    let passwd = text("/etc/passwd").map(|t| {
        let (entries, bad) = user::parse_passwd(&t);
        if bad > 0 {
            warnings.push(format!("/etc/passwd: {bad} malformed line(s) skipped"));
        }
        entries
    });
    let group_text = text("/etc/group");
    let groups = group_text.as_ref().map(|t| {
        let (entries, bad) = user::parse_group(t);
        if bad > 0 {
            warnings.push(format!("/etc/group: {bad} malformed line(s) skipped"));
        }
        entries
    });
    let user_spec = config.config.user.clone().unwrap_or_default();
    let user = user::resolve(&user_spec, passwd.as_deref(), groups.as_deref());
    let supplementary_gids = match (&user.name, &group_text) {
        (Some(name), Some(t)) => user::member_gids(t, name),
        _ => Vec::new(),
    };
    let ctx = run::Ctx {
        tree,
        cfg: &config.config,
        shebangs: &collector.shebangs,
        elf_interp: &collector.elf_interp,
        user: &user,
        supplementary_gids,
    };
    let runnability = report::Runnability {
        command: run::check_command(&ctx),
        healthcheck: run::check_healthcheck(&ctx),
    };
    let libc = fs::libc(&scan, &collector, &os.family);
    Report {
        schema: SCHEMA,
        identity,
        libc,
        shells: fs::shells(tree, &collector),
        package_managers: fs::package_managers(tree, &scan),
        config: runtime_config(config),
        runnability,
        size: size(tree, config),
        risk: fs::risk(tree, &scan),
        runtimes: fs::runtimes(tree, &scan, &collector),
        essentials: fs::essentials(tree, &scan),
        user,
        os,
        warnings,
    }
}

#[cfg(test)]
mod tests;
