//! Resolving an OS package's declared dependencies to the installed packages that satisfy them,
//! the way the package manager would: by name, else by something that provides the name.

use std::collections::HashMap;

use crate::Package;

/// One dependency entry: alternatives, any of which satisfies it (`a | b`).
pub(crate) type Entry = Vec<String>;

/// Sets `depends_on` of each package from its entries (`deps[i]` belongs to `packages[i]`):
/// the first alternative that names an installed package or something one provides wins; a
/// package of the same architecture (or `all`/`noarch`) is preferred. Returns how many entries
/// nothing satisfied.
pub(crate) fn resolve(
    packages: &mut [Package],
    deps: &[Vec<Entry>],
    provides: &[Vec<String>],
) -> usize {
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        by_name.entry(p.name.as_str()).or_default().push(i);
    }
    let mut by_provides: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, prov) in provides.iter().enumerate() {
        for name in prov {
            by_provides.entry(name.as_str()).or_default().push(i);
        }
    }
    let mut unresolved = 0;
    let mut resolved: Vec<Vec<String>> = vec![Vec::new(); packages.len()];
    for (i, entries) in deps.iter().enumerate().take(packages.len()) {
        let arch = packages[i].arch.as_deref();
        for alts in entries {
            let hit = alts.iter().find_map(|name| {
                let cands = by_name
                    .get(name.as_str())
                    .filter(|c| !c.is_empty())
                    .or_else(|| by_provides.get(name.as_str()))?;
                let best = cands
                    .iter()
                    .copied()
                    .find(|&c| {
                        let a = packages[c].arch.as_deref();
                        a == arch || matches!(a, Some("all" | "noarch")) || arch.is_none()
                    })
                    .or_else(|| cands.first().copied())?;
                Some(best)
            });
            match hit {
                Some(j) if j != i => {
                    let purl = packages[j].purl.clone();
                    if !resolved[i].contains(&purl) {
                        resolved[i].push(purl);
                    }
                }
                Some(_) => {}
                None => unresolved += 1,
            }
        }
    }
    for (p, mut r) in packages.iter_mut().zip(resolved) {
        r.sort();
        p.depends_on = r;
    }
    unresolved
}

/// A dpkg relationship field (`a (>= 1) | b:any, c`) as entries of bare names.
pub(crate) fn dpkg_entries(items: &[String]) -> Vec<Entry> {
    items
        .iter()
        .map(|item| {
            item.split('|')
                .filter_map(|alt| {
                    let name = alt.split_whitespace().next()?;
                    let name = name.split('(').next().unwrap_or(name);
                    // `:any`, `:native` and `:<arch>` qualify, they do not rename.
                    Some(name.split(':').next().unwrap_or(name).to_string())
                })
                .filter(|n| !n.is_empty())
                .collect()
        })
        .filter(|e: &Entry| !e.is_empty())
        .collect()
}

/// A dpkg `Provides` field (`a (= 1), b`) as bare names.
pub(crate) fn dpkg_provides(items: &[String]) -> Vec<String> {
    dpkg_entries(items).into_iter().flatten().collect()
}

/// apk `D:` tokens (`so:libc.musl-x86_64.so.1`, `busybox>=1.36`, `!conflict`) as single-name entries.
pub(crate) fn apk_entries(tokens: &[String]) -> Vec<Entry> {
    tokens
        .iter()
        .filter(|t| !t.starts_with('!'))
        .map(|t| vec![apk_name(t)])
        .filter(|e| !e[0].is_empty())
        .collect()
}

/// apk `p:` tokens (`cmd:getconf=1.2.4-r1`) as bare names.
pub(crate) fn apk_provides(tokens: &[String]) -> Vec<String> {
    tokens
        .iter()
        .map(|t| apk_name(t))
        .filter(|n| !n.is_empty())
        .collect()
}

fn apk_name(t: &str) -> String {
    let end = t.find(['<', '>', '=', '~']).unwrap_or(t.len());
    t[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PackageType;

    fn pkg(name: &str, arch: &str) -> Package {
        let mut p = Package::new(
            PackageType::Deb,
            name,
            "1",
            format!("pkg:deb/debian/{name}?arch={arch}"),
        );
        p.arch = Some(arch.into());
        p
    }

    #[test]
    fn resolves_names_provides_and_arches() {
        let mut pkgs = vec![
            pkg("app", "amd64"),
            pkg("libc6", "i386"),
            pkg("libc6", "amd64"),
            pkg("mawk", "amd64"),
        ];
        let deps = vec![
            dpkg_entries(&[
                "libc6 (>= 2.34)".into(),
                "gawk | awk".into(),
                "missing".into(),
                "app".into(),
            ]),
            vec![],
            vec![],
            vec![],
        ];
        let provides = vec![vec![], vec![], vec![], dpkg_provides(&["awk".into()])];
        let unresolved = resolve(&mut pkgs, &deps, &provides);
        assert_eq!(unresolved, 1);
        assert_eq!(
            pkgs[0].depends_on,
            vec![
                "pkg:deb/debian/libc6?arch=amd64",
                "pkg:deb/debian/mawk?arch=amd64"
            ]
        );
        assert_eq!(
            apk_entries(&["so:libc.so=1".into(), "!x".into(), "b>=2".into()]),
            vec![vec!["so:libc.so".to_string()], vec!["b".to_string()]]
        );
        assert_eq!(
            dpkg_entries(&["libfoo:any (>= 1) | bar".into()]),
            vec![vec!["libfoo".to_string(), "bar".to_string()]]
        );
    }
}
