//! Damaged and lying databases: never a panic, never an unbounded allocation, always a warning that
//! names the file; plus the orchestration rules (layer attribution, OS-owned language packages).

use std::io::Read;

use drydock_catalog::os::{apk, dpkg, rpm};
use drydock_catalog::{
    Cataloger, Context, Options, Package, PackageType, Warning, catalog_with, os,
};
use drydock_image::{FileTree, FileVisitor, Kind, Node};

fn node(kind: Kind, layer: usize, size: usize) -> Node {
    Node {
        kind,
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: size as u64,
        mtime: 0,
        layer,
        link: None,
    }
}

/// A fake image: `(path, layer, content)`; symlinks as `(path, layer, "->target")`.
fn run(
    catalogers: Vec<Box<dyn Cataloger>>,
    files: &[(&str, usize, Vec<u8>)],
    opts: &Options,
) -> drydock_catalog::Catalog {
    let nodes: Vec<(String, Node)> = files
        .iter()
        .map(|(p, l, c)| match c.strip_prefix(b"->") {
            Some(target) => {
                let mut n = node(Kind::Symlink, *l, 0);
                n.link = Some(String::from_utf8_lossy(target).into_owned());
                (p.to_string(), n)
            }
            None => (p.to_string(), node(Kind::File, *l, c.len())),
        })
        .collect();
    let layers = (0..4)
        .map(|i| drydock_image::Digest::sha256_of(&[i]))
        .collect();
    let (c, _) = catalog_with(catalogers, opts, layers, &mut [], |visitors| {
        for ((path, n), (_, _, content)) in nodes.iter().zip(files) {
            if n.kind != Kind::File {
                continue;
            }
            for v in visitors.iter_mut() {
                if v.wants(path, n) {
                    v.visit(path, n, &mut content.as_slice()).unwrap();
                }
            }
        }
        Ok(FileTree::from_nodes(nodes.clone()))
    })
    .unwrap();
    c
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn mutations(seed: &[u8], n: usize) -> Vec<Vec<u8>> {
    let mut rng = Lcg(seed.len() as u64 + 7);
    let mut out = Vec::new();
    for i in 0..n {
        let mut b = seed.to_vec();
        match i % 3 {
            0 => b.truncate(rng.next() as usize % (seed.len() + 1)),
            1 => {
                for _ in 0..1 + rng.next() % 8 {
                    if b.is_empty() {
                        break;
                    }
                    let at = rng.next() as usize % b.len();
                    b[at] ^= 1 << (rng.next() % 8);
                }
            }
            _ => {
                // Plant a huge big-endian and little-endian length somewhere.
                if b.len() >= 8 {
                    let at = rng.next() as usize % (b.len() - 7);
                    b[at..at + 4].copy_from_slice(&0x7fff_fff0u32.to_be_bytes());
                    b[at + 4..at + 8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
                }
            }
        }
        out.push(b);
    }
    out
}

/// A minimal rpm header blob with a name, version, release and one file.
fn header(name: &str) -> Vec<u8> {
    let mut data = Vec::new();
    let mut entries = Vec::new();
    for (tag, s) in [
        (1000u32, name),
        (1001, "1.0"),
        (1002, "1"),
        (1022, "x86_64"),
    ] {
        entries.push((tag, 6u32, data.len() as u32, 1u32));
        data.extend(s.as_bytes());
        data.push(0);
    }
    entries.push((1118, 8, data.len() as u32, 1));
    data.extend(b"/usr/bin/\0");
    entries.push((1117, 8, data.len() as u32, 1));
    data.extend(name.as_bytes());
    data.push(0);
    while !data.len().is_multiple_of(4) {
        data.push(0);
    }
    entries.push((1116, 4, data.len() as u32, 1));
    data.extend(0u32.to_be_bytes());
    let mut b = Vec::new();
    b.extend((entries.len() as u32).to_be_bytes());
    b.extend((data.len() as u32).to_be_bytes());
    for (t, ty, off, n) in entries {
        for x in [t, ty, off, n] {
            b.extend(x.to_be_bytes());
        }
    }
    b.extend(data);
    b
}

/// An rpm header built from `(tag, type, payload, count)` entries (int32 payloads 4-aligned).
fn header_of(entries: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut index = Vec::new();
    for (tag, ty, payload, count) in entries {
        if *ty == 4 {
            while !data.len().is_multiple_of(4) {
                data.push(0);
            }
        }
        index.push((*tag, *ty, data.len() as u32, *count));
        data.extend(payload);
    }
    let mut b = Vec::new();
    b.extend((index.len() as u32).to_be_bytes());
    b.extend((data.len() as u32).to_be_bytes());
    for (t, ty, off, n) in index {
        for x in [t, ty, off, n] {
            b.extend(x.to_be_bytes());
        }
    }
    b.extend(data);
    b
}

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// A small header whose `files` base names share one long directory: every one expands to the
/// whole directory, as far as the header parser allows for one header.
fn spreading_header(name: &str, dir_len: usize, files: usize) -> Vec<u8> {
    let dir = format!("/{}/", "d".repeat(dir_len));
    header_of(&[
        (1000, 6, cstr(name), 1),
        (1001, 6, cstr("1.0"), 1),
        (1002, 6, cstr("1"), 1),
        (1118, 8, cstr(&dir), 1),
        (1117, 8, b"x\0".repeat(files), files as u32),
        (1116, 4, vec![0; 4 * files], files as u32),
    ])
}

/// A header padded with a `pad`-byte summary, so it needs overflow pages wherever it is stored.
fn padded_header(name: &str, pad: usize) -> Vec<u8> {
    header_of(&[
        (1000, 6, cstr(name), 1),
        (1001, 6, cstr("1.0"), 1),
        (1002, 6, cstr("1"), 1),
        (1004, 6, cstr(&"s".repeat(pad)), 1),
    ])
}

/// An NDB database holding the given header blobs.
fn ndb(blobs: &[Vec<u8>]) -> Vec<u8> {
    let mut f = vec![0u8; 4096];
    f[0..4].copy_from_slice(b"RpmP");
    f[12..16].copy_from_slice(&1u32.to_le_bytes());
    for i in 0..(4096 / 16 - 2) {
        f[32 + i * 16..36 + i * 16].copy_from_slice(b"Slot");
    }
    for (i, blob) in blobs.iter().enumerate() {
        let offset = f.len();
        let s = 32 + i * 16;
        f[s + 4..s + 8].copy_from_slice(&(i as u32 + 1).to_le_bytes());
        f[s + 8..s + 12].copy_from_slice(&((offset / 16) as u32).to_le_bytes());
        let mut head = Vec::new();
        head.extend(b"BlbS");
        head.extend((i as u32 + 1).to_le_bytes());
        head.extend(0u32.to_le_bytes());
        head.extend((blob.len() as u32).to_le_bytes());
        f.extend(head);
        f.extend(blob);
        while !f.len().is_multiple_of(16) {
            f.push(0);
        }
    }
    f
}

#[test]
fn rpm_ndb_mutations_never_panic() {
    let good = ndb(&[header("hello"), header("world")]);
    let parsed: Vec<String> = rpm::read_db(&good)
        .unwrap()
        .headers
        .into_iter()
        .map(|p| p.unwrap().name)
        .collect();
    assert_eq!(parsed, vec!["hello", "world"]);
    let mut failures = 0;
    for m in mutations(&good, 600) {
        match rpm::read_db(&m) {
            Ok(db) => {
                for p in db.headers.into_iter().flatten() {
                    assert!(p.files.len() <= m.len());
                }
            }
            Err(_) => failures += 1,
        }
    }
    assert!(failures > 0, "mutations must break some databases");
}

/// Runs only the rpm cataloger over one database file.
fn rpm_catalog(path: &str, db: Vec<u8>) -> drydock_catalog::Catalog {
    run(
        vec![Box::new(rpm::Rpm::new())],
        &[(path, 0, db)],
        &Options::default(),
    )
}

/// NDB slots are 16 bytes each: thousands pointing at one large blob must not parse it thousands
/// of times (the audit's 72 KB file reached 6.5 GB).
#[test]
fn rpm_ndb_slots_sharing_a_blob_are_refused() {
    let mut f = ndb(&[spreading_header("evil", 500, 1500)]);
    let good = rpm::read_db(&f).unwrap();
    assert_eq!(good.headers.len(), 1);
    assert!(good.headers[0].is_ok());
    // Every slot of the page now names the first blob.
    let first = f[32..48].to_vec();
    for i in 1..(4096 / 16 - 2) {
        f[32 + i * 16..48 + i * 16].copy_from_slice(&first);
    }
    let err = rpm::read_db(&f).unwrap_err().to_string();
    assert!(err.contains("overlapping"), "{err}");
    let c = rpm_catalog("/usr/lib/sysimage/rpm/Packages.db", f);
    assert!(c.packages.is_empty());
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert_eq!(c.warnings[0].path, "/usr/lib/sysimage/rpm/Packages.db");
    assert!(c.warnings[0].message.contains("overlapping"));

    // A slot pointing into the middle of another's blob overlaps it just the same.
    let mut two = ndb(&[header("a"), header("b")]);
    let b_offset = u32::from_le_bytes(two[56..60].try_into().unwrap());
    two[40..44].copy_from_slice(&(b_offset - 1).to_le_bytes());
    let blob_len = u32::from_le_bytes(two[b_offset as usize * 16 + 12..][..4].try_into().unwrap());
    // Make the shifted copy self-consistent (magic, package index, length) so only overlap is wrong.
    let at = (b_offset as usize - 1) * 16;
    two[at..at + 4].copy_from_slice(b"BlbS");
    two[at + 4..at + 8].copy_from_slice(&1u32.to_le_bytes());
    two[at + 12..at + 16].copy_from_slice(&blob_len.to_le_bytes());
    let err = rpm::read_db(&two).unwrap_err().to_string();
    assert!(err.contains("overlapping"), "{err}");
}

/// A Berkeley DB hash page of a megabyte file whose entries all name one overflow chain spanning the
/// file (the audit's file reached 1 GB).
fn bdb_sharing_one_chain(pages: usize, page_size: usize) -> (Vec<u8>, usize) {
    let mut meta = vec![0u8; page_size];
    meta[12..16].copy_from_slice(&0x0006_1561u32.to_le_bytes());
    meta[20..24].copy_from_slice(&(page_size as u32).to_le_bytes());
    meta[32..36].copy_from_slice(&(pages as u32 - 1).to_le_bytes());
    let mut hash = vec![0u8; page_size];
    hash[25] = 13;
    let entries = ((page_size - 26 - 64) / 2) & !1;
    hash[20..22].copy_from_slice(&(entries as u16).to_le_bytes());
    let item = page_size - 16;
    hash[item] = 3;
    hash[item + 4..item + 8].copy_from_slice(&2u32.to_le_bytes());
    let total = (pages - 2) * (page_size - 26);
    hash[item + 8..item + 12].copy_from_slice(&(total as u32).to_le_bytes());
    for i in 0..entries {
        hash[26 + 2 * i..28 + 2 * i].copy_from_slice(&(item as u16).to_le_bytes());
    }
    let mut f = [meta, hash].concat();
    for n in 2..pages {
        let mut o = vec![0u8; page_size];
        o[25] = 7;
        let next = if n + 1 < pages { n as u32 + 1 } else { 0 };
        o[16..20].copy_from_slice(&next.to_le_bytes());
        o[22..24].copy_from_slice(&((page_size - 26) as u16).to_le_bytes());
        f.extend(o);
    }
    (f, entries / 2)
}

#[test]
fn rpm_bdb_values_sharing_overflow_pages_are_refused() {
    let (f, values) = bdb_sharing_one_chain(256, 4096);
    assert_eq!(f.len(), 1 << 20);
    assert!(values > 1000);
    let err = rpm::read_db(&f).unwrap_err().to_string();
    assert!(err.contains("two values share the overflow chain"), "{err}");
    let c = rpm_catalog("/var/lib/rpm/Packages", f);
    assert!(c.packages.is_empty());
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert_eq!(c.warnings[0].path, "/var/lib/rpm/Packages");
    assert!(c.warnings[0].message.contains("two values share"));
    // With a single entry the same chain is read, once: only sharing is refused.
    let (mut one, _) = bdb_sharing_one_chain(8, 4096);
    one[4096 + 20..4096 + 22].copy_from_slice(&2u16.to_le_bytes());
    let db = rpm::bdb::values(&one).unwrap();
    assert_eq!(db.len(), 1);
    assert_eq!(db[0].len(), 6 * (4096 - 26));
}

/// Distinct small headers that each expand as far as one header may: the database as a whole stops
/// at [`rpm::OUTPUT_FACTOR`] times its size, with a warning, keeping what was read.
#[test]
fn rpm_decoded_output_is_bounded_by_the_file_size() {
    let blobs: Vec<Vec<u8>> = (0..250)
        .map(|i| spreading_header(&format!("p{i}"), 1000, 300))
        .collect();
    let f = ndb(&blobs);
    let one = rpm::header::parse(&blobs[0]).unwrap().decoded_size();
    assert!(
        one > 50 * blobs[0].len(),
        "each header must expand a lot for this test to mean anything"
    );
    let db = rpm::read_db(&f).unwrap();
    let stopped = db.stopped.as_deref().expect("reading stops");
    assert!(stopped.contains("16 times the file's size"), "{stopped}");
    assert!(db.headers.len() < blobs.len());
    let decoded: usize = db
        .headers
        .iter()
        .map(|h| h.as_ref().unwrap().decoded_size())
        .sum();
    assert!(
        decoded <= rpm::OUTPUT_FACTOR * f.len() + one,
        "{decoded} bytes decoded from {} bytes",
        f.len()
    );
    let c = rpm_catalog("/usr/lib/sysimage/rpm/Packages.db", f);
    assert_eq!(c.packages.len(), db.headers.len());
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert_eq!(c.warnings[0].path, "/usr/lib/sysimage/rpm/Packages.db");
    assert!(c.warnings[0].message.contains("stopped after"));
}

/// A SQLite file built by hand: one `Packages` table whose `rows` rows all hold the same record,
/// their cells all pointing at the one overflow chain the file has.
fn sqlite_rows_sharing_a_chain(blob: &[u8], rows: usize) -> Vec<u8> {
    const U: usize = 4096;
    fn varint(mut v: u64) -> Vec<u8> {
        // SQLite's big-endian base-128 varint (values here stay below 2^56).
        let mut out = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            out.push(((v & 0x7f) as u8) | 0x80);
            v >>= 7;
        }
        out.reverse();
        out
    }
    fn record(columns: &[(u64, Vec<u8>)]) -> Vec<u8> {
        let types: Vec<u8> = columns.iter().flat_map(|(t, _)| varint(*t)).collect();
        let mut h = varint((types.len() + 1) as u64);
        assert_eq!(h.len(), 1);
        h.extend(types);
        h[0] = h.len() as u8;
        for (_, body) in columns {
            h.extend(body);
        }
        h
    }
    let text = |s: &str| (2 * s.len() as u64 + 13, s.as_bytes().to_vec());
    // Leaf table page: header, cell pointers, cells packed at the end.
    let leaf = |cells: &[Vec<u8>], start: usize| {
        let mut p = vec![0u8; U];
        let mut end = U;
        let mut pointers = Vec::new();
        for c in cells {
            end -= c.len();
            p[end..end + c.len()].copy_from_slice(c);
            pointers.push(end as u16);
        }
        p[start] = 0x0d;
        p[start + 3..start + 5].copy_from_slice(&(cells.len() as u16).to_be_bytes());
        p[start + 5..start + 7].copy_from_slice(&(end as u16).to_be_bytes());
        for (i, ptr) in pointers.iter().enumerate() {
            p[start + 8 + 2 * i..start + 10 + 2 * i].copy_from_slice(&ptr.to_be_bytes());
        }
        assert!(start + 8 + 2 * cells.len() <= end, "cells fit the page");
        p
    };
    let sql = "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL)";
    let schema = record(&[
        text("table"),
        text("Packages"),
        text("Packages"),
        (1, vec![2]),
        text(sql),
    ]);
    let mut schema_cell = varint(schema.len() as u64);
    schema_cell.extend(varint(1));
    schema_cell.extend(&schema);
    // The row record: hnum is the rowid (stored as NULL), then the blob. SQLite keeps the first
    // `local` bytes in the cell (its minimum, `m`, when the rest fills whole overflow pages: pad
    // the blob with trailing bytes, which header parsing ignores, so that many cells fit a page).
    let (x, m) = (U - 35, (U - 12) * 32 / 255 - 23);
    let mut blob = blob.to_vec();
    let rec = loop {
        let rec = record(&[(0, Vec::new()), (2 * blob.len() as u64 + 12, blob.clone())]);
        let short = (U - 4 - (rec.len() - m) % (U - 4)) % (U - 4);
        if short == 0 {
            break rec;
        }
        blob.resize(blob.len() + short, 0);
    };
    assert!(rec.len() > x, "the record must overflow");
    let local = m;
    let chain: Vec<&[u8]> = rec[local..].chunks(U - 4).collect();
    let cells: Vec<Vec<u8>> = (1..=rows as u64)
        .map(|rowid| {
            let mut c = varint(rec.len() as u64);
            c.extend(varint(rowid));
            c.extend(&rec[..local]);
            c.extend(3u32.to_be_bytes());
            c
        })
        .collect();
    let pages = 2 + chain.len();
    let mut page1 = leaf(&[schema_cell], 100);
    page1[..16].copy_from_slice(b"SQLite format 3\0");
    page1[16..18].copy_from_slice(&(U as u16).to_be_bytes());
    page1[18] = 1;
    page1[19] = 1;
    page1[21] = 64;
    page1[22] = 32;
    page1[23] = 32;
    page1[24..28].copy_from_slice(&1u32.to_be_bytes());
    page1[28..32].copy_from_slice(&(pages as u32).to_be_bytes());
    page1[40..44].copy_from_slice(&1u32.to_be_bytes());
    page1[44..48].copy_from_slice(&4u32.to_be_bytes());
    page1[56..60].copy_from_slice(&1u32.to_be_bytes());
    page1[92..96].copy_from_slice(&1u32.to_be_bytes());
    page1[96..100].copy_from_slice(&3_046_000u32.to_be_bytes());
    let mut f = [page1, leaf(&cells, 0)].concat();
    for (i, part) in chain.iter().enumerate() {
        let mut p = vec![0u8; U];
        let next = if i + 1 < chain.len() { i as u32 + 4 } else { 0 };
        p[..4].copy_from_slice(&next.to_be_bytes());
        p[4..4 + part.len()].copy_from_slice(part);
        f.extend(p);
    }
    f
}

#[test]
fn rpm_sqlite_rows_sharing_overflow_pages_are_refused() {
    let blob = padded_header("big", 200_000);
    // One row: a well-formed database, read as such.
    let one = sqlite_rows_sharing_a_chain(&blob, 1);
    let db = rpm::read_db(&one).unwrap();
    assert_eq!(db.headers.len(), 1);
    assert_eq!(db.headers[0].as_ref().unwrap().name, "big");
    // Eight rows naming the same chain: eight times the bytes the file has.
    let shared = sqlite_rows_sharing_a_chain(&blob, 8);
    assert!(8 * blob.len() > shared.len());
    let err = rpm::read_db(&shared).unwrap_err().to_string();
    assert!(err.contains("rows share pages"), "{err}");
    let c = rpm_catalog("/var/lib/rpm/rpmdb.sqlite", shared);
    assert!(c.packages.is_empty());
    assert_eq!(c.warnings[0].path, "/var/lib/rpm/rpmdb.sqlite");
    assert!(c.warnings[0].message.contains("rows share pages"));
}

/// Zeros, counting how many bytes were asked for.
struct Zeros {
    left: u64,
    read: u64,
}

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        buf[..n].fill(0);
        self.left -= n as u64;
        self.read += n as u64;
        Ok(n)
    }
}

