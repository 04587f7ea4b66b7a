//! `drydock inspect IMAGE`: what is in an image.

use std::io::Write;

use anyhow::{Context, Result};

use crate::cli::{InspectArgs, InspectFormat};

pub fn run(a: &InspectArgs) -> Result<u8> {
    let opts = super::open_options(&a.image_args)?;
    let today = match &a.today {
        Some(d) => time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
            .with_context(|| format!("--today {d:?} is not YYYY-MM-DD"))?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let inspect_opts = drydock_facts::InspectOptions { today };
    let report = if std::path::Path::new(&a.image).is_dir() && !is_layout(&a.image) {
        // A root file system directory: the same facts, without an image config.
        let mut collector = drydock_facts::FactsCollector::new(&Default::default());
        let tree =
            drydock_image::rootfs::walk_dir(std::path::Path::new(&a.image), &mut [&mut collector])?;
        drydock_facts::report_from_tree(&a.image, &tree, collector, None, &inspect_opts)
    } else {
        let image = drydock_image::open(&a.image, &opts)?;
        drydock_facts::inspect(&image, &inspect_opts)?
    };
    let mut out = std::io::stdout().lock();
    match a.format {
        InspectFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        InspectFormat::Table => drydock_facts::render_table(&report, &mut out)?,
    }
    out.flush()?;
    Ok(0)
}

/// Whether a directory is an OCI image layout rather than a root file system.
pub fn is_layout(path: &str) -> bool {
    std::path::Path::new(path).join("oci-layout").is_file()
}
