//! Can the container's command and healthcheck start? Shell form needs the shell, exec form needs
//! its program present, executable for the configured user, and a script's interpreter present.

use std::collections::BTreeMap;

use drydock_image::oci::ContainerConfig;
use drydock_image::{FileTree, Kind, Node};

use crate::report::{RunCheck, User};

/// The PATH Docker gives a container whose image sets none.
pub(crate) const DEFAULT_PATH: &str =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// ENTRYPOINT followed by CMD, as the runtime builds argv.
pub(crate) fn command_argv(cfg: &ContainerConfig) -> Vec<String> {
    // Docker resets an `ENTRYPOINT [""]` to none, the usual way to clear an inherited one.
    let mut argv: Vec<String> = cfg
        .entrypoint
        .clone()
        .filter(|e| !(e.len() == 1 && e[0].is_empty()))
        .unwrap_or_default();
    argv.extend(cfg.cmd.clone().unwrap_or_default());
    argv
}

/// The directories of the image's `PATH` (Docker's default when unset).
pub(crate) fn search_path(cfg: &ContainerConfig) -> Vec<String> {
    let path = cfg
        .env
        .iter()
        .rev()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    path.split(':')
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect()
}

/// What the checks need besides the config.
pub(crate) struct Ctx<'a> {
    pub tree: &'a FileTree,
    pub cfg: &'a ContainerConfig,
    pub shebangs: &'a BTreeMap<String, String>,
    pub elf_interp: &'a BTreeMap<String, String>,
    pub user: &'a User,
    /// Groups the user belongs to besides its primary one.
    pub supplementary_gids: Vec<u64>,
}

/// Checks the container command (ENTRYPOINT + CMD).
pub(crate) fn check_command(ctx: &Ctx) -> RunCheck {
    let argv = command_argv(ctx.cfg);
    if argv.is_empty() {
        return RunCheck {
            argv,
            form: "none".into(),
            can_run: false,
            why: "no ENTRYPOINT or CMD: the image needs a command given at `docker run`".into(),
            ..RunCheck::default()
        };
    }
    let mut check = check_argv(ctx, argv);
    if check.can_run && !ctx.user.resolved {
        check.can_run = false;
        check.why = ctx
            .user
            .why
            .clone()
            .unwrap_or_else(|| "the user cannot be resolved".into());
    }
    check
}

/// Checks the healthcheck test, if the config has one.
pub(crate) fn check_healthcheck(ctx: &Ctx) -> Option<RunCheck> {
    let test = &ctx.cfg.healthcheck.as_ref()?.test;
    match test.first().map(String::as_str) {
        None => None,
        Some("NONE") => Some(RunCheck {
            argv: test.clone(),
            form: "none".into(),
            can_run: true,
            why: "healthcheck disabled (NONE)".into(),
            ..RunCheck::default()
        }),
        Some("CMD") => {
            if test.len() < 2 {
                return Some(RunCheck {
                    argv: test.clone(),
                    form: "exec".into(),
                    can_run: false,
                    why: "healthcheck CMD has no program".into(),
                    ..RunCheck::default()
                });
            }
            Some(check_argv(ctx, test[1..].to_vec()))
        }
        Some("CMD-SHELL") => {
            let mut argv = ctx
                .cfg
                .shell
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
            argv.extend(test.get(1).cloned());
            let mut c = check_argv(ctx, argv);
            c.form = "shell".into();
            Some(c)
        }
        Some(other) => Some(RunCheck {
            argv: test.clone(),
            form: "unknown".into(),
            can_run: false,
            why: format!("healthcheck test kind {other:?} is not CMD, CMD-SHELL or NONE"),
            ..RunCheck::default()
        }),
    }
}

fn is_shell_form(argv: &[String]) -> bool {
    // `-c`, and bundled flags such as `-ec` or `-lc`, make the next word the command string.
    let c_flag = |f: &str| {
        f.strip_prefix('-')
            .is_some_and(|r| r.contains('c') && r.chars().all(|ch| ch.is_ascii_alphabetic()))
    };
    argv.len() >= 2
        && c_flag(&argv[1])
        && matches!(
            argv[0].rsplit('/').next(),
            Some("sh" | "bash" | "ash" | "dash" | "zsh" | "ksh" | "mksh")
        )
}

