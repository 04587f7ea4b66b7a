//! The line-level parser, mirroring BuildKit's `parser.Parse` and `line_parsers.go`.

use crate::ast::*;
use crate::error::{ParseError, ParseErrorKind};
use crate::shell::{self, LexOpts};

/// BuildKit's bufio.Scanner token limit minus one.
const MAX_LINE: usize = 65535;
/// Nesting limit for `ONBUILD ONBUILD …` (BuildKit rejects any nesting at the instruction level).
const MAX_ONBUILD_DEPTH: usize = 16;

/// One physical line.
struct PhysLine<'a> {
    /// Text without the trailing `\r`/`\n` run (BuildKit's `trimNewline`).
    text: &'a str,
    /// Text including its line ending, as written.
    with_ending: &'a str,
    /// Byte offset of `text` in the input.
    start: usize,
}

fn split_lines(src: &str) -> Vec<PhysLine<'_>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < src.len() {
        let end = src[pos..]
            .find('\n')
            .map(|i| pos + i + 1)
            .unwrap_or(src.len());
        let with_ending = &src[pos..end];
        let text = with_ending.trim_end_matches(['\r', '\n']);
        out.push(PhysLine {
            text,
            with_ending,
            start: pos,
        });
        pos = end;
    }
    out
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Go's `reWhitespace` (`[\t\v\f\r ]+`).
fn is_ws_sep(c: char) -> bool {
    matches!(c, '\t' | '\u{0B}' | '\u{0C}' | '\r' | ' ')
}

/// Parser-directive state (BuildKit's `DirectiveParser`).
struct Directives {
    escape: char,
    done: bool,
    seen: Vec<String>,
    parsed: Vec<Directive>,
}

impl Directives {
    /// Returns an error message for a bad directive.
    fn possible(&mut self, line: &str, line_no: usize) -> Result<(), String> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) = match_directive(line) else {
            self.done = true;
            return Ok(());
        };
        let k = name.to_ascii_lowercase();
        if !matches!(k.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return Ok(());
        }
        if self.seen.contains(&k) {
            return Err(format!("only one {k} parser directive can be used"));
        }
        self.seen.push(k.clone());
        if k == "escape" {
            match value {
                "\\" => self.escape = '\\',
                "`" => self.escape = '`',
                v => return Err(format!("invalid escape token '{v}' does not match ` or \\")),
            }
        }
        let len = line.chars().count();
        self.parsed.push(Directive {
            name: k,
            value: value.to_string(),
            span: Span::new(line_no, 1, line_no, len + 1),
        });
        Ok(())
    }
}

/// `#`, Unicode spaces, then `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` with Go's ASCII `\s`.
fn match_directive(line: &str) -> Option<(&str, &str)> {
    let go_ws = |c: char| matches!(c, '\t' | '\n' | '\u{0C}' | '\r' | ' ');
    let rest = line.strip_prefix('#')?.trim_start();
    let name_len = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    if name_len == 0 {
        return None;
    }
    let name = &rest[..name_len];
    let rest = rest[name_len..]
        .trim_start_matches(go_ws)
        .strip_prefix('=')?;
    let value = rest.trim_start_matches(go_ws).trim_end_matches(go_ws);
    if value.is_empty() {
        // `\s*(.+?)` backtracks so that the value is the last whitespace character.
        let last = rest.char_indices().next_back()?.0;
        return Some((name, &rest[last..]));
    }
    Some((name, value))
}

/// BuildKit's line-continuation regex: `([^E])E[ \t]*$|^E[ \t]*$` for escape `E`.
/// Returns the line without the escape and whether the logical line ends here.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let t = line.trim_end_matches([' ', '\t']);
    if let Some(before) = t.strip_suffix(escape)
        && (before.is_empty() || !before.ends_with(escape))
    {
        return (before, false);
    }
    (line, true)
}

/// A logical line with a map back to source positions.
#[derive(Default)]
struct Logical {
    text: String,
    /// (byte offset in `text`, line, column of that byte).
    segs: Vec<(usize, usize, usize)>,
    /// Per segment: for non-ASCII text, the char index of every byte offset (keeps lookups O(1)).
    char_idx: Vec<Option<Vec<u32>>>,
    /// Where the logical line starts, for an empty text.
    origin: (usize, usize),
}

