//! Behaviour tests: heredocs, spans, directives, stages, errors.

use drydock_dockerfile::*;

fn p(src: &str) -> Dockerfile {
    parse(src).unwrap_or_else(|e| panic!("parse failed: {e}\n{src}"))
}

#[test]
fn heredoc_basic_and_quoted() {
    let df = p(
        "FROM alpine\nRUN <<EOF\necho $HOME\nEOF\nRUN <<'EOF'\necho $HOME\nEOF\nRUN <<\"EOF\" bash\nx\nEOF\n",
    );
    let runs: Vec<_> = df
        .instructions
        .iter()
        .filter(|i| i.kind == InstructionKind::Run)
        .collect();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0].heredocs.len(), 1);
    let h = &runs[0].heredocs[0];
    assert_eq!(
        (h.name.as_str(), h.content.as_str(), h.expand, h.chomp),
        ("EOF", "echo $HOME\n", true, false)
    );
    assert_eq!(h.span, Span::new(3, 1, 4, 4));
    assert!(!runs[1].heredocs[0].expand);
    assert!(!runs[2].heredocs[0].expand);
    assert_eq!(runs[2].shell_command(), Some("<<\"EOF\" bash"));
    assert_eq!(runs[2].span.start_line, 8);
}

#[test]
fn heredoc_multiple_chomp_fd_and_copy() {
    let src = "FROM alpine\nRUN 3<<A cat /dev/fd/3 <<-B\none\nA\n\t\ttwo\n\tB\nCOPY <<F1 <<F2 /dest/\nf1\nF1\nf2\nF2\nRUN python3 <<EOF\nprint(1)\nEOF\n";
    let df = p(src);
    let run = &df.instructions[1];
    assert_eq!(run.heredocs.len(), 2);
    assert_eq!(run.heredocs[0].fd, 3);
    assert_eq!(run.heredocs[0].content, "one\n");
    assert!(run.heredocs[1].chomp);
    assert_eq!(run.heredocs[1].content, "\t\ttwo\n");
    let copy = &df.instructions[2];
    assert_eq!(
        copy.heredocs
            .iter()
            .map(|h| h.name.as_str())
            .collect::<Vec<_>>(),
        ["F1", "F2"]
    );
    assert_eq!(copy.copy_sources_dest().unwrap().1, "/dest/");
    let py = &df.instructions[3];
    assert_eq!(py.heredocs[0].content, "print(1)\n");
    assert_eq!(df.instructions.len(), 4);
    assert!(validate(&df).is_empty(), "{:?}", validate(&df));
}

#[test]
fn heredoc_not_in_json_or_quotes_and_unterminated() {
    let df = p("FROM a\nRUN [\"cat\", \"<<EOF\"]\nRUN echo \"<<EOF\"\nRUN echo hi\n");
    assert!(df.instructions.iter().all(|i| i.heredocs.is_empty()));
    assert_eq!(df.instructions.len(), 4);
    let e = parse("FROM a\nRUN <<EOF\nhello\n").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::UnterminatedHeredoc);
    assert_eq!(e.line(), 2);
}

#[test]
fn onbuild_heredoc_and_inner() {
    let df = p("FROM a\nONBUILD RUN <<EOF\nx\nEOF\nONBUILD COPY --from=b /x /y\n");
    let ob = &df.instructions[1];
    assert_eq!(ob.onbuild_inner().unwrap().kind, InstructionKind::Run);
    assert_eq!(ob.heredocs.len(), 1);
    let inner = df.instructions[2].onbuild_inner().unwrap();
    assert_eq!(inner.from_flag(), Some("b"));
    assert_eq!(inner.flags[0].span, Span::new(5, 14, 5, 22));
    assert_eq!(
        dump(&df),
        "(from \"a\")\n(onbuild (run \"<<EOF\"))\n(onbuild (copy [\"--from=b\"] \"/x\" \"/y\"))\n"
    );
}

