//! One layer's tar entries applied to the merged view, top layer first: whiteouts, opaque
//! directories, shadowing, and hard links.
//!
//! A hard link shares the bytes of the file its target path held when the link was made: a file
//! earlier in the same layer's tar, or else the topmost one below the link's layer. The first kind
//! has already streamed past when the link is met; the second is read later in the walk. So:
//!
//! - every regular-file entry of the current layer is findable by path (final ones in the tree with
//!   their entry's position, hidden ones in a per-layer map), which gives a same-layer link its size;
//! - a link to a lower layer becomes a [`Pending`] look-up that the layers below answer (or cut off
//!   with a whiteout, an opaque directory or a non-directory over the path);
//! - a visitor that wants a link's name gets the target's bytes: as they stream past for a lower
//!   target, from the few recently read files kept in memory ([`Kept`]) for an earlier one, or, when
//!   those bytes were not kept, by reading that one layer a second time at its end;
//! - at the end a link whose original name is no longer in the final view becomes a regular file
//!   (the first of its names, when several remain), so sizes and byte counts are those of the
//!   file system a runtime would build.
//!
//! # When a layer is read twice
//!
//! Only when a visitor wants a hard-link name whose original is an earlier entry of the same layer
//! and the original's bytes were not kept: no visitor wanted the original under any of its names
//! (so its bytes streamed past unread), or it was wanted but is larger than 4 MiB, or later wanted
//! files of the layer pushed it out of the 4 MiB kept per layer. Links to lower layers never cause
//! it. The second read ([`LayerWalk::reread`], after the first has been verified) opens the blob
//! again with [`BlobStore::reopen`]: a layout's or archive's file is read again; a registry's blob
//! comes from the blob cache the first read filled, and is downloaded again only without a cache
//! (`--no-cache`, or a cache that could not keep it), drawing no second progress line. It
//! decompresses only up to the last entry it needs but reads and hashes the whole blob, since what
//! a source serves a second time is verified like the first.
//!
//! Not reading twice would mean holding every file of a layer that a later link might name (memory
//! without bound: the tar says nothing of links ahead), or the layer itself, in memory or on disk;
//! the walk does neither.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;

use super::{
    Counter, CountingReader, FileTree, FileVisitor, Kind, LayerStats, Node, Tracked, ancestors,
    normalize, parent,
};
use crate::blob::{self, BlobStore};
use crate::error::{Error, Result};
use crate::oci::Descriptor;

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Files up to this size that a visitor wanted are kept (read whole) until the layer ends, in case
/// a hard link to them follows.
const KEEP_FILE: u64 = 4 << 20;
/// Kept bytes per layer.
const KEEP_TOTAL: usize = 4 << 20;

/// A regular-file entry: its layer and its position among that layer's tar entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct EntryId {
    layer: usize,
    ordinal: u64,
}

/// What a hard link's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// Those of this regular-file entry, of this size.
    File(EntryId, u64),
    /// Not known yet: see `Merger::pending[i]`.
    Pending(usize),
    /// None: the target is missing or not a regular file.
    Dangling,
}

/// A hard link to whatever a lower layer holds at its target path (the key it waits under in
/// `Merger::waiting`), waiting for the walk to get there.
struct Pending {
    /// The link's layer: its target is the topmost entry below it.
    below: usize,
    /// Final names that share the target's bytes (they want its content as it streams past).
    names: Vec<String>,
    /// Once the layers below have answered.
    resolved: Option<Source>,
}

/// The merged view under construction.
#[derive(Default)]
pub(super) struct Merger {
    pub(super) tree: FileTree,
    /// Position of each tree node's entry in its layer's tar (parallel to the tree's nodes).
    ordinals: Vec<u64>,
    /// Path → highest layer that deleted it.
    whiteouts: HashMap<String, usize>,
    /// Directory → highest layer that made it opaque.
    opaque: HashMap<String, usize>,
    /// Final hard-link paths and what their bytes are.
    links: HashMap<String, Source>,
    /// The path each entry a link shares was written at.
    originals: HashMap<EntryId, String>,
    pending: Vec<Pending>,
    /// Unanswered pending look-ups by target path. Each list is in the order the look-ups were
    /// made, so their layers (`below`) never increase along it: the walk goes down.
    waiting: HashMap<String, Vec<usize>>,
    /// Strict ancestors of those targets: a non-directory written there cuts the targets off.
    waiting_dirs: HashSet<String>,
}

