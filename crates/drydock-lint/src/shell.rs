//! A small, forgiving POSIX-shell splitter for RUN commands.
//!
//! It is not a shell: it splits a script into simple commands on `&&`, `||`, `;`, `|`, `&`, newlines,
//! parentheses and backticks, removes quotes, joins `\` continuations, skips comments and looks inside
//! `sh -c '…'`. Good enough to see `apt-get install -y foo` or `curl … | sh`; never panics.

/// One simple command and how it is joined to its neighbours.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Command {
    /// Words with quotes removed.
    pub words: Vec<String>,
    /// The operator before this command (`&&`, `||`, `;`, `|`, `&`, `\n`, or empty at the start).
    pub op_before: String,
    /// True when this command came from inside `sh -c '…'` (or similar).
    pub nested: bool,
}

impl Command {
    /// Words starting at the program: leading `VAR=x` assignments and wrappers (`sudo`, `env`, `exec`,
    /// `nohup`, `time`, `command`, `xargs`) are skipped.
    pub fn argv(&self) -> &[String] {
        let mut i = 0;
        while i < self.words.len() {
            let w = self.words[i].as_str();
            if is_assignment(w) {
                i += 1;
                continue;
            }
            match w {
                "sudo" | "env" | "exec" | "nohup" | "time" | "command" | "xargs" | "eval"
                | "then" | "do" | "else" | "!" | "{" | "}" => {
                    i += 1;
                    // Skip the wrapper's own options (e.g. `sudo -u app`, `xargs -r`).
                    while i < self.words.len() && self.words[i].starts_with('-') {
                        let takes_value =
                            matches!(self.words[i].as_str(), "-u" | "-g" | "-n" | "-I");
                        i += if takes_value { 2 } else { 1 };
                    }
                }
                _ => break,
            }
        }
        self.words.get(i..).unwrap_or(&[])
    }

    /// The program name (basename of the first argv word), if any.
    pub fn program(&self) -> Option<&str> {
        self.argv()
            .first()
            .map(|w| w.rsplit('/').next().unwrap_or(w.as_str()))
    }

    /// True if any word equals `w`.
    pub fn has_word(&self, w: &str) -> bool {
        self.words.iter().any(|x| x == w)
    }
}

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// Split a script into simple commands (including those inside `sh -c`).
pub fn split(script: &str) -> Vec<Command> {
    let mut out = Vec::new();
    split_into(script, false, 0, &mut out);
    out
}

