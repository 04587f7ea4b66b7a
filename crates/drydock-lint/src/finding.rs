//! The finding type every rule emits and every writer renders.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How serious a finding is; ordered so that `Error > Warning > Info > Style`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Cosmetic or stylistic.
    Style,
    /// Worth knowing; rarely a problem alone.
    Info,
    /// Likely a problem.
    Warning,
    /// Breaks the image or the policy.
    Error,
}

impl Severity {
    /// The lowercase name used in config, JSON and pragmas.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Style => "style",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "style" => Ok(Severity::Style),
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity `{other}` (expected error, warning, info or style)"
            )),
        }
    }
}

/// Where a finding points: 1-based line and column, and the 1-based column just past its end on `line`
/// (`end == col` means "the whole line from col"). A finding over several lines (an instruction with
/// continuation lines) also carries its last line and the column just past its end there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column of the first character.
    pub col: usize,
    /// 1-based column one past the last character on `line`.
    pub end: usize,
    /// The last line, when the finding spans more than one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    /// With `end_line`: the 1-based column one past the last character on `end_line`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_col: Option<usize>,
}

impl Span {
    /// A span covering `len` characters starting at `line:col`.
    pub fn new(line: usize, col: usize, len: usize) -> Self {
        Span {
            line: line.max(1),
            col: col.max(1),
            end: col.max(1) + len,
            end_line: None,
            end_col: None,
        }
    }
}

/// One problem found in one Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule code, e.g. `DD003`.
    pub code: String,
    /// Kebab-case rule name, e.g. `base-image-not-digest-pinned`.
    pub name: String,
    /// Severity after config overrides.
    pub severity: Severity,
    /// Human-readable message.
    pub message: String,
    /// Location in the file.
    pub span: Span,
    /// The path label the file was linted under.
    pub file: String,
    /// Where a base-image fact used by this finding came from, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fact_source: Option<String>,
}