/// A huge file in the database's place is judged by its first bytes and its size, not read whole.
#[test]
fn rpm_big_files_are_refused_before_they_are_read() {
    let visit = |size: u64| {
        let mut cataloger = rpm::Rpm::new();
        let mut zeros = Zeros {
            left: size,
            read: 0,
        };
        let n = node(Kind::File, 0, size as usize);
        assert!(cataloger.wants("/var/lib/rpm/Packages", &n));
        cataloger
            .visit("/var/lib/rpm/Packages", &n, &mut zeros)
            .unwrap();
        let (packages, warnings) = Box::new(cataloger).finish(&Context::default());
        assert!(packages.is_empty());
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].path, "/var/lib/rpm/Packages");
        (zeros.read, warnings[0].message.clone())
    };
    let (read, message) = visit(512 << 20);
    assert!(
        read <= 4096,
        "{read} bytes read of a file with no rpmdb magic"
    );
    assert!(message.contains("unknown format"), "{message}");
    let (read, message) = visit(2 << 30);
    assert_eq!(read, 0);
    assert!(message.contains("limit"), "{message}");
}

#[test]
fn rpm_header_mutations_never_panic() {
    let good = header("hello");
    for m in mutations(&good, 2000) {
        if let Ok(p) = rpm::header::parse(&m) {
            assert!(p.files.len() <= m.len());
        }
    }
}