impl Logical {
    fn push(&mut self, s: &str, line: usize, col: usize) {
        if s.is_empty() {
            return;
        }
        self.segs.push((self.text.len(), line, col));
        self.char_idx.push((!s.is_ascii()).then(|| {
            let mut v = vec![0u32; s.len() + 1];
            let mut n = 0u32;
            for (i, c) in s.char_indices() {
                for slot in &mut v[i..i + c.len_utf8()] {
                    *slot = n;
                }
                n += 1;
            }
            v[s.len()] = n;
            v
        }));
        self.text.push_str(s);
    }

    /// Source position of the character at byte offset `off` of the logical text.
    fn pos(&self, off: usize) -> (usize, usize) {
        let idx = match self.segs.binary_search_by(|s| s.0.cmp(&off)) {
            Ok(i) => i,
            Err(0) => return self.segs.first().map(|s| (s.1, s.2)).unwrap_or(self.origin),
            Err(i) => i - 1,
        };
        let (so, line, col) = self.segs[idx];
        let end = off.min(self.text.len());
        let n = match &self.char_idx[idx] {
            None => end - so,
            Some(v) => v.get(end - so).copied().unwrap_or(0) as usize,
        };
        (line, col + n)
    }

    /// Span of `text[a..b]` (b exclusive); an empty range gives an empty span at `a`.
    fn span(&self, a: usize, b: usize) -> Span {
        let (l1, c1) = self.pos(a);
        if b <= a {
            return Span::new(l1, c1, l1, c1);
        }
        let last = self.text[a..b]
            .char_indices()
            .next_back()
            .map(|(i, _)| a + i)
            .unwrap_or(a);
        let (l2, c2) = self.pos(last);
        Span::new(l1, c1, l2, c2 + 1)
    }
}

/// Shift a sub-logical view: positions in `sub` are offsets into the parent + `base`.
struct View<'a> {
    log: &'a Logical,
    base: usize,
}

impl View<'_> {
    fn span(&self, a: usize, b: usize) -> Span {
        self.log.span(self.base + a, self.base + b)
    }
}

