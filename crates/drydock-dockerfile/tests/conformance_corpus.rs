//! The real-world Dockerfile corpus: every file parses (or fails the way BuildKit would), and no
//! prefix or byte-flipped variant makes the parser panic.

mod common;

use drydock_dockerfile::{Args, InstructionKind, parse_bytes, validate};
use std::path::PathBuf;

/// Files BuildKit itself rejects, with the reason. Key: file name in the corpus.
const EXPECTED_ERRORS: &[(&str, &str)] = &[
    (
        "google__osv-scalibr__extractor__filesystem__containers__dockerbaseimage__testdata__dockerfile.empty",
        "empty test fixture: BuildKit's parser says \"file with no instructions\"",
    ),
    (
        "google__osv-scalibr__extractor__filesystem__containers__dockerbaseimage__testdata__dockerfile.invalid",
        "test fixture with RUN and no FROM: BuildKit says \"no build stage in current context\"",
    ),
    (
        "google__osv-scanner__action.dockerfile",
        "ENTRYPOINT's JSON array spans lines without continuations; BuildKit reads `\"bash\",` as an \
         instruction: \"unknown instruction\"",
    ),
    (
        "kubernetes__kubernetes__test__images__agnhost__Dockerfile",
        "template: CROSS_BUILD_COPY is replaced by the Makefile; BuildKit says \"unknown instruction\"",
    ),
    (
        "kubernetes__kubernetes__test__images__jessie-dnsutils__Dockerfile",
        "template: CROSS_BUILD_COPY is replaced by the Makefile; BuildKit says \"unknown instruction\"",
    ),
    (
        "kubernetes__kubernetes__test__images__pets__redis-installer__Dockerfile",
        "template: CROSS_BUILD_COPY is replaced by the Makefile; BuildKit says \"unknown instruction\"",
    ),
];

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = common::shared_dir().join("conformance/dockerfiles");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !matches!(n.as_str(), "INDEX.tsv" | "SHA256SUMS" | "README.md"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let path: PathBuf = dir.join(&name);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push((name, bytes));
    }
    assert!(out.len() >= 300, "corpus has {} files", out.len());
    out
}

