//! The 303 real Dockerfiles of the shared corpus: every one lints without a panic, every finding points
//! at a real line, and every writer renders the result.

mod common;

use drydock_lint::output::{self, Format};
use drydock_lint::{BundledResolver, Config, LintError, lint_source};
use std::collections::BTreeMap;

#[test]
fn conformance_corpus_lints_without_crash() {
    let dir = common::shared_dir().join("conformance/dockerfiles");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n != "INDEX.tsv" && n != "SHA256SUMS" && !n.ends_with(".md")
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 300,
        "expected the 303-file corpus, found {}",
        files.len()
    );
    let mut linted = 0;
    let mut parse_errors = Vec::new();
    let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        let label = path.file_name().unwrap().to_string_lossy().to_string();
        match lint_source(&label, &text, &Config::default(), &BundledResolver) {
            Ok(findings) => {
                linted += 1;
                let nlines = text.lines().count().max(1);
                for f in &findings {
                    assert!(
                        f.span.line >= 1 && f.span.line <= nlines,
                        "{label}: finding past end: {f:?}"
                    );
                    *by_code.entry(f.code.clone()).or_default() += 1;
                }
                for fmt in [
                    Format::Tty,
                    Format::Json,
                    Format::Sarif,
                    Format::Checkstyle,
                    Format::Github,
                ] {
                    let mut buf = Vec::new();
                    output::write(fmt, &findings, &[(&label, &text)], &mut buf).expect("render");
                    assert!(findings.is_empty() || !buf.is_empty());
                }
            }
            Err(LintError::Parse { line, .. }) => parse_errors.push((label, line)),
            Err(e) => panic!("{label}: unexpected error {e}"),
        }
    }
    eprintln!(
        "corpus: {linted}/{} linted, {} parse errors: {parse_errors:?}",
        files.len(),
        parse_errors.len()
    );
    eprintln!("findings by code: {by_code:?}");
    // The parser accepts what BuildKit accepts; a handful of corpus files may be rejected, not more.
    assert!(
        linted * 100 >= files.len() * 95,
        "too many files failed to parse: {parse_errors:?}"
    );
    // The policy rules must fire on real files, and the digest rule must be the most common finding source.
    for code in ["DD003", "DD020", "DD010", "DD040"] {
        assert!(
            by_code.get(code).copied().unwrap_or(0) > 0,
            "{code} never fired on the corpus"
        );
    }
}
