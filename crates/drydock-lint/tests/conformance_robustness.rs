//! No panic on any input: truncated and mangled versions of the corpus files, and hand-made oddities,
//! must lint or fail with an error, never panic.

mod common;

use drydock_lint::{BundledResolver, Config, lint_source};

fn lint_any(text: &str) -> usize {
    match lint_source("x", text, &Config::default(), &BundledResolver) {
        Ok(f) => f.len(),
        Err(_) => 0,
    }
}

#[test]
fn conformance_mangled_corpus_never_panics() {
    let dir = common::shared_dir().join("conformance/dockerfiles");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("corpus").flatten() {
        let bytes = std::fs::read(e.path()).unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let chars: Vec<char> = text.chars().collect();
        for k in 1..4 {
            let cut: String = chars[..chars.len() * k / 4].iter().collect();
            lint_any(&cut);
            n += 1;
        }
        // Drop every third line: breaks continuations, heredocs and quotes in odd places.
        let mangled: String = text
            .lines()
            .enumerate()
            .filter(|(i, _)| i % 3 != 1)
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        lint_any(&mangled);
        n += 1;
    }
    assert!(n > 1000, "only {n} variants linted");
}

#[test]
fn odd_inputs_never_panic() {
    let odd = [
        "",
        "\n\n",
        "# only a comment\n",
        "FROM",
        "FROM \n",
        "FROM @\n",
        "FROM :\n",
        "FROM a@sha256:\n",
        "FROM ${X:-}\nRUN\n",
        "FROM scratch\nCMD\nENTRYPOINT []\nHEALTHCHECK CMD\nHEALTHCHECK NONE\n",
        "FROM alpine\nRUN <<EOF\napk add x\n",
        "FROM alpine\nRUN 'unterminated \"quote\n",
        "FROM alpine\nRUN \\\n",
        "FROM alpine\nCOPY --from= a b\nCOPY --from=999 a b\nRUN --mount=from= x\n",
        "FROM alpine\nEXPOSE -1 99999999999999999999 a-b 1-/udp\n",
        "FROM alpine\nUSER\nUSER :\nWORKDIR\nWORKDIR ''\n",
        "FROM alpine\nRUN sh -c 'sh -c \"sh -c \\\"sh -c x\\\"\"'\n",
        "FROM ällpïne:λ\nRUN echo 🚀 | sh\n",
        "\u{feff}FROM alpine\r\nRUN apt-get install -y x\r\n",
        "# drydock ignore=\n# drydock global ignore=,,,\nFROM alpine\n",
        "# drydock ignore=DD001\n",
    ];
    for t in odd {
        lint_any(t);
    }
    let long = format!("FROM alpine\nRUN {}\n", "a && ".repeat(20_000));
    lint_any(&long);
    let deep = format!(
        "FROM alpine\nRUN {}x{}\n",
        "$(".repeat(500),
        ")".repeat(500)
    );
    lint_any(&deep);
    assert!(lint_any("FROM debian\n") > 0);
}

#[test]
fn large_files_lint_in_linear_time() {
    // 15,000 instructions where every RUN is a finding for several rules: a quadratic pass (re-parsing
    // later RUNs per finding, re-scanning the file per rendered line) takes minutes here, linear takes
    // a second or two even in a debug build.
    let mut text = String::from("FROM debian:12\n");
    for i in 0..5000 {
        text.push_str(&format!("RUN apt-get install -y pkg{i} && pip install x{i} | tee /log\nCOPY a{i} b{i}\nENV A{i}=1\n"));
    }
    let start = std::time::Instant::now();
    let findings = lint_source("big", &text, &Config::default(), &BundledResolver).unwrap();
    let mut out = Vec::new();
    drydock_lint::output::write(
        drydock_lint::Format::Tty,
        &findings,
        &[("big", &text)],
        &mut out,
    )
    .unwrap();
    let took = start.elapsed();
    assert!(findings.len() > 20_000, "{}", findings.len());
    assert!(
        took.as_secs() < 60,
        "linting 15k instructions took {took:?}"
    );
}
