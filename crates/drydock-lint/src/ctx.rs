//! What a rule sees: the parsed file, its stages with resolved base facts, and helpers over the AST.

use crate::config::Config;
use crate::facts::{BaseFacts, BaseResolver};
use crate::finding::{Finding, Span};
use crate::rules::Rule;
use crate::shell::{self, Command};
use drydock_dockerfile::ast::{self, Args, Dockerfile, Instruction, InstructionKind};
use std::collections::HashMap;

/// Collects findings from rules.
#[derive(Debug, Default)]
pub struct Sink {
    pub(crate) findings: Vec<Finding>,
    pub(crate) file: String,
}

impl Sink {
    /// Report `rule` at `span`.
    pub fn emit(&mut self, rule: &Rule, span: ast::Span, message: impl Into<String>) {
        self.emit_with_source(rule, span, message, None);
    }

    /// Report `rule` at `span`, naming where the base-image fact came from.
    pub fn emit_with_source(
        &mut self,
        rule: &Rule,
        span: ast::Span,
        message: impl Into<String>,
        fact_source: Option<&str>,
    ) {
        self.findings.push(Finding {
            code: rule.code.to_string(),
            name: rule.name.to_string(),
            severity: rule.severity,
            message: message.into(),
            span: to_span(span),
            file: self.file.clone(),
            fact_source: fact_source.map(str::to_string),
        });
    }
}

/// Convert a parser span to a finding span. On a multi-line span, `end` covers the first line to its end
/// and `end_line`/`end_col` say where the span stops.
pub fn to_span(s: ast::Span) -> Span {
    let line = s.start_line.max(1);
    let col = s.start_col.max(1);
    let multi = s.end_line > line;
    let end = if !multi && s.end_col > col {
        s.end_col
    } else {
        col
    };
    Span {
        line,
        col,
        end,
        end_line: multi.then_some(s.end_line),
        end_col: multi.then_some(s.end_col.max(1)),
    }
}

/// A stage as rules see it.
#[derive(Debug)]
pub struct StageView<'a> {
    /// The parser's stage.
    pub stage: &'a ast::Stage,
    /// Facts of the image this stage starts from (following `FROM earlier-stage` chains).
    pub facts: Option<BaseFacts>,
    /// The external image at the root of the chain (`None` if unresolvable).
    pub root_image: Option<String>,
}

/// Everything a rule can look at.
pub struct Ctx<'a> {
    /// The parsed file.
    pub df: &'a Dockerfile,
    /// The source text.
    pub text: &'a str,
    /// Settings.
    pub config: &'a Config,
    /// Stages with facts, in order.
    pub stages: Vec<StageView<'a>>,
    /// Defaults of ARGs declared before the first FROM.
    pub global_args: HashMap<String, String>,
    /// Every instruction with ONBUILD unwrapped, the inner instruction carrying the outer one's stage.
    effective: Vec<Instruction>,
    /// ENV per stage chain: index 0 for instructions before any FROM, `i + 1` for stage `i`.
    env_cache: Vec<HashMap<String, String>>,
    /// ARG defaults and ENV per stage chain, indexed like `env_cache`.
    var_cache: Vec<HashMap<String, String>>,
    /// Every `SHELL` instruction's setting, in file order.
    shell_settings: Vec<ShellSetting>,
    /// The `SHELL` in effect for each instruction that has one set (an index into `shell_settings`),
    /// keyed by the instruction's first line.
    shells: HashMap<usize, usize>,
}

/// A `SHELL` instruction in effect for an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellSetting {
    /// The exec-form arguments, e.g. `["/bin/bash", "-o", "pipefail", "-c"]` (empty when the SHELL
    /// instruction was not in JSON form, which BuildKit refuses).
    pub argv: Vec<String>,
    /// The line of the `SHELL` instruction.
    pub line: usize,
}

impl ShellSetting {
    /// The shell program (first argument), if any.
    pub fn program(&self) -> Option<&str> {
        self.argv
            .first()
            .map(String::as_str)
            .filter(|p| !p.is_empty())
    }
}