#[test]
fn dpkg_and_apk_garbage() {
    let status = b"Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\nDescription: x\n y\n\nPackage: b\nVersion: 2\nStatus: install ok installed\n".to_vec();
    for m in mutations(&status, 300) {
        let _ = dpkg::parse_status(&String::from_utf8_lossy(&m));
    }
    let db = b"P:a\nV:1\nA:x86_64\nF:usr\nR:x\na:0:0:755\nZ:Q1=\n\nP:b\nV:2\n".to_vec();
    for m in mutations(&db, 300) {
        let _ = apk::parse_installed(&String::from_utf8_lossy(&m));
    }
}

#[test]
fn unreadable_files_warn_and_the_run_goes_on() {
    let status =
        b"Package: ok\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n".to_vec();
    let c = run(
        os::catalogers(),
        &[
            ("/var/lib/dpkg/status", 0, status),
            (
                "/var/lib/rpm/Packages",
                0,
                b"definitely not a database".to_vec(),
            ),
            (
                "/var/lib/rpm/rpmdb.sqlite",
                0,
                b"SQLite format 3\0garbage".repeat(20),
            ),
            (
                "/usr/lib/sysimage/rpm/Packages.db",
                0,
                b"RpmP\0\0\0\0\0\0\0\0\xff\xff\xff\xff".to_vec(),
            ),
            ("/lib/apk/db/installed", 0, b"not apk\n".to_vec()),
        ],
        &Options::default(),
    );
    assert_eq!(c.packages.len(), 1);
    assert_eq!(c.packages[0].name, "ok");
    let paths: Vec<&str> = c.warnings.iter().map(|w| w.path.as_str()).collect();
    // The sqlite file is preferred in /var/lib/rpm; once it fails, the next backend is tried.
    assert!(paths.contains(&"/var/lib/rpm/rpmdb.sqlite"), "{paths:?}");
    assert!(paths.contains(&"/var/lib/rpm/Packages"), "{paths:?}");
    assert!(
        paths.contains(&"/usr/lib/sysimage/rpm/Packages.db"),
        "{paths:?}"
    );
    assert!(paths.contains(&"/lib/apk/db/installed"), "{paths:?}");
    for w in &c.warnings {
        assert!(!w.message.is_empty());
    }
}

