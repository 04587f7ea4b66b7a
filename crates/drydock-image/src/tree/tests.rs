use std::collections::HashMap;
use std::io::Read;

use super::*;
use crate::blob::VerifyingReader;
use crate::oci::Descriptor;

/// Blobs held in memory, verified like any other store.
struct MemStore(HashMap<Digest, Vec<u8>>);

impl BlobStore for MemStore {
    fn open(&self, desc: &Descriptor) -> Result<Box<dyn Read + Send + '_>> {
        let b = self
            .0
            .get(&desc.digest)
            .ok_or_else(|| Error::NotFound(desc.digest.to_string()))?;
        Ok(Box::new(VerifyingReader::for_descriptor(
            b.as_slice(),
            desc,
        )))
    }
}

enum E<'a> {
    F(&'a str, &'a [u8]),
    D(&'a str),
    L(&'a str, &'a str),
    H(&'a str, &'a str),
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
    (MemStore(blobs), descs)
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