#[test]
fn spans_of_instructions_and_flags() {
    let src = "FROM golang:1.22 AS build\n  RUN --mount=type=cache,target=/root/.cache \\\n    --network=none \\\n    go build ./...\n";
    let df = p(src);
    let run = &df.instructions[1];
    assert_eq!(run.span, Span::new(2, 3, 4, 19));
    assert_eq!(run.keyword_span, Span::new(2, 3, 2, 6));
    assert_eq!(run.flags[0].span, Span::new(2, 7, 2, 45));
    assert_eq!(run.flags[1].span, Span::new(3, 5, 3, 19));
    assert_eq!(run.network(), Some("none"));
    assert_eq!(run.args_span.start_line, 4);
    assert_eq!(run.args_span.start_col, 5);
    assert_eq!(run.shell_command(), Some("go build ./..."));
    let m = run.mounts().remove(0).unwrap();
    assert_eq!(
        (m.kind.as_str(), m.target.as_deref()),
        ("cache", Some("/root/.cache"))
    );
    assert_eq!(
        run.source,
        "RUN --mount=type=cache,target=/root/.cache \\\n    --network=none \\\n    go build ./..."
    );
    assert_eq!(df.stages[0].name.as_deref(), Some("build"));
    assert_eq!(df.stages[0].from.image_span, Span::new(1, 6, 1, 17));
}

#[test]
fn crlf_and_bom() {
    let df = p("\u{FEFF}FROM alpine\r\nRUN echo a \\\r\n  b\r\nCMD [\"x\"]\r\n");
    assert_eq!(
        dump(&df),
        "(from \"alpine\")\n(run \"echo a   b\")\n(cmd \"x\")\n"
    );
    assert_eq!(df.instructions[1].span.end_line, 3);
}

#[test]
fn backtick_escape_and_directives() {
    let src = "# syntax=docker/dockerfile:1\n# escape=`\n\nFROM mcr.microsoft.com/windows/servercore\nRUN dir c:\\ `\n  && echo hi\n# escape=\\\nCOPY a b\n";
    let df = p(src);
    assert_eq!(df.escape, '`');
    assert_eq!(df.directive("syntax"), Some("docker/dockerfile:1"));
    assert_eq!(df.directives[1].span.start_line, 2);
    assert_eq!(
        df.instructions[1].shell_command(),
        Some("dir c:\\   && echo hi")
    );
    // Directive-looking comment after an instruction is an ordinary comment.
    assert!(
        df.comments
            .iter()
            .any(|c| c.text == "escape=\\" && c.line == 7)
    );
    // A blank line ends the directive block.
    let df = p("\n# escape=`\nFROM a\nRUN x \\\n y\n");
    assert_eq!(df.escape, '\\');
    assert!(df.directives.is_empty());
}

#[test]
fn directive_errors() {
    let e = parse("# escape=x\nFROM a\n").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::InvalidDirective);
    assert_eq!(e.line(), 1);
    let e = parse("# syntax=a\n# syntax=b\nFROM a\n").unwrap_err();
    assert_eq!(e.line(), 2);
    assert!(e.to_string().contains("only one syntax parser directive"));
}

#[test]
fn comments_and_empty_continuation_warning() {
    let df = p("# top\nFROM a\nRUN a \\\n  # inside\n\n  b\n   # indented\n");
    assert_eq!(
        df.comments
            .iter()
            .map(|c| (c.line, c.col, c.text.as_str()))
            .collect::<Vec<_>>(),
        [(1, 1, "top"), (4, 3, "inside"), (7, 4, "indented")]
    );
    assert_eq!(df.warnings.len(), 1);
    assert_eq!(df.instructions[1].shell_command(), Some("a   b"));
    assert_eq!(df.instructions[1].span.end_line, 6);
}

