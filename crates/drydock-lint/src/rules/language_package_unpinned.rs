use crate::ctx::{Ctx, Sink, run_commands};
use crate::shell::Command;
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Notes language packages installed by name without a version: `pip install flask` (not
    /// `flask==3.0.3`), `pipx install black`, `npm install -g express` (not `express@4.19.2`),
    /// `go install|get|run example.com/tool` or `@latest` (not `@v1.2.3`). Requirement and constraint files,
    /// local paths, archives and VCS URLs pinned to a ref count as pinned.
    ///
    /// ## Why is this bad?
    /// The build installs whatever the index serves that day: two builds of one commit differ, and a
    /// compromised release is picked up automatically.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN pip install --no-cache-dir gunicorn
    /// RUN go install golang.org/x/tools/gopls@latest
    /// ```
    ///
    /// ## How to fix
    /// Pin versions (`gunicorn==22.0.0`, `gopls@v0.16.1`), or better, install from a lock file
    /// (`pip install --require-hashes -r requirements.txt`, `npm ci`).
    ///
    /// Overlaps hadolint DL3013 (pip), DL3016 (npm) and DL3062 (go).
    code: "DD036",
    name: "language-package-unpinned",
    severity: Info,
    hadolint: ["DL3013", "DL3016", "DL3062"],
    check: check,
}

const PIP_VALUE_OPTS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "-f",
    "--find-links",
    "--trusted-host",
    "--cache-dir",
    "-e",
    "--editable",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--only-binary",
    "--no-binary",
    "--progress-bar",
    "--src",
    "--upgrade-strategy",
    "--global-option",
    "--install-option",
    "--config-settings",
    "-C",
    "--log",
    "--timeout",
    "--retries",
    "--proxy",
    "--cert",
    "--client-cert",
    "--build",
    "--root-user-action",
    "--python",
    "--pip-args",
    "--suffix",
    "--index",
    "--report",
];

fn pip_pinned(a: &str) -> bool {
    let l = a.to_ascii_lowercase();
    if l.starts_with("git+")
        || l.starts_with("hg+")
        || l.starts_with("svn+")
        || l.starts_with("bzr+")
    {
        let no_frag = l.split('#').next().unwrap_or(&l);
        let last = no_frag.rsplit('/').next().unwrap_or(no_frag);
        return last.contains('@');
    }
    ["==", "~=", ">=", "<=", "!=", "<", ">", "@"]
        .iter()
        .any(|op| l.contains(op))
        || l.contains('/')
        || l == "."
        || [".whl", ".tar.gz", ".zip", ".tgz", ".tar.bz2"]
            .iter()
            .any(|e| l.ends_with(e))
}

fn pip_unpinned(argv: &[String], start: usize) -> Vec<String> {
    let mut out = Vec::new();
    if argv
        .iter()
        .any(|a| a == "-c" || a == "--constraint" || a.starts_with("--constraint="))
    {
        return out;
    }
    let mut i = start;
    while i < argv.len() {
        let a = &argv[i];
        if a.starts_with('-') {
            if !a.contains('=') && PIP_VALUE_OPTS.contains(&a.as_str()) {
                i += 1;
            }
        } else if !a.contains('$') && !pip_pinned(a) {
            out.push(a.clone());
        }
        i += 1;
    }
    out
}

fn npm_pinned(a: &str) -> bool {
    let l = a.to_ascii_lowercase();
    if l.starts_with('/') || l.starts_with("./") || l.starts_with("../") || l.starts_with("~/") {
        return true;
    }
    if [".tar", ".tgz", ".tar.gz"].iter().any(|e| l.ends_with(e)) {
        return true;
    }
    if l.contains("://") || l.starts_with("git+") || l.starts_with("github:") {
        return l.contains('#');
    }
    // `name@version` or `@scope/name@version`.
    l.chars().skip(1).any(|c| c == '@')
}

fn npm_unpinned(argv: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if a.starts_with('-') {
            if !a.contains('=')
                && matches!(
                    a.as_str(),
                    "--registry"
                        | "--loglevel"
                        | "--prefix"
                        | "--cache"
                        | "-w"
                        | "--workspace"
                        | "--userconfig"
                )
            {
                i += 1;
            }
        } else if !a.contains('$') && !npm_pinned(a) {
            out.push(a.clone());
        }
        i += 1;
    }
    out
}

fn go_unpinned(argv: &[String]) -> Vec<String> {
    let sub = argv.get(1).map(String::as_str).unwrap_or("");
    let mut out = Vec::new();
    for a in argv.iter().skip(2).filter(|a| !a.starts_with('-')) {
        let local = a.starts_with('.') || a.starts_with('/') || a.contains('$');
        let pinned = local
            || a.rsplit_once('@')
                .is_some_and(|(_, v)| v != "latest" && !v.is_empty());
        if !pinned {
            out.push(a.clone());
        }
        if sub == "run" {
            break; // the rest are the program's arguments
        }
    }
    out
}

fn unpinned(c: &Command) -> Vec<String> {
    let argv = c.argv();
    let prog = c.program().unwrap_or("");
    let w = |i: usize| argv.get(i).map(String::as_str).unwrap_or("");
    match prog {
        "pip" | "pip2" | "pip3" if w(1) == "install" => pip_unpinned(argv, 2),
        p if p.starts_with("python")
            && w(1) == "-m"
            && matches!(w(2), "pip" | "pip3")
            && w(3) == "install" =>
        {
            pip_unpinned(argv, 4)
        }
        "pipx" if w(1) == "install" => pip_unpinned(argv, 2),
        "npm" if matches!(w(1), "install" | "i" | "add") => npm_unpinned(argv),
        "go" if matches!(w(1), "install" | "get" | "run") => go_unpinned(argv),
        _ => Vec::new(),
    }
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Run {
            continue;
        }
        let pkgs: Vec<String> = run_commands(ins).iter().flat_map(unpinned).collect();
        if !pkgs.is_empty() {
            out.emit(
                &RULE,
                ins.span,
                format!(
                    "language packages without a pinned version: {}",
                    pkgs.join(", ")
                ),
            );
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
                "FROM python:3\nRUN pip install flask 'gunicorn>=22'\n",
                "DD036"
            ),
            [2]
        );
        assert!(
            lines(
                "FROM python:3\nRUN pip install -r req.txt flask==3 git+https://x/y.git@v1#egg=y\n",
                "DD036"
            )
            .is_empty()
        );
        assert_eq!(
            lines("FROM node:20\nRUN npm install -g express\n", "DD036"),
            [2]
        );
        assert!(
            lines(
                "FROM node:20\nRUN npm install && npm install @org/p@1 ./local\n",
                "DD036"
            )
            .is_empty()
        );
        assert_eq!(
            lines(
                "FROM golang:1\nRUN go install golang.org/x/tools/gopls@latest\n",
                "DD036"
            ),
            [2]
        );
        assert!(
            lines(
                "FROM golang:1\nRUN go run example.com/pkg@v1.2.3 foo && go install ./...\n",
                "DD036"
            )
            .is_empty()
        );
    }
}
