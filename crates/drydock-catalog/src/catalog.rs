//! One walk over an image (or a root file system directory) feeding every cataloger, then the merge:
//! layer attribution, OS-owned language packages dropped, a deterministic order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use drydock_image::osrelease::{self, OsRelease};
use drydock_image::{FileTree, FileVisitor, Image, Kind, Node};
use serde::Serialize;

use crate::{Cataloger, Context, Package, Warning, all_catalogers};

/// Why an image could not be catalogued at all (problems with single files are [`Warning`]s).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Image(#[from] drydock_image::Error),
}

/// What was catalogued: the image (or directory) itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// A display name: the reference, a local tag, or the source spec.
    pub name: String,
    /// The image manifest digest (or config digest when there is no manifest); `None` for directories.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Repository without registry or tag (`library/debian`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Registry host[:port] of the reference, when it came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// `os/arch[/variant]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Layer digests, bottom first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
}

impl Subject {
    /// The subject for an opened image.
    pub fn of_image(image: &Image) -> Subject {
        let reference = image.reference.as_ref();
        let name = reference
            .map(|r| r.to_string())
            .unwrap_or_else(|| local_display_name(&image.spec, image.local_name.as_deref()));
        Subject {
            name,
            digest: Some(
                image
                    .manifest_digest
                    .as_ref()
                    .unwrap_or(&image.config_digest)
                    .to_string(),
            ),
            repository: reference.map(|r| r.repository().to_string()),
            registry: reference.map(|r| r.registry().to_string()),
            tag: reference
                .and_then(|r| r.tag().map(str::to_string))
                .or_else(|| image.local_name.as_deref().and_then(local_tag)),
            config_digest: Some(image.config_digest.to_string()),
            platform: Some(image.platform().to_string()),
            layers: image
                .layers()
                .iter()
                .map(|l| l.digest.to_string())
                .collect(),
        }
    }
}

/// An image name's repository and tag: `@digest` is dropped and a `:` after the last `/` starts the
/// tag (one before it is a registry port): `127.0.0.1:5000/a/b:tag` → (`127.0.0.1:5000/a/b`,
/// `Some("tag")`), `t/app@sha256:…` → (`t/app`, `None`).
pub(crate) fn split_name(name: &str) -> (&str, Option<&str>) {
    let name = name.split_once('@').map_or(name, |(n, _)| n);
    match name.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
        _ => (name, None),
    }
}

/// Whether a local image's name is a full image name (a `docker save` repo tag, `team/app:1`) rather
/// than just a tag (an OCI layout's `ref.name`, usually `latest`).
fn is_full_name(name: &str) -> bool {
    name.contains(['/', ':'])
}

/// The tag in a local image's name: the whole name when it is just a tag, else the tag
/// [`split_name`] finds (`team/app:1` → `1`).
fn local_tag(name: &str) -> Option<String> {
    let tag = if is_full_name(name) {
        split_name(name).1
    } else {
        Some(name)
    };
    tag.filter(|t| !t.is_empty()).map(str::to_string)
}

/// A name for an image from a local source: its `ref.name`/repo tag when that is a full name,
/// else `<file or directory name>:<tag>` (`oci:/x/app` with tag `latest` → `app:latest`; `oci:.`
/// is named after the current directory).
fn local_display_name(spec: &str, local_name: Option<&str>) -> String {
    if let Some(n) = local_name.filter(|n| is_full_name(n)) {
        return n.to_string();
    }
    let path = ["oci:", "oci-archive:", "docker-archive:"]
        .iter()
        .find_map(|p| spec.strip_prefix(p))
        .unwrap_or(spec);
    // A `:TAG` suffix on the spec names the tag, not the file.
    let (path, spec_tag) = match path.rsplit_once(':') {
        Some((p, t)) if !p.is_empty() && !t.contains('/') => (p, Some(t)),
        _ => (path, None),
    };
    let mut base = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_string();
    // `.`, `..` or `/`: the directory's own name says more.
    if matches!(base.as_str(), "" | "." | "..") {
        base = std::fs::canonicalize(if path.is_empty() { "." } else { path })
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "image".to_string());
    }
    let base = [".docker.tar", ".oci.tar", ".tar.gz", ".tgz", ".tar"]
        .iter()
        .find_map(|e| base.strip_suffix(e))
        .unwrap_or(&base);
    match local_name.or(spec_tag) {
        Some(tag) if !tag.is_empty() => format!("{base}:{tag}"),
        _ => base.to_string(),
    }
}

