use std::collections::HashMap;
use std::io::Read;

use super::*;
use crate::blob::VerifyingReader;
use crate::oci::Descriptor;

/// Blobs held in memory, verified like any other store; counts how often a blob is opened, and
/// how many of those opens were a second read (`reopen`).
struct MemStore(
    HashMap<Digest, Vec<u8>>,
    std::sync::atomic::AtomicUsize,
    std::sync::atomic::AtomicUsize,
);

impl MemStore {
    fn opens(&self) -> usize {
        self.1.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn reopens(&self) -> usize {
        self.2.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl BlobStore for MemStore {
    fn open(&self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let b = self
            .0
            .get(&desc.digest)
            .ok_or_else(|| Error::NotFound(desc.digest.to_string()))?;
        Ok(Box::new(VerifyingReader::for_descriptor(
            b.as_slice(),
            desc,
        )))
    }

    fn reopen(&self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>> {
        self.2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.open(desc)
    }
}

enum E<'a> {
    F(&'a str, &'a [u8]),
    D(&'a str),
    L(&'a str, &'a str),
    H(&'a str, &'a str),
    /// A whiteout of the named path (`dir/.wh.name`).
    W(&'a str),
}

fn layer(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match e {
            E::F(p, c) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(c.len() as u64);
                b.append_data(&mut h, p, *c).unwrap();
            }
            E::D(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            E::L(p, t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, p, t).unwrap();
            }
            E::H(p, t) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_size(0);
                b.append_link(&mut h, p, t).unwrap();
            }
            E::W(p) => {
                let (dir, name) = p.rsplit_once('/').map_or(("", *p), |(d, n)| (d, n));
                let wh = if dir.is_empty() {
                    format!(".wh.{name}")
                } else {
                    format!("{dir}/.wh.{name}")
                };
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(0);
                b.append_data(&mut h, wh, &[][..]).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn image(layers: Vec<Vec<u8>>) -> (MemStore, Vec<Descriptor>) {
    let mut blobs = HashMap::new();
    let mut descs = Vec::new();
    for l in layers {
        let d = Digest::sha256_of(&l);
        descs.push(Descriptor {
            media_type: crate::oci::media::OCI_LAYER_GZIP.into(),
            digest: d.clone(),
            size: l.len() as u64,
            urls: vec![],
            annotations: Default::default(),
            platform: None,
            artifact_type: None,
        });
        blobs.insert(d, l);
    }
    (
        MemStore(blobs, Default::default(), Default::default()),
        descs,
    )
}

/// Records every file it is offered.
#[derive(Default)]
struct Collect(Vec<(String, String, usize)>);

impl FileVisitor for Collect {
    fn wants(&self, _: &str, _: &Node) -> bool {
        true
    }
    fn visit(&mut self, path: &str, node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let mut s = String::new();
        content.read_to_string(&mut s)?;
        self.0.push((path.to_string(), s, node.layer));
        Ok(())
    }
}

#[test]
fn whiteouts_opaque_dirs_and_shadowing() {
    let l0 = layer(&[
        E::D("etc/"),
        E::F("etc/motd", b"hello"),
        E::F("etc/keep", b"k0"),
        E::D("opt/app/"),
        E::F("opt/app/old", b"old"),
        E::F("var/x/y", b"y"),
        E::F("lib/a", b"a"),
    ]);
    let l1 = layer(&[
        E::F("etc/.wh.motd", b""),
        E::F("etc/keep", b"k1"),
        E::D("opt/app/"),
        E::F("opt/app/.wh..wh..opq", b""),
        E::F("opt/app/new", b"new"),
        E::F("var/.wh.x", b""),
        E::L("lib", "usr/lib"),
        E::F("usr/lib/b", b"b"),
    ]);
    let (store, descs) = image(vec![gzip(&l0), l1]);
    let mut c = Collect::default();
    let tree = walk_layers(&store, &descs, &mut [&mut c]).unwrap();
    assert!(tree.get("/etc/motd").is_none(), "whiteout removes the file");
    assert_eq!(tree.get("/etc/keep").unwrap().layer, 1);
    assert!(
        tree.get("/opt/app/old").is_none(),
        "opaque directory hides lower children"
    );
    assert!(tree.get("/opt/app/new").is_some());
    assert!(
        tree.get("/var/x").is_none() && tree.get("/var/x/y").is_none(),
        "whiteout of a directory hides its tree"
    );
    assert!(
        tree.get("/lib/a").is_none(),
        "a symlink in a higher layer replaces the directory"
    );
    assert_eq!(tree.resolve("/lib/b").unwrap().0, "/usr/lib/b");
    let offered: Vec<_> =
        c.0.iter()
            .map(|(p, s, l)| (p.as_str(), s.as_str(), *l))
            .collect();
    assert!(offered.contains(&("/etc/keep", "k1", 1)));
    assert!(
        !offered.iter().any(|(p, _, _)| *p == "/etc/keep"
            && offered.iter().filter(|x| x.0 == "/etc/keep").count() > 1)
    );
    assert!(
        !offered
            .iter()
            .any(|(p, _, _)| *p == "/opt/app/old" || *p == "/etc/motd" || *p == "/lib/a")
    );
    assert_eq!(tree.layers.len(), 2);
    assert_eq!(
        tree.layers[0].compression,
        Some(crate::blob::Compression::Gzip)
    );
    assert_eq!(tree.layers[1].whiteouts, 3);
}

#[test]
fn symlinks_resolve_inside_the_root() {
    let l0 = layer(&[
        E::F("usr/bin/dash", b"ELF"),
        E::L("usr/bin/sh", "dash"),
        E::L("bin", "usr/bin"),
        E::L("etc/escape", "../../../../etc/shadow"),
        E::F("etc/shadow", b"image's own"),
        E::L("loop1", "loop2"),
        E::L("loop2", "loop1"),
        E::H("usr/bin/dash2", "usr/bin/dash"),
    ]);
    let (store, descs) = image(vec![l0]);
    let tree = walk_layers(&store, &descs, &mut []).unwrap();
    assert_eq!(tree.resolve("/bin/sh").unwrap().0, "/usr/bin/dash");
    assert_eq!(
        tree.resolve("/etc/escape").unwrap().0,
        "/etc/shadow",
        "'..' stops at the image root"
    );
    assert!(tree.resolve("/loop1").is_none());
    let h = tree.get("/usr/bin/dash2").unwrap();
    assert_eq!((h.kind, h.size), (Kind::Hardlink, 3));
}

#[test]
fn hostile_entries_and_corruption() {
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_entry_type(tar::EntryType::Regular);
    // tar::Builder refuses "..", so write the name bytes directly.
    h.as_gnu_mut().unwrap().name[..9].copy_from_slice(b"../escape");
    h.set_cksum();
    b.append(&h, &b"x"[..]).unwrap();
    let (store, descs) = image(vec![b.into_inner().unwrap()]);
    let e = walk_layers(&store, &descs, &mut []).unwrap_err();
    assert!(e.to_string().contains("climbs out"), "{e}");

    let good = gzip(&layer(&[E::F("a", b"a")]));
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    let (mut store, mut descs) = image(vec![good]);
    // Same descriptor, different bytes: the digest check must fail.
    store.0.insert(descs[0].digest.clone(), truncated.clone());
    descs[0].size = truncated.len() as u64;
    let e = walk_layers(&store, &descs, &mut []).unwrap_err();
    assert!(
        matches!(e, Error::DigestMismatch { .. } | Error::CorruptLayer { .. }),
        "{e}"
    );
}

fn file(size: u64, layer: usize) -> Node {
    Node {
        kind: Kind::File,
        mode: 0o644,
        uid: 0,
        gid: 0,
        size,
        mtime: 0,
        layer,
        link: None,
    }
}

#[test]
fn compact_storage_replaces_sorts_and_lists_children() {
    // Enough paths to make the index grow several times while the arena moves.
    let mut nodes: Vec<(String, Node)> = (0..5000)
        .rev()
        .map(|i| (format!("/d{}/f{i:05}", i % 7), file(i, 0)))
        .collect();
    nodes.push(("/d3/f00003".into(), file(99, 1)));
    nodes.push(("d3//./f00010".into(), file(7, 1)));
    let tree = FileTree::from_nodes(nodes);
    assert_eq!(
        tree.len(),
        5000,
        "a later node for a path replaces the earlier one"
    );
    assert_eq!(
        tree.get("/d3/f00003").map(|n| (n.size, n.layer)),
        Some((99, 1))
    );
    assert_eq!(tree.get("/d3/f00010").map(|n| n.size), Some(7));
    assert_eq!(tree.get("/d3/f00017").map(|n| n.size), Some(17));
    assert!(tree.get("/d3/f99999").is_none() && tree.get("/d3").is_none());
    let paths: Vec<&str> = tree.iter().map(|(p, _)| p).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    let children = tree.children("/d6");
    assert_eq!(children.len(), (0..5000).filter(|i| i % 7 == 6).count());
    assert!(children.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(tree.iter_unordered().count(), 5000);
}

/// Records the bytes of the paths it wants, and the node it was offered with.
struct Want {
    paths: Vec<&'static str>,
    got: Vec<(String, Vec<u8>, Node)>,
}

impl Want {
    fn new(paths: &[&'static str]) -> Want {
        Want {
            paths: paths.to_vec(),
            got: Vec::new(),
        }
    }

    /// The bytes offered for a path; panics unless it was offered exactly once.
    fn bytes(&self, path: &str) -> &[u8] {
        let hits: Vec<_> = self.got.iter().filter(|g| g.0 == path).collect();
        assert_eq!(hits.len(), 1, "{path} offered {} times", hits.len());
        &hits[0].1
    }
}

impl FileVisitor for Want {
    fn wants(&self, path: &str, _: &Node) -> bool {
        self.paths.contains(&path)
    }
    fn visit(&mut self, path: &str, node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let mut buf = Vec::new();
        content.read_to_end(&mut buf)?;
        assert_eq!(buf.len() as u64, node.size, "{path}: offered size");
        self.got.push((path.to_string(), buf, node.clone()));
        Ok(())
    }
}

const OS_RELEASE: &[u8] = b"ID=debian\nVERSION_ID=\"12\"\n";
const PASSWD: &[u8] =
    b"root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n";

#[test]
fn a_hard_link_to_an_earlier_file_of_its_layer_has_its_size_and_bytes() {
    // The original is wanted too: its bytes are kept, and the layer is read once.
    let l0 = layer(&[
        E::F("usr/lib/os-release", OS_RELEASE),
        E::F("usr/lib/other", b"12345"),
        E::H("etc/os-release", "usr/lib/os-release"),
    ]);
    let (store, descs) = image(vec![gzip(&l0)]);
    let mut want = Want::new(&["/etc/os-release", "/usr/lib/os-release"]);
    let tree = walk_layers(&store, &descs, &mut [&mut want]).unwrap();
    let link = tree.get("/etc/os-release").unwrap();
    assert_eq!(link.kind, Kind::Hardlink);
    assert_eq!(link.size, OS_RELEASE.len() as u64);
    assert_eq!(link.link.as_deref(), Some("/usr/lib/os-release"));
    assert_eq!(want.bytes("/etc/os-release"), OS_RELEASE);
    assert_eq!(want.bytes("/usr/lib/os-release"), OS_RELEASE);
    let offered = &want
        .got
        .iter()
        .find(|g| g.0 == "/etc/os-release")
        .unwrap()
        .2;
    assert_eq!(
        offered.kind,
        Kind::File,
        "a visitor sees a hard-linked name as a file"
    );
    assert_eq!(store.opens(), 1, "kept bytes, no second read");
    assert_eq!(store.reopens(), 0);
    assert_eq!(tree.file_count(), 3);
    assert_eq!(
        tree.content_bytes(),
        OS_RELEASE.len() as u64 + 5,
        "shared bytes count once"
    );

    // The original's name is not wanted (its bytes went past unread): the layer is read again for them.
    let l0 = layer(&[
        E::F("usr/share/base/passwd.orig", PASSWD),
        E::F("usr/share/base/filler", b"filler"),
        E::H("etc/passwd", "usr/share/base/passwd.orig"),
    ]);
    let (store, descs) = image(vec![gzip(&l0)]);
    let mut want = Want::new(&["/etc/passwd"]);
    let tree = walk_layers(&store, &descs, &mut [&mut want]).unwrap();
    assert_eq!(want.bytes("/etc/passwd"), PASSWD);
    assert_eq!(store.opens(), 2, "read again for the unkept original");
    assert_eq!(
        store.reopens(),
        1,
        "the second read is a reopen (no second progress line)"
    );
    let link = tree.get("/etc/passwd").unwrap();
    assert_eq!(
        (link.kind, link.size),
        (Kind::Hardlink, PASSWD.len() as u64)
    );

    // The original was wanted but is larger than what is kept: read again too.
    let big = vec![b'b'; (4 << 20) + 1];
    let l0 = layer(&[E::F("opt/big", &big), E::H("opt/big-link", "opt/big")]);
    let (store, descs) = image(vec![gzip(&l0)]);
    let mut want = Want::new(&["/opt/big", "/opt/big-link"]);
    walk_layers(&store, &descs, &mut [&mut want]).unwrap();
    assert_eq!(want.bytes("/opt/big-link"), big.as_slice());
    assert_eq!(want.bytes("/opt/big"), big.as_slice());
    assert_eq!((store.opens(), store.reopens()), (2, 1));
}

#[test]
fn a_hard_link_that_outlives_its_original_becomes_a_regular_file() {
    let l0 = layer(&[
        E::F("opt/orig/group", b"root:x:0:\n"),
        E::H("etc/group", "opt/orig/group"),
        E::F("a/one", b"shared"),
        E::H("a/two", "a/one"),
        E::H("a/three", "a/one"),
        E::F("b/kept", b"kept"),
        E::H("b/alias", "b/kept"),
    ]);
    let l1 = layer(&[
        E::W("opt/orig"),
        E::W("a/one"),
        E::F("b/kept", b"new bytes"),
    ]);
    let (store, descs) = image(vec![gzip(&l0), gzip(&l1)]);
    let mut want = Want::new(&["/etc/group", "/a/two", "/b/alias"]);
    let tree = walk_layers(&store, &descs, &mut [&mut want]).unwrap();
    let group = tree.get("/etc/group").unwrap();
    assert_eq!(
        (group.kind, group.size, group.link.as_deref()),
        (Kind::File, 10, None)
    );
    assert_eq!(want.bytes("/etc/group"), b"root:x:0:\n");
    // Two names survive their original: the first (sorted) holds the bytes, the other links to it.
    let three = tree.get("/a/three").unwrap();
    assert_eq!((three.kind, three.size), (Kind::File, 6));
    let two = tree.get("/a/two").unwrap();
    assert_eq!(
        (two.kind, two.size, two.link.as_deref()),
        (Kind::Hardlink, 6, Some("/a/three"))
    );
    assert_eq!(want.bytes("/a/two"), b"shared");
    // A higher layer rewrote the original: the link keeps the old bytes, as a file of its own.
    let alias = tree.get("/b/alias").unwrap();
    assert_eq!((alias.kind, alias.size), (Kind::File, 4));
    assert_eq!(want.bytes("/b/alias"), b"kept");
    assert!(tree.get("/opt/orig/group").is_none() && tree.get("/a/one").is_none());
    assert_eq!(tree.content_bytes(), 10 + 6 + 4 + 9);
    assert_eq!(tree.layers[0].final_bytes, 10 + 6 + 4);
    assert_eq!(tree.layers[1].final_bytes, 9);
}

#[test]
fn a_hard_link_to_a_lower_layer_gets_its_bytes_when_the_walk_gets_there() {
    let l0 = layer(&[
        E::F("usr/bin/tool", b"TOOL"),
        E::F("etc/os-release", OS_RELEASE),
        E::F("var/x", b"x"),
        E::F("c0", b"chain"),
        E::D("d/"),
        E::F("d/f", b"under a dir"),
    ]);
    let l1 = layer(&[
        E::H("usr/local/bin/tool", "usr/bin/tool"),
        E::H("etc/alias", "etc/os-release"),
        E::W("var/x"),
        E::H("c1", "c0"),
        // A file where the directory was: the link below in layer 2 finds nothing.
        E::F("d", b"not a dir"),
    ]);
    let l2 = layer(&[
        E::F("etc/os-release", b"ID=other\n"),
        E::H("y", "var/x"),
        E::H("c2", "c1"),
        E::H("z", "d/f"),
    ]);
    let (store, descs) = image(vec![gzip(&l0), gzip(&l1), l2]);
    let mut want = Want::new(&[
        "/usr/local/bin/tool",
        "/etc/alias",
        "/etc/os-release",
        "/c2",
    ]);
    let tree = walk_layers(&store, &descs, &mut [&mut want]).unwrap();
    assert_eq!(store.opens(), 3, "every layer read once");
    let tool = tree.get("/usr/local/bin/tool").unwrap();
    assert_eq!(
        (tool.kind, tool.size, tool.link.as_deref()),
        (Kind::Hardlink, 4, Some("/usr/bin/tool"))
    );
    assert_eq!(want.bytes("/usr/local/bin/tool"), b"TOOL");
    // Linked before layer 2 replaced the original: the old bytes, as a file of its own.
    let alias = tree.get("/etc/alias").unwrap();
    assert_eq!(
        (alias.kind, alias.size),
        (Kind::File, OS_RELEASE.len() as u64)
    );
    assert_eq!(want.bytes("/etc/alias"), OS_RELEASE);
    assert_eq!(want.bytes("/etc/os-release"), b"ID=other\n");
    // A link to a link to a file: the file's bytes, two layers down.
    let c2 = tree.get("/c2").unwrap();
    assert_eq!(
        (c2.kind, c2.size, c2.link.as_deref()),
        (Kind::Hardlink, 5, Some("/c0"))
    );
    assert_eq!(want.bytes("/c2"), b"chain");
    assert_eq!(
        tree.get("/c1").map(|n| (n.kind, n.size)),
        Some((Kind::Hardlink, 5))
    );
    // Targets deleted, or cut off by a non-directory, before the link was made: nothing to share.
    for dangling in ["/y", "/z"] {
        let n = tree.get(dangling).unwrap();
        assert_eq!((n.kind, n.size), (Kind::Hardlink, 0), "{dangling}");
    }
    assert_eq!(
        tree.content_bytes(),
        4 + OS_RELEASE.len() as u64 + 5 + 9 + 9,
        "tool, the old os-release (now /etc/alias), c0, d, the new os-release"
    );
}

/// Damage a registry would serve under a matching digest (a broken producer): the stream is
/// reported as what broke, gzip or tar, corrupt or truncated, naming the layer.
#[test]
fn damaged_streams_under_a_matching_digest_say_what_broke() {
    let big = [b'a'; 3000];
    let tar = layer(&[E::F("a", &big), E::F("b", b"b")]);
    let walk = |blob: Vec<u8>| {
        let (store, descs) = image(vec![blob]);
        let e = walk_layers(&store, &descs, &mut [&mut Collect::default()]).unwrap_err();
        assert!(matches!(e, Error::CorruptLayer { .. }), "{e}");
        let msg = e.to_string();
        assert!(msg.contains(&descs[0].digest.to_string()), "{msg}");
        msg
    };

    let mut gz = gzip(&tar);
    let mid = gz.len() / 2;
    gz[mid] ^= 0xff;
    gz[mid + 1] ^= 0xff;
    let msg = walk(gz);
    assert!(msg.contains("gzip stream is corrupt"), "{msg}");

    let gz = gzip(&tar);
    let msg = walk(gz[..gz.len() - 12].to_vec());
    assert!(msg.contains("gzip stream is truncated"), "{msg}");

    // The second header's checksum no longer adds up.
    let mut bad = tar.clone();
    let second = 512 + big.len().div_ceil(512) * 512;
    bad[second + 148] = b'7';
    bad[second + 149] = b'7';
    let msg = walk(gzip(&bad));
    assert!(msg.contains("tar stream is corrupt"), "{msg}");

    // Cut inside the first file's bytes, then compressed whole.
    let msg = walk(gzip(&tar[..1000]));
    assert!(msg.contains("tar stream is truncated"), "{msg}");
    assert!(!msg.starts_with("unexpected EOF"), "{msg}");
}

/// Many hard links waiting for lower layers while a layer between holds many whiteouts and opaque
/// directories: each waiting target is looked up (with its ancestors), not compared with every
/// whiteout, so this is quick; what is cut off and what is not stays exact.
#[test]
fn many_waiting_links_over_many_whiteouts() {
    const N: usize = 20_000;
    let names: Vec<String> = (0..N).map(|i| format!("t/d{}/f{i}", i % 100)).collect();
    let mut l0: Vec<E> = names.iter().map(|p| E::F(p, b"bytes")).collect();
    l0.push(E::F("o/x", b"under an opaque dir"));
    l0.push(E::F("gone/x", b"under a deleted dir"));
    l0.push(E::F("same", b"lower"));
    let unrelated: Vec<String> = (0..N).map(|i| format!("w/d{}/f{i}", i % 100)).collect();
    let opaque: Vec<String> = (0..N).map(|i| format!("p{i}/.wh..wh..opq")).collect();
    let mut l1: Vec<E> = unrelated.iter().map(|p| E::W(p)).collect();
    // Every third target deleted; one opaque directory and one deleted directory over targets.
    l1.extend(names.iter().step_by(3).map(|p| E::W(p)));
    l1.extend(opaque.iter().map(|p| E::F(p, b"")));
    l1.push(E::F("o/.wh..wh..opq", b""));
    l1.push(E::W("gone"));
    let links: Vec<String> = (0..N).map(|i| format!("h/f{i}")).collect();
    let mut l2: Vec<E> = links.iter().zip(&names).map(|(l, t)| E::H(l, t)).collect();
    l2.push(E::H("h/o", "o/x"));
    l2.push(E::H("h/gone", "gone/x"));
    // Many links of this layer waiting on one path, then that path written again and again here:
    // each time only the look-ups from above it answers are touched (there are none).
    let same: Vec<String> = (0..N).map(|i| format!("s/f{i}")).collect();
    l2.extend(same.iter().map(|l| E::H(l, "same")));
    l2.extend((0..N).map(|_| E::F("same", b"top")));
    let (store, descs) = image(vec![layer(&l0), layer(&l1), layer(&l2)]);
    let mut want = Want::new(&["/h/f1", "/h/f3", "/s/f7"]);
    let tree = walk_layers(&store, &descs, &mut [&mut want]).unwrap();
    for (i, link) in links.iter().enumerate() {
        let n = tree.get(link).unwrap();
        let expected = if i % 3 == 0 { 0 } else { 5 };
        assert_eq!((n.kind, n.size), (Kind::Hardlink, expected), "{link}");
    }
    for cut in ["/h/o", "/h/gone"] {
        assert_eq!(tree.get(cut).map(|n| n.size), Some(0), "{cut}");
    }
    for link in &same {
        assert_eq!(tree.get(link).map(|n| n.size), Some(5), "{link}");
    }
    assert_eq!(want.bytes("/s/f7"), b"lower");
    assert_eq!(tree.get("/same").map(|n| n.size), Some(3));
    assert_eq!(want.bytes("/h/f1"), b"bytes");
    assert!(
        want.got.iter().all(|g| g.0 != "/h/f3"),
        "a cut link has no bytes"
    );

    // An opaque root hides every target below it.
    let l0 = layer(&[E::F("r/x", b"x")]);
    let l1 = layer(&[E::F(".wh..wh..opq", b""), E::F("y", b"y")]);
    let l2 = layer(&[E::H("h", "r/x"), E::H("g", "y")]);
    let (store, descs) = image(vec![l0, l1, l2]);
    let tree = walk_layers(&store, &descs, &mut []).unwrap();
    assert_eq!(tree.get("/h").map(|n| n.size), Some(0));
    assert_eq!(tree.get("/g").map(|n| n.size), Some(1));
}
