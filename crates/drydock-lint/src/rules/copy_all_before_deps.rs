use crate::ctx::{Ctx, Sink, run_commands, unquote, words};
use crate::pkg;
use crate::shell::Command;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Notes `COPY . .` (the whole build context) before a dependency install in the same stage, when no
    /// dependency install came before the copy
    /// (`pip install -r`, `npm ci`/`install`, `yarn`, `pnpm install`, `go mod download`, `bundle install`,
    /// `composer install`, `poetry install`, `uv sync`).
    ///
    /// ## Why is this bad?
    /// Any source change invalidates the layer cache for the dependency install, so every build downloads
    /// and compiles all dependencies again.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY . .
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// ```
    ///
    /// ## How to fix
    /// ```dockerfile
    /// COPY requirements.txt .
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// COPY . .
    /// ```
    code: "DD050",
    name: "copy-all-before-deps",
    severity: Info,
    hadolint: [],
    check: check,
}

fn installs_deps(cmd: &Command) -> bool {
    let words = cmd.argv();
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let prog = w(0).rsplit('/').next().unwrap_or("");
    match prog {
        "pip" | "pip3" => {
            w(1) == "install"
                && !words.iter().any(|x| x == "--no-deps")
                && words
                    .iter()
                    .any(|x| x == "-r" || x.starts_with("--requirement") || x == "." || x == "-e")
        }
        "npm" => {
            pkg::parse(cmd).is_some_and(|p| matches!(p.sub.as_str(), "ci" | "install" | "i"))
                && words.len() <= 4
        }
        "yarn" => words.len() == 1 || w(1) == "install",
        "pnpm" => w(1) == "install",
        "go" => w(1) == "mod" && w(2) == "download",
        "bundle" => w(1) == "install",
        "composer" => w(1) == "install",
        "poetry" => w(1) == "install",
        "uv" => w(1) == "sync",
        _ => false,
    }
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for sv in &ctx.stages {
        let mut copy_all = None;
        // Dependencies installed before the context copy are cached already.
        let mut deps_done = false;
        for ins in ctx.stage_instructions(sv.stage) {
            match ins.kind {
                InstructionKind::Copy
                    if copy_all.is_none() && crate::ctx::flag(ins, "from").is_none() =>
                {
                    let w = words(ins);
                    if w.len() >= 2
                        && w[..w.len() - 1]
                            .iter()
                            .any(|s| matches!(unquote(s).as_str(), "." | "./"))
                    {
                        copy_all = Some(ins);
                    }
                }
                InstructionKind::Run if copy_all.is_none() => {
                    deps_done |= run_commands(ins).iter().any(installs_deps);
                }
                InstructionKind::Run if !deps_done => {
                    if let Some(c) = copy_all
                        && run_commands(ins).iter().any(installs_deps)
                    {
                        out.emit(&RULE, c.span, format!("the whole context is copied before installing dependencies (line {}); copy the manifest first so the install layer stays cached", ins.span.start_line));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n",
                "DD050"
            ),
            [2]
        );
        assert!(lines("FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n", "DD050").is_empty());
        assert!(lines("FROM node:20\nCOPY . .\nRUN npm run build\n", "DD050").is_empty());
        // npm options before the subcommand.
        assert_eq!(
            lines("FROM node:20\nCOPY . .\nRUN npm --no-audit ci\n", "DD050"),
            [2]
        );
        assert!(
            lines(
                "FROM node:20\nCOPY . .\nRUN npm --no-audit run build\n",
                "DD050"
            )
            .is_empty()
        );
    }
}