/// What one layer's walk keeps until the layer ends.
pub(super) struct LayerWalk<'a> {
    index: usize,
    desc: &'a Descriptor,
    /// The tar stream being read (did it end?).
    stream: Counter,
    /// Entries of this layer the final view does not show (shadowed or deleted from above), by path:
    /// what a later link in this layer to them shares.
    hidden: HashMap<String, Source>,
    kept: Kept,
    /// Names that want the bytes of an earlier entry of this layer that were not kept, by ordinal.
    reread: BTreeMap<u64, Vec<(String, Node)>>,
    /// Paths this layer deletes below itself that are, or hold, a waiting target (whiteouts,
    /// non-directories over pending targets' parents).
    removed: HashSet<String>,
    /// Directories this layer makes opaque that hold a waiting target.
    opaque_dirs: HashSet<String>,
}

/// One entry being applied.
struct Met {
    path: String,
    node: Node,
    /// Position among the layer's tar entries.
    ordinal: u64,
    /// Not in the final view (shadowed or deleted from above).
    hidden: bool,
    /// Look-ups from higher layers this path answers.
    answered: Vec<usize>,
}

/// Recently read files of the current layer, for hard links to them later in the layer. The
/// newest is always kept; over budget, the largest older ones go first, so the many small files
/// (scripts, configuration) a link may point back to stay longest.
#[derive(Default)]
struct Kept {
    bytes: HashMap<u64, Vec<u8>>,
    /// Every kept file but the newest, by size.
    older: BTreeSet<(usize, u64)>,
    newest: Option<u64>,
    total: usize,
}

impl Kept {
    fn put(&mut self, ordinal: u64, bytes: Vec<u8>) {
        if let Some(prev) = self.newest.replace(ordinal)
            && let Some(b) = self.bytes.get(&prev)
        {
            self.older.insert((b.len(), prev));
        }
        self.total += bytes.len();
        self.bytes.insert(ordinal, bytes);
        while self.total > KEEP_TOTAL {
            let Some(largest) = self.older.pop_last() else {
                break;
            };
            self.bytes.remove(&largest.1);
            self.total -= largest.0;
        }
    }
}

impl Merger {
    /// Whether an entry of `layer` at `path` is hidden by something a higher layer did.
    fn hidden(&self, path: &str, layer: usize) -> bool {
        // A higher layer wrote this very path: its version (file, link or directory metadata) wins.
        if self.tree.node(path).is_some_and(|n| n.layer > layer) {
            return true;
        }
        if self.whiteouts.get(path).is_some_and(|&l| l > layer) {
            return true;
        }
        ancestors(path).any(|a| {
            self.whiteouts.get(a).is_some_and(|&l| l > layer)
                || self.opaque.get(a).is_some_and(|&l| l > layer)
                || self
                    .tree
                    .node(a)
                    .is_some_and(|n| n.kind != Kind::Dir && n.layer > layer)
        })
    }

    fn put(&mut self, path: &str, node: Node, ordinal: u64) {
        let i = self.tree.insert(path, node);
        if i == self.ordinals.len() {
            self.ordinals.push(ordinal);
        } else {
            self.ordinals[i] = ordinal;
        }
    }

    /// What a link in `layer` to `target` shares, when the target was written earlier in that layer.
    fn source_in_layer(
        &mut self,
        target: &str,
        layer: usize,
        hidden: &HashMap<String, Source>,
    ) -> Option<Source> {
        let source = match self.tree.find(target) {
            // Nodes of this layer were all written earlier in its tar.
            Some(i) if self.tree.nodes[i].layer == layer => {
                let node = &self.tree.nodes[i];
                match node.kind {
                    Kind::File => Source::File(
                        EntryId {
                            layer,
                            ordinal: self.ordinals[i],
                        },
                        node.size,
                    ),
                    Kind::Hardlink => self.links.get(target).copied().unwrap_or(Source::Dangling),
                    _ => Source::Dangling,
                }
            }
            _ => *hidden.get(target)?,
        };
        if let Source::File(id, _) = source {
            self.originals
                .entry(id)
                .or_insert_with(|| target.to_string());
        }
        Some(source)
    }