#[test]
fn conformance_corpus_parses() {
    let mut unexpected = Vec::new();
    let mut ok = 0;
    let (mut heredoc_files, mut syntax_files, mut multi_stage, mut crlf_files) = (0, 0, 0, 0);
    let files = corpus();
    for (name, bytes) in &files {
        let expected = EXPECTED_ERRORS.iter().find(|(n, _)| n == name);
        let res = parse_bytes(bytes).map_err(|e| vec![e]).and_then(|df| {
            let errs = validate(&df);
            if errs.is_empty() { Ok(df) } else { Err(errs) }
        });
        match (res, expected) {
            (Ok(df), None) => {
                ok += 1;
                heredoc_files +=
                    usize::from(df.instructions.iter().any(|i| !i.heredocs.is_empty()));
                syntax_files += usize::from(df.directive("syntax").is_some());
                multi_stage += usize::from(df.stages.len() > 1);
                if bytes.contains(&b'\r') {
                    crlf_files += 1;
                    assert!(
                        df.instructions.iter().all(|i| !i.original.contains('\r')),
                        "{name}: CR kept"
                    );
                }
                if name.contains("dchapes-mode") {
                    // A blank first line ends the directive block, so BuildKit ignores its `# syntax=`.
                    assert_eq!(df.directive("syntax"), None);
                }
                assert!(!df.stages.is_empty(), "{name}: no stages");
                for inst in &df.instructions {
                    assert!(
                        inst.span.start_line >= 1 && inst.span.end_line >= inst.span.start_line
                    );
                    if inst.kind == InstructionKind::Run {
                        assert!(!matches!(inst.args, Args::None) || !inst.heredocs.is_empty());
                    }
                }
            }
            (Ok(_), Some((_, why))) => {
                unexpected.push(format!("{name}: parsed, but expected error ({why})"))
            }
            (Err(e), None) => unexpected.push(format!(
                "{name}: {}",
                e.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            (Err(_), Some(_)) => {}
        }
    }
    eprintln!("corpus: {ok}/{} parse and validate cleanly", files.len());
    // Feature counts over the cleanly parsing files (the corpus README counts by grep over all files).
    assert_eq!(
        (heredoc_files, syntax_files, multi_stage, crlf_files),
        (38, 45, 127, 1),
        "heredoc, syntax-directive, multi-stage, CRLF file counts"
    );
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    assert_eq!(ok + EXPECTED_ERRORS.len(), files.len());
}

/// The source text a single-line span covers (`None` for multi-line spans).
fn text_at(lines: &[&str], s: drydock_dockerfile::Span) -> Option<String> {
    if s.start_line != s.end_line {
        return None;
    }
    let line = lines.get(s.start_line - 1)?;
    Some(
        line.chars()
            .skip(s.start_col - 1)
            .take(s.end_col - s.start_col)
            .collect(),
    )
}

#[test]
fn conformance_corpus_spans_point_at_the_text() {
    let mut checked = 0usize;
    for (name, bytes) in corpus() {
        let Ok(df) = parse_bytes(&bytes) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
        let lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
        for inst in &df.instructions {
            let kw = text_at(&lines, inst.keyword_span).unwrap();
            assert_eq!(
                kw.to_uppercase(),
                inst.keyword,
                "{name}: keyword at {}",
                inst.keyword_span
            );
            for f in &inst.flags {
                let t = text_at(&lines, f.span).unwrap_or_default();
                assert!(
                    t.starts_with("--"),
                    "{name}: flag {} at {} is {t:?}",
                    f.raw,
                    f.span
                );
                if !t.contains(['"', '\'', '\\']) {
                    assert_eq!(t, f.raw, "{name}: flag at {}", f.span);
                }
                checked += 1;
            }
            if let Args::Words(w) = &inst.args {
                assert_eq!(w.len(), inst.word_spans.len(), "{name}: word spans");
                for (word, sp) in w.iter().zip(&inst.word_spans) {
                    if let Some(t) = text_at(&lines, *sp) {
                        assert_eq!(&t, word, "{name}: word at {sp}");
                        checked += 1;
                    }
                }
            }
            for h in &inst.heredocs {
                let term = lines[h.span.end_line - 1];
                assert_eq!(
                    term.trim_start_matches('\t'),
                    h.name,
                    "{name}: heredoc terminator"
                );
            }
        }
        for c in &df.comments {
            assert!(
                lines[c.line - 1].chars().nth(c.col - 1) == Some('#'),
                "{name}: comment at {}",
                c.line
            );
        }
    }
    assert!(checked > 3000, "only {checked} spans checked");
}

#[test]
fn conformance_corpus_no_panics_on_prefixes_and_flips() {
    let files = corpus();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut runs = 0usize;
    for (_, bytes) in &files {
        // Prefixes at a handful of cut points (every line end would be slow in debug builds).
        for k in 0..8 {
            let cut = (bytes.len() * k) / 8 + (rand() as usize % 7);
            let cut = cut.min(bytes.len());
            if let Ok(df) = parse_bytes(&bytes[..cut]) {
                let _ = validate(&df);
            }
            runs += 1;
        }
        for _ in 0..8 {
            let mut b = bytes.clone();
            if b.is_empty() {
                continue;
            }
            for _ in 0..1 + rand() % 4 {
                let i = rand() as usize % b.len();
                let choices = [
                    b'\\', b'`', b'"', b'\'', b'\n', b'[', b']', b'$', b'{', b'<', b'-', b'#',
                    b'=', 0x80,
                ];
                b[i] = if rand() % 2 == 0 {
                    choices[rand() as usize % choices.len()]
                } else {
                    rand() as u8
                };
            }
            if let Ok(df) = parse_bytes(&b) {
                let _ = validate(&df);
                let _ = drydock_dockerfile::dump(&df);
            }
            runs += 1;
        }
    }
    assert!(runs > 4000, "only {runs} fuzz runs");
}
