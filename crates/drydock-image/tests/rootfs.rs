//! Root file system directories read as one-layer images (`rootfs::walk_dir`).

use std::io::Read;
use std::path::Path;

use drydock_image::rootfs::walk_dir;
use drydock_image::{FileVisitor, Kind, Node};

/// Records the bytes and offered kind of every file it sees.
#[derive(Default)]
struct All(Vec<(String, Kind, Vec<u8>)>);

impl FileVisitor for All {
    fn wants(&self, _: &str, _: &Node) -> bool {
        true
    }
    fn visit(&mut self, path: &str, node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        let mut buf = Vec::new();
        content.read_to_end(&mut buf)?;
        self.0.push((path.to_string(), node.kind, buf));
        Ok(())
    }
}

#[test]
fn hard_links_in_a_directory_are_one_file_with_several_names() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/passwd"), b"root:x:0:0::/root:/bin/sh\n").unwrap();
    std::fs::hard_link(root.join("etc/passwd"), root.join("etc/passwd-")).unwrap();
    std::fs::write(root.join("etc/group"), b"root:x:0:\n").unwrap();
    let mut all = All::default();
    let tree = walk_dir(root, &mut [&mut all]).unwrap();
    let names = [
        tree.get("/etc/passwd").unwrap(),
        tree.get("/etc/passwd-").unwrap(),
    ];
    let mut kinds: Vec<Kind> = names.iter().map(|n| n.kind).collect();
    kinds.sort_by_key(|k| *k != Kind::File);
    assert_eq!(kinds, [Kind::File, Kind::Hardlink]);
    let link = names.iter().find(|n| n.kind == Kind::Hardlink).unwrap();
    assert!(matches!(
        link.link.as_deref(),
        Some("/etc/passwd" | "/etc/passwd-")
    ));
    assert_eq!(link.size, 26);
    assert_eq!(tree.file_count(), 3);
    assert_eq!(tree.content_bytes(), 26 + 10, "shared bytes count once");
    // Visitors see both names, as regular files with the bytes.
    let passwd: Vec<_> = all
        .0
        .iter()
        .filter(|(p, _, _)| p.starts_with("/etc/passwd"))
        .collect();
    assert_eq!(passwd.len(), 2);
    assert!(
        passwd
            .iter()
            .all(|(_, k, b)| *k == Kind::File && b.len() == 26)
    );
}

/// `drydock inspect /`: the host's own root, without what other file systems mount into it.
#[test]
fn the_host_root_is_walked_without_entering_other_file_systems() {
    // /proc is a file system of its own on Linux, and never empty.
    let proc_entries = std::fs::read_dir("/proc").map(|d| d.count()).unwrap_or(0);
    assert!(proc_entries > 0, "this test needs a mounted /proc");
    let tree = walk_dir(Path::new("/"), &mut []).unwrap();
    assert_eq!(tree.get("/proc").map(|n| n.kind), Some(Kind::Dir));
    assert!(tree.children("/proc").is_empty(), "/proc was entered");
    assert!(tree.resolve("/etc/os-release").is_some());
}