    /// Registers a look-up of `target` below `layer`.
    fn wait_for(&mut self, target: &str, layer: usize) -> usize {
        let id = self.pending.len();
        self.pending.push(Pending {
            below: layer,
            names: Vec::new(),
            resolved: None,
        });
        let ids = self.waiting.entry(target.to_string()).or_default();
        debug_assert!(ids.last().is_none_or(|&l| self.pending[l].below >= layer));
        ids.push(id);
        self.waiting_dirs
            .extend(ancestors(target).map(str::to_string));
        id
    }

    /// The look-ups from layers above `layer` that an entry at `path` answers.
    fn take_waiting(&mut self, path: &str, layer: usize) -> Vec<usize> {
        let Some(ids) = self.waiting.get_mut(path) else {
            return Vec::new();
        };
        // Those from above come first (see `waiting`): only they are touched, however many wait.
        let above = ids.partition_point(|&id| self.pending[id].below > layer);
        let answered: Vec<usize> = ids.drain(..above).collect();
        if ids.is_empty() {
            self.waiting.remove(path);
        }
        answered
    }

    /// Follows answered look-ups (a link to a link to…) to where the chain ends: a file, nothing, or
    /// the look-up still open at its end (`Pending`).
    fn follow(&self, mut source: Source) -> Source {
        // Each step goes to a lower layer, so this ends; the bound only guards against a bug.
        for _ in 0..=self.pending.len() {
            match source {
                Source::Pending(i) => match self.pending[i].resolved {
                    Some(next) => source = next,
                    None => return source,
                },
                end => return end,
            }
        }
        Source::Dangling
    }

    /// Answers the look-ups the layer just walked cut off, and forgets the answered ones' paths.
    ///
    /// Each waiting target is looked up in the layer's sets with its ancestors (a whiteout deletes
    /// a path and what is under it, an opaque directory only what is under it): work in the number
    /// of waiting targets times their depth, whatever the number of whiteouts.
    fn end_layer(&mut self, walk: &LayerWalk<'_>) {
        if !walk.removed.is_empty() || !walk.opaque_dirs.is_empty() {
            let (removed, opaque) = (&walk.removed, &walk.opaque_dirs);
            // An opaque root hides everything below.
            let root_opaque = opaque.contains("/");
            let pending = &self.pending;
            let mut cut = Vec::new();
            self.waiting.retain(|target, ids| {
                let gone = root_opaque
                    || removed.contains(target.as_str())
                    || ancestors(target).any(|a| removed.contains(a) || opaque.contains(a));
                if gone {
                    // Look-ups made in this very layer wait for the layers below it.
                    ids.retain(|&id| {
                        let above = pending[id].below > walk.index;
                        if above {
                            cut.push(id);
                        }
                        !above
                    });
                }
                !ids.is_empty()
            });
            for id in cut {
                self.pending[id].resolved = Some(Source::Dangling);
            }
        }
        self.waiting_dirs = self
            .waiting
            .keys()
            .flat_map(|t| ancestors(t).map(str::to_string))
            .collect();
    }

