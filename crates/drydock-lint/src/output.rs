//! Writers: tty, JSON, SARIF 2.1.0, Checkstyle XML and GitHub workflow annotations.
//!
//! Every writer takes any `std::io::Write`, so tests render into a `Vec<u8>`.

use crate::finding::{Finding, Severity};
use crate::rules::{self, Rule};
use serde_json::json;
use std::io::{self, Write};
use std::str::FromStr;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable: `file:line:col: severity[CODE] message`, the source line and a caret.
    Tty,
    /// `{"schema": "drydock-lint/1", "findings": [...]}` (see docs/lint.md).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// Checkstyle XML.
    Checkstyle,
    /// GitHub Actions workflow commands (`::error file=…::msg`).
    Github,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "tty" | "text" | "human" => Format::Tty,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "checkstyle" => Format::Checkstyle,
            "github" | "gha" | "github-actions" => Format::Github,
            other => {
                return Err(format!(
                    "unknown format `{other}` (tty, json, sarif, checkstyle, github)"
                ));
            }
        })
    }
}

/// The JSON document's `schema` value.
pub const JSON_SCHEMA: &str = "drydock-lint/1";

/// Render `findings` in `format`. `sources` maps path labels to file text (used by the tty caret).
pub fn write(
    format: Format,
    findings: &[Finding],
    sources: &[(&str, &str)],
    w: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Tty => write_tty(findings, sources, w),
        Format::Json => write_json(findings, w),
        Format::Sarif => write_sarif(findings, w),
        Format::Checkstyle => write_checkstyle(findings, w),
        Format::Github => write_github(findings, w),
    }
}

/// `file:line:col: severity[CODE name] message`, then the source line and a caret under the span.
pub fn write_tty(
    findings: &[Finding],
    sources: &[(&str, &str)],
    w: &mut dyn Write,
) -> io::Result<()> {
    // Split each source into lines once: findings are many, files can be long.
    let split: Vec<(&str, Vec<&str>)> = sources
        .iter()
        .map(|(l, t)| (*l, t.lines().collect()))
        .collect();
    for f in findings {
        writeln!(
            w,
            "{}:{}:{}: {}[{} {}] {}",
            f.file, f.span.line, f.span.col, f.severity, f.code, f.name, f.message
        )?;
        if let Some(src) = &f.fact_source {
            writeln!(w, "  = fact from {src}")?;
        }
        let lines = split.iter().find(|(l, _)| *l == f.file).map(|(_, ls)| ls);
        if let Some(line) = lines.and_then(|ls| ls.get(f.span.line.saturating_sub(1))) {
            let line = line.trim_end_matches('\r');
            let num = f.span.line.to_string();
            writeln!(w, "{} | {}", num, line)?;
            let chars = line.chars().count();
            let start = f.span.col.saturating_sub(1).min(chars);
            let width = if f.span.end > f.span.col {
                (f.span.end - f.span.col)
                    .min(chars.saturating_sub(start))
                    .max(1)
            } else {
                chars.saturating_sub(start).max(1)
            };
            // Keep tabs so the caret lines up with the source line.
            let pad: String = line
                .chars()
                .take(start)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(
                w,
                "{} | {}{}",
                " ".repeat(num.len()),
                pad,
                "^".repeat(width)
            )?;
        }
    }
    Ok(())
}

/// The JSON document: the serde form of [`Finding`] in a versioned envelope.
pub fn write_json(findings: &[Finding], w: &mut dyn Write) -> io::Result<()> {
    let doc = json!({ "schema": JSON_SCHEMA, "findings": findings });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Style => "note",
    }
}

fn rule_doc_path(r: &Rule) -> String {
    format!("docs/rules/{}-{}.md", r.code, r.name)
}

