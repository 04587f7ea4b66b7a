//! A root file system directory read as if it were a one-layer image.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::error::{Error, Result};
use crate::tree::{FileTree, FileVisitor, Kind, LayerStats, Node};

/// Walks `root` (never following symlinks) into a merged view, offering wanted files to visitors.
pub fn walk_dir(root: &Path, visitors: &mut [&mut dyn FileVisitor]) -> Result<FileTree> {
    if !root.is_dir() {
        return Err(Error::NotFound(format!("directory {}", root.display())));
    }
    let mut nodes = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    let mut stats = LayerStats::default();
    while let Some((dir, image_dir)) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{image_dir}/{name}");
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            let ft = meta.file_type();
            let kind = if ft.is_dir() {
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
            let link = if kind == Kind::Symlink {
                fs::read_link(entry.path())
                    .ok()
                    .map(|t| t.to_string_lossy().into_owned())
            } else {
                None
            };
            let node = Node {
                kind,
                mode: meta.mode() & 0o7777,
                uid: meta.uid() as u64,
                gid: meta.gid() as u64,
                size: if kind == Kind::File { meta.len() } else { 0 },
                mtime: meta.mtime().max(0) as u64,
                layer: 0,
                link,
            };
            stats.entries += 1;
            if kind == Kind::File {
                stats.uncompressed_size += node.size;
                stats.final_bytes += node.size;
                let wanting = visitors.iter().any(|v| v.wants(&path, &node));
                if wanting {
                    let bytes = fs::read(entry.path())
                        .map_err(|e| Error::io(entry.path().display().to_string(), e))?;
                    for v in visitors.iter_mut() {
                        if v.wants(&path, &node) {
                            v.visit(&path, &node, &mut bytes.as_slice())
                                .map_err(|e| Error::io(path.clone(), e))?;
                        }
                    }
                }
            }
            if kind == Kind::Dir {
                stack.push((entry.path(), path.clone()));
            }
            nodes.push((path, node));
        }
    }
    let mut tree = FileTree::from_nodes(nodes);
    tree.layers = vec![stats];
    Ok(tree)
}