/// Parse a Dockerfile the way BuildKit's parser does.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let lines = split_lines(text);
    let mut d = Directives {
        escape: '\\',
        done: false,
        seen: Vec::new(),
        parsed: Vec::new(),
    };
    let mut comments = Vec::new();
    let mut warnings = Vec::new();
    let mut instructions = Vec::new();
    let mut i = 0usize;

    let check_len = |idx: usize, l: &PhysLine<'_>| -> Result<(), ParseError> {
        if l.with_ending.trim_end_matches('\n').len() > MAX_LINE {
            return Err(ParseError::new(
                ParseErrorKind::LineTooLong,
                format!("dockerfile line greater than max allowed size of {MAX_LINE}"),
                Span::new(idx + 1, 1, idx + 1, 1),
            ));
        }
        Ok(())
    };
    let add_comment = |comments: &mut Vec<Comment>, l: &PhysLine<'_>, line: usize| {
        let lead = l.text.len() - l.text.trim_start().len();
        let body = &l.text[lead..];
        comments.push(Comment {
            text: body[1..].trim().to_string(),
            raw: l.text.to_string(),
            line,
            col: l.text[..lead].chars().count() + 1,
        });
    };

    while i < lines.len() {
        let l = &lines[i];
        check_len(i, l)?;
        let line_no = i + 1;
        let lead = l.text.len() - l.text.trim_start().len();
        let stripped = &l.text[lead..];
        let n_directives = d.parsed.len();
        d.possible(stripped, line_no).map_err(|m| {
            ParseError::new(
                ParseErrorKind::InvalidDirective,
                m,
                Span::new(line_no, 1, line_no, l.text.chars().count() + 1),
            )
        })?;
        let is_directive = d.parsed.len() > n_directives;
        if is_comment(l.text) && !is_directive {
            add_comment(&mut comments, l, line_no);
        }
        i += 1;
        let processed = if is_comment(stripped) { "" } else { stripped };
        let start_line = line_no;
        let first_col = l.text[..lead].chars().count() + 1;
        let (first, mut is_end) = trim_continuation(processed, d.escape);
        if is_end && first.is_empty() {
            continue;
        }
        let mut log = Logical {
            origin: (start_line, first_col),
            ..Logical::default()
        };
        log.push(first, start_line, first_col);
        let mut last_line = start_line;
        let mut has_empty = false;
        while !is_end && i < lines.len() {
            let l = &lines[i];
            check_len(i, l)?;
            let ln = i + 1;
            d.possible(l.text, ln).map_err(|m| {
                ParseError::new(ParseErrorKind::InvalidDirective, m, Span::new(ln, 1, ln, 1))
            })?;
            i += 1;
            last_line = ln;
            if is_comment(l.text) {
                add_comment(&mut comments, l, ln);
                continue;
            }
            if l.text.trim_start().is_empty() {
                has_empty = true;
                continue;
            }
            let (cont, end) = trim_continuation(l.text, d.escape);
            is_end = end;
            log.push(cont, ln, 1);
        }
        if has_empty {
            warnings.push(Warning {
                message: format!("Empty continuation line found in: {}", log.text),
                span: Span::new(last_line, 1, last_line, 1),
            });
        }

        let view = View { log: &log, base: 0 };
        let mut inst = node_from_line(&log.text, &view, d.escape, 0)
            .map_err(|e| relocate(e, start_line, last_line))?;
        // `source`: from the keyword to the end of the last consumed line.
        let src_start = l.start + lead;
        let src_end = lines[last_line - 1].start + lines[last_line - 1].text.len();
        inst.source = text
            .get(src_start..src_end.max(src_start))
            .unwrap_or("")
            .to_string();

        if can_contain_heredoc(&inst) && log.text.contains("<<") {
            let docs =
                heredocs_from_line(&log.text).map_err(|e| relocate(e, start_line, last_line))?;
            for (name, expand, chomp, fd) in docs {
                let body_start = i + 1;
                let mut content = String::new();
                let mut terminated = false;
                while i < lines.len() {
                    let hl = &lines[i];
                    check_len(i, hl)?;
                    i += 1;
                    let mut cand = hl.text;
                    if chomp {
                        cand = cand.trim_start_matches('\t');
                    }
                    if cand == name {
                        terminated = true;
                        break;
                    }
                    content.push_str(hl.with_ending);
                }
                if !terminated {
                    return Err(ParseError::new(
                        ParseErrorKind::UnterminatedHeredoc,
                        "unterminated heredoc",
                        Span::new(start_line, 1, i.max(start_line), 1),
                    ));
                }
                let end_col = lines[i - 1].text.chars().count() + 1;
                inst.heredocs.push(Heredoc {
                    name,
                    content,
                    expand,
                    chomp,
                    fd,
                    span: Span::new(body_start, 1, i, end_col),
                });
            }
        }
        instructions.push(inst);
    }

    if instructions.is_empty() {
        let n = lines.len().max(1);
        return Err(ParseError::new(
            ParseErrorKind::NoInstructions,
            "file with no instructions",
            Span::new(n, 1, n, 1),
        ));
    }

    let mut df = Dockerfile {
        directives: d.parsed,
        escape: d.escape,
        instructions,
        args_before_from: Vec::new(),
        stages: Vec::new(),
        comments,
        warnings,
    };
    crate::stages::build_stages(&mut df);
    Ok(df)
}

/// Give a location-less error the instruction's lines.
fn relocate(mut e: ParseError, start: usize, end: usize) -> ParseError {
    if e.span == Span::default() {
        e.span = Span::new(start, 1, end, 1);
    }
    e
}

fn can_contain_heredoc(inst: &Instruction) -> bool {
    let inst = inst.effective();
    matches!(
        inst.kind,
        InstructionKind::Add | InstructionKind::Copy | InstructionKind::Run
    ) && !matches!(inst.args, Args::Exec(_))
}

/// BuildKit's `heredocsFromLine`: (name, expand, chomp, fd) per heredoc word.
fn heredocs_from_line(line: &str) -> Result<Vec<(String, bool, bool, u32)>, ParseError> {
    let mut o = LexOpts::new('\\');
    o.raw_quotes = true;
    o.raw_escapes = true;
    o.skip_unset = true;
    let words = shell::process_words(line, o, &|_| None)
        .map(|(_, w)| w)
        .unwrap_or_default();
    let mut out = Vec::new();
    for w in words {
        // ^(\d*)<<(-?)\s*([^<]*)$
        let digits = w.bytes().take_while(u8::is_ascii_digit).count();
        let Some(after) = w[digits..].strip_prefix("<<") else {
            continue;
        };
        let (chomp, rest) = match after.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, after),
        };
        let rest = rest.trim_start_matches(['\t', '\n', '\u{0C}', '\r', ' ']);
        if rest.contains('<') || rest.is_empty() {
            continue;
        }
        let fd = w[..digits].parse::<u32>().unwrap_or(0);
        let mut o = LexOpts::new('\\');
        o.skip_unset = true;
        let (_, words) = shell::process_words(rest, o, &|_| None)?;
        if words.len() != 1 {
            continue;
        }
        o.raw_quotes = true;
        let (_, raw) = shell::process_words(rest, o, &|_| None)?;
        if raw.len() != words.len() {
            return Err(ParseError::new(
                ParseErrorKind::UnterminatedHeredoc,
                format!("internal lexing of heredoc produced inconsistent results: {rest}"),
                Span::default(),
            ));
        }
        let q = |s: &str| s.matches(['\'', '"']).count();
        let expand = q(&words[0]) == q(&raw[0]);
        out.push((words[0].clone(), expand, chomp, fd));
    }
    Ok(out)
}

