//! The Dockerfile syntax tree.
//!
//! Shape contract: fields and variants are only ever added, never renamed or removed; the structs and
//! enums are `#[non_exhaustive]` so that adding one is not a breaking change for readers.

use std::fmt;

/// A source region. Lines and columns are 1-based; columns count Unicode scalar values;
/// `end_col` is exclusive (the column just past the last character), as in SARIF regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// First line of the region.
    pub start_line: usize,
    /// Column of the first character on `start_line`.
    pub start_col: usize,
    /// Last line of the region (differs from `start_line` for continuations and heredocs).
    pub end_line: usize,
    /// Column just past the last character on `end_line`.
    pub end_col: usize,
}

impl Span {
    /// A region from (start_line, start_col) to (end_line, end_col).
    pub fn new(start_line: usize, start_col: usize, end_line: usize, end_col: usize) -> Self {
        Span {
            start_line,
            start_col,
            end_line,
            end_col,
        }
    }

    /// Whether `line` lies within the region.
    pub fn contains_line(&self, line: usize) -> bool {
        self.start_line <= line && line <= self.end_line
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.start_line, self.start_col)
    }
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dockerfile {
    /// Parser directives found at the top (`# syntax=`, `# escape=`, `# check=`).
    pub directives: Vec<Directive>,
    /// The escape character in effect (`\` or `` ` ``).
    pub escape: char,
    /// Every top-level instruction, in source order (ONBUILD's inner instruction is nested, not listed).
    pub instructions: Vec<Instruction>,
    /// Indices into `instructions` of the ARG instructions before the first FROM (global build args).
    pub args_before_from: Vec<usize>,
    /// Build stages, one per FROM, in order.
    pub stages: Vec<Stage>,
    /// Every comment line (not directives, not heredoc bodies), including comments inside continuations.
    pub comments: Vec<Comment>,
    /// Non-fatal findings BuildKit's parser also reports (e.g. empty continuation lines).
    pub warnings: Vec<Warning>,
}

/// A parser directive such as `# syntax=docker/dockerfile:1`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Directive {
    /// Lower-cased name: `syntax`, `escape` or `check`.
    pub name: String,
    /// Value with surrounding whitespace removed.
    pub value: String,
    /// Where the directive line is.
    pub span: Span,
}

/// A comment line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Comment {
    /// Text after the `#`, with surrounding whitespace trimmed.
    pub text: String,
    /// The whole line as written (without the line ending).
    pub raw: String,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column of the `#`.
    pub col: usize,
}

/// A non-fatal parser finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Warning {
    /// Short description, worded as BuildKit words it.
    pub message: String,
    /// Where.
    pub span: Span,
}

/// A build stage: a FROM and the instructions up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stage {
    /// 0-based stage index.
    pub index: usize,
    /// Stage name from `FROM x AS name`, lower-cased as BuildKit does.
    pub name: Option<String>,
    /// The FROM line.
    pub from: FromInfo,
    /// Indices into `Dockerfile::instructions` of this stage's instructions (the FROM itself first).
    pub instructions: Vec<usize>,
}

/// What a stage is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FromInfo {
    /// Image text as written (may contain `$VAR`).
    pub image: String,
    /// Image after substituting the global ARGs' defaults (unset ARGs expand to empty).
    pub image_expanded: String,
    /// `--platform` value as written, if any.
    pub platform: Option<String>,
    /// Variables the image refers to that no global ARG gives a default (build args or BuildKit's
    /// automatic platform args must supply them; they expanded to empty in `image_expanded`).
    pub unresolved: Vec<String>,
    /// If the (expanded) image names an earlier stage (case-insensitive), that stage's index.
    pub base_stage: Option<usize>,
    /// Whether the base is `scratch`.
    pub is_scratch: bool,
    /// Index of the FROM instruction in `Dockerfile::instructions`.
    pub instruction: usize,
    /// Span of the FROM instruction.
    pub span: Span,
    /// Span of the image word.
    pub image_span: Span,
}

/// Which instruction a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InstructionKind {
    /// `FROM`
    From,
    /// `RUN`
    Run,
    /// `CMD`
    Cmd,
    /// `LABEL`
    Label,
    /// `MAINTAINER`
    Maintainer,
    /// `EXPOSE`
    Expose,
    /// `ENV`
    Env,
    /// `ADD`
    Add,
    /// `COPY`
    Copy,
    /// `ENTRYPOINT`
    Entrypoint,
    /// `VOLUME`
    Volume,
    /// `USER`
    User,
    /// `WORKDIR`
    Workdir,
    /// `ARG`
    Arg,
    /// `ONBUILD`
    Onbuild,
    /// `STOPSIGNAL`
    Stopsignal,
    /// `HEALTHCHECK`
    Healthcheck,
    /// `SHELL`
    Shell,
    /// Anything else (BuildKit's parser accepts it; building fails with "unknown instruction").
    Unknown,
}