/// Every package found, the warnings met, the OS, and what was catalogued.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Catalog {
    pub subject: Subject,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
    pub packages: Vec<Package>,
    pub warnings: Vec<Warning>,
}

/// Knobs for a catalog run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// How many bottom layers belong to the base image, when the caller knows.
    pub base_layers: Option<usize>,
    /// Keep language packages whose metadata an OS package owns (normally they are dropped).
    pub keep_os_owned: bool,
}

/// Catalogs an image in one walk of its layers, with extra visitors riding along.
pub fn catalog_image(
    image: &Image,
    extra_visitors: &mut [&mut dyn FileVisitor],
) -> Result<Catalog, Error> {
    catalog_image_with(image, &Options::default(), extra_visitors).map(|(c, _)| c)
}

/// [`catalog_image`] with options, also returning the merged file view.
pub fn catalog_image_with(
    image: &Image,
    opts: &Options,
    extra_visitors: &mut [&mut dyn FileVisitor],
) -> Result<(Catalog, FileTree), Error> {
    let layers = image.layers().iter().map(|l| l.digest.clone()).collect();
    let (mut catalog, tree) = run(opts, layers, extra_visitors, |v| Ok(image.walk(v)?))?;
    catalog.subject = Subject::of_image(image);
    Ok((catalog, tree))
}

/// Catalogs a root file system directory as if it were a one-layer image.
pub fn catalog_dir(
    root: &Path,
    opts: &Options,
    extra_visitors: &mut [&mut dyn FileVisitor],
) -> Result<(Catalog, FileTree), Error> {
    let (mut catalog, tree) = run(opts, Vec::new(), extra_visitors, |v| {
        Ok(drydock_image::rootfs::walk_dir(root, v)?)
    })?;
    catalog.subject.name = root.display().to_string();
    Ok((catalog, tree))
}

/// Runs `catalogers` (plus os-release reading and `extra_visitors`) through one walk done by
/// `walk`, which must offer each final file to the visitors that want it and return the merged
/// tree; then finishes and merges. For tests and tools that walk by other means.
pub fn catalog_with(
    catalogers: Vec<Box<dyn Cataloger>>,
    opts: &Options,
    layers: Vec<drydock_image::Digest>,
    extra_visitors: &mut [&mut dyn FileVisitor],
    walk: impl FnOnce(&mut [&mut dyn FileVisitor]) -> Result<FileTree, Error>,
) -> Result<(Catalog, FileTree), Error> {
    let mut catalogers = catalogers;
    let mut os_visitor = OsReleaseVisitor::default();
    let tree = {
        let mut visitors: Vec<&mut dyn FileVisitor> =
            Vec::with_capacity(catalogers.len() + extra_visitors.len() + 1);
        visitors.push(&mut os_visitor);
        for c in catalogers.iter_mut() {
            visitors.push(&mut **c as &mut dyn FileVisitor);
        }
        for v in extra_visitors.iter_mut() {
            visitors.push(&mut **v);
        }
        walk(&mut visitors)?
    };
    let os = os_visitor.resolve(&tree);
    let ctx = Context {
        os: os.clone(),
        layers,
        base_layers: opts.base_layers,
    };
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    for c in catalogers {
        let (p, w) = c.finish(&ctx);
        packages.extend(p);
        warnings.extend(w);
    }
    // File lists name directories too (an empty one is indistinguishable from a file in them).
    for p in packages.iter_mut().filter(|p| p.kind.is_os()) {
        p.files
            .retain(|f| tree.get(f).is_none_or(|n| n.kind != Kind::Dir));
    }
    attribute_layers(&mut packages, &tree, &ctx);
    share_linked_copyrights(&mut packages, &tree);
    // Catalogers that only know a layer index get its digest and base-image membership here.
    for p in packages.iter_mut() {
        if let Some(layer) = p.layer
            && (p.layer_digest.is_none() || p.in_base_image.is_none())
        {
            let (digest, base) = (p.layer_digest.take(), p.in_base_image.take());
            crate::os::set_layer(p, layer, &ctx);
            p.layer_digest = digest.or(p.layer_digest.take());
            p.in_base_image = base.or(p.in_base_image);
        }
    }
    if !opts.keep_os_owned {
        drop_os_owned(&mut packages, &tree);
    }
    sort_packages(&mut packages);
    warnings.sort_by(|a, b| {
        (a.cataloger, &a.path, &a.message).cmp(&(b.cataloger, &b.path, &b.message))
    });
    Ok((
        Catalog {
            subject: Subject::default(),
            os,
            packages,
            warnings,
        },
        tree,
    ))
}

