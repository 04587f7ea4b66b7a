use crate::ctx::{Ctx, Sink, run_commands};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `yarn install` / `yarn add` (or a bare `yarn`) in the final image without a later
    /// `yarn cache clean` in the same RUN or a cache/tmpfs mount on the yarn cache.
    ///
    /// ## Why is this bad?
    /// Yarn keeps a copy of every package tarball in its cache, often as large as `node_modules` itself.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN yarn install --frozen-lockfile
    /// ```
    ///
    /// ## How to fix
    /// `RUN yarn install --frozen-lockfile && yarn cache clean`, or
    /// `RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install --frozen-lockfile`.
    ///
    /// Overlaps hadolint DL3060 (which also only checks the final image's stages). Difference: an
    /// `ONBUILD RUN` in a builder stage is not reported (it does not run in this build).
    code: "DD029",
    name: "yarn-cache-not-cleaned",
    severity: Warning,
    hadolint: ["DL3060"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.final_image_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let mounted = crate::ctx::mounts(ins).iter().any(|m| {
            matches!(
                m.get("type").map(String::as_str),
                Some("cache") | Some("tmpfs")
            ) && m
                .get("target")
                .or(m.get("dst"))
                .is_some_and(|t| t.contains("yarn"))
        });
        if mounted {
            continue;
        }
        let mut dirty = false;
        for c in run_commands(ins) {
            let argv = c.argv();
            if c.program() != Some("yarn") {
                continue;
            }
            match argv.get(1).map(String::as_str) {
                None | Some("install") | Some("add") => dirty = true,
                Some("cache") if argv.get(2).map(String::as_str) == Some("clean") => dirty = false,
                Some(a) if a.starts_with('-') && argv.len() <= 3 => dirty = true,
                _ => {}
            }
        }
        if dirty {
            out.emit(&RULE, ins.span, "`yarn install` leaves its package cache in this layer; end the RUN with `&& yarn cache clean`");
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
                "FROM node:20\nRUN yarn cache clean && yarn install foo\n",
                "DD029"
            ),
            [2]
        );
        assert!(
            lines(
                "FROM node:20\nRUN yarn install && yarn cache clean\n",
                "DD029"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM node:20\nRUN --mount=type=cache,target=/root/.cache/yarn yarn install\n",
                "DD029"
            )
            .is_empty()
        );
        assert!(
            lines(
                "FROM node:20 AS b\nRUN yarn install\nFROM scratch\n",
                "DD029"
            )
            .is_empty()
        );
    }
}
