//! The committed rule docs must match what the rules' doc comments generate.
//! Regenerate with `DRYDOCK_BLESS=1 cargo test -p drydock-lint --test docs`.

mod common;

use drydock_lint::docs;

#[test]
fn rule_docs_are_up_to_date() {
    let dir = common::repo_root().join("docs/rules");
    let bless = std::env::var_os("DRYDOCK_BLESS").is_some();
    let files = docs::generated_files();
    let mut stale = Vec::new();
    if bless {
        std::fs::create_dir_all(&dir).unwrap();
        // Drop pages of rules that no longer exist.
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".md") && !files.iter().any(|(n, _)| *n == name) {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
    }
    for (name, content) in &files {
        let path = dir.join(name);
        if bless {
            std::fs::write(&path, content).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            stale.push(name.clone());
        }
    }
    if !bless {
        for e in std::fs::read_dir(&dir)
            .expect("docs/rules exists")
            .flatten()
        {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".md") && !files.iter().any(|(n, _)| *n == name) {
                stale.push(format!("{name} (no such rule)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale rule docs (run DRYDOCK_BLESS=1 cargo test -p drydock-lint --test docs): {stale:?}"
    );
}

#[test]
fn lint_md_mentions_every_rule_family_and_format() {
    let text =
        std::fs::read_to_string(common::repo_root().join("docs/lint.md")).expect("docs/lint.md");
    for needle in [
        "drydock ignore=",
        "global ignore=",
        ".drydock.toml",
        "failure-threshold",
        "trusted-registries",
        "sarif",
        "checkstyle",
        "github",
        "DD090",
        "drydock-lint/1",
    ] {
        assert!(
            text.contains(needle),
            "docs/lint.md does not mention {needle}"
        );
    }
}