    /// The finished view: every hard link sized by what it shares, and a link whose original name
    /// is gone from the view turned into a regular file.
    pub(super) fn finish(mut self) -> FileTree {
        for p in &mut self.pending {
            if p.resolved.is_none() {
                p.resolved = Some(Source::Dangling);
            }
        }
        let mut groups: BTreeMap<EntryId, (u64, Vec<String>)> = BTreeMap::new();
        for (path, source) in &self.links {
            let is_link = self
                .tree
                .node(path)
                .is_some_and(|n| n.kind == Kind::Hardlink);
            if !is_link {
                // A later entry of the same layer replaced the link.
                continue;
            }
            // Every look-up is answered by now: the chain ends at a file or at nothing.
            match self.follow(*source) {
                Source::File(id, size) => {
                    let group = groups.entry(id).or_default();
                    group.0 = size;
                    group.1.push(path.clone());
                }
                _ => {
                    if let Some(i) = self.tree.find(path) {
                        self.tree.nodes[i].size = 0;
                    }
                }
            }
        }
        for (id, (size, mut names)) in groups {
            names.sort();
            let original = self.originals.get(&id).filter(|o| {
                self.tree.find(o).is_some_and(|i| {
                    let n = &self.tree.nodes[i];
                    n.kind == Kind::File && n.layer == id.layer && self.ordinals[i] == id.ordinal
                })
            });
            let canonical = match original {
                Some(o) => o.clone(),
                None => {
                    // The original name is gone: the first remaining name holds the bytes.
                    let first = names.remove(0);
                    if let Some(i) = self.tree.find(&first) {
                        let n = &mut self.tree.nodes[i];
                        n.kind = Kind::File;
                        n.size = size;
                        n.link = None;
                    }
                    first
                }
            };
            for name in names {
                if let Some(i) = self.tree.find(&name) {
                    let n = &mut self.tree.nodes[i];
                    n.size = size;
                    n.link = Some(canonical.clone());
                }
            }
        }
        self.tree
    }
}