#[test]
fn dpkg_layers_come_from_list_files() {
    let status = b"Package: old\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\nPackage: new\nStatus: install ok installed\nVersion: 2\nArchitecture: amd64\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 3\nArchitecture: amd64\n".to_vec();
    let c = run(
        os::catalogers(),
        &[
            // The status file is rewritten by every layer that installs; the lists are not.
            ("/var/lib/dpkg/status", 2, status),
            (
                "/var/lib/dpkg/info/old.list",
                0,
                b"/.\n/usr\n/usr/bin\n/usr/bin/old\n".to_vec(),
            ),
            (
                "/var/lib/dpkg/info/new:amd64.list",
                1,
                b"/usr/bin/new\n".to_vec(),
            ),
            ("/usr/bin/old", 0, b"x".to_vec()),
            ("/usr/bin/new", 1, b"x".to_vec()),
        ],
        &Options {
            base_layers: Some(1),
            ..Options::default()
        },
    );
    let names: Vec<(&str, Option<usize>, Option<bool>)> = c
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.layer, p.in_base_image))
        .collect();
    assert_eq!(
        names,
        vec![("new", Some(1), Some(false)), ("old", Some(0), Some(true))]
    );
    assert_eq!(c.packages[1].files, vec!["/usr/bin/old"]);
    assert_eq!(
        c.packages[0].layer_digest,
        Some(drydock_image::Digest::sha256_of(&[1]).to_string())
    );
    // No os-release: still a deb purl, without a distro.
    assert_eq!(c.packages[1].purl, "pkg:deb/debian/old@1?arch=amd64");
}

