//! CycloneDX 1.6 JSON: the image as `metadata.component` (type `container`), the OS as an
//! `operating-system` component, one `library` component per package, and a dependency graph
//! relating the image to every package.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use serde_json::{Value, json};

use super::{WriteOptions, stable_uuid, subject_key, subject_purl};
use crate::{Catalog, Package, license};

/// The `bom-ref` of the image component.
pub const IMAGE_REF: &str = "drydock:image";

/// Writes the catalog as a CycloneDX 1.6 JSON document.
pub fn write(catalog: &Catalog, opts: &WriteOptions, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(catalog, opts))?;
    out.write_all(b"\n")
}

/// The document as a JSON value.
pub fn document(catalog: &Catalog, opts: &WriteOptions) -> Value {
    let s = &catalog.subject;
    // A root file system directory has no digest: it is described as what it is, a file tree.
    let kind = if s.digest.is_some() {
        "container"
    } else {
        "file"
    };
    let mut image = json!({
        "bom-ref": IMAGE_REF,
        "type": kind,
        "name": s.name,
    });
    if let Some(d) = &s.digest {
        image["version"] = json!(d);
    }
    if let Some(p) = subject_purl(s) {
        image["purl"] = json!(p);
    }
    let mut props = Vec::new();
    if let Some(p) = &s.platform {
        props.push(prop("drydock:image:platform", p));
    }
    if let Some(c) = &s.config_digest {
        props.push(prop("drydock:image:config-digest", c));
    }
    for (i, l) in s.layers.iter().enumerate() {
        props.push(prop(&format!("drydock:image:layer:{i}"), l));
    }
    if !props.is_empty() {
        image["properties"] = Value::Array(props);
    }

    let mut components = Vec::new();
    let mut refs: Vec<String> = Vec::new();
    if let Some(os) = &catalog.os
        && let Some(id) = &os.id
    {
        let r = format!("drydock:os:{id}");
        let mut c = json!({"bom-ref": r, "type": "operating-system", "name": id});
        if let Some(v) = &os.version_id {
            c["version"] = json!(v);
        }
        if let Some(d) = &os.pretty_name {
            c["description"] = json!(d);
        }
        components.push(c);
        refs.push(r);
    }
    let mut used: HashSet<String> = HashSet::new();
    let mut ref_of_purl: HashMap<&str, String> = HashMap::new();
    let mut package_refs: Vec<String> = Vec::new();
    for p in &catalog.packages {
        let mut r = p.purl.clone();
        let mut n = 1;
        while !used.insert(r.clone()) {
            n += 1;
            r = format!("{}#{n}", p.purl);
        }
        components.push(component(p, &r));
        ref_of_purl
            .entry(p.purl.as_str())
            .or_insert_with(|| r.clone());
        package_refs.push(r.clone());
        refs.push(r);
    }
    let mut dependencies = vec![json!({"ref": IMAGE_REF, "dependsOn": refs})];
    let os_refs = refs.len() - package_refs.len();
    for r in &refs[..os_refs] {
        dependencies.push(json!({"ref": r, "dependsOn": []}));
    }
    // The package managers' own dependency graph, where they record one.
    for (p, r) in catalog.packages.iter().zip(&package_refs) {
        let mut on: Vec<&str> = p
            .depends_on
            .iter()
            .filter_map(|d| ref_of_purl.get(d.as_str()).map(String::as_str))
            .filter(|d| d != r)
            .collect();
        on.sort_unstable();
        on.dedup();
        dependencies.push(json!({"ref": r, "dependsOn": on}));
    }

    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", stable_uuid(&["cyclonedx", &subject_key(s), &opts.created])),
        "version": 1,
        "metadata": {
            "timestamp": opts.created,
            "tools": {"components": [{
                "type": "application",
                "name": "drydock",
                "version": opts.tool_version,
            }]},
            "component": image,
        },
        "components": components,
        "dependencies": dependencies,
    })
}

fn prop(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

fn component(p: &Package, bom_ref: &str) -> Value {
    let mut c = json!({
        "bom-ref": bom_ref,
        "type": "library",
        "name": p.name,
        "version": p.version,
        "purl": p.purl,
    });
    if let Some(l) = licenses(p) {
        c["licenses"] = l;
    }
    if let Some(d) = p
        .metadata
        .get("description")
        .or_else(|| p.metadata.get("summary"))
    {
        c["description"] = json!(d);
    }
    if let Some(m) = p
        .metadata
        .get("maintainer")
        .or_else(|| p.metadata.get("vendor"))
    {
        c["publisher"] = json!(m);
    }
    let mut props = vec![prop(
        "drydock:package:type",
        &format!("{:?}", p.kind).to_ascii_lowercase(),
    )];
    if let Some(a) = &p.arch {
        props.push(prop("drydock:package:arch", a));
    }
    if let Some(sn) = &p.source_name {
        props.push(prop("drydock:package:source-name", sn));
    }
    if let Some(sv) = &p.source_version {
        props.push(prop("drydock:package:source-version", sv));
    }
    if let Some(l) = p.layer {
        props.push(prop("drydock:layer:index", &l.to_string()));
    }
    if let Some(d) = &p.layer_digest {
        props.push(prop("drydock:layer:digest", d));
    }
    if let Some(b) = p.in_base_image {
        props.push(prop(
            "drydock:layer:in-base-image",
            if b { "true" } else { "false" },
        ));
    }
    for l in &p.locations {
        props.push(prop("drydock:location", l));
    }
    for (k, v) in &p.metadata {
        props.push(prop(&format!("drydock:metadata:{k}"), v));
    }
    c["properties"] = Value::Array(props);
    if !p.locations.is_empty() {
        c["evidence"] = json!({
            "occurrences": p.locations.iter().map(|l| json!({"location": l})).collect::<Vec<_>>()
        });
    }
    c
}

/// One SPDX id, one expression, or the raw names.
fn licenses(p: &Package) -> Option<Value> {
    if let Some(expr) = &p.license_expression {
        if license::SPDX_IDS.contains(&expr.as_str()) {
            return Some(json!([{"license": {"id": expr}}]));
        }
        return Some(json!([{"expression": expr}]));
    }
    if p.licenses.is_empty() {
        return None;
    }
    Some(Value::Array(
        p.licenses
            .iter()
            .map(|l| match license::spdx_id(l) {
                Some(id) => json!({"license": {"id": id}}),
                None => json!({"license": {"name": l}}),
            })
            .collect(),
    ))
}
