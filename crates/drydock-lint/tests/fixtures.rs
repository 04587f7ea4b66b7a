//! Fixture Dockerfiles under `tests/fixtures/`. A comment `# expect CODE[,CODE…]` marks the next
//! instruction as expected to produce those findings.
//!
//! - `<rule-name>.Dockerfile`: the findings *of that rule* must be exactly the expected ones (hits and
//!   non-hits in one file).
//! - any other name (scenarios such as the ADR examples): *all* findings must be exactly the expected ones.

use drydock_lint::{BundledResolver, Config, lint_source, rules};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn expected(text: &str) -> BTreeSet<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = BTreeSet::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(codes) = l.trim().strip_prefix("# expect ") else {
            continue;
        };
        // The next line that is neither blank nor a comment starts the instruction.
        let target = (i + 1..lines.len())
            .find(|&j| {
                let t = lines[j].trim();
                !t.is_empty() && !t.starts_with('#')
            })
            .expect("an instruction after # expect");
        for c in codes.split(',') {
            out.insert((target + 1, c.trim().to_string()));
        }
    }
    out
}

#[test]
fn fixtures_match_expectations() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    paths.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for p in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
    {
        let text = std::fs::read_to_string(p).unwrap();
        let stem = p.file_stem().unwrap().to_string_lossy().to_string();
        let findings = lint_source(&stem, &text, &Config::default(), &BundledResolver).unwrap();
        let want = expected(&text);
        let only = rules::lookup(&stem).map(|r| r.code);
        let got: BTreeSet<(usize, String)> = findings
            .iter()
            .filter(|f| only.is_none_or(|c| f.code == c))
            .map(|f| (f.span.line, f.code.clone()))
            .collect();
        let want: BTreeSet<_> = want
            .into_iter()
            .filter(|(_, c)| only.is_none_or(|o| c == o))
            .collect();
        if only.is_some() {
            assert!(
                !want.is_empty(),
                "{stem}: a rule fixture needs at least one hit"
            );
        }
        if got != want {
            failures.push(format!(
                "{stem}: missing {:?}, unexpected {:?}",
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>()
            ));
        }
        checked += 1;
    }
    assert!(checked >= 10, "expected fixtures, found {checked}");
    assert!(failures.is_empty(), "{failures:#?}");
}
