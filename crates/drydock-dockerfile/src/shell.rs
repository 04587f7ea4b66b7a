//! Shell-word processing as BuildKit's `shell/lex.go` does it: quotes, escapes and `$VAR` substitution.

use crate::ast::Span;
use crate::error::{ParseError, ParseErrorKind};

/// Options for one lexing run (mirrors the knobs of BuildKit's `Lex`).
#[derive(Clone, Copy)]
pub(crate) struct LexOpts {
    pub escape: char,
    /// Keep quote characters in the output.
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
    /// Leave references to unset variables as written.
    pub skip_unset: bool,
    /// Do not substitute at all: every `$…` stays as written.
    pub no_vars: bool,
}

impl LexOpts {
    pub(crate) fn new(escape: char) -> Self {
        LexOpts {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_unset: false,
            no_vars: false,
        }
    }
}

/// A word produced by [`split_words`].
pub type ShellWord = String;

fn err(kind: ParseErrorKind, msg: impl Into<String>) -> ParseError {
    ParseError::new(kind, msg, Span::default())
}

/// Evaluate a word like BuildKit does for ENV/ARG/FROM/COPY…: remove quotes, process escapes,
/// substitute `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:+x}`, `${VAR+x}`, `${VAR:?x}`,
/// `${VAR#p}`, `${VAR##p}`, `${VAR%p}`, `${VAR%%p}`, `${VAR/p/r}`, `${VAR//p/r}`.
/// Unset variables expand to the empty string. The returned error has no location (`Span::default()`).
pub fn expand(
    word: &str,
    escape: char,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ParseError> {
    let mut lx = Lexer::new(word, LexOpts::new(escape), vars);
    lx.process().map(|(s, _)| s)
}

/// Like [`expand`], but references to variables `vars` does not know stay as written (`$X`, `${X}`,
/// `${X:-d}`), as BuildKit's lexer does with `SkipUnsetEnv` (useful when not every build arg is known).
pub fn expand_keep_unset(
    word: &str,
    escape: char,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ParseError> {
    let mut o = LexOpts::new(escape);
    o.skip_unset = true;
    let mut lx = Lexer::new(word, o, vars);
    lx.process().map(|(s, _)| s)
}

/// Remove quotes and escapes from a word without substituting variables (`$X` stays `$X`).
pub fn unquote(word: &str, escape: char) -> Result<String, ParseError> {
    let mut o = LexOpts::new(escape);
    o.no_vars = true;
    let mut lx = Lexer::new(word, o, &|_| None);
    lx.process().map(|(s, _)| s)
}

/// Split a line into shell words (quotes removed, variables left as written), like BuildKit's
/// `ProcessWords` with no environment.
pub fn split_words(line: &str, escape: char) -> Result<Vec<ShellWord>, ParseError> {
    let mut o = LexOpts::new(escape);
    o.no_vars = true;
    let mut lx = Lexer::new(line, o, &|_| None);
    lx.process().map(|(_, w)| w)
}

pub(crate) fn process_words(
    line: &str,
    opts: LexOpts,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), ParseError> {
    Lexer::new(line, opts, vars).process()
}

#[derive(Default)]
struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() && self.in_word {
            if !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else if !ch.is_whitespace() {
            self.add_raw_char(ch);
        }
    }
    fn add_raw_char(&mut self, ch: char) {
        self.word.push(ch);
        self.in_word = true;
    }
    fn add_string(&mut self, s: &str) {
        for c in s.chars() {
            self.add_char(c);
        }
    }
    fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }
    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(std::mem::take(&mut self.word));
        }
        self.words
    }
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    o: LexOpts,
    vars: &'a dyn Fn(&str) -> Option<String>,
    depth: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &str, o: LexOpts, vars: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Lexer {
            chars: src.chars().collect(),
            pos: 0,
            o,
            vars,
            depth: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn process(&mut self) -> Result<(String, Vec<String>), ParseError> {
        let raw = self.o.raw_escapes;
        self.process_stop_on(None, raw)
    }

    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), ParseError> {
        self.depth += 1;
        if self.depth > 200 {
            return Err(err(
                ParseErrorKind::BadSubstitution,
                "substitution nested too deeply",
            ));
        }
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                self.next();
                self.depth -= 1;
                return Ok((result, words.finish()));
            }
            match ch {
                '\'' => {
                    let t = self.single_quote()?;
                    result.push_str(&t);
                    words.add_raw_string(&t);
                }
                '"' => {
                    let t = self.double_quote()?;
                    result.push_str(&t);
                    words.add_raw_string(&t);
                }
                '$' => {
                    let t = self.dollar()?;
                    result.push_str(&t);
                    words.add_string(&t);
                }
                '<' => {
                    let t = self.possible_heredoc();
                    result.push_str(&t);
                    words.add_raw_string(&t);
                }
                _ => {
                    let mut ch = self.next().unwrap_or_default();
                    if ch == self.o.escape {
                        if raw_escapes {
                            words.add_raw_char(ch);
                            result.push(ch);
                        }
                        match self.next() {
                            None => break,
                            Some(c) => {
                                ch = c;
                                words.add_raw_char(ch);
                            }
                        }
                    } else {
                        words.add_char(ch);
                    }
                    result.push(ch);
                }
            }
        }
        self.depth -= 1;
        if let Some(s) = stop {
            return Err(err(
                ParseErrorKind::UnterminatedQuote,
                format!("unexpected end of statement while looking for matching {s}"),
            ));
        }
        Ok((result, words.finish()))
    }

    /// BuildKit's `processPossibleHeredoc`: `<<` keeps the blanks after it in the same word, so
    /// `<<  EOF` is one word.
    fn possible_heredoc(&mut self) -> String {
        self.next();
        if self.peek() != Some('<') {
            return "<".into();
        }
        self.next();
        let mut out = String::from("<<");
        while let Some(c) = self
            .peek()
            .filter(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
        {
            out.push(c);
            self.next();
        }
        out
    }

    fn single_quote(&mut self) -> Result<String, ParseError> {
        let mut out = String::new();
        let q = self.next().unwrap_or('\'');
        if self.o.raw_quotes {
            out.push(q);
        }
        loop {
            match self.next() {
                None => {
                    return Err(err(
                        ParseErrorKind::UnterminatedQuote,
                        "unexpected end of statement while looking for matching single-quote",
                    ));
                }
                Some('\'') => {
                    if self.o.raw_quotes {
                        out.push('\'');
                    }
                    return Ok(out);
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn double_quote(&mut self) -> Result<String, ParseError> {
        let mut out = String::new();
        let q = self.next().unwrap_or('"');
        if self.o.raw_quotes {
            out.push(q);
        }
        loop {
            match self.peek() {
                None => {
                    return Err(err(
                        ParseErrorKind::UnterminatedQuote,
                        "unexpected end of statement while looking for matching double-quote",
                    ));
                }
                Some('"') => {
                    self.next();
                    if self.o.raw_quotes {
                        out.push('"');
                    }
                    return Ok(out);
                }
                Some('$') => {
                    let v = self.dollar()?;
                    out.push_str(&v);
                }
                Some(_) => {
                    let mut ch = self.next().unwrap_or_default();
                    if ch == self.o.escape {
                        if self.o.raw_escapes {
                            out.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(c) if c == '"' || c == '$' || c == self.o.escape => {
                                ch = c;
                                self.next();
                            }
                            Some(_) => {}
                        }
                    }
                    out.push(ch);
                }
            }
        }
    }

    fn get_env(&self, name: &str) -> Option<String> {
        (self.vars)(name)
    }

    fn dollar(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.next();
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            if self.o.no_vars {
                return Ok(format!("${name}"));
            }
            return match self.get_env(&name) {
                Some(v) => Ok(v),
                None if self.o.skip_unset => Ok(format!("${name}")),
                None => Ok(String::new()),
            };
        }
        self.next();
        match self.peek() {
            None => {
                return Err(err(
                    ParseErrorKind::BadSubstitution,
                    "syntax error: missing '}'",
                ));
            }
            Some('{' | '}' | ':') => {
                return Err(err(
                    ParseErrorKind::BadSubstitution,
                    "syntax error: bad substitution",
                ));
            }
            _ => {}
        }
        let name = self.name();
        let Some(ch) = self.next() else {
            return Err(err(
                ParseErrorKind::BadSubstitution,
                "syntax error: missing '}'",
            ));
        };
        let literal = |lx: &Self| lx.chars[start..lx.pos].iter().collect::<String>();
        match ch {
            '}' => {
                if self.o.no_vars {
                    return Ok(literal(self));
                }
                match self.get_env(&name) {
                    Some(v) => Ok(v),
                    None if self.o.skip_unset => Ok(format!("${{{name}}}")),
                    None => Ok(String::new()),
                }
            }
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let mut modifier = ch;
                let mut chs = ch.to_string();
                let null_is_unset = ch == ':';
                if null_is_unset {
                    let Some(c) = self.next() else {
                        return Err(err(
                            ParseErrorKind::BadSubstitution,
                            "syntax error: missing '}'",
                        ));
                    };
                    modifier = c;
                    chs.push(c);
                }
                let raw_esc = modifier == '#' || modifier == '%';
                let (word, _) = self.process_stop_on(Some('}'), raw_esc).map_err(|e| {
                    if self.peek().is_none() {
                        err(ParseErrorKind::BadSubstitution, "syntax error: missing '}'")
                    } else {
                        e
                    }
                })?;
                if self.o.no_vars {
                    return Ok(literal(self));
                }
                let value = self.get_env(&name);
                if self.o.skip_unset && value.is_none() {
                    return Ok(format!("${{{name}{chs}{word}}}"));
                }
                let set = value.is_some();
                let value = value.unwrap_or_default();
                match modifier {
                    '-' => Ok(if !set || (null_is_unset && value.is_empty()) {
                        word
                    } else {
                        value
                    }),
                    '+' => Ok(if !set || (null_is_unset && value.is_empty()) {
                        String::new()
                    } else {
                        word
                    }),
                    '?' => {
                        if !set || (null_is_unset && value.is_empty()) {
                            let msg = if !word.is_empty() {
                                word
                            } else if !set {
                                "is not allowed to be unset".into()
                            } else {
                                "is not allowed to be empty".into()
                            };
                            return Err(err(
                                ParseErrorKind::BadSubstitution,
                                format!("{name}: {msg}"),
                            ));
                        }
                        Ok(value)
                    }
                    '#' | '%' => {
                        let (greedy, pat) = match word.strip_prefix(modifier) {
                            Some(rest) => (true, rest.to_string()),
                            None => (false, word),
                        };
                        trim_pattern(&value, &pat, greedy, modifier == '#')
                    }
                    _ => Err(err(
                        ParseErrorKind::BadSubstitution,
                        format!("unsupported modifier ({chs}) in substitution"),
                    )),
                }
            }
            '/' => {
                let all = self.peek() == Some('/');
                if all {
                    self.next();
                }
                let (pattern, _) = self.process_stop_on(Some('/'), true).map_err(|e| {
                    if self.peek().is_none() {
                        err(
                            ParseErrorKind::BadSubstitution,
                            "syntax error: missing '/' in ${}",
                        )
                    } else {
                        e
                    }
                })?;
                let (repl, _) = self.process_stop_on(Some('}'), true).map_err(|e| {
                    if self.peek().is_none() {
                        err(ParseErrorKind::BadSubstitution, "syntax error: missing '}'")
                    } else {
                        e
                    }
                })?;
                if self.o.no_vars {
                    return Ok(literal(self));
                }
                let Some(value) = self.get_env(&name) else {
                    if self.o.skip_unset {
                        return Ok(format!("${{{name}/{pattern}/{repl}}}"));
                    }
                    return Ok(String::new());
                };
                replace_pattern(&value, &pattern, &repl, all)
            }
            c => Err(err(
                ParseErrorKind::BadSubstitution,
                format!("unsupported modifier ({c}) in substitution"),
            )),
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    name.push(d);
                    self.next();
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return ch.to_string();
            }
            if !ch.is_alphanumeric() && ch != '_' {
                break;
            }
            name.push(ch);
            self.next();
        }
        name
    }
}

/// One element of a substitution pattern (BuildKit's `convertShellPatternToRegex`: `*`, `?`, and
/// `\\` escapes of `*`, `?`, `\\`, `}` and `/`; no bracket expressions).
#[derive(Clone, Copy, PartialEq)]
enum Pat {
    Star,
    Any,
    Lit(char),
}

fn compile_pattern(pat: &str) -> Result<Vec<Pat>, ParseError> {
    let chars: Vec<char> = pat.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => out.push(Pat::Star),
            '?' => out.push(Pat::Any),
            '\\' => match chars.get(i + 1) {
                Some('}' | '/') => {}
                Some(&c @ ('*' | '?' | '\\')) => {
                    out.push(Pat::Lit(c));
                    i += 1;
                }
                other => {
                    let c = other.map(|c| c.to_string()).unwrap_or_default();
                    return Err(err(
                        ParseErrorKind::BadSubstitution,
                        format!("invalid pattern ({pat}) in substitution: invalid escape '\\{c}'"),
                    ));
                }
            },
            c => out.push(Pat::Lit(c)),
        }
        i += 1;
    }
    Ok(out)
}