/// BuildKit's `newNodeFromLine`: split keyword, flags and arguments, then shape the arguments.
fn node_from_line(
    line: &str,
    view: &View<'_>,
    escape: char,
    depth: usize,
) -> Result<Instruction, ParseError> {
    // strings.TrimSpace, then split on the first run of [\t\v\f\r ].
    let lead = line.len() - line.trim_start().len();
    let trimmed = line.trim();
    let kw_len = trimmed.find(is_ws_sep).unwrap_or(trimmed.len());
    let cmd = &trimmed[..kw_len];
    let after_kw = &trimmed[kw_len..];
    let rest_off = lead + kw_len + (after_kw.len() - after_kw.trim_start_matches(is_ws_sep).len());
    let rest = after_kw.trim_start_matches(is_ws_sep);

    let (flags, args_off_in_rest) = if kw_len < trimmed.len() {
        extract_flags(rest, view, rest_off)
    } else {
        (Vec::new(), 0)
    };
    let args_raw = &rest[args_off_in_rest..];
    let args_lead = args_raw.len() - args_raw.trim_start().len();
    let args = args_raw.trim();
    let args_off = rest_off + args_off_in_rest + args_lead;

    let kind = InstructionKind::from_keyword(cmd);
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    // Shaping errors carry no location, or a range relative to `args`.
    let locate = |mut e: ParseError| {
        if e.span == Span::default() {
            e.span = view.span(args_off, args_off + args.len());
        } else if e.span.start_line == 0 {
            e.span = view.span(args_off + e.span.start_col, args_off + e.span.end_col);
        }
        e
    };
    let mut shaped = match kind {
        InstructionKind::Add | InstructionKind::Copy | InstructionKind::Volume => {
            match parse_json(args).map_err(locate)? {
                Some(v) => Args::Exec(v),
                None => {
                    let (a, r) = words_ws(args);
                    ranges = r;
                    a
                }
            }
        }
        InstructionKind::Arg => {
            let w = parse_words_pos(args, escape);
            if w.is_empty() {
                Args::None
            } else {
                ranges = w.iter().map(|(_, a, b)| (*a, *b)).collect();
                Args::Words(w.into_iter().map(|(w, _, _)| w).collect())
            }
        }
        InstructionKind::Cmd
        | InstructionKind::Entrypoint
        | InstructionKind::Run
        | InstructionKind::Shell => maybe_json(args).map_err(locate)?,
        InstructionKind::Env | InstructionKind::Label => {
            let key = if kind == InstructionKind::Env {
                "ENV"
            } else {
                "LABEL"
            };
            let (a, r) = parse_name_val(args, key, escape).map_err(locate)?;
            ranges = r;
            a
        }
        InstructionKind::Expose | InstructionKind::From => {
            let (a, r) = words_ws(args);
            ranges = r;
            a
        }
        InstructionKind::Healthcheck => parse_health(args).map_err(locate)?,
        InstructionKind::Maintainer
        | InstructionKind::Stopsignal
        | InstructionKind::User
        | InstructionKind::Workdir => {
            if args.is_empty() {
                Args::None
            } else {
                Args::Text(args.to_string())
            }
        }
        InstructionKind::Onbuild => {
            if args.is_empty() {
                Args::None
            } else {
                if depth >= MAX_ONBUILD_DEPTH {
                    return Err(ParseError::new(
                        ParseErrorKind::Instruction,
                        "ONBUILD nested too deeply",
                        view.span(args_off, args_off + args.len()),
                    ));
                }
                let sub = View {
                    log: view.log,
                    base: view.base + args_off,
                };
                let inner = node_from_line(args, &sub, escape, depth + 1)?;
                Args::OnBuild(Box::new(inner))
            }
        }
        InstructionKind::Unknown => Args::None,
    };

    let word_spans: Vec<Span> = ranges
        .iter()
        .map(|&(a, b)| view.span(args_off + a, args_off + b))
        .collect();
    if let Args::KeyValues(kv) = &mut shaped {
        for (p, sp) in kv.iter_mut().zip(&word_spans) {
            p.span = *sp;
        }
    }
    let end = lead + trimmed.len();
    Ok(Instruction {
        word_spans,
        keyword: cmd.to_uppercase(),
        kind,
        span: view.span(lead, end),
        keyword_span: view.span(lead, lead + kw_len),
        flags,
        args: shaped,
        args_span: view.span(args_off, args_off + args.len()),
        args_text: args.to_string(),
        heredocs: Vec::new(),
        original: line.to_string(),
        source: String::new(),
        stage: None,
    })
}

