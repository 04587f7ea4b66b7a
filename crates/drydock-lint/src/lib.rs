//! drydock-lint: checks Dockerfiles against the base-image hardening policy and against what the base images
//! really contain.
//!
//! Owns: the rule registry ([`rules::RULES`]), inline pragmas, `.drydock.toml`'s `[lint]` table, the bundled
//! base-image facts table and the output writers. Must not know how images are fetched: facts come in
//! through [`BaseResolver`], which the CLI implements for real images.
//!
//! ```no_run
//! use drydock_lint::{lint_source, Config, BundledResolver, exit_code, output};
//! let findings = lint_source("Dockerfile", "FROM alpine\n", &Config::default(), &BundledResolver).unwrap();
//! output::write(output::Format::Tty, &findings, &[("Dockerfile", "FROM alpine\n")], &mut std::io::stderr()).unwrap();
//! let code = exit_code(&findings, Config::default().failure_threshold);
//! # let _ = code;
//! ```

pub mod config;
pub mod ctx;
pub mod docs;
pub mod facts;
pub mod finding;
pub mod imageref;
pub mod output;
pub mod pkg;
pub mod pragma;
pub mod rules;
pub mod shell;

pub use config::{Config, LintSection};
pub use facts::{BaseFacts, BaseResolver, BundledResolver, FirstOf, Libc, NoFacts};
pub use finding::{Finding, Severity, Span};
pub use output::Format;
pub use rules::{RULES, Rule};

use std::path::Path;

/// Errors that stop a file from being linted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LintError {
    /// The Dockerfile does not parse.
    #[error("{file}:{line}:{col}: parse error: {message}")]
    Parse {
        /// Path label.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What went wrong.
        message: String,
    },
    /// The config file is invalid or unreadable.
    #[error("config {path}: {message}")]
    Config {
        /// The config path (empty for text given directly).
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The Dockerfile cannot be read.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// Lint one Dockerfile's text. `path_label` is only used to label findings.
///
/// Findings come back sorted by line, column and code, with config ignores, inline pragmas and severity
/// overrides applied, plus `unused-ignore`/`unknown-ignore-code` findings for pragmas that did nothing.
pub fn lint_source(
    path_label: &str,
    text: &str,
    config: &Config,
    resolver: &dyn BaseResolver,
) -> Result<Vec<Finding>, LintError> {
    let df = drydock_dockerfile::parse(text).map_err(|e| LintError::Parse {
        file: path_label.to_string(),
        line: e.line(),
        col: e.col(),
        message: e.message.clone(),
    })?;
    let ctx = ctx::Ctx::new(&df, text, config, resolver);
    let mut sink = ctx::Sink {
        findings: Vec::new(),
        file: path_label.to_string(),
    };
    for rule in RULES {
        if config.ignore.iter().any(|c| c == rule.code) {
            continue;
        }
        (rule.check)(&ctx, &mut sink);
    }
    let mut findings = sink.findings;
    let pragmas = pragma::collect(&df);
    let used = pragma::apply(&pragmas, &mut findings);
    let mut extra = ctx::Sink {
        findings: Vec::new(),
        file: path_label.to_string(),
    };
    for (p, used) in pragmas.iter().zip(used) {
        if p.foreign {
            continue;
        }
        let span = drydock_dockerfile::ast::Span::new(p.line, p.col, p.line, p.col + 1);
        for ((id, rules), used) in p.ids.iter().zip(used) {
            if rules.is_empty() {
                extra.emit(
                    &rules::unknown_ignore_code::RULE,
                    span,
                    format!("`{id}` in this ignore pragma names no drydock rule"),
                );
            } else if !used
                && !rules
                    .iter()
                    .any(|r| config.ignore.iter().any(|c| c == r.code))
            {
                let message = match p.inside {
                    Some(line) => format!(
                        "ignore of `{id}` sits in the continuation lines of the instruction on line {line}, where BuildKit drops comments: it applies to nothing; put it above the instruction"
                    ),
                    None => {
                        let what = if p.global {
                            "this file"
                        } else {
                            "the next instruction"
                        };
                        format!(
                            "ignore of `{id}` suppressed nothing: no such finding in {what}; remove it"
                        )
                    }
                };
                extra.emit(&rules::unused_ignore::RULE, span, message);
            }
        }
    }
    // Pragma findings can themselves be ignored (e.g. `# drydock global ignore=DD090`).
    let mut extra_findings = extra.findings;
    let _ = pragma::apply(&pragmas, &mut extra_findings);
    findings.extend(
        extra_findings
            .into_iter()
            .filter(|f| !config.ignore.contains(&f.code)),
    );
    for f in &mut findings {
        if let Some(s) = config.severity.get(&f.code) {
            f.severity = *s;
        }
    }
    findings.sort_by(|a, b| {
        (a.span.line, a.span.col, &a.code, &a.message).cmp(&(
            b.span.line,
            b.span.col,
            &b.code,
            &b.message,
        ))
    });
    findings.dedup();
    // BuildKit's generic rejection gives way to a rule that explains the same line as an error.
    let explained: std::collections::HashSet<usize> = findings
        .iter()
        .filter(|f| f.code != rules::buildkit_rejects::RULE.code && f.severity == Severity::Error)
        .map(|f| f.span.line)
        .collect();
    findings.retain(|f| {
        f.code != rules::buildkit_rejects::RULE.code || !explained.contains(&f.span.line)
    });
    Ok(findings)
}

/// Read and lint a Dockerfile from disk (the path is used as the label).
pub fn lint_path(
    path: &Path,
    config: &Config,
    resolver: &dyn BaseResolver,
) -> Result<Vec<Finding>, LintError> {
    let bytes = std::fs::read(path).map_err(|e| LintError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let text = String::from_utf8_lossy(&bytes);
    lint_source(&path.display().to_string(), &text, config, resolver)
}

/// 1 if any finding's severity reaches `threshold`, else 0.
pub fn exit_code(findings: &[Finding], threshold: Severity) -> i32 {
    i32::from(findings.iter().any(|f| f.severity >= threshold))
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    /// Lint with defaults and the bundled table.
    pub fn lint(text: &str) -> Vec<Finding> {
        lint_source("Dockerfile", text, &Config::default(), &BundledResolver).expect("parses")
    }

    /// Lines where `code` was reported.
    pub fn lines(text: &str, code: &str) -> Vec<usize> {
        lint(text)
            .iter()
            .filter(|f| f.code == code)
            .map(|f| f.span.line)
            .collect()
    }

    /// Messages of `code` findings.
    pub fn messages(text: &str, code: &str) -> Vec<String> {
        lint(text)
            .into_iter()
            .filter(|f| f.code == code)
            .map(|f| f.message)
            .collect()
    }
}