fn check_argv(ctx: &Ctx, argv: Vec<String>) -> RunCheck {
    let form = if is_shell_form(&argv) {
        "shell"
    } else {
        "exec"
    };
    let program = argv[0].clone();
    let mut out = RunCheck {
        argv,
        form: form.into(),
        program: Some(program.clone()),
        ..RunCheck::default()
    };
    let needs = if form == "shell" {
        " (shell form needs it)"
    } else {
        ""
    };
    if program.is_empty() {
        out.why = "the program is an empty string".into();
        return out;
    }
    let found = find_program(ctx, &program);
    let Some((path, node)) = found else {
        out.why = if program.contains('/') {
            format!("{program} does not exist in the image{needs}")
        } else {
            format!(
                "{program} is not on the image's PATH ({}){needs}",
                search_path(ctx.cfg).join(":")
            )
        };
        return out;
    };
    out.resolved = Some(path.clone());
    if let Err(why) = executable_by(ctx, &path, node) {
        out.why = why;
        return out;
    }
    out.loader = ctx.elf_interp.get(&path).cloned();
    out.interpreter = ctx.shebangs.get(&path).cloned();
    if let Err(why) = check_headers(ctx, &path) {
        out.why = why;
        return out;
    }
    if out.form == "shell"
        && let Some(first) = shell_script(&out.argv).and_then(shell_first_program)
    {
        out.shell_program = Some(first.clone());
        match find_program(ctx, &first) {
            Some((p, n)) if executable_by(ctx, &p, n).is_ok() => {
                out.shell_program_resolved = Some(p.clone());
                if let Err(why) = check_headers(ctx, &p) {
                    out.why = format!("the shell starts, but the command's program {why}");
                    return out;
                }
            }
            Some((p, _)) => {
                out.shell_program_resolved = Some(p.clone());
                out.why = format!(
                    "the shell starts, but the command's program {p} is not executable by the user"
                );
                return out;
            }
            None => {
                out.why = format!(
                    "the shell starts, but the command's program {first} is not in the image (exit status 127)"
                );
                return out;
            }
        }
    }
    out.can_run = true;
    let shown = if path == program {
        path.clone()
    } else {
        format!("{program} -> {path}")
    };
    out.why = if out.interpreter.is_some() {
        format!("{shown} and its interpreter are present and executable")
    } else {
        format!("{shown} is present and executable")
    };
    out
}

/// Shell words that are not programs on PATH: builtins and reserved words.
const SHELL_BUILTINS: &[&str] = &[
    ":", ".", "break", "continue", "eval", "exit", "export", "readonly", "return", "set", "shift",
    "times", "trap", "unset", "alias", "bg", "cd", "command", "false", "fc", "fg", "getopts",
    "hash", "jobs", "kill", "newgrp", "pwd", "read", "true", "type", "ulimit", "umask", "unalias",
    "wait", "echo", "printf", "test", "[", "local", "source", "if", "then", "else", "elif", "fi",
    "case", "esac", "for", "while", "until", "do", "done", "{", "}", "!", "function", "select",
    "time", "declare", "typeset",
];

/// The program a `sh -c` command runs first, when that is plain to see: leading `exec` and
/// `NAME=value` assignments skipped; `None` for builtins, expansions, quoting or redirections.
pub(crate) fn shell_first_program(script: &str) -> Option<String> {
    let first_command = script.split(['\n', ';', '&', '|']).next()?;
    for word in first_command.split_whitespace() {
        if word == "exec" {
            continue;
        }
        if let Some((name, _)) = word.split_once('=')
            && !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        if SHELL_BUILTINS.contains(&word) {
            return None;
        }
        let plain = word.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | '@' | ',')
        });
        return plain.then(|| word.to_string());
    }
    None
}

/// The ELF loader and `#!` interpreter of a program drydock read, when it read it.
fn check_headers(ctx: &Ctx, path: &str) -> Result<(), String> {
    if let Some(loader) = ctx.elf_interp.get(path)
        && resolve_file(ctx.tree, loader).is_none()
    {
        return Err(format!(
            "{path} needs the dynamic loader {loader}, which is not in the image (built for another libc?)"
        ));
    }
    if let Some(line) = ctx.shebangs.get(path) {
        check_interpreter(ctx, line)
            .map_err(|why| format!("{path} is a script whose interpreter is missing: {why}"))?;
    }
    Ok(())
}

/// The command string of a shell-form argv (`sh -c STRING`).
pub(crate) fn shell_script(argv: &[String]) -> Option<&str> {
    is_shell_form(argv)
        .then(|| argv.get(2).map(String::as_str))
        .flatten()
}