/// BuildKit's `extractBuilderFlags`. Returns the flags and the byte offset in `line` where the
/// arguments start.
fn extract_flags(line: &str, view: &View<'_>, base: usize) -> (Vec<Flag>, usize) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut flags = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut word_start = 0usize;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut k = 0usize;
    let make = |word: &str, a: usize, b: usize| -> Flag {
        let body = word.strip_prefix("--").unwrap_or(word);
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (body.to_string(), None),
        };
        Flag {
            name,
            value,
            raw: word.to_string(),
            span: view.span(base + a, base + b),
        }
    };
    loop {
        let at_end = k >= chars.len();
        let (off, ch) = if at_end { (line.len(), '\0') } else { chars[k] };
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if ch.is_whitespace() {
                k += 1;
                continue;
            }
            if ch != '-' || k + 1 >= chars.len() || chars[k + 1].1 != '-' {
                return (flags, off);
            }
            phase = Phase::Word;
            word_start = off;
        }
        if at_end {
            if word != "--" && (blank_ok || !word.is_empty()) {
                flags.push(make(&word, word_start, line.len()));
            }
            break;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if word == "--" {
                    return (flags, off);
                }
                if blank_ok || !word.is_empty() {
                    flags.push(make(&word, word_start, off));
                }
                word.clear();
                blank_ok = false;
                k += 1;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                k += 1;
                continue;
            }
            let mut c = ch;
            if c == '\\' {
                if k + 1 >= chars.len() {
                    k += 1;
                    continue;
                }
                k += 1;
                c = chars[k].1;
            }
            word.push(c);
            k += 1;
            continue;
        }
        // Quote phase.
        if ch == quote {
            phase = Phase::Word;
            k += 1;
            continue;
        }
        let mut c = ch;
        if c == '\\' {
            if k + 1 >= chars.len() {
                phase = Phase::Word;
                k += 1;
                continue;
            }
            k += 1;
            c = chars[k].1;
        }
        word.push(c);
        k += 1;
    }
    (flags, line.len())
}