/// apk and rpm keep one database file, rewritten by every layer that installs: a package's layer is
/// where it was introduced, not where one of its files was last touched.
#[test]
fn apk_and_rpm_packages_stay_in_the_layer_that_installed_them() {
    let db = [
        // Installed by layer 0; layer 1 appended to /etc/motd and added a user to /etc/passwd.
        "P:base\nV:1-r0\nA:x86_64\nF:etc\nR:motd\nR:passwd\nF:usr/bin\nR:base\n",
        // Only configuration files; layer 1 regenerated one of them (update-ca-certificates).
        "P:ca\nV:1-r0\nA:x86_64\nF:etc/ssl\nR:cert.pem\nF:etc/ssl/certs\nR:ca.crt\n",
        // Installed by layer 1.
        "P:extra\nV:1-r0\nA:x86_64\nF:etc\nR:extra.conf\nF:usr/bin\nR:extra\n",
        // Upgraded by layer 2, which kept the locally changed configuration file.
        "P:up\nV:2-r0\nA:x86_64\nF:etc\nR:up.conf\nF:usr/bin\nR:up\n",
        // Owns no file.
        "P:meta\nV:1\nA:x86_64\n",
        // Its only file was replaced by layer 3, which did not run apk.
        "P:late\nV:1\nA:x86_64\nF:usr/bin\nR:late\n",
    ]
    .join("\n");
    let c = run(
        os::catalogers(),
        &[
            ("/lib/apk/db/installed", 2, db.into_bytes()),
            ("/etc/motd", 1, b"x".to_vec()),
            ("/etc/passwd", 1, b"x".to_vec()),
            ("/usr/bin/base", 0, b"x".to_vec()),
            ("/etc/ssl/cert.pem", 1, b"x".to_vec()),
            ("/etc/ssl/certs/ca.crt", 0, b"x".to_vec()),
            ("/etc/extra.conf", 1, b"x".to_vec()),
            ("/usr/bin/extra", 1, b"x".to_vec()),
            ("/etc/up.conf", 0, b"x".to_vec()),
            ("/usr/bin/up", 2, b"x".to_vec()),
            ("/usr/bin/late", 3, b"x".to_vec()),
            // rpm: the database rewritten by layer 2, the package's file from layer 0.
            ("/var/lib/rpm/Packages.db", 2, ndb(&[header("r")])),
            ("/usr/bin/r", 0, b"x".to_vec()),
            (
                "/etc/os-release",
                0,
                b"ID=alpine\nVERSION_ID=3.20.3\n".to_vec(),
            ),
        ],
        &Options {
            base_layers: Some(1),
            ..Options::default()
        },
    );
    let got: Vec<(&str, Option<usize>, Option<bool>)> = c
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.layer, p.in_base_image))
        .collect();
    assert_eq!(
        got,
        vec![
            ("base", Some(0), Some(true)),
            ("ca", Some(0), Some(true)),
            ("extra", Some(1), Some(false)),
            // Never above the database's layer: the record was there by then.
            ("late", Some(2), Some(false)),
            ("meta", Some(2), Some(false)),
            ("up", Some(2), Some(false)),
            ("r", Some(0), Some(true)),
        ]
    );
    assert_eq!(
        c.packages[0].purl,
        "pkg:apk/alpine/base@1-r0?arch=x86_64&distro=alpine-3.20.3"
    );
    assert_eq!(
        c.packages[0].layer_digest,
        Some(drydock_image::Digest::sha256_of(&[0]).to_string())
    );
}

