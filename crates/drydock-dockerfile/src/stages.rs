//! Stage assembly: FROM lines, global ARGs and ARG substitution in FROM.

use crate::ast::*;
use std::collections::HashMap;

pub(crate) fn build_stages(df: &mut Dockerfile) {
    let escape = df.escape;
    let mut meta: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut args_before_from = Vec::new();
    for idx in 0..df.instructions.len() {
        let inst = &df.instructions[idx];
        match inst.kind {
            InstructionKind::From => {
                let words = inst.words();
                let image = words.first().cloned().unwrap_or_default();
                let name = if words.len() == 3 && words[1].eq_ignore_ascii_case("as") {
                    Some(words[2].to_ascii_lowercase())
                } else {
                    None
                };
                let missing = std::cell::RefCell::new(Vec::<String>::new());
                let lookup = |k: &str| {
                    let v = meta.get(k).cloned();
                    if v.is_none() && !missing.borrow().iter().any(|m| m == k) {
                        missing.borrow_mut().push(k.to_string());
                    }
                    v
                };
                let image_expanded =
                    crate::expand(&image, escape, &lookup).unwrap_or_else(|_| image.clone());
                let unresolved = missing.into_inner();
                let lower = image_expanded.to_ascii_lowercase();
                let base_stage = stages
                    .iter()
                    .find(|s| s.name.as_deref() == Some(lower.as_str()))
                    .map(|s| s.index);
                let image_span = image_word_span(inst, &image);
                let from = FromInfo {
                    is_scratch: image_expanded == "scratch",
                    image,
                    image_expanded,
                    platform: inst.platform().map(str::to_string),
                    unresolved,
                    base_stage,
                    instruction: idx,
                    span: inst.span,
                    image_span,
                };
                stages.push(Stage {
                    index: stages.len(),
                    name,
                    from,
                    instructions: vec![idx],
                });
            }
            InstructionKind::Arg if stages.is_empty() => {
                args_before_from.push(idx);
                for (k, v) in inst.arg_pairs() {
                    let val = match v {
                        Some(v) => {
                            let lookup = |k: &str| meta.get(k).cloned();
                            crate::expand(&v, escape, &lookup).unwrap_or(v)
                        }
                        // A bare `ARG NAME` declares without a default.
                        None => continue,
                    };
                    meta.insert(k, val);
                }
            }
            _ => {
                if let Some(s) = stages.last_mut() {
                    s.instructions.push(idx);
                }
            }
        }
        let stage = stages.last().map(|s| s.index);
        df.instructions[idx].stage = stage;
    }
    df.stages = stages;
    df.args_before_from = args_before_from;
}

/// Span of the image word inside a FROM: the first args word.
fn image_word_span(inst: &Instruction, image: &str) -> Span {
    let s = inst.args_span;
    if s.start_line == s.end_line {
        let n = image.chars().count();
        Span::new(s.start_line, s.start_col, s.start_line, s.start_col + n)
    } else {
        s
    }
}
