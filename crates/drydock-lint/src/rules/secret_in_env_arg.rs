use crate::ctx::{Ctx, Sink, arg_defaults};
use drydock_dockerfile::ast::{Args, InstructionKind};

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `ENV` and `ARG` whose name says it holds a secret: `PASSWORD`, `PASSWD`, `SECRET`, `TOKEN`,
    /// `API_KEY`, `APIKEY`, `PRIVATE_KEY`, `ACCESS_KEY`, `CREDENTIALS`, `AUTH_KEY`, unless the name points
    /// at a secret or is a switch about one.
    ///
    /// Not reported:
    /// - names that point at a secret instead of holding it (`*_FILE` such as `DB_PASSWORD_FILE` or
    ///   `GITHUB_TOKEN_FILE`, `*_PATH`, `*_DIR`, `*_URL`…);
    /// - switches about a secret, whose name has a word such as `ALLOW`, `RANDOM`, `EMPTY`, `SKIP`,
    ///   `DISABLE`, `ENABLE`, `REQUIRE` or `GENERATE` (`MYSQL_ALLOW_EMPTY_PASSWORD=yes`,
    ///   `MYSQL_RANDOM_ROOT_PASSWORD=1`).
    ///
    /// ## Why is this bad?
    /// `ENV` values are stored in the image config for anyone who can pull it; `ARG` values are recorded
    /// in the image history (`docker history`) and in build provenance.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG NPM_TOKEN
    /// ENV DB_PASSWORD=hunter2
    /// ```
    ///
    /// ## How to fix
    /// Use a build secret: `RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci`, and inject runtime
    /// secrets from the orchestrator (or point at them: `ENV DB_PASSWORD_FILE=/run/secrets/db`).
    code: "DD033",
    name: "secret-in-env-arg",
    severity: Warning,
    hadolint: [],
    check: check,
}

/// True for variable names that announce a secret value.
pub fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    if [
        "_FILE",
        "_PATH",
        "_DIR",
        "_URL",
        "_URI",
        "_HOST",
        "_NAME",
        "_ENDPOINT",
    ]
    .iter()
    .any(|s| n.ends_with(s))
    {
        return false;
    }
    // A switch about a secret (`MYSQL_ALLOW_EMPTY_PASSWORD=yes`) holds a flag, not the secret.
    const SWITCH_WORDS: &[&str] = &[
        "ALLOW", "RANDOM", "EMPTY", "SKIP", "DISABLE", "DISABLED", "ENABLE", "ENABLED", "REQUIRE",
        "REQUIRED", "GENERATE",
    ];
    if n.split('_').any(|w| SWITCH_WORDS.contains(&w)) {
        return false;
    }
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIALS",
        "AUTH_KEY",
    ]
    .iter()
    .any(|s| n.contains(s))
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        let names: Vec<(String, bool)> = match (&ins.kind, &ins.args) {
            (InstructionKind::Env, Args::KeyValues(kvs)) => kvs
                .iter()
                .map(|kv| (kv.key.clone(), !crate::ctx::unquote(&kv.value).is_empty()))
                .collect(),
            (InstructionKind::Arg, _) => arg_defaults(ins)
                .into_iter()
                .map(|(k, v)| (k, v.is_some()))
                .collect(),
            _ => continue,
        };
        for (name, has_value) in names {
            if !secret_name(&name) {
                continue;
            }
            let kw = if ins.kind == InstructionKind::Env {
                "ENV"
            } else {
                "ARG"
            };
            let stored = if kw == "ENV" {
                "the image config"
            } else {
                "the image history"
            };
            let value = if has_value { " with a value" } else { "" };
            out.emit(&RULE, ins.span, format!("{kw} `{name}`{value} looks like a secret and ends up in {stored}; use `RUN --mount=type=secret`"));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::lines;

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines("FROM alpine:3\nARG NPM_TOKEN\nENV DB_PASSWORD=x\n", "DD033"),
            [2, 3]
        );
        assert!(
            lines(
                "FROM alpine:3\nENV DB_PASSWORD_FILE=/run/secrets/db GPG_KEY=ABC\n",
                "DD033"
            )
            .is_empty()
        );
    }

    #[test]
    fn switches_and_pointers_are_not_secrets() {
        for ok in [
            "ENV MYSQL_ALLOW_EMPTY_PASSWORD=yes",
            "ENV MYSQL_RANDOM_ROOT_PASSWORD=1",
            "ENV ALLOW_EMPTY_PASSWORD=true",
            "ARG SKIP_TOKEN_CHECK=0",
            "ENV POSTGRES_PASSWORD_FILE=/run/secrets/pg",
            "ENV GITHUB_TOKEN_FILE=/run/secrets/gh",
        ] {
            let t = format!("FROM mysql:8\n{ok}\n");
            assert!(lines(&t, "DD033").is_empty(), "{ok}");
        }
        for bad in [
            "ENV MYSQL_ROOT_PASSWORD=yes",
            "ENV MYSQL_PASSWORD=example",
            "ARG GITHUB_TOKEN",
            "ENV PASSWORD_ALLOWLIST_SECRET=x",
        ] {
            let t = format!("FROM mysql:8\n{bad}\n");
            assert_eq!(lines(&t, "DD033"), [2], "{bad}");
        }
    }
}