#[test]
fn args_before_from_and_substitution() {
    let src = "ARG REG=docker.io\nARG TAG=\"3.19\"\nARG EMPTY\nFROM ${REG}/library/alpine:${TAG}${EMPTY} AS Base\nFROM base\nFROM scratch\nCOPY --from=BASE /x /y\nFROM $UNSET\n";
    let df = p(src);
    assert_eq!(df.args_before_from, vec![0, 1, 2]);
    assert_eq!(df.meta_args().count(), 3);
    let s = &df.stages;
    assert_eq!(s.len(), 4);
    assert_eq!(s[0].from.image, "${REG}/library/alpine:${TAG}${EMPTY}");
    assert_eq!(s[0].from.image_expanded, "docker.io/library/alpine:3.19");
    assert_eq!(s[0].name.as_deref(), Some("base"));
    assert_eq!(s[1].from.base_stage, Some(0));
    assert!(s[2].from.is_scratch);
    assert_eq!(s[2].instructions, vec![5, 6]);
    assert_eq!(
        df.stage_by_ref(df.instructions[6].from_flag().unwrap())
            .unwrap()
            .index,
        0
    );
    assert_eq!(df.stage_by_ref("1").unwrap().index, 1);
    assert_eq!(s[3].from.image_expanded, "");
    assert_eq!(s[3].from.unresolved, vec!["UNSET".to_string()]);
    assert!(s[0].from.unresolved.contains(&"EMPTY".to_string()));
    assert_eq!(df.instructions[6].stage, Some(2));
    assert_eq!(df.instructions[0].stage, None);
    assert_eq!(df.final_stage().unwrap().index, 3);
    assert_eq!(
        df.instructions[1].arg_pairs(),
        vec![("TAG".to_string(), Some("\"3.19\"".to_string()))]
    );
}

#[test]
fn accessors() {
    let src = "FROM a\nUSER app:app\nWORKDIR /srv\nEXPOSE 80/tcp 53/UDP 8080\nENV A=1 B=\"two words\" C=x\\ y\nENV LEGACY some value\nLABEL org.opencontainers.image.title=\"t\"\nHEALTHCHECK --interval=30s --retries=3 CMD curl -f http://localhost/ || exit 1\nHEALTHCHECK NONE\nSTOPSIGNAL SIGTERM\nSHELL [\"/bin/bash\", \"-c\"]\nCOPY --chown=1000:1000 --chmod=755 --link a b /dst/\nADD --checksum=sha256:abc https://x/y.tgz /z\nCMD [\"serve\"]\nENTRYPOINT run.sh\n";
    let df = p(src);
    let i = &df.instructions;
    assert_eq!(i[1].user(), Some("app:app"));
    assert_eq!(i[2].workdir(), Some("/srv"));
    let ports = i[3].expose_ports();
    assert_eq!(ports.len(), 3);
    assert_eq!(ports[1].protocol.as_deref(), Some("udp"));
    assert_eq!(ports[2].protocol, None);
    assert_eq!(
        i[4].key_values('\\'),
        vec![
            ("A".into(), "1".into()),
            ("B".into(), "two words".into()),
            ("C".into(), "x y".into())
        ]
    );
    assert_eq!(
        i[5].key_values('\\'),
        vec![("LEGACY".into(), "some value".into())]
    );
    let hc = i[7].healthcheck().unwrap();
    assert_eq!(hc.interval.as_deref(), Some("30s"));
    assert_eq!(hc.retries.as_deref(), Some("3"));
    assert!(i[7].is_shell_form());
    assert!(i[8].healthcheck().unwrap().none);
    assert!(i[10].is_exec_form());
    assert_eq!(i[11].chown(), Some("1000:1000"));
    assert_eq!(i[11].chmod(), Some("755"));
    assert_eq!(i[11].flag_value("link"), Some(""));
    let (srcs, dst) = i[11].copy_sources_dest().unwrap();
    assert_eq!((srcs.len(), dst), (2, "/dst/"));
    assert_eq!(i[12].flag_value("checksum"), Some("sha256:abc"));
    assert_eq!(i[13].exec_args(), Some(&["serve".to_string()][..]));
    assert!(i[14].is_shell_form());
    assert!(validate(&df).is_empty(), "{:?}", validate(&df));
}

#[test]
fn parser_errors_have_lines() {
    let e = parse("FROM a\n\nENV PATH\n").unwrap_err();
    assert_eq!((e.kind, e.line()), (ParseErrorKind::InvalidKeyValue, 3));
    let e = parse("FROM a\nCMD [\"a\", 1]\n").unwrap_err();
    assert_eq!((e.kind, e.line()), (ParseErrorKind::NotStringArray, 2));
    let e = parse("FROM a\nENV A=1 \\\n  B\n").unwrap_err();
    assert_eq!(e.span, Span::new(3, 3, 3, 4));
    let e = parse("FROM a\nRUN  [\"a\", {}]\n").unwrap_err();
    assert_eq!(e.span, Span::new(2, 6, 2, 15));
    let e = parse("# just a comment\n\n").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::NoInstructions);
    let long = format!("FROM a\nRUN {}\n", "x".repeat(70_000));
    assert_eq!(parse(&long).unwrap_err().kind, ParseErrorKind::LineTooLong);
}