impl InstructionKind {
    /// Classify a keyword (case-insensitive).
    pub fn from_keyword(keyword: &str) -> Self {
        match keyword.to_ascii_lowercase().as_str() {
            "from" => Self::From,
            "run" => Self::Run,
            "cmd" => Self::Cmd,
            "label" => Self::Label,
            "maintainer" => Self::Maintainer,
            "expose" => Self::Expose,
            "env" => Self::Env,
            "add" => Self::Add,
            "copy" => Self::Copy,
            "entrypoint" => Self::Entrypoint,
            "volume" => Self::Volume,
            "user" => Self::User,
            "workdir" => Self::Workdir,
            "arg" => Self::Arg,
            "onbuild" => Self::Onbuild,
            "stopsignal" => Self::Stopsignal,
            "healthcheck" => Self::Healthcheck,
            "shell" => Self::Shell,
            _ => Self::Unknown,
        }
    }

    /// The canonical upper-case keyword (`None` for `Unknown`).
    pub fn keyword(self) -> Option<&'static str> {
        Some(match self {
            Self::From => "FROM",
            Self::Run => "RUN",
            Self::Cmd => "CMD",
            Self::Label => "LABEL",
            Self::Maintainer => "MAINTAINER",
            Self::Expose => "EXPOSE",
            Self::Env => "ENV",
            Self::Add => "ADD",
            Self::Copy => "COPY",
            Self::Entrypoint => "ENTRYPOINT",
            Self::Volume => "VOLUME",
            Self::User => "USER",
            Self::Workdir => "WORKDIR",
            Self::Arg => "ARG",
            Self::Onbuild => "ONBUILD",
            Self::Stopsignal => "STOPSIGNAL",
            Self::Healthcheck => "HEALTHCHECK",
            Self::Shell => "SHELL",
            Self::Unknown => return None,
        })
    }
}

/// One instruction (a logical line, after joining continuations).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Instruction {
    /// The keyword upper-cased (`RUN`, or the unknown word as written, upper-cased).
    pub keyword: String,
    /// Which instruction.
    pub kind: InstructionKind,
    /// From the keyword's first character to the last argument character (end line for continuations;
    /// heredoc bodies are not included, see `Heredoc::span`).
    pub span: Span,
    /// Span of the keyword.
    pub keyword_span: Span,
    /// `--name[=value]` flags between the keyword and the arguments, in order.
    pub flags: Vec<Flag>,
    /// The arguments, shaped by instruction as BuildKit's parser shapes them.
    pub args: Args,
    /// One span per element of `Args::Words` or `Args::KeyValues`, in order (empty for other shapes).
    pub word_spans: Vec<Span>,
    /// Span of the argument text (after flags); empty span at the end when there is none.
    pub args_span: Span,
    /// The argument text after flags, as BuildKit's parser sees it (continuations joined).
    pub args_text: String,
    /// Heredocs started on this line, in order.
    pub heredocs: Vec<Heredoc>,
    /// The logical line: continuation lines joined with the escape and newline removed, comments dropped.
    pub original: String,
    /// The source text exactly as written, from the keyword through the last continuation line (heredoc
    /// bodies excluded). Empty for ONBUILD's inner instruction (the outer one holds the text).
    pub source: String,
    /// Index of the stage this instruction belongs to (`None` before the first FROM).
    pub stage: Option<usize>,
}

/// A `--name[=value]` flag.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Flag {
    /// Name without the leading `--` (as written; BuildKit flag names are case-sensitive).
    pub name: String,
    /// Value after `=`, quotes removed; `None` for a bare `--flag`.
    pub value: Option<String>,
    /// The flag as BuildKit's AST keeps it, e.g. `--from=builder` (quotes removed).
    pub raw: String,
    /// Where the flag is.
    pub span: Span,
}

/// A key/value pair from ENV or LABEL (value raw: quotes and escapes not yet processed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyValue {
    /// The key as written.
    pub key: String,
    /// The value as written (quotes kept; use [`crate::unquote`] or [`crate::expand`] to evaluate).
    pub value: String,
    /// `true` for `k=v` form, `false` for the legacy `ENV k v` form.
    pub equals: bool,
    /// Where the pair is (the `k=v` word, or the whole argument text for the legacy form).
    pub span: Span,
}

