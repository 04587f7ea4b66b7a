//! A root file system directory read as if it were a one-layer image.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::error::{Error, Result};
use crate::tree::{FileTree, FileVisitor, Kind, LayerStats, Node};

/// Walks `root` (never following symlinks) into a merged view, offering wanted files to visitors.
///
/// The walk stays on `root`'s own file system, as `find -xdev` does: a directory where another file
/// system is mounted (`/proc`, `/sys`, `/dev` when `root` is the host's `/`) is listed but not
/// entered, since what is mounted there is no part of the root file system. Something that
/// disappears while the walk runs (a live root changes) is left out. The second and later names
/// of a file with several hard links are `Kind::Hardlink` nodes naming the first, as in an image.
pub fn walk_dir(root: &Path, visitors: &mut [&mut dyn FileVisitor]) -> Result<FileTree> {
    let root_meta = fs::metadata(root)
        .ok()
        .filter(|m| m.is_dir())
        .ok_or_else(|| Error::NotFound(format!("directory {}", root.display())))?;
    let device = root_meta.dev();
    let mut tree = FileTree::default();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    let mut stats = LayerStats::default();
    // First path of each multiply linked file, by inode.
    let mut linked: HashMap<u64, String> = HashMap::new();
    while let Some((dir, image_dir)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !image_dir.is_empty() => continue,
            Err(e) => return Err(Error::io(dir.display().to_string(), e)),
        };
        let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{image_dir}/{name}");
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            let ft = meta.file_type();
            let mut kind = if ft.is_dir() {
                Kind::Dir
            } else if ft.is_symlink() {
                Kind::Symlink
            } else if ft.is_file() {
                Kind::File
            } else if ft.is_char_device() {
                Kind::CharDevice
            } else if ft.is_block_device() {
                Kind::BlockDevice
            } else if ft.is_fifo() {
                Kind::Fifo
            } else {
                continue;
            };
            let mut link = if kind == Kind::Symlink {
                fs::read_link(entry.path())
                    .ok()
                    .map(|t| t.to_string_lossy().into_owned())
            } else {
                None
            };
            if kind == Kind::File && meta.nlink() > 1 && meta.dev() == device {
                if let Some(first) = linked.get(&meta.ino()) {
                    kind = Kind::Hardlink;
                    link = Some(first.clone());
                } else {
                    linked.insert(meta.ino(), path.clone());
                }
            }
            let mut node = Node {
                kind,
                mode: meta.mode() & 0o7777,
                uid: meta.uid() as u64,
                gid: meta.gid() as u64,
                size: 0,
                mtime: meta.mtime().max(0) as u64,
                layer: 0,
                link,
            };
            if node.is_regular() {
                node.size = meta.len();
            }
            stats.entries += 1;
            if kind == Kind::File {
                stats.uncompressed_size += node.size;
                stats.final_bytes += node.size;
            }
            if node.is_regular() {
                // Visitors see every name of a file as a regular file, as in an image walk.
                // Each wanting visitor streams the file from its own handle: nothing is held
                // whole, however large (a directory's files, unlike a layer's, can be read again).
                let offered = node.as_file(node.size);
                for v in visitors.iter_mut() {
                    if !v.wants(&path, &offered) {
                        continue;
                    }
                    let file = match fs::File::open(entry.path()) {
                        Ok(f) => f,
                        // Gone since it was listed (a live system): as if never there.
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                        Err(e) => return Err(Error::io(entry.path().display().to_string(), e)),
                    };
                    let mut content =
                        std::io::BufReader::with_capacity(64 << 10, file.take(node.size));
                    v.visit(&path, &offered, &mut content)
                        .map_err(|e| Error::io(path.clone(), e))?;
                }
            }
            if kind == Kind::Dir && meta.dev() == device {
                stack.push((entry.path(), path.clone()));
            }
            tree.insert(&path, node);
        }
    }
    tree.layers = vec![stats];
    Ok(tree)
}