#[test]
fn validation_errors() {
    let cases: &[(&str, &str, usize)] = &[
        ("RUN x\n", "no build stage in current context", 1),
        ("FROM a\nFOO bar\n", "unknown instruction: FOO", 2),
        ("FROM a\nCOPY --frm=x a b\n", "unknown flag: --frm", 2),
        ("FROM a\nCOPY a\n", "requires at least two arguments", 2),
        (
            "FROM a b\n",
            "FROM requires either one or three arguments",
            1,
        ),
        ("FROM a AS 1x\n", "invalid name for build stage", 1),
        ("FROM a AS x\nFROM b AS X\n", "duplicate stage name", 2),
        ("FROM a\nONBUILD ONBUILD RUN x\n", "Chaining ONBUILD", 2),
        (
            "FROM a\nHEALTHCHECK --interval=5 CMD x\n",
            "invalid duration",
            2,
        ),
        (
            "FROM a\nHEALTHCHECK --interval=1us CMD x\n",
            "cannot be less than 1ms",
            2,
        ),
        ("FROM a\nHEALTHCHECK FOO x\n", "Unknown type", 2),
        ("FROM a\nHEALTHCHECK NONE x\n", "takes no arguments", 2),
        ("FROM a\nSHELL /bin/sh -c\n", "JSON form", 2),
        (
            "FROM a\nRUN --mount=type=nfs x\n",
            "unsupported mount type",
            2,
        ),
        (
            "FROM a\nRUN --mount=type=bind,uid=1 x\n",
            "uid not allowed",
            2,
        ),
        (
            "FROM a\nRUN --network=bridge x\n",
            "unsupported network mode",
            2,
        ),
        (
            "FROM a\nCOPY --link=maybe a b\n",
            "Expecting boolean value",
            2,
        ),
        (
            "FROM a\nCOPY --from a b\n",
            "Missing a value on flag: from",
            2,
        ),
        (
            "FROM a\nCOPY --from=x --from=y a b\n",
            "Duplicate flag specified",
            2,
        ),
        (
            "FROM a\nCOPY a <<EOF\nx\nEOF\n",
            "heredoc as a destination",
            2,
        ),
        (
            "FROM a\nWORKDIR\n",
            "WORKDIR requires exactly one argument",
            2,
        ),
        ("FROM a\nVOLUME [\"\"]\n", "can not be an empty string", 2),
        ("FROM a\nARG =x\n", "ARG names can not be blank", 2),
        ("FROM a\nEXPOSE 80 8o\n", "invalid containerPort: 8o", 2),
        (
            "FROM a\nMAINTAINER --boo joe@example.com\n",
            "unknown flag: --boo",
            2,
        ),
        (
            "FROM a\nONBUILD FROM scratch\n",
            "FROM isn't allowed as an ONBUILD trigger",
            2,
        ),
        ("FROM a\nfoo bar\n", "unknown instruction: foo", 2),
        (
            "FROM a\nCOPY\t\n\t\tquux \\\n  bar\n",
            "COPY requires at least two arguments",
            2,
        ),
        (
            "FROM a\nSTOPSIGNAL\n",
            "STOPSIGNAL requires exactly one argument",
            2,
        ),
        (
            "FROM a\nHEALTHCHECK\n",
            "HEALTHCHECK requires at least one argument",
            2,
        ),
        (
            "FROM a\nONBUILD\n",
            "ONBUILD requires at least one argument",
            2,
        ),
        ("FROM a\nLABEL\n", "LABEL requires at least one argument", 2),
        (
            "FROM a\nHEALTHCHECK --interval=50ns CMD x\n",
            "cannot be less than 1ms",
            2,
        ),
        ("FROM a\nEXPOSE 53/icmp\n", "invalid proto: icmp", 2),
    ];
    for (src, want, line) in cases {
        let df = p(src);
        let errs = validate(&df);
        assert!(
            errs.iter()
                .any(|e| e.message.contains(want) && e.line() == *line),
            "{src:?}: want {want:?} at line {line}, got {errs:?}"
        );
    }
    // Accepted by BuildKit.
    for src in [
        "FROM a\nSTOPSIGNAL --x SIGTERM\n",
        "FROM a\nHEALTHCHECK --interval=0ms --timeout=1ms CMD x\n",
        "FROM a AS STAGE_NAME\nFROM stage_name\n",
        "FROM a\nEXPOSE 80 443/tcp 53/UDP 8000-8010 ${PORT} 127.0.0.1:8080:80\n",
        "FROM a\nHEALTHCHECK --interval=bad NONE\n",
        "FROM a\nRUN --mount=type=secret,id=tok,required x\n",
        "FROM a\nCOPY --parents --exclude=*.md --exclude=*.txt . /src\n",
        "# syntax=docker/dockerfile:1-labs\nFROM a\nRUN --security=insecure --device=x x\n",
        "FROM --platform=$BUILDPLATFORM a AS b\nRUN --mount=type=cache,target=/c,sharing=locked,id=$X x\n",
    ] {
        let df = p(src);
        assert!(validate(&df).is_empty(), "{src:?}: {:?}", validate(&df));
    }
}

