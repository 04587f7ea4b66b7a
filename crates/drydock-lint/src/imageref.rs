//! A lenient image-reference splitter: enough to judge tags and digests and to key the facts table.
//!
//! It never fails: whatever the text, it yields registry, repository, tag and digest parts, and lets rules
//! judge whether each part is well formed.

/// The parts of `[registry/]repository[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The reference exactly as written (after ARG substitution).
    pub raw: String,
    /// Registry host if the first path component looks like one (has `.` or `:` or is `localhost`).
    pub registry: Option<String>,
    /// Repository path without registry, e.g. `python` or `distroless/static`.
    pub repository: String,
    /// Tag after `:`, if any.
    pub tag: Option<String>,
    /// Digest after `@`, if any (e.g. `sha256:abcd…`), unvalidated.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Split a reference. Leading/trailing whitespace is ignored.
    pub fn parse(text: &str) -> ImageRef {
        let raw = text.trim().to_string();
        let (name_tag, digest) = match raw.split_once('@') {
            Some((a, d)) => (a.to_string(), Some(d.to_string())),
            None => (raw.clone(), None),
        };
        // A tag is the part after the last ':' that comes after the last '/'.
        let last_slash = name_tag.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (
                name_tag[..last_slash + i].to_string(),
                Some(name_tag[last_slash + i + 1..].to_string()),
            ),
            None => (name_tag.clone(), None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first.to_ascii_lowercase()), rest.to_string())
            }
            _ => (None, name.clone()),
        };
        ImageRef {
            raw,
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// The registry with Docker Hub's defaults applied (`docker.io`).
    pub fn registry_or_default(&self) -> &str {
        self.registry.as_deref().unwrap_or("docker.io")
    }

    /// `registry/repository` with Docker Hub's `library/` prefix applied, lowercased; the key the facts table uses.
    pub fn canonical_name(&self) -> String {
        let reg = self.registry_or_default();
        let repo = self.repository.to_ascii_lowercase();
        let reg = if reg == "index.docker.io" || reg == "registry-1.docker.io" {
            "docker.io"
        } else {
            reg
        };
        if reg == "docker.io" && !repo.contains('/') {
            format!("docker.io/library/{repo}")
        } else {
            format!("{reg}/{repo}")
        }
    }

    /// True for the reserved empty image.
    pub fn is_scratch(&self) -> bool {
        self.raw.eq_ignore_ascii_case("scratch")
    }

    /// True when the digest part is `algorithm:hex` with a known algorithm and the right length.
    pub fn digest_is_well_formed(&self) -> bool {
        match &self.digest {
            None => true,
            Some(d) => digest_well_formed(d),
        }
    }

    /// True when the reference still contains an unexpanded variable.
    pub fn has_variable(&self) -> bool {
        self.raw.contains('$')
    }
}

/// `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`.
pub fn digest_well_formed(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let want = match alg {
        "sha256" => 64,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == want
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A reference shortened for messages: the digest cut to its first 12 hex digits.
pub fn display(reference: &str) -> String {
    match reference.split_once('@') {
        Some((name, digest)) => {
            let (alg, hex) = digest.split_once(':').unwrap_or(("", digest));
            let short: String = hex.chars().take(12).collect();
            if hex.chars().count() > 12 {
                format!("{name}@{alg}:{short}…")
            } else {
                reference.to_string()
            }
        }
        None => reference.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_parts() {
        let r = ImageRef::parse("localhost:5000/team/app:1.2@sha256:abc");
        assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
        assert!(!r.digest_is_well_formed());
        let p = ImageRef::parse("python");
        assert_eq!(p.canonical_name(), "docker.io/library/python");
        assert_eq!(p.tag, None);
        let g = ImageRef::parse("gcr.io/distroless/static:nonroot");
        assert_eq!(g.canonical_name(), "gcr.io/distroless/static");
        assert_eq!(g.tag.as_deref(), Some("nonroot"));
    }

    #[test]
    fn display_shortens_digests() {
        let d = format!("python:3@sha256:{}", "a".repeat(64));
        assert_eq!(display(&d), "python:3@sha256:aaaaaaaaaaaa…");
        assert_eq!(display("python:3"), "python:3");
    }

    #[test]
    fn digest_check() {
        assert!(digest_well_formed(&format!("sha256:{}", "a".repeat(64))));
        assert!(!digest_well_formed(&format!("sha256:{}", "A".repeat(64))));
        assert!(!digest_well_formed("md5:abc"));
    }
}