fn run(
    opts: &Options,
    layers: Vec<drydock_image::Digest>,
    extra_visitors: &mut [&mut dyn FileVisitor],
    walk: impl FnOnce(&mut [&mut dyn FileVisitor]) -> Result<FileTree, Error>,
) -> Result<(Catalog, FileTree), Error> {
    catalog_with(all_catalogers(), opts, layers, extra_visitors, walk)
}

/// Captures both os-release locations; the one `/etc/os-release` resolves to wins.
#[derive(Default)]
struct OsReleaseVisitor {
    found: HashMap<String, String>,
}

/// os-release files are tiny; anything bigger is not one.
const OS_RELEASE_LIMIT: u64 = 64 << 10;

impl FileVisitor for OsReleaseVisitor {
    fn wants(&self, path: &str, node: &Node) -> bool {
        node.kind == Kind::File && osrelease::PATHS.contains(&path)
    }

    fn visit(&mut self, path: &str, _node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let mut buf = Vec::new();
        content.take(OS_RELEASE_LIMIT).read_to_end(&mut buf)?;
        self.found
            .insert(path.to_string(), String::from_utf8_lossy(&buf).into_owned());
        Ok(())
    }
}

impl OsReleaseVisitor {
    fn resolve(&self, tree: &FileTree) -> Option<OsRelease> {
        for p in osrelease::PATHS {
            if let Some(text) = self.found.get(p) {
                return Some(osrelease::parse(text));
            }
            // `/etc/os-release` is usually a symlink to `../usr/lib/os-release`.
            if let Some((real, _)) = tree.resolve(p)
                && let Some(text) = self.found.get(&real)
            {
                return Some(osrelease::parse(text));
            }
        }
        None
    }
}

/// For OS packages without a layer yet (apk, rpm: one database file for all packages, rewritten by
/// every layer that installs anything): the layer that introduced the package.
///
/// The walk offers only the final copy of the database, so the layer whose copy first holds the
/// record is not known; the package's own files stand in. Installing (or upgrading) a package writes
/// all its files, while a later layer may rewrite a few of them without touching the package
/// (appending to `/etc/motd`, `update-ca-certificates`, `adduser` editing `/etc/passwd`). So the
/// package's layer is the lowest layer among its files still present, counting only files outside
/// `/etc` when it has any (a package manager keeps locally changed configuration files over an
/// upgrade), and never above the database file's own layer (the record was there by then). A
/// package with no file present (a meta package) takes the database file's layer.
fn attribute_layers(packages: &mut [Package], tree: &FileTree, ctx: &Context) {
    for p in packages
        .iter_mut()
        .filter(|p| p.kind.is_os() && p.layer.is_none())
    {
        let db_layer = p
            .locations
            .first()
            .and_then(|l| tree.get(l))
            .map(|n| n.layer);
        let present: Vec<(bool, usize)> = p
            .files
            .iter()
            .filter_map(|f| {
                let layer = tree
                    .get(f)
                    .filter(|n| n.kind != Kind::Dir)
                    .or_else(|| tree.resolve(f).map(|(_, n)| n))
                    .map(|n| n.layer)?;
                Some((f.starts_with("/etc/"), layer))
            })
            .collect();
        let outside_etc = present.iter().any(|(etc, _)| !etc);
        let files_layer = present
            .iter()
            .filter(|(etc, _)| !outside_etc || !etc)
            .map(|(_, l)| *l)
            .min();
        let layer = match (files_layer, db_layer) {
            (Some(f), Some(d)) => Some(f.min(d)),
            (f, d) => f.or(d),
        };
        if let Some(layer) = layer {
            crate::os::set_layer(p, layer, ctx);
        }
    }
}

