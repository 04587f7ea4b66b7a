//! Installed Node packages: the `package.json` at the top of each package directory under a
//! `node_modules` folder (project-local, nested, or global such as `/usr/lib/node_modules`).
//!
//! Only `node_modules/<name>/package.json` and `node_modules/@scope/<name>/package.json` are read,
//! not every `package.json` a package ships (test fixtures, templates), which are not installed
//! packages. VS Code extension and Unity package manifests are skipped, as are manifests without a
//! name or version.

use std::collections::BTreeMap;
use std::io::Read;

use drydock_image::Node;
use drydock_image::tree::Kind;
use serde_json::Value;

use super::{read_capped, warning};
use crate::{Cataloger, Context, Package, PackageType, Warning};

const NAME: &str = "node";
/// Manifests with huge embedded READMEs exist, but not beyond this.
const MAX_MANIFEST: u64 = 8 << 20;

/// Whether the path is a package's own manifest inside `node_modules`.
fn is_installed_manifest(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/package.json") else {
        return false;
    };
    let parts: Vec<&str> = dir.rsplit('/').take(3).collect();
    match parts.as_slice() {
        [name, "node_modules", ..] => {
            !name.is_empty() && !name.starts_with('@') && !name.starts_with('.')
        }
        [name, scope, "node_modules"] => {
            scope.starts_with('@') && scope.len() > 1 && !name.is_empty()
        }
        _ => false,
    }
}

/// Finds installed npm packages.
#[derive(Default)]
pub struct NodeCataloger {
    packages: Vec<Package>,
    warnings: Vec<Warning>,
}

impl drydock_image::FileVisitor for NodeCataloger {
    fn wants(&self, path: &str, node: &Node) -> bool {
        node.kind == Kind::File && is_installed_manifest(path)
    }

    fn visit(&mut self, path: &str, node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let Some(bytes) = read_capped(content, MAX_MANIFEST)? else {
            self.warnings.push(warning(
                NAME,
                path,
                format!("larger than {} MiB, not read", MAX_MANIFEST >> 20),
            ));
            return Ok(());
        };
        match parse_manifest(&bytes) {
            Ok(Some(mut p)) => {
                p.locations.push(path.to_string());
                p.layer = Some(node.layer);
                self.packages.push(p);
            }
            Ok(None) => {}
            Err(e) => self.warnings.push(warning(NAME, path, e)),
        }
        Ok(())
    }
}

impl Cataloger for NodeCataloger {
    fn name(&self) -> &'static str {
        NAME
    }

    fn finish(self: Box<Self>, _ctx: &Context) -> (Vec<Package>, Vec<Warning>) {
        (self.packages, self.warnings)
    }
}

/// Parses a `package.json`: `Ok(None)` for manifests that are not installable npm packages.
pub fn parse_manifest(bytes: &[u8]) -> Result<Option<Package>, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    let Some(obj) = v.as_object() else {
        return Err("not a JSON object".to_string());
    };
    let text = |k: &str| {
        obj.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
    };
    let (name, version) = (text("name"), text("version"));
    if name.is_empty() || version.is_empty() {
        return Ok(None);
    }
    // VS Code extensions declare the editor as an engine or what they contribute to it.
    let is_vscode_extension = obj
        .get("engines")
        .and_then(Value::as_object)
        .is_some_and(|e| e.contains_key("vscode"))
        || obj.get("contributes").is_some_and(Value::is_object);
    let is_unity_package = obj.get("unity").is_some_and(|u| u.is_string());
    if is_vscode_extension || is_unity_package {
        return Ok(None);
    }
    let (namespace, short) = match name.split_once('/') {
        Some((scope, rest)) if scope.starts_with('@') => (Some(scope), rest),
        _ => (None, name),
    };
    let purl = super::purl("npm", namespace, short, version);
    let mut p = Package::new(PackageType::Npm, name, version, purl);
    p.licenses = licenses(obj);
    p.license_expression = crate::license::combine(&p.licenses);
    let mut md = BTreeMap::new();
    if let Some(a) = obj.get("author").and_then(person) {
        md.insert("author".to_string(), a);
    }
    for k in ["homepage", "description"] {
        let v = text(k);
        if !v.is_empty() && v.len() <= 1024 {
            md.insert(k.to_string(), v.to_string());
        }
    }
    p.metadata = md;
    Ok(Some(p))
}

/// `license` as a string, an object `{type}` or an array of those; the legacy `licenses` array.
fn licenses(obj: &serde_json::Map<String, Value>) -> Vec<String> {
    fn one(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
            Value::Object(o) => {
                if let Some(Value::String(s)) = o.get("type").or_else(|| o.get("name"))
                    && !s.trim().is_empty()
                {
                    out.push(s.trim().to_string());
                }
            }
            Value::Array(a) => a.iter().take(64).for_each(|x| one(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(v) = obj.get("license") {
        one(v, &mut out);
    }
    if out.is_empty()
        && let Some(v) = obj.get("licenses")
    {
        one(v, &mut out);
    }
    out.dedup();
    out
}

/// A person as `Name <email> (url)`, from either form npm accepts.
fn person(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Object(o) => {
            let get = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").trim();
            let mut s = get("name").to_string();
            if !get("email").is_empty() {
                s = format!("{s} <{}>", get("email")).trim().to_string();
            }
            if !get("url").is_empty() {
                s = format!("{s} ({})", get("url")).trim().to_string();
            }
            (!s.is_empty()).then_some(s)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths() {
        assert!(is_installed_manifest(
            "/app/node_modules/express/package.json"
        ));
        assert!(is_installed_manifest(
            "/app/node_modules/@babel/core/package.json"
        ));
        assert!(is_installed_manifest(
            "/usr/local/lib/node_modules/npm/node_modules/abbrev/package.json"
        ));
        assert!(!is_installed_manifest("/app/package.json"));
        assert!(!is_installed_manifest(
            "/app/node_modules/express/lib/package.json"
        ));
        assert!(!is_installed_manifest(
            "/app/node_modules/@babel/package.json"
        ));
        assert!(!is_installed_manifest(
            "/app/node_modules/.bin/package.json"
        ));
        assert!(!is_installed_manifest(
            "/app/node_modules/a/test/node_modules/package.json"
        ));
    }

    #[test]
    fn license_forms() {
        let p = |s: &str| parse_manifest(s.as_bytes()).unwrap().unwrap().licenses;
        assert_eq!(p(r#"{"name":"a","version":"1","license":"MIT"}"#), ["MIT"]);
        assert_eq!(
            p(r#"{"name":"a","version":"1","license":{"type":"ISC"}}"#),
            ["ISC"]
        );
        assert_eq!(
            p(r#"{"name":"a","version":"1","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}"#),
            ["MIT", "Apache-2.0"]
        );
    }

    #[test]
    fn scoped_purl() {
        let p = parse_manifest(br#"{"name":"@types/node","version":"20.1.0","license":"mit"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(p.purl, "pkg:npm/%40types/node@20.1.0");
        assert_eq!(p.license_expression.as_deref(), Some("MIT"));
        assert_eq!(p.name, "@types/node");
    }

    #[test]
    fn hostile_json_is_an_error() {
        assert!(parse_manifest(b"[").is_err());
        assert!(parse_manifest(b"[1,2]").is_err());
        let deep = "[".repeat(100_000);
        assert!(parse_manifest(deep.as_bytes()).is_err());
    }
}