/// BuildKit's `parseStringsWhitespaceDelimited`, with each word's byte range.
fn words_ws(rest: &str) -> (Args, Vec<(usize, usize)>) {
    if rest.is_empty() {
        return (Args::None, Vec::new());
    }
    let mut words = Vec::new();
    let mut ranges = Vec::new();
    let mut start = None;
    for (i, c) in rest
        .char_indices()
        .chain(std::iter::once((rest.len(), ' ')))
    {
        if is_ws_sep(c) {
            if let Some(st) = start.take() {
                words.push(rest[st..i].to_string());
                ranges.push((st, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    (Args::Words(words), ranges)
}

/// BuildKit's `parseMaybeJSON`.
fn maybe_json(rest: &str) -> Result<Args, ParseError> {
    if rest.is_empty() {
        return Ok(Args::None);
    }
    Ok(match parse_json(rest)? {
        Some(v) => Args::Exec(v),
        None => Args::Shell(rest.to_string()),
    })
}

/// BuildKit's `parseHealthConfig`.
fn parse_health(rest: &str) -> Result<Args, ParseError> {
    let sep = rest.find(char::is_whitespace).unwrap_or(rest.len());
    if sep == 0 {
        return Ok(Args::None);
    }
    let typ = &rest[..sep];
    let cmd = maybe_json(rest[sep..].trim_start())?;
    Ok(Args::Healthcheck {
        kind: typ.to_string(),
        cmd: Box::new(cmd),
    })
}

/// BuildKit's `parseNameVal` (ENV and LABEL), with each pair's byte range.
fn parse_name_val(
    rest: &str,
    key: &str,
    escape: char,
) -> Result<(Args, Vec<(usize, usize)>), ParseError> {
    let words = parse_words_pos(rest, escape);
    if words.is_empty() {
        return Ok((Args::None, Vec::new()));
    }
    if !words[0].0.contains('=') {
        let Some(sep) = rest.find(is_ws_sep) else {
            return Err(ParseError::new(
                ParseErrorKind::InvalidKeyValue,
                format!("{key} must have two arguments"),
                Span::default(),
            ));
        };
        let value = rest[sep..].trim_start_matches(is_ws_sep);
        let kv = KeyValue {
            key: rest[..sep].to_string(),
            value: value.to_string(),
            equals: false,
            span: Span::default(),
        };
        return Ok((Args::KeyValues(vec![kv]), vec![(0, rest.len())]));
    }
    let mut out = Vec::new();
    let mut ranges = Vec::new();
    for (w, a, b) in words {
        let Some((k, v)) = w.split_once('=') else {
            // Line 0 marks a byte range relative to the arguments (see `node_from_line`).
            return Err(ParseError::new(
                ParseErrorKind::InvalidKeyValue,
                format!(
                    "Syntax error - can't find = in {}. Must be of the form: name=value",
                    go_quote(&w)
                ),
                Span::new(0, a, 0, b),
            ));
        };
        out.push(KeyValue {
            key: k.to_string(),
            value: v.to_string(),
            equals: true,
            span: Span::default(),
        });
        ranges.push((a, b));
    }
    Ok((Args::KeyValues(out), ranges))
}

/// BuildKit's `parseWords` (split on whitespace, keeping quotes and escapes in the words), with each
/// word's byte range in `rest`.
fn parse_words_pos(rest: &str, escape: char) -> Vec<(String, usize, usize)> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let chars: Vec<(usize, char)> = rest.char_indices().collect();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut start = 0usize;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut k = 0usize;
    loop {
        let at_end = k >= chars.len();
        let (off, mut ch) = if at_end { (rest.len(), '\0') } else { chars[k] };
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if ch.is_whitespace() {
                k += 1;
                continue;
            }
            phase = Phase::Word;
            start = off;
        }
        if at_end {
            if blank_ok || !word.is_empty() {
                words.push((std::mem::take(&mut word), start, rest.len()));
            }
            break;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || !word.is_empty() {
                    words.push((std::mem::take(&mut word), start, off));
                }
                blank_ok = false;
                k += 1;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                if k + 1 == chars.len() {
                    k += 1;
                    continue;
                }
                word.push(ch);
                k += 1;
                ch = chars[k].1;
            }
            word.push(ch);
            k += 1;
            continue;
        }
        // Quote phase.
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            if k + 1 == chars.len() {
                phase = Phase::Word;
                k += 1;
                continue;
            }
            k += 1;
            word.push(ch);
            ch = chars[k].1;
        }
        word.push(ch);
        k += 1;
    }
    words
}

/// BuildKit's `parseJSON` (`json.Unmarshal` into `[]any`): `Ok(Some)` for a JSON string array,
/// `Ok(None)` when the text is not valid JSON, trailing text included (shell-form fallback), `Err`
/// when it is a valid JSON array holding something other than strings.
fn parse_json(rest: &str) -> Result<Option<Vec<String>>, ParseError> {
    let s = rest.trim_start().as_bytes();
    if s.first() != Some(&b'[') {
        return Ok(None);
    }
    let mut j = Json { s, i: 1 };
    let mut out = Vec::new();
    let mut non_string = false;
    j.ws();
    if j.peek() == Some(b']') {
        j.i += 1;
    } else {
        loop {
            j.ws();
            if j.peek() == Some(b'"') {
                match j.string() {
                    Some(v) => out.push(v),
                    None => return Ok(None),
                }
            } else {
                if !j.skip_value() {
                    return Ok(None);
                }
                non_string = true;
            }
            j.ws();
            match j.peek() {
                Some(b',') => j.i += 1,
                Some(b']') => {
                    j.i += 1;
                    break;
                }
                _ => return Ok(None),
            }
        }
    }
    j.ws();
    if j.i != s.len() {
        return Ok(None);
    }
    if non_string {
        return Err(ParseError::new(
            ParseErrorKind::NotStringArray,
            "when using JSON array syntax, arrays must be comprised of strings only",
            Span::default(),
        ));
    }
    Ok(Some(out))
}

struct Json<'a> {
    s: &'a [u8],
    i: usize,
}