/// Instruction arguments, shaped like BuildKit's parser shapes them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Args {
    /// No arguments (also used for unknown instructions).
    None,
    /// JSON (exec) form: RUN/CMD/ENTRYPOINT/SHELL/ADD/COPY/VOLUME `["a", "b"]`, decoded.
    Exec(Vec<String>),
    /// Shell form of RUN/CMD/ENTRYPOINT/SHELL: the command line as written.
    Shell(String),
    /// A single raw string: USER, WORKDIR, STOPSIGNAL, MAINTAINER.
    Text(String),
    /// Whitespace-separated words: FROM, EXPOSE, non-JSON ADD/COPY/VOLUME; ARG's quote-aware words.
    Words(Vec<String>),
    /// ENV / LABEL pairs.
    KeyValues(Vec<KeyValue>),
    /// HEALTHCHECK: `NONE`, `CMD …`, or another type word (kept as written).
    Healthcheck {
        /// The first word, e.g. `CMD` or `NONE`, as written.
        kind: String,
        /// The command after `CMD` (`Exec`, `Shell`, or `None`).
        cmd: Box<Args>,
    },
    /// ONBUILD's wrapped instruction.
    OnBuild(Box<Instruction>),
}

/// A here-document attached to an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Heredoc {
    /// The delimiter word with quotes removed (e.g. `EOF`).
    pub name: String,
    /// Body exactly as written, line endings included (CRLF stays CRLF); leading tabs are kept even
    /// for `<<-` (see [`Heredoc::effective_content`]).
    pub content: String,
    /// `false` when the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): no variable expansion.
    pub expand: bool,
    /// `true` for `<<-EOF`: leading tabs are stripped from the body at build time.
    pub chomp: bool,
    /// The file descriptor prefix (`3<<EOF`), 0 when absent.
    pub fd: u32,
    /// From the first body line through the terminator line.
    pub span: Span,
}

/// A parsed `RUN --mount=` value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Mount {
    /// `type=` (default `bind`).
    pub kind: String,
    /// `target=` / `dst=` / `destination=`.
    pub target: Option<String>,
    /// `source=` / `src=`.
    pub source: Option<String>,
    /// `from=` (stage name, image, or context).
    pub from: Option<String>,
    /// `id=`.
    pub id: Option<String>,
    /// `sharing=` (shared, private, locked).
    pub sharing: Option<String>,
    /// `readonly` / `ro` / `rw` result (None when unspecified).
    pub readonly: Option<bool>,
    /// `required=`.
    pub required: Option<bool>,
    /// `mode=`.
    pub mode: Option<String>,
    /// `uid=`.
    pub uid: Option<String>,
    /// `gid=`.
    pub gid: Option<String>,
    /// `env=` (secret mounts).
    pub env: Option<String>,
    /// `size=` (tmpfs).
    pub size: Option<String>,
    /// Every `key[=value]` option in order, keys lower-cased.
    pub options: Vec<(String, Option<String>)>,
}

/// An EXPOSE entry like `8080/tcp`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExposePort {
    /// Port or range as written (may contain variables).
    pub port: String,
    /// Protocol if given (`tcp`, `udp`, `sctp`).
    pub protocol: Option<String>,
}

/// HEALTHCHECK settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Healthcheck {
    /// `true` for `HEALTHCHECK NONE`.
    pub none: bool,
    /// The test command (`Exec` or `Shell`), `Args::None` for NONE.
    pub cmd: Args,
    /// `--interval` as written.
    pub interval: Option<String>,
    /// `--timeout` as written.
    pub timeout: Option<String>,
    /// `--start-period` as written.
    pub start_period: Option<String>,
    /// `--start-interval` as written.
    pub start_interval: Option<String>,
    /// `--retries` as written.
    pub retries: Option<String>,
}

impl Mount {
    /// Whether the mount is read-only: as given, else BuildKit's default (cache and tmpfs writable,
    /// bind/secret/ssh read-only).
    pub fn is_readonly(&self) -> bool {
        self.readonly
            .unwrap_or(!matches!(self.kind.as_str(), "cache" | "tmpfs"))
    }
}

