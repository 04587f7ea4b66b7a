//! Heredoc extraction, checked against the behaviour of BuildKit's parser.

use drydock_dockerfile::*;

/// (name, content, expand, chomp, fd) of each heredoc of instruction `idx`.
fn docs(df: &Dockerfile, idx: usize) -> Vec<(String, String, bool, bool, u32)> {
    df.instructions[idx]
        .heredocs
        .iter()
        .map(|h| (h.name.clone(), h.content.clone(), h.expand, h.chomp, h.fd))
        .collect()
}

fn one(
    name: &str,
    content: &str,
    expand: bool,
    chomp: bool,
) -> Vec<(String, String, bool, bool, u32)> {
    vec![(name.into(), content.into(), expand, chomp, 0)]
}

#[test]
fn delimiter_forms() {
    let cases: &[(&str, &str, &str, bool)] = &[
        // (instruction line + body + terminator, name, content, expand)
        ("RUN <<END\nEND\n", "END", "", true),
        ("RUN <<'END'\nx $A\nEND\n", "END", "x $A\n", false),
        ("RUN <<\"END\"\nx\nEND\n", "END", "x\n", false),
        ("RUN <<EN'D'\nx\nEND\n", "END", "x\n", false),
        ("RUN <<EN\\'D\nx\nEN'D\n", "EN'D", "x\n", true),
        ("RUN <<'E'N\\'D\nx\nEN'D\n", "EN'D", "x\n", false),
        (
            "RUN <<'two words'\nx\ntwo words\n",
            "two words",
            "x\n",
            false,
        ),
        ("RUN <<$END\n$END\n", "$END", "", true),
        ("RUN <<   END\nEND\n", "END", "", true),
        ("RUN <<  END  > /tmp/out\nEND\n", "END", "", true),
        (
            "COPY <<cfg.ini /etc/\n[a]\ncfg.ini\n",
            "cfg.ini",
            "[a]\n",
            true,
        ),
        (
            "RUN <<END\n# not a comment\n  END\nEND\n",
            "END",
            "# not a comment\n  END\n",
            true,
        ),
    ];
    for (body, name, content, expand) in cases {
        let df = parse(&format!("FROM a\n{body}")).unwrap_or_else(|e| panic!("{body:?}: {e}"));
        assert_eq!(docs(&df, 1), one(name, content, *expand, false), "{body:?}");
        assert_eq!(df.instructions.len(), 2, "{body:?}");
    }
}

#[test]
fn chomp_fd_order_and_non_heredocs() {
    let df = parse(
        "FROM a\nRUN <<-X 5<<Y\n\tone\n\tX\nX\nY\nUSER <<Z\nZ\nRUN \"<<Q\" '<<R' [\"<<S\"]\n",
    )
    .unwrap();
    assert_eq!(
        docs(&df, 1),
        vec![
            ("X".into(), "\tone\n".into(), true, true, 0),
            ("Y".into(), "X\n".into(), true, false, 5)
        ]
    );
    // USER cannot take a heredoc, so `Z` is an (unknown) instruction of its own.
    assert!(df.instructions[2].heredocs.is_empty());
    assert_eq!(df.instructions[3].keyword, "Z");
    assert!(df.instructions[4].heredocs.is_empty());
    // `<<<`, a bare `<<`, and `<<` glued to a word are not heredocs.
    let df = parse("FROM a\nRUN cat <<<word\nRUN cat << \nRUN x<<EOF\n").unwrap();
    assert!(df.instructions.iter().all(|i| i.heredocs.is_empty()));
    assert_eq!(df.instructions.len(), 4);
}

#[test]
fn unbalanced_quote_disables_heredocs() {
    // The lexer fails on an unbalanced quote in the line, so no heredoc is seen at all.
    let df = parse("FROM a\nRUN <<'EOF\nRUN x\n").unwrap();
    assert!(df.instructions[1].heredocs.is_empty());
    assert_eq!(df.instructions.len(), 3);
}
