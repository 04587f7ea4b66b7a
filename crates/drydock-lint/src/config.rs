//! `.drydock.toml`: the `[lint]` table, and where it is found.
//!
//! Search order: an explicit `--config FILE` (the CLI passes it to [`Config::load`]); otherwise the first
//! `.drydock.toml` found in the Dockerfile's directory, then each parent directory, stopping after the
//! directory that holds `.git` (the repository root) or at the filesystem root. No file means defaults.

use crate::LintError;
use crate::finding::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The config file's name.
pub const CONFIG_FILE_NAME: &str = ".drydock.toml";

// Other top-level tables (e.g. `[scan]`) belong to other crates: serde ignores them here.
#[derive(Debug, Default, Deserialize)]
struct RawFile {
    #[serde(default)]
    lint: Option<LintSection>,
}

/// The `[lint]` table as written. A CLI that parses the whole `.drydock.toml` with its own
/// `deny_unknown_fields` struct can embed this and turn it into a [`Config`] with [`Config::from_section`].
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LintSection {
    /// Rule codes or names never reported.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity overrides: rule code or name → `error|warning|info|style`.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    /// Lowest severity that fails the run.
    #[serde(default)]
    pub failure_threshold: Option<String>,
    /// Registries images may come from (unset: no check).
    #[serde(default)]
    pub trusted_registries: Option<Vec<String>>,
}

/// Lint settings after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Rule codes (canonical, e.g. `DD003`) never reported.
    pub ignore: Vec<String>,
    /// Severity overrides by rule code.
    pub severity: BTreeMap<String, Severity>,
    /// The lowest severity that makes `exit_code` return 1.
    pub failure_threshold: Severity,
    /// When set, bases from other registries are reported (`untrusted-registry`).
    pub trusted_registries: Option<Vec<String>>,
    /// The file this config came from, if any.
    pub source: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ignore: Vec::new(),
            severity: BTreeMap::new(),
            failure_threshold: Severity::Info,
            trusted_registries: None,
            source: None,
        }
    }
}

impl Config {
    /// Parse config text; rule names are accepted in place of codes, unknown ones are errors.
    pub fn from_toml(text: &str, source: Option<&Path>) -> Result<Config, LintError> {
        let err = |message: String| LintError::Config {
            path: source.map(|p| p.display().to_string()).unwrap_or_default(),
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        Config::from_section(raw.lint.unwrap_or_default(), source)
    }

    /// Validate a `[lint]` table (rule ids and severities) into a config.
    pub fn from_section(lint: LintSection, source: Option<&Path>) -> Result<Config, LintError> {
        let err = |message: String| LintError::Config {
            path: source.map(|p| p.display().to_string()).unwrap_or_default(),
            message,
        };
        let mut cfg = Config {
            source: source.map(Path::to_path_buf),
            ..Config::default()
        };
        for id in &lint.ignore {
            let rule = crate::rules::lookup(id)
                .ok_or_else(|| err(format!("`ignore` names unknown rule `{id}`")))?;
            cfg.ignore.push(rule.code.to_string());
        }
        for (id, sev) in &lint.severity {
            let rule = crate::rules::lookup(id)
                .ok_or_else(|| err(format!("`severity` names unknown rule `{id}`")))?;
            let sev: Severity = sev.parse().map_err(err)?;
            cfg.severity.insert(rule.code.to_string(), sev);
        }
        if let Some(t) = &lint.failure_threshold {
            cfg.failure_threshold = t.parse().map_err(err)?;
        }
        cfg.trusted_registries = lint.trusted_registries;
        Ok(cfg)
    }

    /// Read and parse a config file.
    pub fn load(path: &Path) -> Result<Config, LintError> {
        let text = std::fs::read_to_string(path).map_err(|e| LintError::Config {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Config::from_toml(&text, Some(path))
    }

    /// Find the config for a Dockerfile by the documented search order (see the module docs).
    pub fn discover(explicit: Option<&Path>, dockerfile: &Path) -> Result<Config, LintError> {
        if let Some(p) = explicit {
            return Config::load(p);
        }
        match find_config_file(dockerfile) {
            Some(p) => Config::load(&p),
            None => Ok(Config::default()),
        }
    }

    /// True when `image` (already split) comes from a trusted registry, or no list is configured.
    pub fn registry_trusted(&self, registry: &str) -> bool {
        let Some(list) = &self.trusted_registries else {
            return true;
        };
        let reg = registry.to_ascii_lowercase();
        list.iter().any(|t| {
            let t = t.trim().to_ascii_lowercase();
            let t = t.as_str();
            let hub = |r: &str| {
                matches!(
                    r,
                    "docker.io" | "index.docker.io" | "registry-1.docker.io" | "hub.docker.com"
                )
            };
            if t == "*" {
                true
            } else if let Some(suffix) = t.strip_prefix("*.") {
                reg.ends_with(&format!(".{suffix}"))
            } else {
                reg == t || (hub(t) && hub(&reg))
            }
        })
    }
}

/// The `.drydock.toml` nearest to `dockerfile`, searching up to the repository root.
pub fn find_config_file(dockerfile: &Path) -> Option<PathBuf> {
    let start = if dockerfile.is_dir() {
        dockerfile.to_path_buf()
    } else {
        dockerfile
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    };
    let start = if start.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        start
    };
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        let candidate = d.join(CONFIG_FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let c = Config::from_toml(
            "[lint]\nignore = [\"DD003\", \"no-healthcheck\"]\nfailure-threshold = \"warning\"\ntrusted-registries = [\"docker.io\", \"*.corp.example\"]\n[lint.severity]\nDD001 = \"error\"\n",
            None,
        )
        .unwrap();
        assert_eq!(c.ignore.len(), 2);
        assert!(c.ignore.iter().all(|i| i.starts_with("DD")));
        assert_eq!(c.failure_threshold, Severity::Warning);
        assert_eq!(c.severity.get("DD001"), Some(&Severity::Error));
        assert!(c.registry_trusted("docker.io"));
        assert!(c.registry_trusted("reg.corp.example"));
        assert!(!c.registry_trusted("evil.example"));
        assert!(Config::from_toml("[lint]\nbogus = 1\n", None).is_err());
        assert!(Config::from_toml("[lint]\nignore = [\"DD9999\"]\n", None).is_err());
        assert!(Config::from_toml("[lint.severity]\nDD001 = \"loud\"\n", None).is_err());
    }

    #[test]
    fn discovery_stops_at_repo_root() {
        let base = std::env::temp_dir().join(format!("drydock-lint-cfg-{}", std::process::id()));
        let repo = base.join("repo");
        let sub = repo.join("svc/app");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::write(base.join(CONFIG_FILE_NAME), "[lint]\n").unwrap();
        let df = sub.join("Dockerfile");
        assert_eq!(
            find_config_file(&df),
            None,
            "must not look above the .git dir"
        );
        std::fs::write(repo.join(CONFIG_FILE_NAME), "[lint]\nignore=[\"DD003\"]\n").unwrap();
        assert_eq!(find_config_file(&df), Some(repo.join(CONFIG_FILE_NAME)));
        let c = Config::discover(None, &df).unwrap();
        assert_eq!(c.ignore, ["DD003"]);
        let _ = std::fs::remove_dir_all(&base);
    }
}