impl Heredoc {
    /// The body as the build uses it: with `<<-`, leading tabs removed from every line.
    pub fn effective_content(&self) -> String {
        if !self.chomp {
            return self.content.clone();
        }
        self.content
            .split_inclusive('\n')
            .map(|l| l.trim_start_matches('\t'))
            .collect()
    }
}

impl Dockerfile {
    /// The global ARG instructions (before the first FROM).
    pub fn meta_args(&self) -> impl Iterator<Item = &Instruction> {
        self.args_before_from.iter().map(|&i| &self.instructions[i])
    }

    /// The instructions of one stage (FROM first).
    pub fn stage_instructions(&self, stage: usize) -> impl Iterator<Item = &Instruction> {
        self.stages
            .get(stage)
            .into_iter()
            .flat_map(|s| s.instructions.iter().map(|&i| &self.instructions[i]))
    }

    /// The last stage (the one `docker build` produces without `--target`).
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// Find a stage by name (case-insensitive) or by numeric index, as `--from=` and `FROM` resolve it.
    pub fn stage_by_ref(&self, reference: &str) -> Option<&Stage> {
        let lower = reference.to_ascii_lowercase();
        if let Some(s) = self
            .stages
            .iter()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
        {
            return Some(s);
        }
        reference
            .parse::<usize>()
            .ok()
            .and_then(|i| self.stages.get(i))
    }

    /// The instruction whose lines (including heredoc bodies) contain `line`.
    pub fn instruction_at_line(&self, line: usize) -> Option<&Instruction> {
        self.instructions
            .iter()
            .find(|i| i.full_span().contains_line(line))
    }

    /// The first instruction starting after `line` (what a `# … ignore=` pragma on `line` applies to).
    pub fn next_instruction_after(&self, line: usize) -> Option<&Instruction> {
        self.instructions.iter().find(|i| i.span.start_line > line)
    }

    /// The value of a parser directive, if present (name lower-case).
    pub fn directive(&self, name: &str) -> Option<&str> {
        self.directives
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.value.as_str())
    }
}

impl Instruction {
    /// The instruction's span extended through its heredoc bodies and terminators.
    pub fn full_span(&self) -> Span {
        match self.heredocs.last() {
            Some(h) if h.span.end_line > self.span.end_line => Span {
                end_line: h.span.end_line,
                end_col: h.span.end_col,
                ..self.span
            },
            _ => self.span,
        }
    }

    /// Whether the arguments are in JSON (exec) form (HEALTHCHECK CMD: whether its command is).
    pub fn is_exec_form(&self) -> bool {
        match &self.args {
            Args::Exec(_) => true,
            Args::Healthcheck { cmd, .. } => matches!(**cmd, Args::Exec(_)),
            Args::OnBuild(inner) => inner.is_exec_form(),
            _ => false,
        }
    }

    /// Whether the arguments are a shell-form command (RUN/CMD/ENTRYPOINT/SHELL, HEALTHCHECK CMD).
    pub fn is_shell_form(&self) -> bool {
        match &self.args {
            Args::Shell(_) => true,
            Args::Healthcheck { cmd, .. } => matches!(**cmd, Args::Shell(_)),
            _ => false,
        }
    }

    /// Exec-form arguments, if any.
    pub fn exec_args(&self) -> Option<&[String]> {
        match &self.args {
            Args::Exec(v) => Some(v),
            Args::Healthcheck { cmd, .. } => match &**cmd {
                Args::Exec(v) => Some(v),
                _ => None,
            },
            _ => None,
        }
    }