/// A stand-in language cataloger reporting one package per `METADATA` file.
#[derive(Default)]
struct FakeLang(Vec<String>);

impl FileVisitor for FakeLang {
    fn wants(&self, path: &str, _: &Node) -> bool {
        path.ends_with("/METADATA")
    }
    fn visit(&mut self, path: &str, _: &Node, c: &mut dyn Read) -> std::io::Result<()> {
        let mut s = String::new();
        c.read_to_string(&mut s)?;
        self.0.push(path.to_string());
        Ok(())
    }
}

impl Cataloger for FakeLang {
    fn name(&self) -> &'static str {
        "fake-lang"
    }
    fn finish(self: Box<Self>, _: &Context) -> (Vec<Package>, Vec<Warning>) {
        let pkgs = self
            .0
            .iter()
            .map(|p| {
                let mut pkg = Package::new(
                    PackageType::Python,
                    p.rsplit('/').nth(1).unwrap(),
                    "1",
                    "pkg:pypi/x@1",
                );
                pkg.locations.push(p.clone());
                pkg
            })
            .collect();
        (pkgs, Vec::new())
    }
}

#[test]
fn os_owned_language_packages_are_dropped() {
    let status =
        b"Package: python3-six\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n"
            .to_vec();
    let files = [
        ("/var/lib/dpkg/status", 0, status),
        // The list names the merged-/usr alias; the walk sees the real path.
        (
            "/var/lib/dpkg/info/python3-six.list",
            0,
            b"/lib/python3/dist-packages/six.dist-info/METADATA\n".to_vec(),
        ),
        ("/lib", 0, b"->usr/lib".to_vec()),
        (
            "/usr/lib/python3/dist-packages/six.dist-info/METADATA",
            0,
            b"Name: six\n".to_vec(),
        ),
        (
            "/opt/venv/lib/python3.11/site-packages/idna.dist-info/METADATA",
            1,
            b"Name: idna\n".to_vec(),
        ),
    ];
    let mut cats = os::catalogers();
    cats.push(Box::new(FakeLang::default()));
    let c = run(cats, &files, &Options::default());
    let names: Vec<&str> = c.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["python3-six", "idna.dist-info"]);
    let mut cats = os::catalogers();
    cats.push(Box::new(FakeLang::default()));
    let keep = run(
        cats,
        &files,
        &Options {
            keep_os_owned: true,
            ..Options::default()
        },
    );
    assert_eq!(keep.packages.len(), 3);
}

