//! rpm: the rpmdb in any of its three formats — SQLite `rpmdb.sqlite` (Fedora 33+, RHEL 9),
//! NDB `Packages.db` (SUSE) and Berkeley DB `Packages` (older) — under `/var/lib/rpm` or
//! `/usr/lib/sysimage/rpm` (or old SUSE's `/usr/share/rpm`). Each yields header blobs that [`header::parse`] reads.

use std::io::Read;

use drydock_image::osrelease::OsRelease;
use drydock_image::{FileVisitor, Kind, Node};

use crate::purl::Purl;
use crate::{Cataloger, Context, Package, PackageType, Warning, license};

pub mod bdb;
pub mod header;
pub mod ndb;

pub use header::RpmPackage;

const NAME: &str = "rpm";
/// Where rpm keeps its database: the classic place, the "sysimage" one (SUSE, Fedora 36+) and
/// old SUSE releases' `/usr/share/rpm`.
const DIRS: [&str; 3] = ["/var/lib/rpm/", "/usr/lib/sysimage/rpm/", "/usr/share/rpm/"];
/// Database files, newest backend first.
const FILES: [&str; 3] = ["rpmdb.sqlite", "Packages.db", "Packages"];
const DB_LIMIT: u64 = 1 << 30;

/// Why an rpm database could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpmDbError {
    #[error(transparent)]
    Bdb(#[from] bdb::BdbError),
    #[error(transparent)]
    Ndb(#[from] ndb::NdbError),
    #[error("bad SQLite rpmdb: {0}")]
    Sqlite(String),
    #[error("not an rpm database (unknown format)")]
    Unknown,
}

/// Every header of a database, parsed (or why it could not be).
pub type Headers = Vec<Result<RpmPackage, header::HeaderError>>;

/// What one database file gave.
#[derive(Debug, Default)]
pub struct Db {
    /// Every header read, parsed or why it could not be, in database order.
    pub headers: Headers,
    /// Why reading stopped before the end, when it did: the decoded headers outgrew the file
    /// [`OUTPUT_FACTOR`] times over. The headers read until then are kept.
    pub stopped: Option<String>,
}

/// How many times its own size a database's decoded headers may take (small databases may always
/// decode 1 MiB). Real ones take about once (a header's joined file paths are roughly as long as its
/// stored base names, indexes and digests); a hostile file whose small headers each expand as far as
/// [`header::parse`] allows is stopped here.
pub const OUTPUT_FACTOR: usize = super::EXPANSION;

/// Counts the bytes decoded from one database against its allowance.
struct Budget {
    limit: usize,
    used: usize,
}

impl Budget {
    fn new(file_size: usize) -> Budget {
        Budget {
            limit: super::decode_limit(file_size),
            used: 0,
        }
    }

    /// Charges one parsed header; the reason to stop once the allowance is spent.
    fn charge(
        &mut self,
        h: &Result<RpmPackage, header::HeaderError>,
        read: usize,
    ) -> Option<String> {
        self.used += h.as_ref().map_or(0, RpmPackage::decoded_size);
        (self.used > self.limit).then(|| {
            format!(
                "stopped after {read} headers: they decode to more than {} bytes, {OUTPUT_FACTOR} times the file's size",
                self.limit
            )
        })
    }
}

impl Db {
    /// Parses one header blob and keeps it (or why it could not be parsed), charging `budget`; true
    /// when reading must stop because the budget is spent ([`Db::stopped`] then says why).
    fn push(&mut self, budget: &mut Budget, blob: &[u8]) -> bool {
        let h = header::parse(blob);
        self.stopped = budget.charge(&h, self.headers.len() + 1);
        self.headers.push(h);
        self.stopped.is_some()
    }
}

/// Parses blobs until they are exhausted or the budget is spent.
fn parse_all<'a>(blobs: impl IntoIterator<Item = &'a [u8]>, file_size: usize) -> Db {
    let mut budget = Budget::new(file_size);
    let mut db = Db::default();
    for b in blobs {
        if db.push(&mut budget, b) {
            break;
        }
    }
    db
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Reads every package header out of an rpmdb file, whatever its format (told by its magic).
/// Headers that cannot be parsed are returned as errors next to the good ones; reading stops (with
/// [`Db::stopped`] saying why) once the decoded headers take [`OUTPUT_FACTOR`] times the file's size.
pub fn read_db(bytes: &[u8]) -> Result<Db, RpmDbError> {
    if bytes.starts_with(SQLITE_MAGIC) {
        let Some((head, rest)) = bytes.split_first_chunk::<100>() else {
            return Err(RpmDbError::Sqlite("shorter than its header".into()));
        };
        return sqlite_packages(*head, &mut &rest[..], bytes.len());
    }
    if ndb::is_ndb(bytes) {
        Ok(parse_all(ndb::blobs(bytes)?, bytes.len()))
    } else if bdb::is_bdb(bytes) {
        let values = bdb::values(bytes)?;
        Ok(parse_all(values.iter().map(Vec::as_slice), bytes.len()))
    } else {
        Err(RpmDbError::Unknown)
    }
}

/// Whether the first bytes of a file (at least 16) can start an rpmdb of any format.
fn known_magic(head: &[u8]) -> bool {
    head.starts_with(SQLITE_MAGIC) || ndb::is_ndb(head) || bdb::is_bdb(head)
}

/// Streams a SQLite database of `size` bytes (its first 100 in `head`) into an in-memory SQLite
/// (nothing is written to disk, and the file is not held twice) and parses each row's blob.
///
/// Rows of a real database hold disjoint bytes of the file, so their blobs together are never
/// larger than it; more means rows share overflow pages, and the file is refused.
fn sqlite_packages(
    mut head: [u8; 100],
    rest: &mut dyn Read,
    size: usize,
) -> Result<Db, RpmDbError> {
    let e = |x: rusqlite::Error| RpmDbError::Sqlite(x.to_string());
    // A WAL-mode file (format bytes 2) cannot be opened in memory; as a legacy file it reads the same.
    for b in &mut head[18..20] {
        if *b == 2 {
            *b = 1;
        }
    }
    let reader = (&head[..]).chain(rest);
    let mut conn = rusqlite::Connection::open_in_memory().map_err(e)?;
    conn.deserialize_read_exact(rusqlite::MAIN_DB, reader, size, true)
        .map_err(e)?;
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages ORDER BY hnum")
        .map_err(e)?;
    let mut rows = stmt.query([]).map_err(e)?;
    let mut budget = Budget::new(size);
    let mut blob_bytes = 0usize;
    let mut db = Db::default();
    while let Some(row) = rows.next().map_err(e)? {
        let blob = row
            .get_ref(0)
            .map_err(e)?
            .as_blob()
            .map_err(|x| e(x.into()))?;
        blob_bytes += blob.len();
        if blob_bytes > size {
            return Err(RpmDbError::Sqlite(format!(
                "row {} takes the rows' blobs past the file's {size} bytes: rows share pages",
                db.headers.len() + 1
            )));
        }
        if db.push(&mut budget, blob) {
            break;
        }
    }
    Ok(db)
}

/// `[epoch:]version-release`, the form rpm compares.
pub fn full_version(p: &RpmPackage) -> String {
    let vr = if p.release.is_empty() {
        p.version.clone()
    } else {
        format!("{}-{}", p.version, p.release)
    };
    match p.epoch {
        Some(e) => format!("{e}:{vr}"),
        None => vr,
    }
}

/// The purl namespace: the os-release id, else a name derived from the vendor.
fn namespace(os: Option<&OsRelease>, vendor: &str) -> String {
    if let Some(id) = os.and_then(|o| o.id.clone()) {
        return id;
    }
    let v = vendor.to_ascii_lowercase();
    for (needle, ns) in [
        ("red hat", "redhat"),
        ("centos", "centos"),
        ("fedora", "fedora"),
        ("suse", "suse"),
        ("rocky", "rocky"),
        ("alma", "almalinux"),
        ("oracle", "oracle"),
        ("amazon", "amazon"),
        ("microsoft", "mariner"),
    ] {
        if v.contains(needle) {
            return ns.to_string();
        }
    }
    "rpm".to_string()
}

/// The rpm purl: `pkg:rpm/<ns>/<name>@<version>-<release>?arch=..&epoch=..&distro=..&upstream=..`
/// (the epoch as a qualifier, as the purl spec, Syft and Trivy have it).
pub fn purl(os: Option<&OsRelease>, p: &RpmPackage) -> String {
    let vr = if p.release.is_empty() {
        p.version.clone()
    } else {
        format!("{}-{}", p.version, p.release)
    };
    Purl::new("rpm", &p.name)
        .namespace(&namespace(os, &p.vendor))
        .version(vr)
        .qualifier("arch", p.arch.as_str())
        .qualifier("epoch", p.epoch.map(|e| e.to_string()).unwrap_or_default())
        .qualifier("distro", os.and_then(super::distro).unwrap_or_default())
        .qualifier("upstream", p.source_rpm.as_str())
        .to_string()
}

/// One rpmdb file met during the walk, already parsed (so its bytes are not kept).
struct Found {
    path: String,
    layer: usize,
    parsed: Result<Db, String>,
}

/// Reads one database file as the walk offers it: a SQLite one streams straight into SQLite, the
/// others are read whole (their formats need random access). The size and the magic are checked
/// before anything is read past the first bytes, and the file is held once.
fn read_one(content: &mut dyn Read, size: u64) -> Result<Db, String> {
    if size > DB_LIMIT {
        return Err(format!("larger than the {} MiB limit", DB_LIMIT >> 20));
    }
    let mut head = [0u8; 100];
    let mut n = 0;
    while n < head.len() {
        match content.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read: {e}")),
        }
    }
    if !known_magic(&head[..n]) {
        return Err(RpmDbError::Unknown.to_string());
    }
    if n == head.len() && head.starts_with(SQLITE_MAGIC) && size >= 100 {
        return sqlite_packages(head, content, size as usize).map_err(|e| e.to_string());
    }
    // The walk's size is the entry's own (tar header or file system), so it can be reserved; a
    // stream running past it is still cut at the limit.
    let mut bytes = Vec::with_capacity(size as usize);
    bytes.extend_from_slice(&head[..n]);
    content
        .take(DB_LIMIT + 1 - n as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > DB_LIMIT {
        return Err(format!("larger than the {} MiB limit", DB_LIMIT >> 20));
    }
    read_db(&bytes).map_err(|e| e.to_string())
}

/// The rpm cataloger.
#[derive(Default)]
pub struct Rpm {
    found: Vec<Found>,
    warnings: Vec<Warning>,
}

impl Rpm {
    /// A fresh cataloger.
    pub fn new() -> Rpm {
        Rpm::default()
    }
}

fn split(path: &str) -> Option<(&'static str, usize)> {
    for d in DIRS {
        if let Some(name) = path.strip_prefix(d)
            && let Some(i) = FILES.iter().position(|f| *f == name)
        {
            return Some((d, i));
        }
    }
    None
}

impl FileVisitor for Rpm {
    fn wants(&self, path: &str, node: &Node) -> bool {
        node.kind == Kind::File && split(path).is_some()
    }

    fn visit(&mut self, path: &str, node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let parsed = read_one(content, node.size);
        self.found.push(Found {
            path: path.to_string(),
            layer: node.layer,
            parsed,
        });
        Ok(())
    }
}

impl Cataloger for Rpm {
    fn name(&self) -> &'static str {
        NAME
    }

    /// A system has one rpmdb. When several files are met (a left-over old backend, or both
    /// `/var/lib/rpm` and `/usr/lib/sysimage/rpm` as real directories), the one written last (highest
    /// layer) is the live one, the newest backend winning a tie; the next is tried if it is unreadable.
    fn finish(mut self: Box<Self>, ctx: &Context) -> (Vec<Package>, Vec<Warning>) {
        let mut out = Vec::new();
        let mut found = std::mem::take(&mut self.found);
        found.sort_by_key(|f| {
            (
                std::cmp::Reverse(f.layer),
                split(&f.path).map(|(_, i)| i),
                f.path.clone(),
            )
        });
        for f in found {
            let Db {
                headers: packages,
                stopped,
            } = match f.parsed {
                Ok(p) => p,
                Err(message) => {
                    self.warnings.push(Warning {
                        cataloger: NAME,
                        path: f.path,
                        message,
                    });
                    continue;
                }
            };
            let mut bad = 0usize;
            let mut deps = Vec::new();
            let mut provides = Vec::new();
            for r in packages {
                let Ok(rp) = r else {
                    bad += 1;
                    continue;
                };
                // Imported signing keys are rpmdb entries, not software.
                if rp.name == "gpg-pubkey" {
                    continue;
                }
                out.push(to_package(&rp, &f.path, ctx));
                // rpm satisfies a requirement by a provided capability or by an owned path. The
                // header's lists move here rather than being copied a third time.
                let RpmPackage {
                    requires,
                    provides: mut prov,
                    files,
                    ..
                } = rp;
                deps.push(
                    requires
                        .into_iter()
                        .filter(|r| !r.starts_with("rpmlib(") && !r.starts_with('('))
                        .map(|r| vec![r])
                        .collect::<Vec<_>>(),
                );
                prov.extend(files);
                provides.push(prov);
            }
            super::deps::resolve(&mut out, &deps, &provides);
            if bad > 0 {
                self.warnings.push(Warning {
                    cataloger: NAME,
                    path: f.path.clone(),
                    message: format!("{bad} package headers could not be read"),
                });
            }
            if let Some(message) = stopped {
                self.warnings.push(Warning {
                    cataloger: NAME,
                    path: f.path,
                    message,
                });
            }
            break;
        }
        (out, self.warnings)
    }
}

