//! Rule documentation generated from the rules' doc comments: `docs/rules/<code>-<name>.md` and an index.

use crate::rules::{RULES, Rule};

/// File name of a rule's page.
pub fn rule_file_name(r: &Rule) -> String {
    format!("{}-{}.md", r.code, r.name)
}

fn doc_body(r: &Rule) -> String {
    let mut s = String::new();
    for l in r.doc.lines() {
        s.push_str(l.strip_prefix(' ').unwrap_or(l));
        s.push('\n');
    }
    s
}

/// The Markdown page of one rule.
pub fn rule_markdown(r: &Rule) -> String {
    let mut s = format!("# {} `{}`\n\n", r.code, r.name);
    s.push_str(&format!("Default severity: **{}**", r.severity));
    if r.hadolint.is_empty() {
        s.push_str(" · hadolint: none\n\n");
    } else {
        s.push_str(&format!(" · hadolint: {}\n\n", r.hadolint.join(", ")));
    }
    s.push_str(&format!(
        "Suppress: `# drydock ignore={}` (next instruction), `# drydock global ignore={}` (file), or `ignore = [\"{}\"]` in `.drydock.toml`.\n\n",
        r.code, r.code, r.code
    ));
    s.push_str(&doc_body(r));
    s.push_str("\n<!-- generated from crates/drydock-lint/src/rules; regenerate with DRYDOCK_BLESS=1 cargo test -p drydock-lint --test docs -->\n");
    s
}

/// The index page `docs/rules/README.md`.
pub fn index_markdown() -> String {
    let mut s = String::from(
        "# drydock lint rules\n\nCodes are drydock's own (`DD` + three digits): DD00x image references, DD01x base-image facts \
(user, tools, shell, runtimes), DD02x package managers and layer hygiene, DD03x supply chain and secrets, DD04x \
instruction hygiene, DD05x build cache and stage wiring, DD09x pragmas. See [../lint.md](../lint.md) for config, pragmas and outputs.\n\n\
| Code | Name | Severity | hadolint | What it does |\n|---|---|---|---|---|\n",
    );
    for r in RULES {
        let summary = r.summary().replace('|', "\\|");
        s.push_str(&format!(
            "| [{}]({}) | `{}` | {} | {} | {} |\n",
            r.code,
            rule_file_name(r),
            r.name,
            r.severity,
            if r.hadolint.is_empty() {
                "—".to_string()
            } else {
                r.hadolint.join(", ")
            },
            summary
        ));
    }
    s.push_str("\n<!-- generated; regenerate with DRYDOCK_BLESS=1 cargo test -p drydock-lint --test docs -->\n");
    s
}

/// Every generated file: `(file name relative to docs/rules, content)`.
pub fn generated_files() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = RULES
        .iter()
        .map(|r| (rule_file_name(r), rule_markdown(r)))
        .collect();
    v.push(("README.md".into(), index_markdown()));
    v
}

/// The Markdown page of the rule with this code or name (for `drydock lint --explain`), if any.
pub fn explain(id: &str) -> Option<String> {
    crate::rules::lookup(id).map(rule_markdown)
}

#[cfg(test)]
mod tests {
    #[test]
    fn explain_by_code_or_name() {
        let page = super::explain("dd013").unwrap();
        assert!(page.starts_with("# DD013 `shell-form-without-shell`"));
        assert_eq!(super::explain("shell-form-without-shell"), Some(page));
        assert!(super::explain("DL3008").is_none());
    }
}