/// Debian packages built from one source often ship `/usr/share/doc/<pkg>` as a symlink to a
/// sibling's directory (`libgcc-s1` → `gcc-12-base`); the copyright read for the sibling is theirs too.
fn share_linked_copyrights(packages: &mut [Package], tree: &FileTree) {
    let by_location: HashMap<String, usize> = packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind == crate::PackageType::Deb && !p.licenses.is_empty())
        .flat_map(|(i, p)| {
            p.locations
                .iter()
                .filter(|l| l.starts_with("/usr/share/doc/") && l.ends_with("/copyright"))
                .map(move |l| (l.clone(), i))
        })
        .collect();
    for i in 0..packages.len() {
        let p = &packages[i];
        if p.kind != crate::PackageType::Deb || !p.licenses.is_empty() {
            continue;
        }
        let Some((real, _)) = tree.resolve(&format!("/usr/share/doc/{}/copyright", p.name)) else {
            continue;
        };
        let Some(&j) = by_location.get(&real) else {
            continue;
        };
        let (licenses, expr) = (
            packages[j].licenses.clone(),
            packages[j].license_expression.clone(),
        );
        let p = &mut packages[i];
        p.licenses = licenses;
        p.license_expression = expr;
        p.locations.push(real);
    }
}

/// Drops language packages whose metadata file an OS package lists: the OS package reports them.
fn drop_os_owned(packages: &mut Vec<Package>, tree: &FileTree) {
    if !packages.iter().any(|p| !p.kind.is_os()) {
        return;
    }
    let mut owned: HashSet<String> = HashSet::new();
    for p in packages.iter().filter(|p| p.kind.is_os()) {
        for f in &p.files {
            // OS databases name paths as installed (`/lib/...` on merged-/usr systems): key by the
            // real path too so a walk path matches.
            if tree.get(f).is_none_or(|n| n.kind == Kind::Symlink)
                && let Some((real, _)) = tree.resolve(f)
            {
                owned.insert(real);
            }
            owned.insert(f.clone());
        }
    }
    packages.retain(|p| p.kind.is_os() || !p.locations.iter().any(|l| owned.contains(l)));
}

/// Sorts packages by type, name, version, arch, purl and first location.
pub fn sort_packages(packages: &mut [Package]) {
    packages.sort_by(|a, b| {
        (a.kind, &a.name, &a.version, &a.arch, &a.purl, &a.locations).cmp(&(
            b.kind,
            &b.name,
            &b.version,
            &b.arch,
            &b.purl,
            &b.locations,
        ))
    });
}

/// Counts per package type, for summaries.
pub fn counts(packages: &[Package]) -> BTreeMap<crate::PackageType, usize> {
    let mut m = BTreeMap::new();
    for p in packages {
        *m.entry(p.kind).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::{local_display_name, local_tag, split_name};

    #[test]
    fn names_split_into_repository_and_tag() {
        assert_eq!(split_name("app:latest"), ("app", Some("latest")));
        assert_eq!(
            split_name("127.0.0.1:5000/a/b:tag"),
            ("127.0.0.1:5000/a/b", Some("tag"))
        );
        assert_eq!(
            split_name("127.0.0.1:5000/a/b"),
            ("127.0.0.1:5000/a/b", None)
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(split_name(&format!("t/app:1@{d}")), ("t/app", Some("1")));
        assert_eq!(split_name(&format!("t/app@{d}")), ("t/app", None));
        assert_eq!(split_name("app:"), ("app", Some("")));
        assert_eq!(split_name(""), ("", None));
    }

    #[test]
    fn local_names() {
        assert_eq!(
            local_display_name("oci:/x/app", Some("latest")),
            "app:latest"
        );
        assert_eq!(local_display_name("oci:/x/app/:v1", None), "app:v1");
        assert_eq!(
            local_display_name("docker-archive:/x/app.docker.tar", Some("t/app:1")),
            "t/app:1"
        );
        assert_eq!(local_display_name("oci-archive:app.oci.tar", None), "app");
        // A layout named by a relative path of its own: the directory's real name.
        let here = std::env::current_dir().unwrap();
        let here = here.file_name().unwrap().to_string_lossy();
        assert_eq!(
            local_display_name("oci:.", Some("latest")),
            format!("{here}:latest")
        );
        assert_eq!(local_display_name("./", None), here);
        assert_eq!(local_display_name("oci:/", None), "image");
    }

    #[test]
    fn local_tags() {
        assert_eq!(local_tag("latest").as_deref(), Some("latest"));
        assert_eq!(local_tag("t/app:1").as_deref(), Some("1"));
        assert_eq!(local_tag("127.0.0.1:5000/a/b:tag").as_deref(), Some("tag"));
        assert_eq!(local_tag("127.0.0.1:5000/a/b"), None);
        assert_eq!(local_tag("t/app"), None);
        assert_eq!(local_tag(""), None);
    }
}