impl<'a> Ctx<'a> {
    /// Build the context, resolving each stage's base through `resolver`.
    pub fn new(
        df: &'a Dockerfile,
        text: &'a str,
        config: &'a Config,
        resolver: &dyn BaseResolver,
    ) -> Ctx<'a> {
        let mut global_args = HashMap::new();
        for &i in &df.args_before_from {
            if let Some(ins) = df.instructions.get(i) {
                for (k, v) in arg_defaults(ins) {
                    if let Some(v) = v {
                        global_args.insert(k, v);
                    }
                }
            }
        }
        let mut stages: Vec<StageView<'a>> = Vec::new();
        for st in &df.stages {
            let (facts, root_image) = match st.from.base_stage {
                Some(b) if b < stages.len() => {
                    (stages[b].facts.clone(), stages[b].root_image.clone())
                }
                _ => {
                    let img = st.from.image_expanded.trim().to_string();
                    if img.is_empty() || img.contains('$') {
                        (None, None)
                    } else {
                        (resolver.resolve(&img), Some(img))
                    }
                }
            };
            stages.push(StageView {
                stage: st,
                facts,
                root_image,
            });
        }
        let effective = df
            .instructions
            .iter()
            .map(|i| {
                let mut e = unwrap_onbuild(i).clone();
                e.stage = i.stage;
                e
            })
            .collect();
        let mut ctx = Ctx {
            df,
            text,
            config,
            stages,
            global_args,
            effective,
            env_cache: Vec::new(),
            var_cache: Vec::new(),
            shell_settings: Vec::new(),
            shells: HashMap::new(),
        };
        (ctx.shell_settings, ctx.shells) = ctx.compute_shells();
        let keys: Vec<Option<usize>> = std::iter::once(None)
            .chain((0..ctx.stages.len()).map(Some))
            .collect();
        let envs: Vec<_> = keys.iter().map(|&k| ctx.compute_stage_env(k)).collect();
        ctx.env_cache = envs;
        let vars: Vec<_> = keys.iter().map(|&k| ctx.compute_visible_vars(k)).collect();
        ctx.var_cache = vars;
        ctx
    }

    /// The `SHELL` in effect for `ins` (set earlier in its stage or inherited from the stage it is built
    /// `FROM`), or `None` for the default (`/bin/sh -c`, `cmd /S /C` on Windows). ONBUILD instructions get
    /// the setting of the stage they are written in.
    pub fn shell_at(&self, ins: &Instruction) -> Option<&ShellSetting> {
        self.shells
            .get(&ins.span.start_line)
            .and_then(|&i| self.shell_settings.get(i))
    }

    /// Every `SHELL` setting, and for each instruction (by first line) the one in effect.
    fn compute_shells(&self) -> (Vec<ShellSetting>, HashMap<usize, usize>) {
        let chains: Vec<Vec<usize>> = (0..self.stages.len()).map(|s| self.chain_of(s)).collect();
        let mut settings = Vec::new();
        let mut at = HashMap::new();
        // The setting each stage ends with so far, and the one before any FROM.
        let mut per_stage: Vec<Option<usize>> = vec![None; self.stages.len()];
        let mut before_from: Option<usize> = None;
        for ins in &self.df.instructions {
            let current = match ins.stage {
                None => before_from,
                Some(s) => chains
                    .get(s)
                    .and_then(|c| c.iter().find_map(|&c| per_stage.get(c).copied().flatten())),
            };
            if let Some(cur) = current {
                at.insert(ins.span.start_line, cur);
            }
            if ins.kind == InstructionKind::Shell {
                let argv = match &ins.args {
                    Args::Exec(v) => v.clone(),
                    _ => Vec::new(),
                };
                settings.push(ShellSetting {
                    argv,
                    line: ins.span.start_line,
                });
                let set = Some(settings.len() - 1);
                match ins.stage {
                    None => before_from = set,
                    Some(s) => {
                        if let Some(slot) = per_stage.get_mut(s) {
                            *slot = set;
                        }
                    }
                }
            }
        }
        (settings, at)
    }

    /// The last stage (the image that gets shipped by default).
    pub fn final_stage(&self) -> Option<&StageView<'a>> {
        self.stages.last()
    }

    /// The instructions of a stage, FROM first.
    pub fn stage_instructions(
        &self,
        st: &'a ast::Stage,
    ) -> impl Iterator<Item = &'a Instruction> + use<'a> {
        let df = self.df;
        st.instructions
            .iter()
            .filter_map(move |&i| df.instructions.get(i))
    }

    /// Every instruction, with ONBUILD's inner instruction yielded in place of the ONBUILD.
    pub fn effective_instructions(&self) -> impl Iterator<Item = &Instruction> + '_ {
        self.effective.iter()
    }

    /// Stage index for an instruction index.
    pub fn stage_of(&self, ins: &Instruction) -> Option<&StageView<'a>> {
        ins.stage.and_then(|s| self.stages.get(s))
    }

    /// The stage a `--from=` value names, if it names one.
    pub fn stage_by_ref(&self, name: &str) -> Option<&StageView<'a>> {
        let lname = name.to_ascii_lowercase();
        if let Ok(n) = lname.parse::<usize>() {
            return self.stages.get(n);
        }
        self.stages
            .iter()
            .find(|s| s.stage.name.as_deref() == Some(lname.as_str()))
    }

    /// Expand `$VAR`/`${VAR}` with global ARG defaults (unknown variables are left as written).
    pub fn expand_global(&self, s: &str) -> String {
        expand_vars(s, &self.global_args)
    }

    /// Source line `n` (1-based), without line ending.
    pub fn line(&self, n: usize) -> &'a str {
        self.text
            .lines()
            .nth(n.saturating_sub(1))
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