impl Json<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        let v = u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        self.i += 4;
        Some(v)
    }

    /// Decode a string at `"`, like Go's encoding/json.
    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let u = self.hex4()?;
                            if (0xD800..0xDC00).contains(&u) {
                                let save = self.i;
                                let lo = if self.s.get(self.i..self.i + 2) == Some(b"\\u") {
                                    self.i += 2;
                                    self.hex4()
                                } else {
                                    None
                                };
                                match lo {
                                    Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                        let cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                                        char::from_u32(cp).unwrap_or('\u{FFFD}')
                                    }
                                    _ => {
                                        self.i = save;
                                        '\u{FFFD}'
                                    }
                                }
                            } else {
                                char::from_u32(u).unwrap_or('\u{FFFD}')
                            }
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return None,
                c => out.push(c),
            }
        }
    }

    fn literal(&mut self, lit: &[u8]) -> bool {
        if self.s.get(self.i..self.i + lit.len()) == Some(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn number(&mut self) -> bool {
        let digits = |j: &mut Self| {
            let st = j.i;
            while matches!(j.peek(), Some(b'0'..=b'9')) {
                j.i += 1;
            }
            j.i > st
        };
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return false,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return false;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return false;
            }
        }
        true
    }

    /// Skip one JSON value of any type, iteratively (depth limited like Go's decoder).
    fn skip_value(&mut self) -> bool {
        let mut stack: Vec<u8> = Vec::new();
        'value: loop {
            self.ws();
            match self.peek() {
                Some(b'"') => {
                    if self.string().is_none() {
                        return false;
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                    } else {
                        stack.push(b'[');
                        if stack.len() > 10000 {
                            return false;
                        }
                        continue 'value;
                    }
                }
                Some(b'{') => {
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                    } else {
                        stack.push(b'{');
                        if stack.len() > 10000 || !self.key() {
                            return false;
                        }
                        continue 'value;
                    }
                }
                Some(b't') => {
                    if !self.literal(b"true") {
                        return false;
                    }
                }
                Some(b'f') => {
                    if !self.literal(b"false") {
                        return false;
                    }
                }
                Some(b'n') => {
                    if !self.literal(b"null") {
                        return false;
                    }
                }
                Some(b'-' | b'0'..=b'9') => {
                    if !self.number() {
                        return false;
                    }
                }
                _ => return false,
            }
            loop {
                let Some(&top) = stack.last() else {
                    return true;
                };
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                        if top == b'{' && !self.key() {
                            return false;
                        }
                        continue 'value;
                    }
                    Some(b']') if top == b'[' => {
                        stack.pop();
                        self.i += 1;
                    }
                    Some(b'}') if top == b'{' => {
                        stack.pop();
                        self.i += 1;
                    }
                    _ => return false,
                }
            }
        }
    }

    /// An object key and its colon.
    fn key(&mut self) -> bool {
        self.ws();
        if self.peek() != Some(b'"') || self.string().is_none() {
            return false;
        }
        self.ws();
        if self.peek() != Some(b':') {
            return false;
        }
        self.i += 1;
        true
    }
}