/// SARIF 2.1.0 with one run, every registered rule in `tool.driver.rules`.
pub fn write_sarif(findings: &[Finding], w: &mut dyn Write) -> io::Result<()> {
    let rules_json: Vec<_> = rules::RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary() },
                "fullDescription": { "text": r.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n") },
                "help": { "text": format!("See {}", rule_doc_path(r)) },
                "defaultConfiguration": { "level": sarif_level(r.severity) },
            })
        })
        .collect();
    let results: Vec<_> = findings
        .iter()
        .map(|f| {
            let idx = rules::RULES.iter().position(|r| r.code == f.code);
            let mut region = json!({ "startLine": f.span.line, "startColumn": f.span.col });
            if let (Some(line), Some(col)) = (f.span.end_line, f.span.end_col) {
                region["endLine"] = json!(line);
                region["endColumn"] = json!(col);
            } else if f.span.end > f.span.col {
                region["endColumn"] = json!(f.span.end);
            }
            let mut r = json!({
                "ruleId": f.code,
                "level": sarif_level(f.severity),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri_reference(&f.file) },
                        "region": region,
                    }
                }],
                "properties": { "severity": f.severity.as_str(), "name": f.name },
            });
            if let Some(i) = idx {
                r["ruleIndex"] = json!(i);
            }
            if let Some(src) = &f.fact_source {
                r["properties"]["factSource"] = json!(src);
            }
            r
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "drydock",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules_json,
            }},
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

/// A path label as a SARIF `uri-reference`: forward slashes, unsafe characters percent-encoded.
fn uri_reference(path: &str) -> String {
    let mut o = String::new();
    for c in path.replace('\\', "/").chars() {
        match c {
            'A'..='Z'
            | 'a'..='z'
            | '0'..='9'
            | '-'
            | '.'
            | '_'
            | '~'
            | '/'
            | ':'
            | '@'
            | '!'
            | '$'
            | '&'
            | '\''
            | '('
            | ')'
            | '*'
            | '+'
            | ','
            | ';'
            | '=' => o.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    o.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    o
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => o.push(c),
        }
    }
    o
}

/// Checkstyle 4.3 XML, findings grouped by file in first-seen order.
pub fn write_checkstyle(findings: &[Finding], w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(w, "<checkstyle version=\"4.3\">")?;
    let mut files: Vec<&str> = Vec::new();
    for f in findings {
        if !files.contains(&f.file.as_str()) {
            files.push(&f.file);
        }
    }
    for file in files {
        writeln!(w, "  <file name=\"{}\">", xml_escape(file))?;
        for f in findings.iter().filter(|f| f.file == file) {
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info | Severity::Style => "info",
            };
            writeln!(
                w,
                "    <error line=\"{}\" column=\"{}\" severity=\"{}\" message=\"{}\" source=\"drydock.{}\"/>",
                f.span.line,
                f.span.col,
                sev,
                xml_escape(&f.message),
                xml_escape(&f.code)
            )?;
        }
        writeln!(w, "  </file>")?;
    }
    writeln!(w, "</checkstyle>")
}

fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_escape_prop(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands, one per finding.
pub fn write_github(findings: &[Finding], w: &mut dyn Write) -> io::Result<()> {
    for f in findings {
        let cmd = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info | Severity::Style => "notice",
        };
        let mut props = format!(
            "file={},line={},col={}",
            gh_escape_prop(&f.file),
            f.span.line,
            f.span.col
        );
        if let Some(line) = f.span.end_line {
            props.push_str(&format!(",endLine={line}"));
        } else if f.span.end > f.span.col {
            props.push_str(&format!(",endColumn={}", f.span.end));
        }
        props.push_str(&format!(
            ",title={}",
            gh_escape_prop(&format!("{} {}", f.code, f.name))
        ));
        writeln!(w, "::{cmd} {props}::{}", gh_escape_data(&f.message))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Span;

    fn sample() -> Vec<Finding> {
        vec![Finding {
            code: "DD003".into(),
            name: "base-image-not-digest-pinned".into(),
            severity: Severity::Warning,
            message: "a <b> & 50%, c:d\nx".into(),
            span: Span {
                line: 2,
                col: 6,
                end: 11,
                end_line: None,
                end_col: None,
            },
            file: "svc/Dockerfile".into(),
            fact_source: Some("bundled table: alpine".into()),
        }]
    }

    fn render(fmt: Format) -> String {
        let mut buf = Vec::new();
        write(
            fmt,
            &sample(),
            &[("svc/Dockerfile", "# x\nFROM alpine:3\n")],
            &mut buf,
        )
        .unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn tty_has_caret_under_span() {
        let out = render(Format::Tty);
        assert!(out.starts_with("svc/Dockerfile:2:6: warning[DD003 base-image-not-digest-pinned]"));
        assert!(out.contains("2 | FROM alpine:3\n  |      ^^^^^\n"), "{out}");
        assert!(out.contains("fact from bundled table: alpine"));
    }

    #[test]
    fn json_round_trips() {
        let v: serde_json::Value = serde_json::from_str(&render(Format::Json)).unwrap();
        assert_eq!(v["schema"], JSON_SCHEMA);
        let back: Vec<Finding> = serde_json::from_value(v["findings"].clone()).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn checkstyle_escapes() {
        let out = render(Format::Checkstyle);
        assert!(out.contains("message=\"a &lt;b&gt; &amp; 50%, c:d\nx\""));
        assert!(out.contains("<file name=\"svc/Dockerfile\">"));
        assert!(out.contains("source=\"drydock.DD003\""));
    }

    #[test]
    fn github_escapes() {
        let out = render(Format::Github);
        assert_eq!(
            out,
            "::warning file=svc/Dockerfile,line=2,col=6,endColumn=11,title=DD003 base-image-not-digest-pinned::a <b> & 50%25, c:d%0Ax\n"
        );
    }

    #[test]
    fn sarif_shape() {
        let v: serde_json::Value = serde_json::from_str(&render(Format::Sarif)).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let res = &v["runs"][0]["results"][0];
        assert_eq!(res["ruleId"], "DD003");
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(v["runs"][0]["tool"]["driver"]["rules"][idx]["id"], "DD003");
        assert_eq!(res["properties"]["factSource"], "bundled table: alpine");
    }

    #[test]
    fn multi_line_instructions_carry_their_end() {
        let text = "FROM debian:12\nRUN apt-get update \\\n && apt-get install -y curl\n";
        let findings = crate::lint_source(
            "Dockerfile",
            text,
            &crate::Config::default(),
            &crate::BundledResolver,
        )
        .unwrap();
        let f = findings
            .iter()
            .find(|f| f.code == "DD020")
            .expect("apt lists finding on the RUN");
        assert_eq!(
            (f.span.line, f.span.end_line, f.span.end_col),
            (2, Some(3), Some(28))
        );
        let mut buf = Vec::new();
        write(Format::Sarif, std::slice::from_ref(f), &[], &mut buf).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        let region = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], 2);
        assert_eq!(region["endLine"], 3);
        assert_eq!(region["endColumn"], 28);
        let mut gh = Vec::new();
        write(Format::Github, std::slice::from_ref(f), &[], &mut gh).unwrap();
        let gh = String::from_utf8(gh).unwrap();
        assert!(gh.contains(",line=2,col=1,endLine=3,"), "{gh}");
        let mut js = Vec::new();
        write(Format::Json, std::slice::from_ref(f), &[], &mut js).unwrap();
        let js: serde_json::Value = serde_json::from_slice(&js).unwrap();
        assert_eq!(js["findings"][0]["span"]["end_line"], 3);
        // A one-line finding has no end line anywhere.
        let one = &sample()[0];
        let mut buf = Vec::new();
        write(Format::Sarif, std::slice::from_ref(one), &[], &mut buf).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        let region = &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
        assert!(region.get("endLine").is_none());
        assert_eq!(region["endColumn"], 11);
    }

    #[test]
    fn sarif_uri_is_encoded() {
        assert_eq!(
            uri_reference("dir with space\\Docker#file"),
            "dir%20with%20space/Docker%23file"
        );
        assert_eq!(uri_reference("ä"), "%C3%A4");
    }

    #[test]
    fn formats_parse() {
        assert_eq!("SARIF".parse::<Format>().unwrap(), Format::Sarif);
        assert!("xml".parse::<Format>().is_err());
    }
}