#[test]
fn lone_continuation_is_an_empty_instruction() {
    let df = p("FROM a\n\\\n\n");
    assert_eq!(df.instructions.len(), 2);
    assert_eq!(df.instructions[1].span.start_line, 2);
    assert!(!validate(&df).is_empty());
}

#[test]
fn unknown_instruction_dump_and_line_lookup() {
    let df = p("FROM a\nfoo bar\nRUN <<EOF\nx\nEOF\n# drydock ignore=X\nUSER 1000\n");
    assert_eq!(
        dump(&df),
        "(from \"a\")\n(foo \"\")\n(run \"<<EOF\")\n(user \"1000\")\n"
    );
    assert_eq!(df.instructions[1].keyword, "FOO");
    assert_eq!(
        df.instruction_at_line(4).unwrap().kind,
        InstructionKind::Run
    );
    assert_eq!(df.instructions[2].full_span().end_line, 5);
    assert_eq!(df.next_instruction_after(6).unwrap().user(), Some("1000"));
}

#[test]
fn word_and_pair_spans() {
    let df = p(
        "FROM a\nENV A=1 \\\n    B=\"x y\"\nARG V=\"1 2\" W\nEXPOSE  80   443\nENV OLD some value\n",
    );
    let env = &df.instructions[1];
    let Args::KeyValues(kv) = &env.args else {
        panic!()
    };
    assert_eq!(kv[0].span, Span::new(2, 5, 2, 8));
    assert_eq!(kv[1].span, Span::new(3, 5, 3, 12));
    assert_eq!(
        df.instructions[2].word_spans,
        vec![Span::new(4, 5, 4, 12), Span::new(4, 13, 4, 14)]
    );
    assert_eq!(
        df.instructions[3].word_spans,
        vec![Span::new(5, 9, 5, 11), Span::new(5, 14, 5, 17)]
    );
    let Args::KeyValues(kv) = &df.instructions[4].args else {
        panic!()
    };
    assert_eq!(kv[0].span, Span::new(6, 5, 6, 19));
    assert!(df.instructions[0].word_spans.len() == 1);
}

#[test]
fn chomped_heredoc_content() {
    let df = p("FROM a\nRUN <<-EOF\n\t\tone\n\ttwo\n\tEOF\n");
    let h = &df.instructions[1].heredocs[0];
    assert_eq!(h.content, "\t\tone\n\ttwo\n");
    assert_eq!(h.effective_content(), "one\ntwo\n");
}