/// Go's `strconv.Quote`.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if go_is_print(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.IsPrint`.
fn go_is_print(c: char) -> bool {
    let c = c as u32;
    if c < 0x80 {
        return (0x20..0x7F).contains(&c);
    }
    crate::goprint::GO_PRINTABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn dump_args(args: &Args, out: &mut String) {
    match args {
        Args::None => {}
        Args::Exec(v) | Args::Words(v) => {
            for w in v {
                out.push(' ');
                out.push_str(&go_quote(w));
            }
        }
        Args::Shell(s) | Args::Text(s) => {
            out.push(' ');
            out.push_str(&go_quote(s));
        }
        Args::KeyValues(kv) => {
            for p in kv {
                out.push(' ');
                out.push_str(&go_quote(&p.key));
                out.push(' ');
                out.push_str(&go_quote(&p.value));
                out.push(' ');
                out.push_str(&go_quote(if p.equals { "=" } else { "" }));
            }
        }
        Args::Healthcheck { kind, cmd } => {
            out.push(' ');
            out.push_str(&go_quote(kind));
            dump_args(cmd, out);
        }
        Args::OnBuild(inner) => {
            out.push_str(" (");
            out.push_str(&dump_instruction(inner));
            out.push(')');
        }
    }
}

fn dump_instruction(inst: &Instruction) -> String {
    // The keyword as written, lower-cased (upper-casing first would change e.g. `ß`).
    let kw = inst.original.trim().split(is_ws_sep).next().unwrap_or("");
    let mut s = kw.to_lowercase();
    if !inst.flags.is_empty() {
        s.push_str(" [");
        let f: Vec<String> = inst.flags.iter().map(|f| go_quote(&f.raw)).collect();
        s.push_str(&f.join(" "));
        s.push(']');
    }
    dump_args(&inst.args, &mut s);
    if inst.kind == InstructionKind::Unknown {
        // BuildKit's parseIgnore leaves one empty argument node.
        s.push_str(" \"\"");
    }
    s.trim().to_string()
}

/// Render the file in BuildKit's AST dump format (`Node.Dump()` plus a trailing newline), one
/// `(instruction ["--flag"] "arg" …)` line per instruction.
pub fn dump(df: &Dockerfile) -> String {
    let mut s = String::new();
    for inst in &df.instructions {
        s.push('(');
        s.push_str(&dump_instruction(inst));
        s.push_str(")\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_regex() {
        assert_eq!(trim_continuation("a \\", '\\'), ("a ", false));
        assert_eq!(trim_continuation("\\  ", '\\'), ("", false));
        assert_eq!(trim_continuation("a\\\\", '\\'), ("a\\\\", true));
        assert_eq!(trim_continuation("a `", '`'), ("a ", false));
        assert_eq!(trim_continuation("a \\", '`'), ("a \\", true));
    }

    #[test]
    fn directive_regex() {
        assert_eq!(match_directive("# escape = `"), Some(("escape", "`")));
        assert_eq!(
            match_directive("#syntax=docker/dockerfile:1  "),
            Some(("syntax", "docker/dockerfile:1"))
        );
        assert_eq!(match_directive("# Comment here."), None);
        assert_eq!(match_directive("# x ="), None);
        assert_eq!(match_directive("# escape=  "), Some(("escape", " ")));
        assert_eq!(
            match_directive("#check = skip=all;error=true"),
            Some(("check", "skip=all;error=true"))
        );
    }

    #[test]
    fn json_forms() {
        assert_eq!(parse_json("[]").unwrap(), Some(vec![]));
        assert_eq!(
            parse_json("[\"a\", \"b\"]  ").unwrap(),
            Some(vec!["a".into(), "b".into()])
        );
        // json.Unmarshal rejects trailing text: shell form, even around non-strings.
        assert_eq!(parse_json("[\"a\"] tail").unwrap(), None);
        assert_eq!(parse_json("[1] tail").unwrap(), None);
        assert_eq!(parse_json("['a']").unwrap(), None);
        assert_eq!(parse_json("[\"a\"").unwrap(), None);
        assert!(parse_json("[\"a\", [\"b\"]]").is_err());
        assert!(parse_json("[1]").is_err());
        assert_eq!(
            parse_json("[\"\\ud83d\\ude00\"]").unwrap(),
            Some(vec!["😀".into()])
        );
        let deep = format!("[{}{}]", "[".repeat(20000), "]".repeat(20000));
        assert_eq!(parse_json(&deep).unwrap(), None);
    }

    #[test]
    fn quote() {
        assert_eq!(go_quote("a\"b\\\u{0}♥"), "\"a\\\"b\\\\\\x00♥\"");
        // Outputs of Go's strconv.Quote for single code points.
        let go: &[(u32, &str)] = &[
            (0xA0, "\"\\u00a0\""),
            (0x85, "\"\\u0085\""),
            (0xAD, "\"\\u00ad\""),
            (0x2028, "\"\\u2028\""),
            (0x200B, "\"\\u200b\""),
            (0xE000, "\"\\ue000\""),
            (0xFEFF, "\"\\ufeff\""),
            (0x1F600, "\"😀\""),
            (0x7F, "\"\\x7f\""),
            (0x378, "\"\\u0378\""),
            (0x10FFFF, "\"\\U0010ffff\""),
            (0x300, "\"\u{300}\""),
            (0x3000, "\"\\u3000\""),
            (0xFFFD, "\"\u{FFFD}\""),
            (0xFFFF, "\"\\uffff\""),
            (0x1B, "\"\\x1b\""),
            (0xE9, "\"é\""),
        ];
        for (cp, want) in go {
            let c = char::from_u32(*cp).unwrap();
            assert_eq!(go_quote(&c.to_string()), *want, "U+{cp:04X}");
        }
    }
}