/// Finds a program as execve (with a path) or the runtime's PATH lookup (without) would.
fn find_program<'a>(ctx: &Ctx<'a>, program: &str) -> Option<(String, &'a Node)> {
    if program.contains('/') {
        let abs = if program.starts_with('/') {
            program.to_string()
        } else {
            let wd = ctx
                .cfg
                .working_dir
                .as_deref()
                .filter(|w| !w.is_empty())
                .unwrap_or("/");
            format!("{}/{program}", wd.trim_end_matches('/'))
        };
        return resolve_file(ctx.tree, &abs);
    }
    search_path(ctx.cfg).iter().find_map(|d| {
        resolve_file(ctx.tree, &format!("{d}/{program}")).filter(|(_, n)| n.mode & 0o111 != 0)
    })
}

/// Resolves a path to a regular file (following symlinks and hard links).
pub(crate) fn resolve_file<'a>(tree: &'a FileTree, path: &str) -> Option<(String, &'a Node)> {
    let (mut p, mut n) = tree.resolve(path)?;
    if n.kind == Kind::Hardlink
        && let Some(target) = n.link.clone()
        && let Some((tp, tn)) = tree.resolve(&target)
    {
        // The hard link's own mode is the file's; keep its node but name the content's path.
        if tn.kind == Kind::File {
            p = tp;
            n = tn;
        }
    }
    n.is_regular().then_some((p, n))
}

/// Whether the configured user may execute this file.
fn executable_by(ctx: &Ctx, path: &str, node: &Node) -> Result<(), String> {
    if !node.is_regular() {
        return Err(format!("{path} is not a regular file"));
    }
    if node.mode & 0o111 == 0 {
        return Err(format!("{path} is not executable (mode {:04o})", node.mode));
    }
    let (Some(uid), gid) = (ctx.user.uid, ctx.user.gid) else {
        return Ok(());
    };
    if uid == 0 {
        return Ok(());
    }
    let bit = if node.uid == uid {
        0o100
    } else if gid == Some(node.gid) || ctx.supplementary_gids.contains(&node.gid) {
        0o010
    } else {
        0o001
    };
    if node.mode & bit == 0 {
        return Err(format!(
            "{path} (mode {:04o}, owner {}:{}) is not executable by uid {uid}",
            node.mode, node.uid, node.gid
        ));
    }
    Ok(())
}