/// Index into the per-stage caches (0 = before any FROM; out-of-range stages fall back to 0).
fn cache_index(stage: Option<usize>, n: usize) -> usize {
    match stage {
        Some(s) if s < n => s + 1,
        _ => 0,
    }
}

/// ONBUILD X → X; anything else unchanged.
pub fn unwrap_onbuild(ins: &Instruction) -> &Instruction {
    match &ins.args {
        Args::OnBuild(inner) => inner,
        _ => ins,
    }
}

/// `ARG a=b c` → [(a, Some(b)), (c, None)].
pub fn arg_defaults(ins: &Instruction) -> Vec<(String, Option<String>)> {
    let words: Vec<String> = match &ins.args {
        Args::Words(w) => w.clone(),
        Args::KeyValues(kv) => kv
            .iter()
            .map(|k| format!("{}={}", k.key, k.value))
            .collect(),
        Args::Text(t) => vec![t.clone()],
        _ => Vec::new(),
    };
    words
        .iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(unquote(v))),
            None => (w.to_string(), None),
        })
        .collect()
}

/// Strip one pair of matching surrounding quotes.
pub fn unquote(s: &str) -> String {
    let t = s.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return t[1..t.len() - 1].to_string();
        }
    }
    t.to_string()
}

/// Substitute `$VAR`, `${VAR}` and `${VAR:-default}` from `vars`; unknown names stay as written.
pub fn expand_vars(s: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '$' && i + 1 < b.len() {
            if b[i + 1] == '{' {
                if let Some(close) = b[i + 2..].iter().position(|&c| c == '}') {
                    let inner: String = b[i + 2..i + 2 + close].iter().collect();
                    let (name, default) = match inner.split_once(":-") {
                        Some((n, d)) => (n.to_string(), Some(d.to_string())),
                        None => match inner.split_once('-') {
                            Some((n, d)) => (n.to_string(), Some(d.to_string())),
                            None => (inner.clone(), None),
                        },
                    };
                    match vars
                        .get(&name)
                        .filter(|v| !v.is_empty())
                        .cloned()
                        .or(default)
                    {
                        Some(v) => out.push_str(&v),
                        None => out.push_str(&format!("${{{inner}}}")),
                    }
                    i += close + 3;
                    continue;
                }
            } else if b[i + 1].is_ascii_alphabetic() || b[i + 1] == '_' {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == '_') {
                    j += 1;
                }
                let name: String = b[i + 1..j].iter().collect();
                match vars.get(&name) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('$');
                        out.push_str(&name);
                    }
                }
                i = j;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The shell script a RUN (or shell-form CMD) executes, heredoc bodies included.
