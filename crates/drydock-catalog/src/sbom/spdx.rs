//! SPDX 2.3 JSON: a package for the image (purpose `CONTAINER`) that the document DESCRIBES and
//! that CONTAINS every catalogued package; purls as `externalRefs`.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use serde_json::{Value, json};

use super::{WriteOptions, stable_uuid, subject_key, subject_purl};
use crate::{Catalog, Package, license};

/// The SPDX id of the image package.
pub const IMAGE_ID: &str = "SPDXRef-Image";
/// Where document namespaces live: a reserved name that resolves nowhere.
pub const NAMESPACE_BASE: &str = "https://drydock.invalid/spdx/";

/// Writes the catalog as an SPDX 2.3 JSON document.
pub fn write(catalog: &Catalog, opts: &WriteOptions, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(catalog, opts))?;
    out.write_all(b"\n")
}

/// The document as a JSON value.
pub fn document(catalog: &Catalog, opts: &WriteOptions) -> Value {
    let s = &catalog.subject;
    let key = subject_key(s);
    let mut image = json!({
        "SPDXID": IMAGE_ID,
        "name": s.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": if s.digest.is_some() { "CONTAINER" } else { "FILE" },
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
    });
    if let Some(d) = &s.digest {
        image["versionInfo"] = json!(d);
        if let Some((alg, hex)) = d.split_once(':')
            && alg == "sha256"
        {
            image["checksums"] = json!([{"algorithm": "SHA256", "checksumValue": hex}]);
        }
    }
    if let Some(p) = subject_purl(s) {
        image["externalRefs"] = json!([purl_ref(&p)]);
    }
    let mut packages = vec![image];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": IMAGE_ID,
    })];
    if let Some(os) = catalog.os.as_ref().filter(|o| o.id.is_some()) {
        let id = "SPDXRef-OperatingSystem";
        packages.push(json!({
            "SPDXID": id,
            "name": os.id,
            "versionInfo": os.version_id.clone().unwrap_or_default(),
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "OPERATING_SYSTEM",
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
        }));
        relationships.push(contains(id));
    }
    let mut used: HashSet<String> = HashSet::new();
    let mut refs = LicenseRefs::default();
    let mut ids: Vec<String> = Vec::with_capacity(catalog.packages.len());
    for (i, p) in catalog.packages.iter().enumerate() {
        let mut id = format!(
            "SPDXRef-Package-{}-{}",
            p.kind.purl_type(),
            sanitize(&p.name)
        );
        let base = id.clone();
        let mut n = i;
        while !used.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        packages.push(package(p, &id, &mut refs));
        relationships.push(contains(&id));
        ids.push(id);
    }
    // The package managers' own dependency graph, where they record one.
    let mut id_of_purl: HashMap<&str, &str> = HashMap::new();
    for (p, id) in catalog.packages.iter().zip(&ids) {
        id_of_purl.entry(p.purl.as_str()).or_insert(id.as_str());
    }
    for (p, id) in catalog.packages.iter().zip(&ids) {
        let mut on: Vec<&str> = p
            .depends_on
            .iter()
            .filter_map(|d| id_of_purl.get(d.as_str()).copied())
            .filter(|d| d != id)
            .collect();
        on.sort_unstable();
        on.dedup();
        for target in on {
            relationships.push(json!({
                "spdxElementId": id,
                "relationshipType": "DEPENDS_ON",
                "relatedSpdxElement": target,
            }));
        }
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": s.name,
        "documentNamespace": format!(
            "{NAMESPACE_BASE}{key}-{}",
            stable_uuid(&["spdx", &key, &opts.created])
        ),
        "creationInfo": {
            "created": opts.created,
            "creators": [format!("Tool: drydock-{}", opts.tool_version)],
        },
        "documentDescribes": [IMAGE_ID],
        "packages": packages,
        "relationships": relationships,
        "hasExtractedLicensingInfos": refs.infos,
    })
}

fn contains(id: &str) -> Value {
    json!({
        "spdxElementId": IMAGE_ID,
        "relationshipType": "CONTAINS",
        "relatedSpdxElement": id,
    })
}

fn purl_ref(p: &str) -> Value {
    json!({
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": p,
    })
}

/// SPDX ids allow only letters, digits, `.` and `-`.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// License strings that are not SPDX expressions, as `LicenseRef-` ids with their text.
#[derive(Default)]
struct LicenseRefs {
    by_text: HashMap<String, String>,
    ids: HashSet<String>,
    infos: Vec<Value>,
}

impl LicenseRefs {
    fn id_for(&mut self, text: &str) -> String {
        if let Some(id) = self.by_text.get(text) {
            return id.clone();
        }
        let mut name = sanitize(&text.trim().replace('+', "-plus"));
        while name.contains("--") {
            name = name.replace("--", "-");
        }
        let name = name.trim_matches('-');
        let base = format!(
            "LicenseRef-{}",
            if name.is_empty() { "unnamed" } else { name }
        );
        let mut id = base.clone();
        let mut n = 1;
        while !self.ids.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.by_text.insert(text.to_string(), id.clone());
        self.infos.push(json!({
            "licenseId": id,
            "name": text,
            "extractedText": text,
        }));
        id
    }

    /// The declared license: the SPDX expression, else each string as an expression or a
    /// `LicenseRef-`, joined with AND; `NOASSERTION` when there is nothing.
    fn declared(&mut self, p: &Package) -> String {
        if let Some(e) = &p.license_expression {
            return e.clone();
        }
        let mut parts: Vec<String> = Vec::new();
        for raw in p.licenses.iter().filter(|l| !l.trim().is_empty()) {
            let part = match license::expression(raw) {
                Some(e) if e.contains(' ') => format!("({e})"),
                Some(e) => e,
                None => self.id_for(raw),
            };
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        if parts.is_empty() {
            return "NOASSERTION".into();
        }
        parts.join(" AND ")
    }
}

fn package(p: &Package, id: &str, refs: &mut LicenseRefs) -> Value {
    let mut v = json!({
        "SPDXID": id,
        "name": p.name,
        "versionInfo": p.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": refs.declared(p),
        "copyrightText": "NOASSERTION",
        "externalRefs": [purl_ref(&p.purl)],
        "primaryPackagePurpose": if p.kind.is_os() { "INSTALL" } else { "LIBRARY" },
    });
    if let Some(m) = p.metadata.get("maintainer") {
        v["supplier"] = json!(supplier(m));
    }
    if let Some(src) = &p.source_name {
        let ver = p
            .source_version
            .as_deref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        v["sourceInfo"] = json!(format!("built from source package {src}{ver}"));
    }
    if let Some(d) = p
        .metadata
        .get("description")
        .or_else(|| p.metadata.get("summary"))
    {
        v["summary"] = json!(d);
    }
    let mut where_found = p.locations.join(", ");
    if let Some(d) = &p.layer_digest {
        where_found.push_str(&format!(" (layer {d})"));
    }
    if !where_found.is_empty() {
        v["comment"] = json!(format!("found in {where_found}"));
    }
    v
}

/// `Person: name (email)` from `name <email>`; an organisation when there is no address.
fn supplier(m: &str) -> String {
    match m.split_once('<') {
        Some((name, rest)) => {
            let email = rest.trim_end().trim_end_matches('>');
            format!("Person: {} ({email})", name.trim())
        }
        None => format!("Organization: {}", m.trim()),
    }
}