/// Checks a `#!` line's interpreter (and, for `env`, the program it looks up).
fn check_interpreter(ctx: &Ctx, line: &str) -> Result<(), String> {
    let mut words = line.split_whitespace();
    let Some(interp) = words.next() else {
        return Err("empty #! line".into());
    };
    let Some((ipath, inode)) = resolve_file(ctx.tree, interp) else {
        return Err(format!("{interp} not found"));
    };
    executable_by(ctx, &ipath, inode)?;
    if interp.rsplit('/').next() == Some("env") {
        let target = words.find(|w| !w.starts_with('-'));
        if let Some(t) = target
            && !t.contains('=')
        {
            if t.contains('/') {
                resolve_file(ctx.tree, t).ok_or_else(|| format!("{t} not found"))?;
            } else if find_program(ctx, t).is_none() {
                return Err(format!("{t} (run through env) is not on PATH"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: Kind, mode: u32, link: Option<&str>) -> Node {
        Node {
            kind,
            mode,
            uid: 0,
            gid: 0,
            size: 10,
            mtime: 0,
            layer: 0,
            link: link.map(str::to_string),
        }
    }

    fn tree(with_sh: bool) -> FileTree {
        let mut nodes = vec![
            (
                "/bin".to_string(),
                node(Kind::Symlink, 0o777, Some("usr/bin")),
            ),
            ("/usr/bin".to_string(), node(Kind::Dir, 0o755, None)),
            (
                "/usr/bin/python3".to_string(),
                node(Kind::Symlink, 0o777, Some("python3.11")),
            ),
            (
                "/usr/bin/python3.11".to_string(),
                node(Kind::File, 0o755, None),
            ),
            ("/usr/bin/env".to_string(), node(Kind::File, 0o755, None)),
            ("/app/run.sh".to_string(), node(Kind::File, 0o755, None)),
            ("/app/tool.py".to_string(), node(Kind::File, 0o755, None)),
            ("/app/data.txt".to_string(), node(Kind::File, 0o644, None)),
            ("/app/private".to_string(), node(Kind::File, 0o700, None)),
            ("/app/glibc-bin".to_string(), node(Kind::File, 0o755, None)),
        ];
        if with_sh {
            nodes.push((
                "/usr/bin/sh".to_string(),
                node(Kind::Symlink, 0o777, Some("dash")),
            ));
            nodes.push(("/usr/bin/dash".to_string(), node(Kind::File, 0o755, None)));
        }
        FileTree::from_nodes(nodes)
    }

    fn shebangs() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("/app/run.sh".to_string(), "/bin/sh".to_string()),
            (
                "/app/tool.py".to_string(),
                "/usr/bin/env python3".to_string(),
            ),
        ])
    }

    fn check(t: &FileTree, cfg: &ContainerConfig, user: &User) -> RunCheck {
        let s = shebangs();
        let elf = BTreeMap::from([(
            "/app/glibc-bin".to_string(),
            "/lib64/ld-linux-x86-64.so.2".to_string(),
        )]);
        check_command(&Ctx {
            tree: t,
            cfg,
            shebangs: &s,
            elf_interp: &elf,
            user,
            supplementary_gids: vec![],
        })
    }

    fn root() -> User {
        User {
            uid: Some(0),
            gid: Some(0),
            is_root: true,
            resolved: true,
            ..User::default()
        }
    }

    fn cfg(entrypoint: &[&str], cmd: &[&str]) -> ContainerConfig {
        ContainerConfig {
            entrypoint: (!entrypoint.is_empty())
                .then(|| entrypoint.iter().map(|s| s.to_string()).collect()),
            cmd: (!cmd.is_empty()).then(|| cmd.iter().map(|s| s.to_string()).collect()),
            ..ContainerConfig::default()
        }
    }

    #[test]
    fn shell_form_needs_sh() {
        let c = cfg(&[], &["/bin/sh", "-c", "python3 app.py"]);
        let ok = check(&tree(true), &c, &root());
        assert!(ok.can_run, "{}", ok.why);
        assert_eq!(ok.form, "shell");
        assert_eq!(ok.resolved.as_deref(), Some("/usr/bin/dash"));
        let bad = check(&tree(false), &c, &root());
        assert!(!bad.can_run);
        assert!(bad.why.contains("/bin/sh"), "{}", bad.why);
    }

    #[test]
    fn exec_form_on_path_and_absolute() {
        let t = tree(false);
        let ok = check(&t, &cfg(&["python3"], &["-m", "http.server"]), &root());
        assert!(ok.can_run, "{}", ok.why);
        assert_eq!(ok.form, "exec");
        assert_eq!(ok.resolved.as_deref(), Some("/usr/bin/python3.11"));
        assert!(!check(&t, &cfg(&["node"], &[]), &root()).can_run);
        assert!(!check(&t, &cfg(&["/app/data.txt"], &[]), &root()).can_run);
        assert!(!check(&t, &cfg(&["/app"], &[]), &root()).can_run);
        let reset = check(&t, &cfg(&[""], &["python3"]), &root());
        assert!(reset.can_run, "{}", reset.why);
        let none = check(&t, &cfg(&[], &[]), &root());
        assert_eq!((none.form.as_str(), none.can_run), ("none", false));
        // A relative program with a slash is looked up from the working directory.
        let mut c = cfg(&["./tool.py"], &[]);
        c.working_dir = Some("/app".into());
        assert!(check(&t, &c, &root()).can_run);
        // A PATH from the image env replaces the default.
        let mut c = cfg(&["python3"], &[]);
        c.env = vec!["PATH=/opt/venv/bin".into()];
        assert!(!check(&t, &c, &root()).can_run);
    }

    #[test]
    fn scripts_need_their_interpreter() {
        let t = tree(false);
        let bad = check(&t, &cfg(&["/app/run.sh"], &[]), &root());
        assert!(!bad.can_run);
        assert!(bad.why.contains("interpreter"), "{}", bad.why);
        assert!(check(&tree(true), &cfg(&["/app/run.sh"], &[]), &root()).can_run);
        let py = check(&t, &cfg(&["/app/tool.py"], &[]), &root());
        assert!(py.can_run, "{}", py.why);
        assert_eq!(py.interpreter.as_deref(), Some("/usr/bin/env python3"));
    }

    #[test]
    fn elf_needs_its_loader() {
        let bad = check(&tree(true), &cfg(&["/app/glibc-bin"], &[]), &root());
        assert!(!bad.can_run);
        assert!(bad.why.contains("ld-linux"), "{}", bad.why);
        assert_eq!(bad.loader.as_deref(), Some("/lib64/ld-linux-x86-64.so.2"));
        // Also when the shell runs it.
        let bad = check(
            &tree(true),
            &cfg(&[], &["/bin/sh", "-c", "exec /app/glibc-bin --serve"]),
            &root(),
        );
        assert!(!bad.can_run);
        assert!(bad.why.contains("ld-linux"), "{}", bad.why);
        let bad = check(
            &tree(true),
            &cfg(&[], &["/bin/sh", "-c", "/app/run.sh"]),
            &root(),
        );
        assert!(bad.can_run, "{}", bad.why);
    }

    #[test]
    fn shell_first_programs() {
        assert_eq!(
            shell_first_program("curl -f http://localhost/ || exit 1").as_deref(),
            Some("curl")
        );
        assert_eq!(
            shell_first_program("exec gunicorn app:app").as_deref(),
            Some("gunicorn")
        );
        assert_eq!(
            shell_first_program("FOO=1 BAR=2 ./run.sh --x").as_deref(),
            Some("./run.sh")
        );
        assert_eq!(
            shell_first_program("  python3 app.py; echo done").as_deref(),
            Some("python3")
        );
        assert_eq!(shell_first_program("echo hi"), None);
        assert_eq!(shell_first_program("$APP_BIN --serve"), None);
        assert_eq!(shell_first_program("\"quoted\" arg"), None);
        assert_eq!(shell_first_program("if true; then x; fi"), None);
        assert_eq!(shell_first_program(""), None);
    }

    #[test]
    fn shell_form_checks_the_first_program() {
        let t = tree(true);
        let ok = check(
            &t,
            &cfg(&[], &["/bin/sh", "-c", "exec python3 -m http.server"]),
            &root(),
        );
        assert!(ok.can_run, "{}", ok.why);
        assert_eq!(
            ok.shell_program_resolved.as_deref(),
            Some("/usr/bin/python3.11")
        );
        let bad = check(
            &t,
            &cfg(
                &[],
                &["/bin/sh", "-c", "curl -f http://localhost/ || exit 1"],
            ),
            &root(),
        );
        assert!(!bad.can_run);
        assert!(bad.why.contains("curl"), "{}", bad.why);
        assert_eq!(bad.shell_program.as_deref(), Some("curl"));
        // Builtins and expansions are not judged.
        assert!(check(&t, &cfg(&[], &["/bin/sh", "-c", "echo $HOME"]), &root()).can_run);
        assert!(check(&t, &cfg(&[], &["/bin/sh", "-c", "$CMD"]), &root()).can_run);
        let bundled = check(
            &t,
            &cfg(&["/bin/sh", "-ec"], &["nginx -g 'daemon off;'"]),
            &root(),
        );
        assert_eq!((bundled.form.as_str(), bundled.can_run), ("shell", false));
        assert_eq!(
            check(&t, &cfg(&["python3", "-c", "print(1)"], &[]), &root()).form,
            "exec"
        );
    }

    #[test]
    fn permissions_and_user() {
        let t = tree(false);
        let app = User {
            uid: Some(1000),
            gid: Some(1000),
            resolved: true,
            ..User::default()
        };
        assert!(check(&t, &cfg(&["/app/private"], &[]), &root()).can_run);
        let denied = check(&t, &cfg(&["/app/private"], &[]), &app);
        assert!(!denied.can_run);
        assert!(denied.why.contains("uid 1000"));
        let ghost = User {
            resolved: false,
            why: Some("user \"ghost\" is not in /etc/passwd".into()),
            ..User::default()
        };
        let c = check(&t, &cfg(&["python3"], &[]), &ghost);
        assert!(!c.can_run);
        assert!(c.why.contains("ghost"));
    }

    #[test]
    fn healthchecks() {
        let t = tree(false);
        let s = shebangs();
        let mut c = cfg(&["python3"], &[]);
        let hc = |c: &ContainerConfig| {
            check_healthcheck(&Ctx {
                tree: &t,
                cfg: c,
                shebangs: &s,
                elf_interp: &BTreeMap::new(),
                user: &root(),
                supplementary_gids: vec![],
            })
        };
        assert!(hc(&c).is_none());
        c.healthcheck = Some(drydock_image::oci::Healthcheck {
            test: vec!["CMD-SHELL".into(), "curl -f localhost".into()],
            ..Default::default()
        });
        let h = hc(&c).unwrap();
        assert_eq!((h.form.as_str(), h.can_run), ("shell", false));
        c.healthcheck.as_mut().unwrap().test =
            vec!["CMD".into(), "python3".into(), "-c".into(), "1".into()];
        assert!(hc(&c).unwrap().can_run);
        c.healthcheck.as_mut().unwrap().test = vec!["NONE".into()];
        assert!(hc(&c).unwrap().can_run);
    }
}
