//! BuildKit's own parser test files: AST dumps, must-fail cases, line numbers.

mod common;

use drydock_dockerfile::{dump, parse};

fn parser_dir() -> std::path::PathBuf {
    common::shared_dir().join("conformance/dockerfile-parser")
}

#[test]
fn conformance_buildkit_testfiles_dump() {
    let cases = common::subdirs(&parser_dir().join("testfiles"));
    assert!(
        cases.len() >= 30,
        "expected BuildKit's testfiles, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let src = std::fs::read(case.join("Dockerfile")).unwrap();
        let src = String::from_utf8(src).expect("utf-8");
        let want = std::fs::read_to_string(case.join("result")).unwrap();
        match parse(&src) {
            Ok(df) => {
                let got = dump(&df);
                if got != want {
                    failures.push(format!(
                        "{}:\n--- want\n{want}--- got\n{got}",
                        case.display()
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: error {e}", case.display())),
        }
    }
    eprintln!(
        "buildkit testfiles: {}/{} pass",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn conformance_buildkit_negative() {
    let cases = common::subdirs(&parser_dir().join("testfiles-negative"));
    assert!(cases.len() >= 4);
    for case in &cases {
        let src = std::fs::read_to_string(case.join("Dockerfile")).unwrap();
        let res = parse(&src);
        assert!(
            res.is_err(),
            "{} must fail, got {:?}",
            case.display(),
            res.map(|d| dump(&d))
        );
    }
}

#[test]
fn conformance_buildkit_line_numbers() {
    let src = std::fs::read_to_string(parser_dir().join("testfile-line/Dockerfile")).unwrap();
    let df = parse(&src).unwrap();
    let lines: Vec<(usize, usize)> = df
        .instructions
        .iter()
        .map(|i| (i.span.start_line, i.span.end_line))
        .collect();
    assert_eq!(lines, vec![(5, 5), (11, 12), (17, 31)]);
}