/// Every `k` such that the pattern matches `v[start..k]` exactly, ascending (an NFA walk,
/// O(len · pattern)).
fn match_ends(pat: &[Pat], v: &[char], start: usize) -> Vec<usize> {
    let m = pat.len();
    // Epsilon closure: a star may match nothing.
    let close = |set: &mut Vec<bool>| {
        for i in 0..m {
            if set[i] && pat[i] == Pat::Star {
                set[i + 1] = true;
            }
        }
    };
    let mut cur = vec![false; m + 1];
    cur[0] = true;
    close(&mut cur);
    let mut ends = Vec::new();
    if cur[m] {
        ends.push(start);
    }
    for (k, &c) in v.iter().enumerate().skip(start) {
        let mut next = vec![false; m + 1];
        let mut any = false;
        for i in 0..m {
            if !cur[i] {
                continue;
            }
            match pat[i] {
                Pat::Star => next[i] = true,
                Pat::Any => next[i + 1] = true,
                Pat::Lit(l) if l == c => next[i + 1] = true,
                Pat::Lit(_) => {}
            }
        }
        close(&mut next);
        for &b in &next {
            any |= b;
        }
        if !any {
            break;
        }
        if next[m] {
            ends.push(k + 1);
        }
        cur = next;
    }
    ends
}

