//! A plain-text table: one package per line, columns aligned.

use std::io::Write;

use crate::Catalog;

/// Writes `NAME VERSION TYPE ARCH LAYER` rows. Warnings are the caller's to show (the CLI prints
/// them on standard error), so the table holds packages only.
pub fn write(catalog: &Catalog, out: &mut dyn Write) -> std::io::Result<()> {
    let header = ["NAME", "VERSION", "TYPE", "ARCH", "LAYER"];
    let rows: Vec<[String; 5]> = catalog
        .packages
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                p.version.clone(),
                p.kind.purl_type().to_string(),
                p.arch.clone().unwrap_or_default(),
                p.layer.map(|l| l.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_string()
    };
    writeln!(out, "{}", line(&header))?;
    for r in &rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    if catalog.packages.is_empty() {
        writeln!(out, "(no packages found)")?;
    }
    Ok(())
}
