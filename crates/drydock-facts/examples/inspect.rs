//! `cargo run -p drydock-facts --example inspect -- SPEC [--json]`: the report of one image, for
//! looking at the facts while working on this crate (the real command is `drydock inspect`).

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let spec = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .ok_or("usage: inspect SPEC [--json]")?;
    let opts = drydock_image::OpenOptions::default();
    let report = if std::path::Path::new(spec).is_dir()
        && !std::path::Path::new(spec).join("index.json").exists()
    {
        let mut collector = drydock_facts::FactsCollector::default();
        let tree =
            drydock_image::rootfs::walk_dir(std::path::Path::new(spec), &mut [&mut collector])?;
        drydock_facts::report_from_tree(spec, &tree, collector, None, &Default::default())
    } else {
        let image = drydock_image::open(spec, &opts)?;
        drydock_facts::inspect(&image, &Default::default())?
    };
    let mut out = std::io::stdout().lock();
    if args.iter().any(|a| a == "--json") {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        drydock_facts::render_table(&report, &mut out)?;
    }
    Ok(())
}