/// Real rpm databases from the conformance fixtures (Berkeley DB, NDB, SQLite), damaged.
#[test]
fn conformance_damaged_real_rpmdbs() {
    let dir = std::env::var_os("DRYDOCK_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
        })
        .join("conformance/pkgdb");
    assert!(dir.is_dir(), "conformance data missing: {}", dir.display());
    for (file, n) in [
        ("osv-scalibr/rpm/testdata/Packages_epoch", 300),
        ("go-rpmdb/testdata/libuuid/Packages", 150),
        ("go-rpmdb/testdata/sle15-bci/Packages.db", 150),
        ("go-rpmdb/testdata/cbl-mariner-2.0/rpmdb.sqlite", 30),
    ] {
        let good = std::fs::read(dir.join(file)).unwrap();
        let expected = rpm::read_db(&good).unwrap().headers.len();
        assert!(expected > 0, "{file}");
        let mut damaged = 0;
        for m in mutations(&good, n) {
            match rpm::read_db(&m) {
                Ok(db) if db.headers.len() == expected && db.headers.iter().all(Result::is_ok) => {}
                _ => damaged += 1,
            }
        }
        assert!(damaged > 0, "{file}: no mutation was noticed");
    }
}

#[test]
fn two_apk_databases_do_not_double_packages() {
    let db = b"P:a\nV:1\nA:x86_64\n".to_vec();
    let c = run(
        os::catalogers(),
        &[
            ("/lib/apk/db/installed", 0, db.clone()),
            ("/usr/lib/apk/db/installed", 0, db),
        ],
        &Options::default(),
    );
    assert_eq!(c.packages.len(), 1);
    assert_eq!(c.packages[0].locations, vec!["/lib/apk/db/installed"]);
}

