//! `cargo run -p drydock-facts --example inspect -- SPEC... [--json]`: the report of one image, or
//! several side by side, for looking at the facts while working on this crate (the real command is
//! `drydock inspect`).

use std::io::Write;
use std::path::Path;

fn report(spec: &str) -> Result<drydock_facts::Report, Box<dyn std::error::Error>> {
    let path = Path::new(spec);
    if path.is_dir() && !path.join("index.json").exists() {
        let mut collector = drydock_facts::FactsCollector::default();
        let tree = drydock_image::rootfs::walk_dir(path, &mut [&mut collector])?;
        return Ok(drydock_facts::report_from_tree(
            spec,
            &tree,
            collector,
            None,
            &Default::default(),
        ));
    }
    let image = drydock_image::open(spec, &drydock_image::OpenOptions::default())?;
    Ok(drydock_facts::inspect(&image, &Default::default())?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let specs: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if specs.is_empty() {
        return Err("usage: inspect SPEC... [--json]".into());
    }
    let reports = specs
        .iter()
        .map(|s| report(s))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = std::io::stdout().lock();
    if args.iter().any(|a| a == "--json") {
        serde_json::to_writer_pretty(&mut out, &reports)?;
        writeln!(out)?;
    } else if reports.len() == 1 {
        drydock_facts::render_table(&reports[0], &mut out)?;
    } else {
        drydock_facts::render_comparison(&reports, &mut out)?;
    }
    Ok(())
}
