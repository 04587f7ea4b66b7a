//! The rule registry: one explicit static list, one file per rule.

use crate::ctx::{Ctx, Sink};
use crate::finding::Severity;

/// A rule's registry entry: identity, default severity, documentation and check.
#[derive(Clone, Copy)]
pub struct Rule {
    /// Stable code, `DD` + three digits.
    pub code: &'static str,
    /// Kebab-case name.
    pub name: &'static str,
    /// Default severity (config can override it).
    pub severity: Severity,
    /// The rule's doc comment (What it does / Why is this bad? / Example / How to fix).
    pub doc: &'static str,
    /// hadolint codes this rule overlaps (used by the conformance test and the docs).
    pub hadolint: &'static [&'static str],
    /// The check.
    pub check: fn(&Ctx<'_>, &mut Sink),
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

impl Rule {
    /// The first sentence under "What it does".
    pub fn summary(&self) -> String {
        let mut lines = self.doc.lines().map(str::trim);
        for l in lines.by_ref() {
            if l.starts_with("## What it does") {
                break;
            }
        }
        let mut s = String::new();
        for l in lines {
            if l.is_empty() || l.starts_with("##") {
                break;
            }
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(l);
        }
        s
    }
}

/// Declares a rule's `RULE` constant from its doc comment and metadata.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        code: $code:literal,
        name: $name:literal,
        severity: $sev:ident,
        hadolint: [$($h:literal),* $(,)?],
        check: $check:path $(,)?
    ) => {
        $(#[doc = $doc])*
        pub const RULE: $crate::rules::Rule = $crate::rules::Rule {
            code: $code,
            name: $name,
            severity: $crate::finding::Severity::$sev,
            doc: concat!($($doc, "\n"),*),
            hadolint: &[$($h),*],
            check: $check,
        };
    };
}
pub(crate) use declare_rule;

pub mod add_instead_of_copy;
pub mod add_remote_url;
pub mod apk_cache;
pub mod apt_install_recommends;
pub mod apt_install_without_yes;
pub mod apt_lists_not_removed;
pub mod apt_update_alone;
pub mod base_image_latest;
pub mod base_image_not_digest_pinned;
pub mod base_image_untagged;
pub mod build_tools_in_final_stage;
pub mod buildkit_rejects;
pub mod cd_in_run;
pub mod cmd_shell_form;
pub mod compile_in_single_stage;
pub mod copy_all_before_deps;
pub mod copy_from_own_stage;
pub mod copy_from_unknown_stage;
pub mod copy_multiple_sources_dest;
pub mod copy_relative_dest_without_workdir;
pub mod curl_and_wget;
pub mod debug_variant_in_final_stage;
pub mod digest_without_tag;
pub mod dnf_yum_no_clean;
pub mod duplicate_stage_name;
pub mod exec_binary_missing;
pub mod expose_ssh;
pub mod final_stage_root;
pub mod invalid_port;
pub mod language_package_unpinned;
pub mod maintainer_deprecated;
pub mod malformed_digest;
pub mod multiple_cmd;
pub mod multiple_entrypoint;
pub mod no_healthcheck;
pub mod npm_install;
pub mod os_package_unpinned;
pub mod pip_cache;
pub mod pipe_to_shell;
pub mod pipe_without_pipefail;
pub mod relative_workdir;
pub mod runtime_mismatch_copy;
pub mod secret_file_copied;
pub mod secret_in_env_arg;
pub mod shell_needed_without_shell;
pub mod sudo_in_run;
pub mod unknown_ignore_code;
pub mod untrusted_registry;
pub mod unused_ignore;
pub mod useradd_without_no_log_init;
pub mod yarn_cache;

/// Every rule, in code order. Adding a rule means adding its file and one line here.
pub static RULES: &[Rule] = &[
    buildkit_rejects::RULE,
    base_image_untagged::RULE,
    base_image_latest::RULE,
    base_image_not_digest_pinned::RULE,
    malformed_digest::RULE,
    digest_without_tag::RULE,
    untrusted_registry::RULE,
    final_stage_root::RULE,
    build_tools_in_final_stage::RULE,
    compile_in_single_stage::RULE,
    shell_needed_without_shell::RULE,
    exec_binary_missing::RULE,
    runtime_mismatch_copy::RULE,
    debug_variant_in_final_stage::RULE,
    apt_lists_not_removed::RULE,
    apk_cache::RULE,
    pip_cache::RULE,
    dnf_yum_no_clean::RULE,
    npm_install::RULE,
    apt_update_alone::RULE,
    apt_install_without_yes::RULE,
    apt_install_recommends::RULE,
    os_package_unpinned::RULE,
    yarn_cache::RULE,
    add_remote_url::RULE,
    add_instead_of_copy::RULE,
    pipe_to_shell::RULE,
    secret_in_env_arg::RULE,
    secret_file_copied::RULE,
    pipe_without_pipefail::RULE,
    language_package_unpinned::RULE,
    curl_and_wget::RULE,
    cmd_shell_form::RULE,
    multiple_cmd::RULE,
    multiple_entrypoint::RULE,
    relative_workdir::RULE,
    cd_in_run::RULE,
    sudo_in_run::RULE,
    expose_ssh::RULE,
    invalid_port::RULE,
    maintainer_deprecated::RULE,
    no_healthcheck::RULE,
    copy_all_before_deps::RULE,
    copy_from_unknown_stage::RULE,
    copy_from_own_stage::RULE,
    duplicate_stage_name::RULE,
    useradd_without_no_log_init::RULE,
    copy_relative_dest_without_workdir::RULE,
    copy_multiple_sources_dest::RULE,
    unused_ignore::RULE,
    unknown_ignore_code::RULE,
];

/// Find a rule by code (`DD003`, case-insensitive) or name (`base-image-not-digest-pinned`).
pub fn lookup(id: &str) -> Option<&'static Rule> {
    let id = id.trim();
    RULES
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(id) || r.name.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for r in RULES {
            assert!(codes.insert(r.code), "duplicate code {}", r.code);
            assert!(names.insert(r.name), "duplicate name {}", r.name);
            assert!(
                r.code.len() == 5
                    && r.code.starts_with("DD")
                    && r.code[2..].bytes().all(|b| b.is_ascii_digit()),
                "bad code {}",
                r.code
            );
            assert!(
                r.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()),
                "name not kebab-case: {}",
                r.name
            );
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## How to fix",
            ] {
                assert!(r.doc.contains(section), "{} doc lacks {section}", r.code);
            }
            assert!(!r.summary().is_empty(), "{} has no summary", r.code);
        }
        let mut sorted: Vec<_> = RULES.iter().map(|r| r.code).collect();
        sorted.sort();
        assert_eq!(
            sorted,
            RULES.iter().map(|r| r.code).collect::<Vec<_>>(),
            "registry not in code order"
        );
    }

    #[test]
    fn lookup_by_code_or_name() {
        let r = lookup("dd001").unwrap();
        assert_eq!(lookup(r.name).unwrap().code, r.code);
        assert!(lookup("DL3008").is_none());
    }
}