pub fn run_script(ins: &Instruction) -> String {
    let mut s = match &ins.args {
        Args::Shell(t) => t.clone(),
        Args::Exec(v) => {
            // `RUN ["sh", "-c", "script"]` runs the script; other exec forms run one program.
            if v.len() >= 3 && v[1] == "-c" {
                v[2].clone()
            } else {
                v.iter()
                    .map(|w| shell_quote(w))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        }
        _ => String::new(),
    };
    // A heredoc body is a script only when the shell itself reads it (`RUN <<EOF`, `RUN bash <<EOF`);
    // in `RUN cat <<EOF > /etc/app.conf` it is file content.
    let head = s.trim_start();
    let runs_body = head.starts_with("<<")
        || ["sh", "bash", "ash", "dash", "zsh", "/bin/sh", "/bin/bash"]
            .iter()
            .any(|sh| {
                head.strip_prefix(sh).is_some_and(|rest| {
                    let rest = rest.trim_start();
                    rest.starts_with("<<") || (rest.starts_with('-') && rest.contains("<<"))
                })
            });
    if runs_body {
        for h in &ins.heredocs {
            s.push('\n');
            s.push_str(&h.content);
        }
    }
    s
}

fn shell_quote(w: &str) -> String {
    if w.chars().any(|c| c.is_whitespace() || "|&;'\"".contains(c)) {
        format!("'{}'", w.replace('\'', ""))
    } else {
        w.to_string()
    }
}

/// The commands a RUN executes.
pub fn run_commands(ins: &Instruction) -> Vec<Command> {
    shell::split(&run_script(ins))
}

/// Value of the last `--name=value` flag.
pub fn flag<'i>(ins: &'i Instruction, name: &str) -> Option<&'i str> {
    ins.flags
        .iter()
        .rev()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .and_then(|f| f.value.as_deref())
}

/// Parsed `--mount=` options of a RUN: `(type, from, target)`; lenient.
pub fn mounts(ins: &Instruction) -> Vec<HashMap<String, String>> {
    ins.flags
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("mount"))
        .filter_map(|f| f.value.as_deref())
        .map(|v| {
            let mut m = HashMap::new();
            for part in v.split(',') {
                let (k, val) = part.split_once('=').unwrap_or((part, ""));
                m.insert(k.trim().to_ascii_lowercase(), unquote(val));
            }
            m.entry("type".into()).or_insert_with(|| "bind".into());
            m
        })
        .collect()
}

/// Words of an instruction's arguments (ADD/COPY sources and destination, EXPOSE ports…).
pub fn words(ins: &Instruction) -> Vec<String> {
    match &ins.args {
        Args::Words(w) | Args::Exec(w) => w.clone(),
        Args::Text(t) | Args::Shell(t) => t.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// True if a RUN has a `--mount=type=cache` (its package caches don't land in the layer).
pub fn has_cache_mount(ins: &Instruction) -> bool {
    mounts(ins)
        .iter()
        .any(|m| m.get("type").map(String::as_str) == Some("cache"))
}

/// Is this an instruction of `kind`?
pub fn is(ins: &Instruction, kind: InstructionKind) -> bool {
    ins.kind == kind
}

/// Where an external image is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageUseKind {
    /// `FROM image`.
    From,
    /// `COPY --from=image`.
    CopyFrom,
    /// `RUN --mount=from=image`.
    MountFrom,
}

/// An external image reference (stage names and `scratch` excluded) with its location.
#[derive(Debug, Clone)]
pub struct ImageUse {
    /// The reference after global ARG substitution.
    pub image: String,
    /// Where it is written (the image word for FROM, the instruction otherwise).
    pub span: ast::Span,
    /// How it is used.
    pub kind: ImageUseKind,
}

impl ImageUseKind {
    /// Short description for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ImageUseKind::From => "base image",
            ImageUseKind::CopyFrom => "image in COPY --from",
            ImageUseKind::MountFrom => "image in RUN --mount from",
        }
    }
}