#[test]
fn no_panic_on_token_soup() {
    const TOKENS: &[&str] = &[
        "FROM ",
        "RUN ",
        "COPY ",
        "ADD ",
        "ONBUILD ",
        "ENV ",
        "ARG ",
        "LABEL ",
        "HEALTHCHECK ",
        "CMD ",
        "SHELL ",
        "EXPOSE ",
        "x",
        "a=b",
        "=",
        "\\",
        "`",
        "\\\n",
        "`\n",
        "\n",
        "\r\n",
        " ",
        "\t",
        "<<EOF",
        "<<-EOF",
        "<<'EOF'",
        "EOF\n",
        "\tEOF\n",
        "[",
        "]",
        "\"",
        "'",
        ",",
        "# escape=`\n",
        "# syntax=x\n",
        "#",
        "$",
        "${",
        "}",
        "${A:-",
        "--mount=type=cache,target=/x ",
        "--from=",
        "-- ",
        "AS ",
        "NONE",
        "[\"a\", [1]]",
        "\u{FEFF}",
        "é",
        "\u{85}",
        "\u{a0}",
        "{",
        "null",
        "1e5",
    ];
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut parsed = 0;
    for _ in 0..3000 {
        let n = (next() % 40) as usize;
        let src: String = (0..n)
            .map(|_| TOKENS[(next() % TOKENS.len() as u64) as usize])
            .collect();
        if let Ok(df) = parse(&src) {
            parsed += 1;
            let _ = validate(&df);
            let _ = dump(&df);
            for st in &df.stages {
                let _ = df.stage_instructions(st.index).count();
            }
            for i in &df.instructions {
                let _ = i.mounts();
                let _ = i.healthcheck();
                let _ = i.key_values(df.escape);
                assert!(i.span.start_line >= 1);
            }
        }
    }
    assert!(parsed > 100, "only {parsed} inputs parsed");
}

#[test]
fn long_logical_lines_stay_fast() {
    let line = (0..6000)
        .map(|i| format!("{}", 1000 + i))
        .collect::<Vec<_>>()
        .join(" ");
    let mut src = String::from("FROM a\nEXPOSE ");
    for _ in 0..20 {
        src.push_str(&line);
        src.push_str(" é \\\n");
    }
    src.push_str("9\n");
    let t = std::time::Instant::now();
    let df = p(&src);
    assert_eq!(df.instructions[1].words().len(), 20 * 6001 + 1);
    let last = *df.instructions[1].word_spans.last().unwrap();
    assert_eq!(last, Span::new(22, 1, 22, 2));
    assert!(t.elapsed().as_secs() < 10, "took {:?}", t.elapsed());
}

#[test]
fn empty_continuation_warnings_like_buildkit() {
    let src = "FROM a\nRUN ok \\\n  fine\nRUN x \\\n\n    y \\\n\n    z\nRUN p \\\n# comment\n   q\nRUN m \\\n\n    n\n";
    let df = p(src);
    let w: Vec<&str> = df.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        w,
        [
            "Empty continuation line found in: RUN x     y     z",
            "Empty continuation line found in: RUN m     n"
        ]
    );
    assert_eq!(df.warnings[0].span.start_line, 8);
    let long = format!("\n\t\tFROM image\n\t\tLABEL test={}\n", "a".repeat(65536));
    assert_eq!(
        parse(&long).unwrap_err().message,
        "dockerfile line greater than max allowed size of 65535"
    );
}

#[test]
fn scopes_follow_buildkit_rules() {
    let src = "ARG VERSION=1.2\nARG REG\nFROM alpine AS base\nENV HOME=/root APP=\"/srv/app\"\nARG VERSION\nARG LOCAL=$HOME/x\nENV BIN=${APP}/bin:$UNKNOWN\nRUN x\nFROM base\nARG LOCAL\nRUN y\n";
    let df = p(src);
    let s = df.scope_before(7);
    assert_eq!(s.get("HOME").as_deref(), Some("/root"));
    assert_eq!(s.get("APP").as_deref(), Some("/srv/app"));
    assert_eq!(s.get("VERSION").as_deref(), Some("1.2"));
    assert_eq!(s.get("LOCAL").as_deref(), Some("/root/x"));
    assert_eq!(s.get("BIN").as_deref(), Some("/srv/app/bin:$UNKNOWN"));
    assert_eq!(s.get("REG"), None);
    // A child stage inherits ENV, not ARG.
    let s = df.scope_before(10);
    assert_eq!(s.get("APP").as_deref(), Some("/srv/app"));
    assert_eq!(s.get("VERSION"), None);
    assert_eq!(s.args, vec![("LOCAL".to_string(), None)]);
    assert_eq!(s.expand("$APP/$VERSION", '\\'), "/srv/app/$VERSION");
    // Before the first FROM: the global ARGs.
    assert_eq!(df.scope_before(1).get("VERSION").as_deref(), Some("1.2"));
}
