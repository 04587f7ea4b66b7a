use crate::ctx::{Ctx, Sink, flag, unquote, words};
use drydock_dockerfile::ast::InstructionKind;

crate::rules::declare_rule! {
    /// ## What it does
    /// Flags `ADD https://…` (or `http://`) without `--checksum=sha256:…`, and `ADD` of a git repository
    /// (`git@host:org/repo.git`, `git://…`, `ssh://…`, `https://…/repo.git`) that is not pinned to a
    /// commit: no `--checksum=<commit>` (BuildKit's Dockerfile frontend 1.16+ checks it against the
    /// fetched commit), no full commit SHA as the ref (`…/repo.git#<40 or 64 hex digits>`) and no
    /// `checksum=`/`commit=` in the URL query.
    ///
    /// ## Why is this bad?
    /// The file is fetched at build time with no integrity check: whatever the server (or anyone in the
    /// path) returns goes into the image, and the cache key does not change when the content does.
    /// BuildKit supports `ADD` of a git repository, but a branch or tag (or the default branch when
    /// there is no `#ref`) is just as remote and unpinned: refs move, tags can be re-pointed.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD https://example.com/tool.tar.gz /opt/
    /// ```
    ///
    /// ## How to fix
    /// `ADD --checksum=sha256:<hex> https://example.com/tool.tar.gz /opt/`, or download in a builder
    /// stage with `curl` and verify with `sha256sum -c`. For git:
    /// `ADD https://github.com/org/repo.git#<full commit sha> /src` or
    /// `ADD --checksum=<full commit sha> https://github.com/org/repo.git#v1.2.3 /src`.
    code: "DD030",
    name: "add-remote-url",
    severity: Warning,
    hadolint: [],
    check: check,
}

/// A git source as BuildKit recognises one: `git@host:path`, `git://…`, `ssh://…`, or an http(s) URL whose
/// path ends in `.git` (before a `#ref[:subdir]` fragment or a query).
fn git_source(l: &str) -> bool {
    if l.starts_with("git@") || l.starts_with("git://") || l.starts_with("ssh://") {
        return true;
    }
    let Some(rest) = l
        .strip_prefix("https://")
        .or_else(|| l.strip_prefix("http://"))
    else {
        return false;
    };
    let path = rest.split(['#', '?']).next().unwrap_or(rest);
    path.trim_end_matches('/').ends_with(".git")
}

fn full_commit(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// True when a git source names a full commit: as the `#ref`, or as `ref=`, `commit=` or `checksum=` in
/// the query.
fn git_pinned(src: &str) -> bool {
    if let Some((_, frag)) = src.split_once('#') {
        let r = frag.split(':').next().unwrap_or(frag);
        if full_commit(r) {
            return true;
        }
    }
    let query = src
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(q));
    query.is_some_and(|q| {
        q.split('&').any(|kv| match kv.split_once('=') {
            Some(("ref" | "commit", v)) => full_commit(v),
            Some(("checksum", v)) => !v.is_empty(),
            _ => false,
        })
    })
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    for ins in ctx.effective_instructions() {
        if ins.kind != InstructionKind::Add || flag(ins, "checksum").is_some() {
            continue;
        }
        let w = words(ins);
        let sources = &w[..w.len().saturating_sub(1)];
        for s in sources {
            let s = unquote(s);
            let l = s.to_ascii_lowercase();
            if git_source(&l) {
                if !git_pinned(&s) {
                    out.emit(
                        &RULE,
                        ins.span,
                        format!("ADD of git repository `{s}` is not pinned to a commit: branches and tags move; use `#<full commit sha>` or `--checksum=<commit sha>`"),
                    );
                }
            } else if l.starts_with("http://") || l.starts_with("https://") {
                out.emit(
                    &RULE,
                    ins.span,
                    format!("ADD of `{s}` without `--checksum`: the download is not verified"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{lines, messages};

    #[test]
    fn hits_and_misses() {
        assert_eq!(
            lines(
                "FROM alpine:3\nADD https://x.example/a.tgz /opt/\n",
                "DD030"
            ),
            [2]
        );
        assert!(
            lines(
                "FROM alpine:3\nADD --checksum=sha256:aa https://x.example/a.tgz /opt/\n",
                "DD030"
            )
            .is_empty()
        );
        assert!(lines("FROM alpine:3\nADD a.tgz /opt/\n", "DD030").is_empty());
    }

    #[test]
    fn git_sources_must_name_a_commit() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        for bad in [
            "https://github.com/moby/buildkit.git#v0.10.1".to_string(),
            "https://github.com/moby/buildkit.git".to_string(),
            "git@github.com:moby/buildkit.git#main".to_string(),
            "git://example.com/repo.git".to_string(),
            "ssh://git@example.com/repo.git#main:sub/dir".to_string(),
            format!("https://github.com/moby/buildkit.git#{}", &sha[..12]),
        ] {
            let t = format!("FROM alpine:3\nADD {bad} /src\n");
            assert_eq!(lines(&t, "DD030"), [2], "{bad}");
            assert!(messages(&t, "DD030")[0].contains("git repository"), "{bad}");
        }
        for ok in [
            format!("ADD https://github.com/moby/buildkit.git#{sha} /src"),
            format!("ADD git@github.com:moby/buildkit.git#{sha}:docs /src"),
            format!("ADD --checksum={sha} https://github.com/moby/buildkit.git#v0.10.1 /src"),
            format!("ADD https://github.com/moby/buildkit.git?ref={sha} /src"),
        ] {
            let t = format!("FROM alpine:3\n{ok}\n");
            assert!(lines(&t, "DD030").is_empty(), "{ok}");
        }
        // A plain download whose name merely contains `.git` is still a download.
        let dl = "FROM alpine:3\nADD https://example.com/tool.github.tgz /opt/\n";
        assert!(messages(dl, "DD030")[0].contains("without `--checksum`"));
    }
}