fn to_package(rp: &RpmPackage, path: &str, ctx: &Context) -> Package {
    let mut p = Package::new(
        PackageType::Rpm,
        &rp.name,
        full_version(rp),
        purl(ctx.os.as_ref(), rp),
    );
    p.arch = Some(rp.arch.clone()).filter(|a| !a.is_empty());
    if let Some((name, version)) = split_source_rpm(&rp.source_rpm) {
        p.source_name = Some(name);
        p.source_version = Some(version);
    }
    if !rp.license.is_empty() {
        p.licenses = vec![rp.license.clone()];
        p.license_expression = license::expression(&rp.license);
    }
    p.files = rp.owned_files();
    p.locations.push(path.to_string());
    let md = &mut p.metadata;
    let mut put = |k: &str, v: String| {
        if !v.is_empty() {
            md.insert(k.to_string(), v);
        }
    };
    put("epoch", rp.epoch.map(|e| e.to_string()).unwrap_or_default());
    put("release", rp.release.clone());
    put("source-rpm", rp.source_rpm.clone());
    put("vendor", rp.vendor.clone());
    put("summary", rp.summary.clone());
    put("size", rp.size.map(|s| s.to_string()).unwrap_or_default());
    put("modularity-label", rp.modularity_label.clone());
    put("sig-md5", rp.sig_md5.clone());
    p
}