/// Ubuntu chiselled images: the packages come from Chisel's zstd-compressed jsonwall manifest.
#[test]
fn chisel_manifest_packages() {
    let lines = [
        r#"{"jsonwall":"1.0","schema":"1.0","count":6}"#,
        r#"{"kind":"package","name":"zlib1g","version":"1:1.3-1","sha256":"aa","arch":"amd64"}"#,
        r#"{"kind":"path","path":"/usr/lib/libz.so.1","mode":"0644","slices":["zlib1g_libs"],"sha256":"bb","size":1}"#,
        r#"{"kind":"path","path":"/usr/share/doc/zlib1g/copyright","mode":"0644","slices":["zlib1g_copyright"]}"#,
        r#"{"kind":"slice","name":"zlib1g_copyright"}"#,
        r#"{"kind":"slice","name":"zlib1g_libs"}"#,
    ];
    let manifest = zstd::stream::encode_all((lines.join("\n") + "\n").as_bytes(), 3).unwrap();
    let files = [
        ("/var/lib/chisel/manifest.wall", 1, manifest.clone()),
        ("/usr/lib/libz.so.1", 1, b"x".to_vec()),
        (
            "/usr/share/doc/zlib1g/copyright",
            1,
            b"Format: x\n\nFiles: *\nLicense: Zlib\n".to_vec(),
        ),
        (
            "/etc/os-release",
            0,
            b"ID=ubuntu\nVERSION_ID=\"22.04\"\n".to_vec(),
        ),
    ];
    let c = run(os::catalogers(), &files, &Options::default());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.packages.len(), 1);
    let p = &c.packages[0];
    assert_eq!(
        p.purl,
        "pkg:deb/ubuntu/zlib1g@1:1.3-1?arch=amd64&distro=ubuntu-22.04"
    );
    assert_eq!(p.license_expression.as_deref(), Some("Zlib"));
    assert_eq!(p.layer, Some(1));
    assert_eq!(
        p.metadata.get("chisel-slices").map(String::as_str),
        Some("zlib1g_copyright zlib1g_libs")
    );
    assert_eq!(
        p.files,
        vec!["/usr/lib/libz.so.1", "/usr/share/doc/zlib1g/copyright"]
    );
    // With a dpkg database listing the same package too, it is reported once.
    let mut both = files.to_vec();
    both.push((
        "/var/lib/dpkg/status",
        0,
        b"Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.3-1\nArchitecture: amd64\n"
            .to_vec(),
    ));
    assert_eq!(
        run(os::catalogers(), &both, &Options::default())
            .packages
            .len(),
        1
    );
    // A damaged manifest is a warning naming it.
    let bad = run(
        os::catalogers(),
        &[(
            "/var/lib/chisel/manifest.wall",
            0,
            manifest[..manifest.len() / 2].to_vec(),
        )],
        &Options::default(),
    );
    assert!(bad.packages.is_empty());
    assert_eq!(bad.warnings[0].path, "/var/lib/chisel/manifest.wall");
}

#[test]
fn chisel_manifest_mutations_never_panic() {
    let lines = [
        r#"{"jsonwall":"1.0","schema":"1.0","count":4}"#,
        r#"{"kind":"package","name":"a","version":"1","sha256":"aa","arch":"amd64"}"#,
        r#"{"kind":"path","path":"/a","mode":"0644","slices":["a_x","b_y"]}"#,
        r#"{"kind":"slice","name":"a_x"}"#,
    ];
    let good = zstd::stream::encode_all((lines.join("\n") + "\n").as_bytes(), 3).unwrap();
    assert_eq!(
        drydock_catalog::os::chisel::parse_manifest(&good)
            .unwrap()
            .len(),
        1
    );
    let mut broken = 0;
    for m in mutations(&good, 500) {
        if drydock_catalog::os::chisel::parse_manifest(&m).is_err() {
            broken += 1;
        }
    }
    assert!(broken > 0);
}
