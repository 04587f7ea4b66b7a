//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The inspect JSON schema from `docs/schemas`.
pub fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas/inspect-v1.schema.json")
}

/// Validates a report's JSON against the schema, panicking with every violation.
pub fn assert_valid(report: &drydock_facts::Report) {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path()).expect("schema file"))
            .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let instance = serde_json::to_value(report).expect("report serializes");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "report violates the schema:\n{}",
        errors.join("\n")
    );
}

/// The day every test computes support status for.
pub fn opts() -> drydock_facts::InspectOptions {
    drydock_facts::InspectOptions {
        today: time::macros::date!(2026 - 11 - 25),
    }
}

/// Inspects an OCI layout of the built test images.
pub fn inspect_layout(name: &str) -> drydock_facts::Report {
    let layout = drydock_testkit::images::layout(name);
    inspect_spec(&format!("oci:{}", layout.display()), None)
}

/// Inspects any source spec.
pub fn inspect_spec(spec: &str, platform: Option<&str>) -> drydock_facts::Report {
    let opts = drydock_image::OpenOptions {
        platform: platform.map(|p| drydock_image::Platform::parse(p).expect("platform")),
        no_cache: true,
        ..Default::default()
    };
    let image = drydock_image::open(spec, &opts).unwrap_or_else(|e| panic!("open {spec}: {e}"));
    drydock_facts::inspect(&image, &opts_today()).unwrap_or_else(|e| panic!("inspect {spec}: {e}"))
}

fn opts_today() -> drydock_facts::InspectOptions {
    opts()
}

/// One row of a truth `files.tsv`.
#[derive(Clone, Debug)]
pub struct TruthFile {
    pub kind: String,
    pub size: u64,
    pub target: String,
}

/// The final file system as the build script listed it (`files.tsv`), with an independent resolver.
pub struct TruthFs {
    pub files: std::collections::BTreeMap<String, TruthFile>,
}

impl TruthFs {
    pub fn load(name: &str) -> TruthFs {
        let files = drydock_testkit::images::truth_tsv(name, "files.tsv")
            .into_iter()
            .map(|row| {
                let get = |i: usize| row.get(i).cloned().unwrap_or_default();
                (
                    get(0),
                    TruthFile {
                        kind: get(1),
                        size: get(2).parse().unwrap_or(0),
                        target: get(3),
                    },
                )
            })
            .collect();
        TruthFs { files }
    }

    /// Follows symlinks like realpath inside the root; the final path when it is a file.
    pub fn resolve_file(&self, path: &str) -> Option<String> {
        let mut todo: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .rev()
            .map(String::from)
            .collect();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = todo.pop() {
            if c == "." {
                continue;
            }
            if c == ".." {
                cur.pop();
                continue;
            }
            cur.push(c);
            let p = format!("/{}", cur.join("/"));
            let f = self.files.get(&p)?;
            if f.kind == "l" {
                hops += 1;
                if hops > 40 {
                    return None;
                }
                cur.pop();
                if f.target.starts_with('/') {
                    cur.clear();
                }
                todo.extend(
                    f.target
                        .split('/')
                        .filter(|c| !c.is_empty())
                        .rev()
                        .map(String::from),
                );
            }
        }
        let p = format!("/{}", cur.join("/"));
        let kind = &self.files.get(&p)?.kind;
        (kind == "f" || kind == "h").then_some(p)
    }

    /// Regular files and hard links.
    pub fn file_count(&self) -> u64 {
        self.files
            .values()
            .filter(|f| f.kind == "f" || f.kind == "h")
            .count() as u64
    }

    /// Bytes of distinct regular-file content (hard links counted once).
    pub fn content_bytes(&self) -> u64 {
        self.files
            .values()
            .filter(|f| f.kind == "f")
            .map(|f| f.size)
            .sum()
    }
}

/// `KEY=value` pairs of a truth os-release (quotes removed).
pub fn truth_os_release(name: &str) -> std::collections::BTreeMap<String, String> {
    drydock_testkit::images::truth(name, "os-release")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_string(),
                v.trim().trim_matches('"').trim_matches('\'').to_string(),
            )
        })
        .collect()
}

/// The truth config.json.
pub fn truth_config(name: &str) -> serde_json::Value {
    serde_json::from_str(&drydock_testkit::images::truth(name, "config.json"))
        .expect("truth config.json")
}

/// Upstream part of a Debian or Alpine package version (`2.36-9+deb12u9` → `2.36`).
pub fn upstream(v: &str) -> String {
    let v = v.split_once(':').map_or(v, |(_, r)| r);
    let v = v.rsplit_once('-').map_or(v, |(u, _)| u);
    v.split(['+', '~']).next().unwrap_or(v).to_string()
}

/// An entry of a layer tar, read independently of drydock's merge.
#[derive(Clone, Debug)]
pub struct TarEntry {
    pub path: String,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub is_symlink: bool,
    pub is_file: bool,
}

/// The entries of the only layer of a one-layer OCI layout (tag `latest`).
pub fn single_layer_entries(name: &str) -> Vec<TarEntry> {
    use std::io::Read;
    let layout = drydock_testkit::images::layout(name);
    let blob = |d: &str| layout.join("blobs").join(d.replace(':', "/"));
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blob(&manifest_digest)).unwrap()).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1, "{name} should have one layer");
    let bytes = std::fs::read(blob(layers[0]["digest"].as_str().unwrap())).unwrap();
    let reader: Box<dyn Read> = if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::GzDecoder::new(std::io::Cursor::new(bytes)))
    } else {
        Box::new(std::io::Cursor::new(bytes))
    };
    let mut archive = tar::Archive::new(reader);
    let mut out = Vec::new();
    for e in archive.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        let raw = e.path().unwrap().to_string_lossy().into_owned();
        let path = format!("/{}", raw.trim_start_matches("./").trim_end_matches('/'));
        if path == "/" || path == "/." {
            continue;
        }
        out.push(TarEntry {
            path,
            mode: h.mode().unwrap() & 0o7777,
            uid: h.uid().unwrap(),
            gid: h.gid().unwrap(),
            is_symlink: h.entry_type() == tar::EntryType::Symlink,
            is_file: matches!(
                h.entry_type(),
                tar::EntryType::Regular | tar::EntryType::Link
            ),
        });
    }
    out
}

/// Manifest layer sizes and non-empty history `created_by`s, read straight from the layout.
pub fn layout_layers(name: &str) -> (String, Vec<u64>, Vec<Option<String>>) {
    let layout = drydock_testkit::images::layout(name);
    let blob = |d: &str| layout.join("blobs").join(d.replace(':', "/"));
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blob(&manifest_digest)).unwrap()).unwrap();
    let sizes = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["size"].as_u64().unwrap())
        .collect();
    let config: serde_json::Value = serde_json::from_slice(
        &std::fs::read(blob(manifest["config"]["digest"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    let created_by = config["history"]
        .as_array()
        .map(|h| {
            h.iter()
                .filter(|e| !e["empty_layer"].as_bool().unwrap_or(false))
                .map(|e| e["created_by"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (manifest_digest, sizes, created_by)
}
