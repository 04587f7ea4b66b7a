//! drydock's own JSON: the catalog as it is, with a schema tag and the creation info
//! (documented in `docs/sbom.md`).

use std::io::Write;

use serde::Serialize;

use super::WriteOptions;
use crate::Catalog;

/// The schema tag of this format; bumped on any incompatible change.
pub const SCHEMA: &str = "drydock.sbom/v1";

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    created: &'a str,
    tool: Tool<'a>,
    #[serde(flatten)]
    catalog: &'a Catalog,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
}

/// Writes the catalog as drydock JSON.
pub fn write(catalog: &Catalog, opts: &WriteOptions, out: &mut dyn Write) -> std::io::Result<()> {
    let doc = Doc {
        schema: SCHEMA,
        created: &opts.created,
        tool: Tool {
            name: "drydock",
            version: &opts.tool_version,
        },
        catalog,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}
