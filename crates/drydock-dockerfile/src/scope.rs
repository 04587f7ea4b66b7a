//! Which ENV and ARG values an instruction sees, following BuildKit's rules.

use crate::ast::*;

/// Variables visible at one point of a stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scope {
    /// ENV values in effect (inherited from a base *stage*; a base image's own ENV is unknown here),
    /// in declaration order, later entries overriding earlier ones.
    pub env: Vec<(String, String)>,
    /// ARGs declared in this stage so far: name and value (`None` when it has no default and no global
    /// ARG supplies one; a build arg could still set it).
    pub args: Vec<(String, Option<String>)>,
}

impl Scope {
    /// The value of `name`: ENV wins over ARG, as in BuildKit.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some((_, v)) = self.env.iter().rev().find(|(k, _)| k == name) {
            return Some(v.clone());
        }
        self.args
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.clone())
    }

    /// Expand a word with this scope; unknown variables stay as written.
    pub fn expand(&self, word: &str, escape: char) -> String {
        crate::expand_keep_unset(word, escape, &|k| self.get(k))
            .unwrap_or_else(|_| word.to_string())
    }

    fn set_env(&mut self, k: String, v: String) {
        self.env.retain(|(n, _)| *n != k);
        self.env.push((k, v));
    }
}

impl Dockerfile {
    /// The variables instruction `idx` (an index into `instructions`) sees: ENV and ARG declared
    /// earlier in its stage, plus ENV inherited from a base stage. Outside any stage, the global ARGs.
    pub fn scope_before(&self, idx: usize) -> Scope {
        let globals = self.global_args();
        let Some(stage) = self.instructions.get(idx).and_then(|i| i.stage) else {
            return Scope {
                env: Vec::new(),
                args: globals.into_iter().map(|(k, v)| (k, Some(v))).collect(),
            };
        };
        self.stage_scope(stage, Some(idx), &globals, 0)
    }

    /// Global ARG defaults, each expanded with the ones before it.
    fn global_args(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for inst in self.meta_args() {
            for (k, v) in inst.arg_pairs() {
                if let Some(v) = v {
                    let lookup = |n: &str| {
                        out.iter()
                            .rev()
                            .find(|(k, _)| k == n)
                            .map(|(_, v)| v.clone())
                    };
                    let v = crate::expand(&v, self.escape, &lookup).unwrap_or(v);
                    out.push((k, v));
                }
            }
        }
        out
    }

    fn stage_scope(
        &self,
        stage: usize,
        until: Option<usize>,
        globals: &[(String, String)],
        depth: usize,
    ) -> Scope {
        let Some(st) = self.stages.get(stage) else {
            return Scope::default();
        };
        let mut scope = Scope::default();
        if let Some(base) = st.from.base_stage.filter(|&b| b < stage && depth < 64) {
            scope.env = self.stage_scope(base, None, globals, depth + 1).env;
        }
        for &i in &st.instructions {
            if Some(i) == until {
                break;
            }
            // ONBUILD triggers run in a later build, so only plain ENV/ARG count.
            let inst = &self.instructions[i];
            match inst.kind {
                InstructionKind::Env => {
                    if let Args::KeyValues(kv) = &inst.args {
                        for p in kv {
                            let v = scope.expand(&p.value, self.escape);
                            scope.set_env(p.key.clone(), v);
                        }
                    }
                }
                InstructionKind::Arg => {
                    for (k, v) in inst.arg_pairs() {
                        let v = match v {
                            Some(v) => Some(scope.expand(&v, self.escape)),
                            None => globals
                                .iter()
                                .rev()
                                .find(|(g, _)| *g == k)
                                .map(|(_, v)| v.clone()),
                        };
                        scope.args.retain(|(n, _)| *n != k);
                        scope.args.push((k, v));
                    }
                }
                _ => {}
            }
        }
        scope
    }
}