impl Ctx<'_> {
    /// Every external image the build pulls, in source order.
    pub fn image_uses(&self) -> Vec<ImageUse> {
        let mut out = Vec::new();
        let usable = |s: &str| {
            let t = s.trim();
            !t.is_empty() && !t.contains('$') && !t.eq_ignore_ascii_case("scratch")
        };
        for sv in &self.stages {
            let f = &sv.stage.from;
            if f.base_stage.is_none() && !f.is_scratch && usable(&f.image_expanded) {
                out.push(ImageUse {
                    image: f.image_expanded.trim().to_string(),
                    span: f.image_span,
                    kind: ImageUseKind::From,
                });
            }
        }
        for ins in self.effective_instructions() {
            let mut refs = Vec::new();
            match ins.kind {
                InstructionKind::Copy | InstructionKind::Add => {
                    if let Some(v) = flag(ins, "from") {
                        refs.push((v.to_string(), ImageUseKind::CopyFrom));
                    }
                }
                InstructionKind::Run => {
                    for m in mounts(ins) {
                        if let Some(v) = m.get("from") {
                            refs.push((v.clone(), ImageUseKind::MountFrom));
                        }
                    }
                }
                _ => {}
            }
            for (r, kind) in refs {
                let r = self.expand_global(&r);
                if !usable(&r) || self.stage_by_ref(&r).is_some() {
                    continue;
                }
                // A bare word is a stage name or a named build context (copy-from-unknown-stage judges it).
                if kind == ImageUseKind::CopyFrom
                    && crate::rules::copy_from_unknown_stage::bare_word(&r)
                {
                    continue;
                }
                out.push(ImageUse {
                    image: r,
                    span: ins.span,
                    kind,
                });
            }
        }
        out.sort_by_key(|u| (u.span.start_line, u.span.start_col));
        out
    }
}

impl<'a> Ctx<'a> {
    /// Indices of the final stage and the stages it is built `FROM` (its layers ship in the image).
    pub fn final_chain(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = self.stages.len().checked_sub(1);
        while let Some(i) = cur {
            if out.contains(&i) {
                break;
            }
            out.push(i);
            cur = self.stages[i].stage.from.base_stage.filter(|&b| b < i);
        }
        out
    }

    /// The chain of a given stage (itself first, then its `FROM` ancestors).
    pub fn chain_of(&self, stage: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut cur = Some(stage).filter(|&s| s < self.stages.len());
        while let Some(i) = cur {
            if out.contains(&i) {
                break;
            }
            out.push(i);
            cur = self.stages[i].stage.from.base_stage.filter(|&b| b < i);
        }
        out
    }

    /// Whether an instruction's layer ends up in the final image (instructions before any FROM count when
    /// the file has no FROM at all, as in snippets).
    pub fn in_final_image(&self, ins: &Instruction) -> bool {
        match ins.stage {
            None => self.stages.is_empty(),
            Some(s) => self.final_chain().contains(&s),
        }
    }

    /// Instructions (ONBUILD unwrapped) whose layers end up in the final image, in source order.
    pub fn final_image_instructions(&self) -> Vec<&Instruction> {
        let chain = self.final_chain();
        self.effective
            .iter()
            .filter(|i| match i.stage {
                None => self.stages.is_empty(),
                Some(s) => chain.contains(&s),
            })
            .collect()
    }

    /// ENV values visible in `stage` (ancestors first, later values win).
    pub fn stage_env(&self, stage: Option<usize>) -> &HashMap<String, String> {
        &self.env_cache[cache_index(stage, self.stages.len())]
    }