fn split_into(script: &str, nested: bool, depth: usize, out: &mut Vec<Command>) {
    let chars: Vec<char> = script.chars().collect();
    let mut cur = Command {
        nested,
        ..Command::default()
    };
    let mut word = String::new();
    let mut in_word = false;
    let mut i = 0;
    let start = out.len();
    let mut substitutions: Vec<String> = Vec::new();
    let flush_word = |word: &mut String, in_word: &mut bool, cur: &mut Command| {
        if *in_word {
            cur.words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    let finish = |cur: &mut Command, op: &str, out: &mut Vec<Command>| {
        let done = std::mem::replace(
            cur,
            Command {
                nested,
                op_before: op.to_string(),
                ..Command::default()
            },
        );
        if !done.words.is_empty() {
            out.push(done);
        } else if !op.is_empty() && op != "\n" {
            // Keep the stronger operator (e.g. the `|` of `a |\n b`).
            cur.op_before = op.to_string();
        } else {
            cur.op_before = done.op_before;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                if i + 1 < chars.len() {
                    let n = chars[i + 1];
                    if n == '\n' {
                        i += 2;
                        continue;
                    }
                    if n == '\r' && chars.get(i + 2) == Some(&'\n') {
                        i += 3;
                        continue;
                    }
                    word.push(n);
                    in_word = true;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            '\'' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    word.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    // A command substitution inside double quotes still runs: split it too.
                    if chars[i] == '$' && chars.get(i + 1) == Some(&'(') {
                        let mut depth = 0usize;
                        let mut j = i + 1;
                        while j < chars.len() {
                            match chars[j] {
                                '(' => depth += 1,
                                ')' => {
                                    depth = depth.saturating_sub(1);
                                    if depth == 0 {
                                        break;
                                    }
                                }
                                _ => {}
                            }
                            j += 1;
                        }
                        let inner: String = chars[i + 2..j.min(chars.len())].iter().collect();
                        word.extend(chars[i..(j + 1).min(chars.len())].iter());
                        substitutions.push(inner);
                        i = j + 1;
                        continue;
                    }
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        let n = chars[i + 1];
                        if n == '\n' {
                            i += 2;
                            continue;
                        }
                        if matches!(n, '"' | '\\' | '$' | '`') {
                            word.push(n);
                            i += 2;
                            continue;
                        }
                    }
                    word.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '#' if !in_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ' ' | '\t' | '\r' => {
                flush_word(&mut word, &mut in_word, &mut cur);
                i += 1;
            }
            '\n' | ';' | '(' | ')' | '`' => {
                flush_word(&mut word, &mut in_word, &mut cur);
                let op = if c == '\n' {
                    "\n"
                } else if c == ';' {
                    ";"
                } else {
                    "("
                };
                // `;;` in case statements and `$(`: treat like a separator.
                finish(&mut cur, op, out);
                i += 1;
            }
            '&' | '|' => {
                // Redirections like `2>&1`, `&>` or `>|` are not separators.
                let redirect = (c == '&'
                    && (chars.get(i + 1) == Some(&'>') || (i > 0 && chars[i - 1] == '>')))
                    || (c == '|' && i > 0 && chars[i - 1] == '>');
                if redirect {
                    word.push(c);
                    in_word = true;
                    i += 1;
                    continue;
                }
                flush_word(&mut word, &mut in_word, &mut cur);
                let double = chars.get(i + 1) == Some(&c);
                let op = match (c, double) {
                    ('&', true) => "&&",
                    ('|', true) => "||",
                    ('&', false) => "&",
                    _ => "|",
                };
                finish(&mut cur, op, out);
                i += if double { 2 } else { 1 };
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                flush_word(&mut word, &mut in_word, &mut cur);
                finish(&mut cur, "(", out);
                i += 2;
            }
            _ => {
                word.push(c);
                in_word = true;
                i += 1;
            }
        }
    }
    flush_word(&mut word, &mut in_word, &mut cur);
    finish(&mut cur, "", out);
    if depth < 4 {
        for inner in substitutions {
            split_into(&inner, nested, depth + 1, out);
        }
    }
    // Look inside `sh -c 'script'`.
    if depth < 4 {
        let mut extra = Vec::new();
        for cmd in &out[start..] {
            let argv = cmd.argv();
            let Some(prog) = cmd.program() else { continue };
            if matches!(prog, "sh" | "bash" | "ash" | "dash" | "zsh" | "su")
                && let Some(pos) = argv.iter().position(|w| {
                    w == "-c"
                        || (w.starts_with('-')
                            && !w.starts_with("--")
                            && w.ends_with('c')
                            && w.len() <= 5)
                })
                && let Some(inner) = argv.get(pos + 1)
            {
                extra.push(inner.clone());
            }
        }
        for inner in extra {
            split_into(&inner, true, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progs(s: &str) -> Vec<String> {
        split(s)
            .iter()
            .filter_map(|c| c.program().map(str::to_string))
            .collect()
    }

    #[test]
    fn splits_on_operators() {
        assert_eq!(
            progs("apt-get update && apt-get install -y curl; rm -rf /x || true"),
            ["apt-get", "apt-get", "rm", "true"]
        );
        let cmds = split("curl -sSL https://x | sh");
        assert_eq!(cmds[1].op_before, "|");
        assert_eq!(cmds[1].program(), Some("sh"));
    }

    #[test]
    fn continuations_quotes_and_nesting() {
        let cmds =
            split("apt-get install \\\n  -y \"foo bar\" 'a;b' 2>&1 && sh -c 'cd /x && make'");
        assert_eq!(
            cmds[0].words,
            ["apt-get", "install", "-y", "foo bar", "a;b", "2>&1"]
        );
        assert!(cmds.iter().any(|c| c.nested && c.program() == Some("cd")));
        assert_eq!(progs("sudo -u app env A=1 pip install x"), ["pip"]);
        assert_eq!(progs("# comment\necho hi # trailing"), ["echo"]);
        assert_eq!(progs("x=$(curl -s u | bash)"), ["curl", "bash"]);
        let q =
            split("deps=\"$( scanelf --needed /usr | tr ',' '\\n' | sort -u )\"; apk add $deps");
        assert_eq!(
            q.iter().filter_map(|c| c.program()).collect::<Vec<_>>(),
            ["apk", "scanelf", "tr", "sort"]
        );
        assert_eq!(q.iter().filter(|c| c.op_before == "|").count(), 2);
    }

    #[test]
    fn never_panics_on_garbage() {
        for s in ["\\", "'", "\"", "$(", "&&&", "|||", "\"\\", "a\\\r", "`"] {
            let _ = split(s);
        }
    }
}
