use crate::ctx::{Ctx, Sink, run_commands};
use crate::pkg;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags a bare `npm install` / `npm i` (no package arguments: "install what package.json says") in a
    /// RUN, where `npm ci` is meant.
    ///
    /// ## Why is this bad?
    /// `npm install` may rewrite the lock file and resolve newer versions than the ones reviewed and
    /// scanned; `npm ci` installs exactly the lock file or fails.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY package*.json ./
    /// RUN npm install --omit=dev
    /// ```
    ///
    /// ## How to fix
    /// `RUN npm ci --omit=dev && npm cache clean --force` (or a cache mount on `/root/.npm`).
    code: "DD024",
    name: "npm-install-instead-of-ci",
    severity: Warning,
    hadolint: [],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let bad = run_commands(ins).iter().filter_map(pkg::parse).any(|p| {
            p.manager == "npm"
                && matches!(p.sub.as_str(), "install" | "i" | "add" | "isntall")
                && p.args.is_empty()
                && !p.has_opt(&["-g", "--global"])
        });
        if bad {
            out.emit(&RULE, ins.span, "`npm install` without packages can change the lock file; use `npm ci` for reproducible installs");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines("FROM node:20\nRUN npm install --omit=dev\n", "DD024"),
            [2]
        );
        assert!(lines("FROM node:20\nRUN npm ci\n", "DD024").is_empty());
        assert!(lines("FROM node:20\nRUN npm install -g pnpm@9\n", "DD024").is_empty());
        assert!(lines("FROM node:20\nRUN npm install express\n", "DD024").is_empty());
    }
}