    fn compute_stage_env(&self, stage: Option<usize>) -> HashMap<String, String> {
        let mut env = HashMap::new();
        let chain: Vec<usize> = match stage {
            Some(s) => self.chain_of(s).into_iter().rev().collect(),
            None => Vec::new(),
        };
        let mut add = |ins: &Instruction| {
            if let Args::KeyValues(kvs) = &ins.args
                && ins.kind == InstructionKind::Env
            {
                for kv in kvs {
                    env.insert(kv.key.clone(), unquote(&kv.value));
                }
            }
        };
        if stage.is_none() {
            self.df
                .instructions
                .iter()
                .filter(|i| i.stage.is_none())
                .for_each(&mut add);
        }
        for s in chain {
            for i in self.stage_instructions(self.stages[s].stage) {
                add(i);
            }
        }
        env
    }

    /// Instructions of the stage `ins` belongs to and of its ancestors (or the stage-less prefix).
    pub fn chain_instructions(&self, stage: Option<usize>) -> Vec<&'a Instruction> {
        match stage {
            None => self
                .df
                .instructions
                .iter()
                .filter(|i| i.stage.is_none())
                .collect(),
            Some(s) => {
                // Gather stage by stage (ancestors first) so the cost is the chain's size, not the file's.
                let mut chain = self.chain_of(s);
                chain.reverse();
                chain
                    .into_iter()
                    .flat_map(|c| self.stage_instructions(self.stages[c].stage))
                    .collect()
            }
        }
    }
}

/// True for values that turn a boolean environment switch on.
pub fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "on" | "yes" | "true"
    )
}

impl Ctx<'_> {
    /// Whether the stage (or its ancestors) could have added executable `bin` (name or absolute path) on
    /// top of its base: a COPY/ADD whose destination is that path, its directory, a relative path or `/`,
    /// or a package install naming it. Errs on "yes" to avoid false positives.
    /// `runs`: whether RUN steps count (not in a stage without a shell, where they cannot have run).
    pub fn stage_may_provide(&self, stage: Option<usize>, bin: &str, runs: bool) -> bool {
        let base = bin.rsplit('/').next().unwrap_or(bin);
        for ins in self.chain_instructions(stage) {
            let ins = unwrap_onbuild(ins);
            match ins.kind {
                InstructionKind::Copy | InstructionKind::Add => {
                    let w = words(ins);
                    let Some(dest) = w.last() else { continue };
                    let dest = self.expand_global(dest);
                    if !dest.starts_with('/') || dest == "/" || dest.contains('$') {
                        return true;
                    }
                    let d = dest.trim_end_matches('/');
                    let busybox_applet = matches!(base, "sh" | "ash" | "wget" | "nc" | "vi")
                        && w.iter().any(|s| s.rsplit('/').next() == Some("busybox"));
                    if busybox_applet {
                        return true;
                    }
                    if d.rsplit('/').next() == Some(base)
                        || bin == d
                        || (bin.starts_with('/') && bin.starts_with(&format!("{d}/")))
                        || (!bin.contains('/') && (d.ends_with("/bin") || d.ends_with("/sbin")))
                        || w.iter()
                            .rev()
                            .skip(1)
                            .any(|s| s.rsplit('/').next() == Some(base))
                    {
                        return true;
                    }
                }
                // An exec-form RUN works without a shell and may install one (`busybox --install`).
                InstructionKind::Run if matches!(ins.args, Args::Exec(_)) => return true,
                InstructionKind::Run if runs => {
                    for c in run_commands(ins) {
                        if let Some(p) = crate::pkg::parse(&c)
                            && p.installs()
                            && p.args.iter().any(|a| {
                                let n = crate::pkg::package_name(a, p.manager);
                                n == base || n.starts_with(base) || a.starts_with('$')
                            })
                        {
                            return true;
                        }
                        // Anything fetched, built or linked by hand could be the binary.
                        if c.words.iter().any(|w| w.ends_with(base) && w.contains('/')) {
                            return true;
                        }
                        if matches!(
                            c.program(),
                            Some(
                                "make"
                                    | "install"
                                    | "cp"
                                    | "mv"
                                    | "ln"
                                    | "tar"
                                    | "unzip"
                                    | "curl"
                                    | "wget"
                                    | "pip"
                                    | "pip3"
                                    | "npm"
                                    | "go"
                                    | "cargo"
                                    | "gem"
                                    | "dpkg"
                                    | "rpm"
                                    | "bash"
                                    | "sh"
                                    | "chmod"
                            )
                        ) {
                            return true;
                        }
                    }
                }
                _ => {}
            }
        }
        false
    }
}

