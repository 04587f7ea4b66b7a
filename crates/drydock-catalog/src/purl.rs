//! Package URLs (`pkg:type/namespace/name@version?qualifiers`) built with the spec's percent-encoding.
//!
//! Every component is encoded in the spec's canonical form: anything but ASCII letters, digits,
//! `.-_~` and `:` is `%XX` (the spec forbids encoding the colon, wherever it is), so `1:2.5-1+b1`
//! becomes `1:2.5-1%2Bb1`, as in the spec's own `deb` examples. packageurl-go writes this form
//! since 0.1.5; older releases (and the Syft builds using them) wrote `%3A`. Qualifiers are sorted
//! by key and empty values are left out.

use std::fmt::Write as _;

/// A package URL under construction; [`Purl::to_string`] renders it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purl {
    kind: String,
    namespace: Vec<String>,
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
}

impl Purl {
    /// A purl of type `kind` (lower-cased) for `name`.
    pub fn new(kind: &str, name: impl Into<String>) -> Purl {
        Purl {
            kind: kind.to_ascii_lowercase(),
            namespace: Vec::new(),
            name: name.into(),
            version: None,
            qualifiers: Vec::new(),
        }
    }

    /// Adds namespace segments (split on `/`, empty ones dropped).
    pub fn namespace(mut self, ns: &str) -> Purl {
        self.namespace
            .extend(ns.split('/').filter(|s| !s.is_empty()).map(str::to_string));
        self
    }

    /// Sets the version (nothing when empty).
    pub fn version(mut self, v: impl Into<String>) -> Purl {
        let v = v.into();
        self.version = (!v.is_empty()).then_some(v);
        self
    }

    /// Adds a qualifier; an empty value is ignored, as the spec says.
    pub fn qualifier(mut self, key: &str, value: impl Into<String>) -> Purl {
        let value = value.into();
        if !value.is_empty() {
            self.qualifiers.push((key.to_ascii_lowercase(), value));
        }
        self
    }
}

impl std::fmt::Display for Purl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pkg:{}/", self.kind)?;
        for ns in &self.namespace {
            write!(f, "{}/", encode(ns))?;
        }
        f.write_str(&encode(&self.name))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v))?;
        }
        let mut q: Vec<&(String, String)> = self.qualifiers.iter().collect();
        q.sort();
        for (i, (k, v)) in q.iter().enumerate() {
            write!(f, "{}{}={}", if i == 0 { '?' } else { '&' }, k, encode(v))?;
        }
        Ok(())
    }
}

/// Percent-encodes everything but the URL-unreserved characters and the colon.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_in_the_canonical_form() {
        let p = Purl::new("deb", "attr")
            .namespace("debian")
            .version("1:2.5.1-4+b1")
            .qualifier("distro", "debian-12")
            .qualifier("arch", "amd64")
            .qualifier("upstream", "");
        assert_eq!(
            p.to_string(),
            "pkg:deb/debian/attr@1:2.5.1-4%2Bb1?arch=amd64&distro=debian-12"
        );
        assert_eq!(encode("g plus+"), "g%20plus%2B");
        // The separators that are data here, but never the colon.
        assert_eq!(
            encode("a/b?c=d&e#f@g%h:i"),
            "a%2Fb%3Fc%3Dd%26e%23f%40g%25h:i"
        );
    }
}