/// `name-version-release.src.rpm` → (name, version-release).
pub fn split_source_rpm(s: &str) -> Option<(String, String)> {
    let base = s.strip_suffix(".rpm")?;
    let base = base.rsplit_once('.')?.0;
    let (rest, release) = base.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    Some((name.to_string(), format!("{version}-{release}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_and_purl() {
        assert_eq!(
            split_source_rpm("util-linux-2.32.1-42.el8_8.src.rpm"),
            Some(("util-linux".into(), "2.32.1-42.el8_8".into()))
        );
        let p = RpmPackage {
            name: "hello".into(),
            epoch: Some(1),
            version: "0.0.1".into(),
            release: "rls".into(),
            arch: "x86_64".into(),
            source_rpm: "hello-0.0.1-rls.src.rpm".into(),
            ..RpmPackage::default()
        };
        let os = drydock_image::osrelease::parse("ID=fedora\nVERSION_ID=32\n");
        assert_eq!(full_version(&p), "1:0.0.1-rls");
        assert_eq!(
            purl(Some(&os), &p),
            "pkg:rpm/fedora/hello@0.0.1-rls?arch=x86_64&distro=fedora-32&epoch=1&upstream=hello-0.0.1-rls.src.rpm"
        );
        assert!(read_db(b"garbage").is_err());
        let mut fake = b"SQLite format 3\0".to_vec();
        fake.resize(4096, 0xAA);
        assert!(read_db(&fake).is_err());
    }
}
