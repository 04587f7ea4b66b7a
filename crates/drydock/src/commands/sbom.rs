//! `drydock sbom IMAGE|DIR`: every package, as CycloneDX, SPDX, drydock JSON or a table.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use drydock_catalog::sbom::{self, Format, WriteOptions};

use crate::cli::{SbomArgs, SbomFormat};

pub fn run(a: &SbomArgs) -> Result<u8> {
    let opts = super::open_options(&a.image_args)?;
    let mut catalog_opts = drydock_catalog::catalog::Options::default();
    let catalog = if Path::new(&a.image).is_dir() && !super::inspect::is_layout(&a.image) {
        if a.base.is_some() {
            bail!("--base needs an image, not a directory");
        }
        drydock_catalog::catalog::catalog_dir(Path::new(&a.image), &catalog_opts, &mut [])?.0
    } else {
        let image = drydock_image::open(&a.image, &opts)?;
        catalog_opts.base_layers = match &a.base {
            Some(base) => Some(base_layer_count(&image, base, &opts)?),
            None => base_from_annotations(&image, &opts),
        };
        drydock_catalog::catalog::catalog_image_with(&image, &catalog_opts, &mut [])?.0
    };
    let format = match a.format {
        SbomFormat::CyclonedxJson => Format::CycloneDxJson,
        SbomFormat::SpdxJson => Format::SpdxJson,
        SbomFormat::Json => Format::Json,
        SbomFormat::Table => Format::Table,
    };
    let write_opts = WriteOptions {
        created: created_time()?,
        ..WriteOptions::default()
    };
    // Streamed, not built in memory first: an SBOM listing every file can be as large as the catalog.
    match &a.output {
        Some(path) => {
            let writing = || format!("writing {}", path.display());
            let file = std::fs::File::create(path).with_context(writing)?;
            let mut out = std::io::BufWriter::new(file);
            sbom::write(&catalog, format, &write_opts, &mut out).with_context(writing)?;
            out.flush().with_context(writing)?;
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            sbom::write(&catalog, format, &write_opts, &mut out)?;
            out.flush()?;
        }
    }
    // Warnings go to standard error, once, whatever the format (drydock JSON also carries them).
    let mut err = std::io::stderr().lock();
    for w in &catalog.warnings {
        writeln!(
            err,
            "drydock: warning: {}: {}: {}",
            w.cataloger,
            crate::one_line(&w.path),
            crate::one_line(&w.message)
        )?;
    }
    Ok(0)
}

/// How many bottom layers the base image accounts for; its layers must be a prefix of the image's.
fn base_layer_count(
    image: &drydock_image::Image,
    base: &str,
    opts: &drydock_image::OpenOptions,
) -> Result<usize> {
    let base_image =
        drydock_image::open(base, opts).with_context(|| format!("opening base image {base}"))?;
    let ours: Vec<_> = image.config.rootfs.diff_ids.iter().collect();
    let theirs: Vec<_> = base_image.config.rootfs.diff_ids.iter().collect();
    if theirs.len() > ours.len() || ours[..theirs.len()] != theirs[..] {
        bail!(
            "base image {base} is not a base of this image: its layers are not a prefix of this image's"
        );
    }
    Ok(theirs.len())
}

const BASE_NAME: &str = "org.opencontainers.image.base.name";
const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// The base image named by the manifest's OCI annotations, when the image itself came from a registry
/// and the annotations pin the base by digest. A local image never triggers network access: then,
/// as when the base cannot be read, the base is unknown and one warning says what to do instead.
fn base_from_annotations(
    image: &drydock_image::Image,
    opts: &drydock_image::OpenOptions,
) -> Option<usize> {
    let ann = &image.manifest.annotations;
    let named = ann.get(BASE_NAME)?;
    let warn = |why: &str| {
        let _ = writeln!(
            std::io::stderr(),
            "drydock: warning: base image {} from the image's annotations not used: {}; pass --base IMAGE to mark base packages",
            crate::one_line(named),
            crate::one_line(why)
        );
    };
    if image.reference.is_none() {
        warn("a local image is read without network access");
        return None;
    }
    let Some(digest) = ann.get(BASE_DIGEST) else {
        warn(&format!("no {BASE_DIGEST} annotation pins it"));
        return None;
    };
    let name = named.split('@').next().unwrap_or(named);
    let spec = format!("docker://{name}@{digest}");
    match base_layer_count(image, &spec, opts) {
        Ok(n) => Some(n),
        Err(e) => {
            warn(&format!("{e:#}"));
            None
        }
    }
}

/// SBOM creation time: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
fn created_time() -> Result<String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let t = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => {
            let secs: i64 = s
                .trim()
                .parse()
                .with_context(|| format!("SOURCE_DATE_EPOCH {s:?} is not a number"))?;
            time::OffsetDateTime::from_unix_timestamp(secs)
                .context("SOURCE_DATE_EPOCH out of range")?
        }
        Err(_) => time::OffsetDateTime::now_utc(),
    };
    Ok(t.format(&fmt)?)
}