impl<'a> LayerWalk<'a> {
    pub(super) fn new(index: usize, desc: &'a Descriptor, stream: Counter) -> LayerWalk<'a> {
        LayerWalk {
            index,
            desc,
            stream,
            hidden: HashMap::new(),
            kept: Kept::default(),
            reread: BTreeMap::new(),
            removed: HashSet::new(),
            opaque_dirs: HashSet::new(),
        }
    }

    fn corrupt(&self, reason: String) -> Error {
        Error::CorruptLayer {
            layer: self.desc.digest.clone(),
            reason,
        }
    }

    /// Applies every entry of the layer's tar; the bytes some wanted names still need are read by
    /// [`LayerWalk::reread`] once the layer has been verified.
    pub(super) fn read_entries<R: Read>(
        &mut self,
        archive: &mut tar::Archive<R>,
        merger: &mut Merger,
        visitors: &mut [&mut dyn FileVisitor],
        stats: &mut LayerStats,
    ) -> Result<()> {
        let entries = archive
            .entries()
            .map_err(|e| tar_error(self.desc, &self.stream, e))?;
        for (ordinal, entry) in entries.enumerate() {
            let ordinal = ordinal as u64;
            let mut entry = entry.map_err(|e| tar_error(self.desc, &self.stream, e))?;
            stats.entries += 1;
            let raw_path = entry.path_bytes();
            let raw_path = String::from_utf8_lossy(&raw_path).into_owned();
            let path = normalize(&raw_path).ok_or_else(|| {
                self.corrupt(format!("entry {raw_path:?} climbs out of the image root"))
            })?;
            if path == "/" {
                continue;
            }
            let name = &path[path.rfind('/').map_or(0, |i| i + 1)..];
            if name == OPAQUE_MARKER {
                stats.whiteouts += 1;
                let dir = parent(&path).to_string();
                let e = merger.opaque.entry(dir.clone()).or_insert(self.index);
                *e = (*e).max(self.index);
                // Only a directory over a waiting target matters (the root is over all).
                if merger.waiting_dirs.contains(&dir) || (dir == "/" && !merger.waiting.is_empty())
                {
                    self.opaque_dirs.insert(dir);
                }
                continue;
            }
            if let Some(hidden_name) = name.strip_prefix(WHITEOUT_PREFIX) {
                stats.whiteouts += 1;
                let p = parent(&path);
                let target = if p == "/" {
                    format!("/{hidden_name}")
                } else {
                    format!("{p}/{hidden_name}")
                };
                // Only a waiting target or a directory over one matters.
                if merger.waiting.contains_key(&target) || merger.waiting_dirs.contains(&target) {
                    self.removed.insert(target.clone());
                }
                let e = merger.whiteouts.entry(target).or_insert(self.index);
                *e = (*e).max(self.index);
                continue;
            }
            let header = entry.header();
            let kind = match header.entry_type() {
                tar::EntryType::Regular
                | tar::EntryType::Continuous
                | tar::EntryType::GNUSparse => Kind::File,
                tar::EntryType::Directory => Kind::Dir,
                tar::EntryType::Symlink => Kind::Symlink,
                tar::EntryType::Link => Kind::Hardlink,
                tar::EntryType::Char => Kind::CharDevice,
                tar::EntryType::Block => Kind::BlockDevice,
                tar::EntryType::Fifo => Kind::Fifo,
                // PAX and GNU long-name headers are consumed by the tar reader; anything else is ignored.
                _ => continue,
            };
            let link_name = || {
                entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            };
            let link = match kind {
                Kind::Symlink => link_name(),
                Kind::Hardlink => {
                    let raw = link_name().unwrap_or_default();
                    let target = normalize(&raw).ok_or_else(|| {
                        self.corrupt(format!(
                            "hard link {path:?} points outside the image root ({raw:?})"
                        ))
                    })?;
                    Some(target)
                }
                _ => None,
            };
            let node = Node {
                kind,
                mode: header.mode().unwrap_or(0) & 0o7777,
                uid: header.uid().unwrap_or(0),
                gid: header.gid().unwrap_or(0),
                size: if kind == Kind::File { entry.size() } else { 0 },
                mtime: header.mtime().unwrap_or(0),
                layer: self.index,
                link,
            };
            if kind != Kind::Dir && merger.waiting_dirs.contains(&path) {
                // A file or link where a lower layer had a directory holding a link's target.
                self.removed.insert(path.clone());
            }
            let hidden = merger.hidden(&path, self.index);
            // Links from higher layers to this path: resolved here even when the path itself is
            // shadowed or deleted from above, since they were made before that happened.
            let answered = merger.take_waiting(&path, self.index);
            let met = Met {
                path,
                node,
                ordinal,
                hidden,
                answered,
            };
            match kind {
                Kind::File => self.file(merger, visitors, met, &mut entry)?,
                Kind::Hardlink => self.link(merger, visitors, met)?,
                _ => self.other(merger, met),
            }
        }
        merger.end_layer(self);
        Ok(())
    }

    /// A regular file: offered under its own name (when final) and under the names of links from
    /// higher layers waiting for it.
    fn file(
        &mut self,
        merger: &mut Merger,
        visitors: &mut [&mut dyn FileVisitor],
        met: Met,
        content: &mut dyn Read,
    ) -> Result<()> {
        let Met {
            path,
            node,
            ordinal,
            hidden,
            answered,
        } = met;
        let id = EntryId {
            layer: self.index,
            ordinal,
        };
        let source = Source::File(id, node.size);
        let mut names: Vec<(String, Node)> = Vec::new();
        if !hidden {
            names.push((path.clone(), node.clone()));
        }
        if !answered.is_empty() {
            merger.originals.insert(id, path.clone());
        }
        for pid in answered {
            let p = &mut merger.pending[pid];
            p.resolved = Some(source);
            for name in std::mem::take(&mut p.names) {
                if let Some(link) = merger.tree.node(&name).filter(|n| n.kind == Kind::Hardlink) {
                    let offered = link.as_file(node.size);
                    names.push((name, offered));
                }
            }
        }
        if let Some(bytes) = offer(visitors, &names, content, true, self.desc, &self.stream)? {
            self.kept.put(ordinal, bytes);
        }
        if hidden {
            self.hidden.insert(path, source);
        } else {
            merger.put(&path, node, ordinal);
        }
        Ok(())
    }

    /// Anything but a regular file or a hard link: it shares no bytes, so links waiting for its path
    /// find nothing.
    fn other(&mut self, merger: &mut Merger, met: Met) {
        for id in met.answered {
            merger.pending[id].resolved = Some(Source::Dangling);
        }
        if met.hidden {
            self.hidden.insert(met.path, Source::Dangling);
        } else {
            merger.put(&met.path, met.node, met.ordinal);
        }
    }

    /// A hard link (its node's `link` is the normalised target): sized and fed from a file earlier
    /// in this layer, or waiting for a lower one.
    fn link(
        &mut self,
        merger: &mut Merger,
        visitors: &mut [&mut dyn FileVisitor],
        met: Met,
    ) -> Result<()> {
        let Met {
            path,
            mut node,
            ordinal,
            hidden,
            answered,
        } = met;
        let target = node.link.as_deref().unwrap_or_default();
        let source = match merger.source_in_layer(target, self.index, &self.hidden) {
            Some(s) => s,
            None => Source::Pending(merger.wait_for(target, self.index)),
        };
        // The names sharing these bytes: this one, and those of links from above to this path.
        let mut names: Vec<String> = Vec::new();
        if !hidden {
            names.push(path.clone());
        }
        for pid in answered {
            let p = &mut merger.pending[pid];
            p.resolved = Some(source);
            names.append(&mut p.names);
        }
        if let Source::File(_, size) = source {
            node.size = size;
        }
        if !hidden {
            merger.put(&path, node.clone(), ordinal);
            merger.links.insert(path.clone(), source);
        } else {
            self.hidden.insert(path.clone(), source);
        }
        match source {
            Source::File(id, size) => {
                let offers: Vec<(String, Node)> = names
                    .into_iter()
                    .filter_map(|n| {
                        let link = merger.tree.node(&n).filter(|l| l.kind == Kind::Hardlink)?;
                        let offered = link.as_file(size);
                        Some((n, offered))
                    })
                    .collect();
                let wanted = offers
                    .iter()
                    .any(|(p, n)| visitors.iter().any(|v| v.wants(p, n)));
                if wanted {
                    match self.kept.bytes.get(&id.ordinal) {
                        Some(bytes) => {
                            offer(
                                visitors,
                                &offers,
                                &mut bytes.as_slice(),
                                false,
                                self.desc,
                                &Counter::default(),
                            )?;
                        }
                        None => self.reread.entry(id.ordinal).or_default().extend(offers),
                    }
                }
            }
            Source::Pending(pid) => {
                // A link to a link that is itself waiting: these names wait at the chain's end.
                if let Source::Pending(open) = merger.follow(Source::Pending(pid)) {
                    merger.pending[open].names.extend(names);
                }
            }
            Source::Dangling => {}
        }
        Ok(())
    }

    /// Reads this layer again for the bytes of earlier files that wanted link names still need
    /// (they went past before the link was met, and were not kept). Only then is a layer read twice
    /// (see the module doc for what it costs).
    pub(super) fn reread(
        &mut self,
        store: &dyn BlobStore,
        visitors: &mut [&mut dyn FileVisitor],
    ) -> Result<()> {
        if self.reread.is_empty() {
            return Ok(());
        }
        let desc = self.desc;
        let mut wanted = std::mem::take(&mut self.reread);
        let mut blob = store.reopen(desc)?;
        {
            let (_, stream) =
                blob::decompress(Box::new(&mut blob)).map_err(|e| map_layer_io(desc, e))?;
            let stream = CountingReader::new(stream);
            let ended = stream.counter();
            let mut archive = tar::Archive::new(stream);
            let entries = archive.entries().map_err(|e| tar_error(desc, &ended, e))?;
            for (ordinal, entry) in entries.enumerate() {
                let mut entry = entry.map_err(|e| tar_error(desc, &ended, e))?;
                if let Some(names) = wanted.remove(&(ordinal as u64)) {
                    offer(visitors, &names, &mut entry, false, desc, &ended)?;
                }
                if wanted.is_empty() {
                    break;
                }
            }
        }
        // The verifier hashes the stored bytes: it must see all of them.
        blob::drain(&mut blob).map_err(|e| map_layer_io(desc, e))?;
        if let Some((ordinal, _)) = wanted.first_key_value() {
            return Err(self.corrupt(format!(
                "entry {ordinal} was not there when the layer was read again"
            )));
        }
        Ok(())
    }
}

/// Offers one file's bytes to every visitor that wants one of its names (a file and the hard links
/// that share it). A lone (visitor, name) pair gets the bytes streamed; several share one buffer.
/// With `keep`, a wanted file up to [`KEEP_FILE`] is read whole and its bytes returned.
fn offer(
    visitors: &mut [&mut dyn FileVisitor],
    names: &[(String, Node)],
    content: &mut dyn Read,
    keep: bool,
    desc: &Descriptor,
    stream: &Counter,
) -> Result<Option<Vec<u8>>> {
    let mut pairs = Vec::new();
    for (vi, v) in visitors.iter().enumerate() {
        for (ni, (path, node)) in names.iter().enumerate() {
            if v.wants(path, node) {
                pairs.push((vi, ni));
            }
        }
    }
    let Some(&(first_v, first_n)) = pairs.first() else {
        return Ok(None);
    };
    // A read error is the layer's (a broken tar stream); any other error is the visitor's own.
    let read_failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut content = Tracked {
        inner: content,
        failed: read_failed.clone(),
    };
    let failed = |ni: usize, e: std::io::Error| {
        if read_failed.load(std::sync::atomic::Ordering::Relaxed) {
            tar_error(desc, stream, e)
        } else {
            Error::io(
                format!("reading {} in layer {}", names[ni].0, desc.digest),
                e,
            )
        }
    };
    let size = names[first_n].1.size;
    let whole = keep && size <= KEEP_FILE;
    if pairs.len() == 1 && !whole {
        visitors[first_v]
            .visit(&names[first_n].0, &names[first_n].1, &mut content)
            .map_err(|e| failed(first_n, e))?;
        return Ok(None);
    }
    let mut buf = Vec::with_capacity(size.min(64 << 20) as usize);
    content
        .read_to_end(&mut buf)
        .map_err(|e| failed(first_n, e))?;
    for (vi, ni) in pairs {
        visitors[vi]
            .visit(&names[ni].0, &names[ni].1, &mut buf.as_slice())
            .map_err(|e| failed(ni, e))?;
    }
    Ok(whole.then_some(buf))
}

/// A layer's tar stream that cannot be read on: truncated when its bytes already ran out, else
/// corrupt.
fn tar_error(desc: &Descriptor, stream: &Counter, e: std::io::Error) -> Error {
    match map_layer_io(desc, e) {
        Error::CorruptLayer { layer, reason } => {
            let what = if stream.ended() {
                "truncated (it ends inside an entry)"
            } else {
                "corrupt"
            };
            Error::CorruptLayer {
                layer,
                reason: format!("tar stream is {what}: {reason}"),
            }
        }
        other => other,
    }
}

pub(super) fn map_layer_io(desc: &Descriptor, e: std::io::Error) -> Error {
    match Error::io(format!("layer {}", desc.digest), e) {
        Error::Io { source, .. } => Error::CorruptLayer {
            layer: desc.digest.clone(),
            reason: crate::error::tar_reason(&source),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_bytes_stay_within_budget_keeping_the_newest_and_the_small() {
        let mut kept = Kept::default();
        kept.put(0, vec![0; 100]);
        kept.put(1, vec![0; KEEP_TOTAL / 2]);
        kept.put(2, vec![0; 200]);
        // Over budget: the largest older file goes, the small one and the newest stay.
        kept.put(3, vec![0; KEEP_TOTAL / 2 + 1]);
        let mut left: Vec<u64> = kept.bytes.keys().copied().collect();
        left.sort();
        assert_eq!(left, [0, 2, 3]);
        assert!(kept.total <= KEEP_TOTAL);
        assert_eq!(kept.total, kept.bytes.values().map(Vec::len).sum::<usize>());
        // A newest file as large as the budget is kept alone.
        kept.put(4, vec![0; KEEP_TOTAL]);
        assert_eq!(kept.bytes.keys().copied().collect::<Vec<_>>(), [4]);
    }
}