fn trim_pattern(value: &str, pat: &str, greedy: bool, prefix: bool) -> Result<String, ParseError> {
    let mut v: Vec<char> = value.chars().collect();
    let mut p = compile_pattern(pat)?;
    if !prefix {
        // A suffix match is a prefix match of the reversed pattern on the reversed value.
        v.reverse();
        p.reverse();
    }
    let ends = match_ends(&p, &v, 0);
    let Some(&k) = (if greedy { ends.last() } else { ends.first() }) else {
        return Ok(value.to_string());
    };
    let mut rest: Vec<char> = v[k..].to_vec();
    if !prefix {
        rest.reverse();
    }
    Ok(rest.into_iter().collect())
}

fn replace_pattern(value: &str, pat: &str, repl: &str, all: bool) -> Result<String, ParseError> {
    let v: Vec<char> = value.chars().collect();
    let p = compile_pattern(pat)?;
    let mut out = String::new();
    let mut i = 0;
    let mut done = false;
    while i <= v.len() {
        if !done {
            // Leftmost match, longest at that start (greedy `*`); empty matches count.
            if let Some(&k) = match_ends(&p, &v, i).last() {
                out.push_str(repl);
                if !all {
                    done = true;
                }
                if k > i {
                    i = k;
                    continue;
                }
            }
        }
        if i < v.len() {
            out.push(v[i]);
        }
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn ex(word: &str, vars: &[(&str, &str)]) -> Result<String, ParseError> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        expand(word, '\\', &|k| m.get(k).cloned())
    }

    #[test]
    fn substitutions() {
        let v = [("A", "alpha"), ("E", ""), ("P", "/usr/local/bin")];
        assert_eq!(ex("$A", &v).unwrap(), "alpha");
        assert_eq!(ex("${A}x", &v).unwrap(), "alphax");
        assert_eq!(ex("${U:-def}", &v).unwrap(), "def");
        assert_eq!(ex("${E:-def}", &v).unwrap(), "def");
        assert_eq!(ex("${E-def}", &v).unwrap(), "");
        assert_eq!(ex("${A:+set}", &v).unwrap(), "set");
        assert_eq!(ex("${U+set}", &v).unwrap(), "");
        assert_eq!(ex("${P#*/}", &v).unwrap(), "usr/local/bin");
        assert_eq!(ex("${P##*/}", &v).unwrap(), "bin");
        assert_eq!(ex("${P%/*}", &v).unwrap(), "/usr/local");
        assert_eq!(ex("${P%%/l*}", &v).unwrap(), "/usr");
        assert_eq!(ex("${P/usr/opt}", &v).unwrap(), "/opt/local/bin");
        assert_eq!(ex("${A//a/o}", &v).unwrap(), "olpho");
        assert_eq!(ex("'$A' \"$A\" \\$A", &v).unwrap(), "$A alpha $A");
        assert!(ex("${U:?must}", &v).is_err());
        assert!(ex("${A", &v).is_err());
        assert!(ex("${:}", &v).is_err());
        assert!(ex("\"abc", &v).is_err());
        assert_eq!(ex("$", &v).unwrap(), "$");
        assert_eq!(ex("a$1b", &v).unwrap(), "ab");
        assert_eq!(ex("${A/[a]/x}", &v).unwrap(), "alpha");
        assert!(ex("${A//}", &v).is_err());
        assert_eq!(ex("${A///x}", &v).unwrap(), "xaxlxpxhxax");
        assert_eq!(ex("${A/#/x}", &v).unwrap(), "alpha");
        assert_eq!(ex("${P#\\*}", &v).unwrap(), "/usr/local/bin");
        assert!(ex("${P#\\x}", &v).is_err());
        assert_eq!(ex("${E:#x}", &v).unwrap(), "");
    }

    #[test]
    fn patterns_on_long_values() {
        let long = "ab".repeat(5000);
        let v = [("L", long.as_str())];
        let t = std::time::Instant::now();
        assert_eq!(ex("${L//a*b/x}", &v).unwrap(), "x");
        assert_eq!(ex("${L//a?/x}", &v).unwrap(), "x".repeat(5000));
        assert_eq!(ex("${L#*b}", &v).unwrap().len(), 9998);
        assert_eq!(ex("${L%%a*}", &v).unwrap(), "");
        assert!(t.elapsed().as_secs() < 5);
    }

    #[test]
    fn keep_unset() {
        let vars = |k: &str| (k == "A").then(|| "1".to_string());
        assert_eq!(
            expand_keep_unset("$A-$B-${C}-${D:-x}-\"$A\"", '\\', &vars).unwrap(),
            "1-$B-${C}-${D:-x}-1"
        );
    }

    #[test]
    fn unquote_and_words() {
        assert_eq!(unquote("\"a b\"'c'$X", '\\').unwrap(), "a bc$X");
        assert_eq!(unquote("${X:-y}", '\\').unwrap(), "${X:-y}");
        assert_eq!(
            split_words("a \"b c\" d\\ e", '\\').unwrap(),
            vec!["a", "b c", "d e"]
        );
        assert_eq!(split_words("a `\"b", '`').unwrap(), vec!["a", "\"b"]);
    }
}