/// True if a `--mount=type=cache|tmpfs` of this RUN has `target` equal to one of `targets`.
pub fn cache_mount_covers(ins: &Instruction, targets: &[&str]) -> bool {
    mounts(ins).iter().any(|m| {
        matches!(
            m.get("type").map(String::as_str),
            Some("cache") | Some("tmpfs")
        ) && ["target", "dst", "destination"].iter().any(|k| {
            m.get(*k)
                .is_some_and(|t| targets.contains(&t.trim_end_matches('/')))
        })
    })
}

/// True if a command removes a path that starts with one of `prefixes`: `rm` naming it, or `find`
/// searching under it with `-delete` or `-exec rm` (`find /var/lib/apt/lists -type f -delete`).
pub fn removes_path(cmd: &Command, prefixes: &[&str]) -> bool {
    let argv = cmd.argv();
    let under = |a: &String| prefixes.iter().any(|p| a.starts_with(p));
    match cmd.program() {
        Some("rm") => argv.iter().skip(1).any(under),
        Some("find") => {
            // Starting points come after `-H`/`-L`/`-P` and before the first test or action.
            let mut roots = argv
                .iter()
                .skip(1)
                .skip_while(|a| matches!(a.as_str(), "-H" | "-L" | "-P"))
                .take_while(|a| !a.starts_with('-') && *a != "(" && *a != "!");
            let deletes = argv.iter().any(|a| a == "-delete")
                || argv.windows(2).any(|w| {
                    matches!(w[0].as_str(), "-exec" | "-execdir")
                        && w[1].rsplit('/').next() == Some("rm")
                });
            deletes && roots.any(under)
        }
        _ => false,
    }
}

impl Ctx<'_> {
    /// Variables a RUN in `stage` can see: global ARG defaults, then ARG defaults and ENV values of the
    /// stage chain (order within the chain is not tracked).
    pub fn visible_vars(&self, stage: Option<usize>) -> &HashMap<String, String> {
        &self.var_cache[cache_index(stage, self.stages.len())]
    }

    fn compute_visible_vars(&self, stage: Option<usize>) -> HashMap<String, String> {
        let mut vars = self.global_args.clone();
        for ins in self.chain_instructions(stage) {
            if ins.kind == InstructionKind::Arg {
                for (k, v) in arg_defaults(ins) {
                    if let Some(v) = v {
                        vars.insert(k, v);
                    }
                }
            }
        }
        vars.extend(self.compute_stage_env(stage));
        vars
    }
}

/// The note for a cache cleaned too late: the first RUN after `after` whose `cleaned` flag is set
/// (`cleaned[i]` says whether `runs[i]` cleans the cache; computed once per rule to stay linear).
pub fn later_cleanup_note(runs: &[&Instruction], cleaned: &[bool], after: usize) -> String {
    match (after + 1..runs.len().min(cleaned.len())).find(|&i| cleaned[i]) {
        Some(i) => format!(
            " (the cleanup on line {} runs in a later RUN: the bytes stay in this layer)",
            runs[i].span.start_line
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn heredoc_bodies_are_scripts_only_when_a_shell_reads_them() {
        let script = "FROM debian:12\nRUN <<EOF\napt-get update\nEOF\n";
        assert_eq!(lines(script, "DD025"), [2]);
        let bash = "FROM debian:12\nRUN bash <<EOF\napt-get update\nEOF\n";
        assert_eq!(lines(bash, "DD025"), [2]);
        let file = "FROM debian:12\nRUN cat <<EOF > /etc/motd\napt-get update\nEOF\n";
        assert!(lines(file, "DD025").is_empty());
    }
}