    /// Shell-form command text, if any.
    pub fn shell_command(&self) -> Option<&str> {
        match &self.args {
            Args::Shell(s) => Some(s),
            Args::Healthcheck { cmd, .. } => match &**cmd {
                Args::Shell(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    /// The first flag with this name (without `--`).
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// All flags with this name (without `--`), e.g. several `--mount`.
    pub fn flags_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Flag> + 'a {
        self.flags.iter().filter(move |f| f.name == name)
    }

    /// The value of the last flag with this name (BuildKit keeps the last), `Some("")` for a bare flag.
    pub fn flag_value(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|f| f.name == name)
            .map(|f| f.value.as_deref().unwrap_or(""))
    }

    /// COPY/ADD `--from=` value.
    pub fn from_flag(&self) -> Option<&str> {
        self.flag_value("from")
    }

    /// COPY/ADD `--chown=` value.
    pub fn chown(&self) -> Option<&str> {
        self.flag_value("chown")
    }

    /// COPY/ADD `--chmod=` value.
    pub fn chmod(&self) -> Option<&str> {
        self.flag_value("chmod")
    }

    /// FROM/COPY/ADD `--platform=` value.
    pub fn platform(&self) -> Option<&str> {
        self.flag_value("platform")
    }

    /// RUN `--network=` value.
    pub fn network(&self) -> Option<&str> {
        self.flag_value("network")
    }

    /// RUN `--security=` value.
    pub fn security(&self) -> Option<&str> {
        self.flag_value("security")
    }

    /// RUN `--mount=` values, parsed; malformed ones are reported as errors with the flag's span.
    pub fn mounts(&self) -> Vec<Result<Mount, crate::ParseError>> {
        self.flags_named("mount")
            .map(|f| {
                crate::mount::parse_mount(f.value.as_deref().unwrap_or("")).map_err(|msg| {
                    crate::ParseError::new(crate::ParseErrorKind::InvalidFlag, msg, f.span)
                })
            })
            .collect()
    }

    /// ONBUILD's wrapped instruction.
    pub fn onbuild_inner(&self) -> Option<&Instruction> {
        match &self.args {
            Args::OnBuild(i) => Some(i),
            _ => None,
        }
    }

    /// The instruction that takes effect: ONBUILD's inner one, else itself.
    pub fn effective(&self) -> &Instruction {
        self.onbuild_inner().unwrap_or(self)
    }

    /// USER's value as written.
    pub fn user(&self) -> Option<&str> {
        match (&self.kind, &self.args) {
            (InstructionKind::User, Args::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// WORKDIR's path as written.
    pub fn workdir(&self) -> Option<&str> {
        match (&self.kind, &self.args) {
            (InstructionKind::Workdir, Args::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// The plain words of FROM/EXPOSE/ADD/COPY/VOLUME/ARG (JSON form decoded for ADD/COPY/VOLUME).
    pub fn words(&self) -> &[String] {
        match &self.args {
            Args::Words(w) | Args::Exec(w) => w,
            _ => &[],
        }
    }

    /// EXPOSE entries.
    pub fn expose_ports(&self) -> Vec<ExposePort> {
        if self.kind != InstructionKind::Expose {
            return Vec::new();
        }
        self.words()
            .iter()
            .map(|w| match w.split_once('/') {
                Some((p, proto)) => ExposePort {
                    port: p.to_string(),
                    protocol: Some(proto.to_ascii_lowercase()),
                },
                None => ExposePort {
                    port: w.clone(),
                    protocol: None,
                },
            })
            .collect()
    }

    /// ENV or LABEL pairs, values with quotes and escapes processed (no variable expansion).
    pub fn key_values(&self, escape: char) -> Vec<(String, String)> {
        match &self.args {
            Args::KeyValues(kv) => kv
                .iter()
                .map(|p| {
                    let v = if p.equals {
                        crate::unquote(&p.value, escape).unwrap_or_else(|_| p.value.clone())
                    } else {
                        p.value.clone()
                    };
                    (p.key.clone(), v)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// ARG declarations: name and raw default (quotes kept), e.g. `("V", Some("\"1 2\""))`.
    pub fn arg_pairs(&self) -> Vec<(String, Option<String>)> {
        if self.kind != InstructionKind::Arg {
            return Vec::new();
        }
        self.words()
            .iter()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (w.clone(), None),
            })
            .collect()
    }

    /// HEALTHCHECK settings.
    pub fn healthcheck(&self) -> Option<Healthcheck> {
        let Args::Healthcheck { kind, cmd } = &self.args else {
            return None;
        };
        Some(Healthcheck {
            none: kind.eq_ignore_ascii_case("none"),
            cmd: (**cmd).clone(),
            interval: self.flag_value("interval").map(str::to_string),
            timeout: self.flag_value("timeout").map(str::to_string),
            start_period: self.flag_value("start-period").map(str::to_string),
            start_interval: self.flag_value("start-interval").map(str::to_string),
            retries: self.flag_value("retries").map(str::to_string),
        })
    }

    /// COPY/ADD sources and destination (`None` unless there are at least two words, or a heredoc
    /// source and a destination). Heredoc sources appear as `<<NAME` words.
    pub fn copy_sources_dest(&self) -> Option<(&[String], &str)> {
        if !matches!(self.kind, InstructionKind::Copy | InstructionKind::Add) {
            return None;
        }
        let w = self.words();
        let (dest, srcs) = w.split_last()?;
        if srcs.is_empty() {
            return None;
        }
        Some((srcs, dest.as_str()))
    }
}
