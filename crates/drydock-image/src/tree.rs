//! The merged file view: layers applied in order with whiteouts, opaque directories, hard links and
//! symlinks, built in one streaming pass per layer and never written to the host.
//!
//! Layers are read from the top down. A path met first is the final one (the layer that last wrote
//! it); anything a higher layer shadowed, whited out or hid under an opaque directory or a non-directory
//! is skipped. So each file's content is offered to the visitors exactly when it is known to be in the
//! final view. Hard links are exact too (see `merge.rs`): a link has its target's size and bytes,
//! and one that outlives its original name becomes a regular file. A layer is decompressed once,
//! except when a visitor wants a hard-linked name whose original's bytes went past earlier in the
//! same layer and were not kept (not wanted, or over the 4 MiB kept): that one layer is then read a
//! second time for them, from the cache for a registry, downloaded again without one (see
//! `merge.rs`).

use std::hash::BuildHasher as _;
use std::io::Read;

use crate::blob::{self, BlobStore};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::oci::Descriptor;
use merge::map_layer_io;

/// What kind of file system object a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Dir,
    Symlink,
    /// Another name of a regular file in the final view: `link` names it, `size` is its size.
    Hardlink,
    CharDevice,
    BlockDevice,
    Fifo,
}

/// One path of the final view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    /// Permission bits including setuid/setgid/sticky (`0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Bytes of content (for hard links, the target's).
    pub size: u64,
    pub mtime: u64,
    /// Index of the layer that last wrote this path (0 = bottom layer).
    pub layer: usize,
    /// Symlink target as written, or, for a hard link, the final path of the regular file it shares.
    pub link: Option<String>,
}

impl Node {
    /// Whether this is a name of a regular file: a file, or a hard link (another name of one).
    pub fn is_regular(&self) -> bool {
        matches!(self.kind, Kind::File | Kind::Hardlink)
    }

    /// Whether a process can run it (regular file with any execute bit).
    pub fn is_executable(&self) -> bool {
        self.is_regular() && self.mode & 0o111 != 0
    }

    /// This name as a visitor is offered it: a regular file of `size` bytes (a hard-linked name
    /// gets the size of the bytes it shares), with no link.
    pub fn as_file(&self, size: u64) -> Node {
        Node {
            kind: Kind::File,
            size,
            link: None,
            ..self.clone()
        }
    }
}

/// Receives the content of final-view files during the walk.
pub trait FileVisitor {
    /// A cheap test on path and metadata: does this visitor want the file's content?
    ///
    /// Every final name of a regular file is asked about, hard-linked names included: those come as a
    /// regular file (`Kind::File`, no `link`) with the size of the bytes they share.
    fn wants(&self, path: &str, node: &Node) -> bool;
    /// The content of a wanted regular file, offered exactly once per name. An error here is the
    /// visitor's own to keep; returning it stops the walk, so catalogers should record a warning and
    /// return `Ok`.
    fn visit(&mut self, path: &str, node: &Node, content: &mut dyn Read) -> std::io::Result<()>;
}

/// Per-layer figures gathered during the walk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayerStats {
    /// The layer blob's digest.
    pub digest: Option<Digest>,
    /// Bytes of the blob as stored (compressed).
    pub compressed_size: u64,
    /// Bytes of the tar stream.
    pub uncompressed_size: u64,
    /// Entries in the layer's tar (files, directories, links, whiteouts).
    pub entries: u64,
    /// Whiteout and opaque markers in the layer.
    pub whiteouts: u64,
    /// Bytes of regular-file content this layer contributes to the final view.
    pub final_bytes: u64,
    /// How the blob was compressed.
    pub compression: Option<blob::Compression>,
}

/// The merged view of an image's (or a directory's) files.
///
/// Stored compactly, because an image can hold hundreds of thousands of paths: every path's bytes
/// sit back to back in one arena, nodes in one vector, and a hash table holds only node indices
/// (hashed by path, compared against the arena). No per-path allocation.
#[derive(Clone, Default)]
pub struct FileTree {
    /// Every path's bytes, back to back, in insertion order.
    arena: String,
    /// Where each node's path starts in `arena`; it ends where the next one starts.
    starts: Vec<usize>,
    nodes: Vec<Node>,
    /// Node indices, hashed by path.
    index: hashbrown::HashTable<u32>,
    /// Random keys: an image's paths must not be able to force hash collisions.
    hasher: std::hash::RandomState,
    /// Per-layer statistics, bottom layer first.
    pub layers: Vec<LayerStats>,
}

impl std::fmt::Debug for FileTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileTree")
            .field("paths", &self.nodes.len())
            .field("layers", &self.layers)
            .finish_non_exhaustive()
    }
}

/// How many symlinks a lookup follows before giving up (Linux's own limit).
const MAX_SYMLINK_HOPS: usize = 40;

impl FileTree {
    /// A tree from ready-made nodes (tests and directory sources).
    pub fn from_nodes(nodes: impl IntoIterator<Item = (String, Node)>) -> FileTree {
        let mut tree = FileTree::default();
        for (p, n) in nodes {
            // A later node for the same path replaces the earlier one.
            match normalize(&p) {
                Some(p) if p != "/" => {
                    tree.insert(&p, n);
                }
                _ => {}
            }
        }
        tree
    }

    fn path_at(&self, i: usize) -> &str {
        path_in(&self.arena, &self.starts, i)
    }

    /// The index of the node at this normalised path.
    fn find(&self, path: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(path);
        self.index
            .find(hash, |&i| self.path_at(i as usize) == path)
            .map(|&i| i as usize)
    }

    /// The node at this normalised path.
    fn node(&self, path: &str) -> Option<&Node> {
        self.find(path).map(|i| &self.nodes[i])
    }

    /// Sets the node at a normalised path, replacing any node there; returns its index.
    pub(crate) fn insert(&mut self, path: &str, node: Node) -> usize {
        let (arena, starts, hasher) = (&self.arena, &self.starts, &self.hasher);
        // One hash and one probe, whether the path is there or not.
        let entry = self.index.entry(
            hasher.hash_one(path),
            |&j| path_in(arena, starts, j as usize) == path,
            |&j| hasher.hash_one(path_in(arena, starts, j as usize)),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => {
                let i = *e.get() as usize;
                self.nodes[i] = node;
                i
            }
            hashbrown::hash_table::Entry::Vacant(e) => {
                let i = self.nodes.len();
                // Four billion paths would need hundreds of gigabytes of nodes first.
                e.insert(u32::try_from(i).expect("fewer than 2^32 paths"));
                self.starts.push(self.arena.len());
                self.arena.push_str(path);
                self.nodes.push(node);
                i
            }
        }
    }

    /// The node at exactly this path (symlinks not followed).
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.node(normalize(path)?.as_str())
    }

    /// Follows symlinks (in every component) inside the image root, never outside it; `None` for a
    /// dangling path or a loop.
    pub fn resolve(&self, path: &str) -> Option<(String, &Node)> {
        let mut hops = 0;
        let mut pending: Vec<String> = components(path).rev().map(str::to_string).collect();
        let mut current = String::new();
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    // At the root `..` stays at the root, as in chroot.
                    if let Some(i) = current.rfind('/') {
                        current.truncate(i);
                    }
                    continue;
                }
                _ => {}
            }
            let candidate = format!("{current}/{part}");
            let Some(node) = self.node(&candidate) else {
                // Layers may omit parent directories; an intermediate component is then implied.
                if pending.is_empty() {
                    return None;
                }
                current = candidate;
                continue;
            };
            if node.kind == Kind::Symlink {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return None;
                }
                let target = node.link.as_deref().unwrap_or("");
                if target.starts_with('/') {
                    current.clear();
                }
                for c in components(target).rev() {
                    pending.push(c.to_string());
                }
                continue;
            }
            current = candidate;
            if !pending.is_empty() && node.kind != Kind::Dir {
                return None;
            }
        }
        if current.is_empty() {
            return None;
        }
        let node = self.node(&current)?;
        Some((current, node))
    }

    /// Whether a path exists after following symlinks.
    pub fn exists(&self, path: &str) -> bool {
        self.resolve(path).is_some()
    }

    /// All paths and nodes, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        order.sort_unstable_by(|&a, &b| self.path_at(a).cmp(self.path_at(b)));
        order.into_iter().map(|i| (self.path_at(i), &self.nodes[i]))
    }

    /// All paths and nodes in no particular order (cheaper).
    pub fn iter_unordered(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (self.path_at(i), n))
    }

    /// Number of paths in the view (files, directories, links…).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the view is empty (e.g. `scratch`).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Regular files (and hard links) in the view.
    pub fn file_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_regular()).count()
    }

    /// Bytes of regular-file content in the final view.
    pub fn content_bytes(&self) -> u64 {
        self.nodes
            .iter()
            .filter(|n| n.kind == Kind::File)
            .map(|n| n.size)
            .sum()
    }

    /// Direct children of a directory (not following symlinks), sorted.
    pub fn children(&self, dir: &str) -> Vec<(&str, &Node)> {
        let Some(dir) = normalize(dir) else {
            return Vec::new();
        };
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let mut out: Vec<(&str, &Node)> = self
            .iter_unordered()
            .filter(|(p, _)| p.starts_with(&prefix) && !p[prefix.len()..].contains('/'))
            .collect();
        out.sort_by_key(|(p, _)| *p);
        out
    }
}

/// The `i`th path of an arena: from where it starts to where the next one does.
fn path_in<'a>(arena: &'a str, starts: &[usize], i: usize) -> &'a str {
    let end = starts.get(i + 1).copied().unwrap_or(arena.len());
    &arena[starts[i]..end]
}

fn components(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

/// Normalises a tar or user path to `/a/b` form; `None` if it climbs above the root.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in components(path) {
        match c {
            "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Some("/".to_string());
    }
    Some(
        parts
            .iter()
            .fold(String::with_capacity(path.len() + 1), |mut s, p| {
                s.push('/');
                s.push_str(p);
                s
            }),
    )
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Strict ancestors of a normalised path, nearest first, without the root.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut end = path.len();
    std::iter::from_fn(move || {
        let i = path[..end].rfind('/')?;
        if i == 0 {
            return None;
        }
        end = i;
        Some(&path[..i])
    })
}

/// How many layers are decompressed ahead of the one being read.
const PREFETCH_LAYERS: usize = 2;
/// Bytes per chunk handed from a decompressing thread to the reading one.
const CHUNK: usize = 256 << 10;
/// Chunks in flight per layer (bounds memory: `CHUNK * CHUNKS_IN_FLIGHT * PREFETCH_LAYERS`).
const CHUNKS_IN_FLIGHT: usize = 8;

/// What a decompressing thread sends to the reader.
enum Msg {
    Start(blob::Compression),
    /// A chunk buffer and how many of its bytes are filled.
    Data(Vec<u8>, usize),
    Fail(Error),
}

/// The two ends of one layer's stream: chunks to the reader, and emptied chunk buffers back to the
/// decompressing thread for reuse (a fresh 256 KiB buffer per chunk costs zeroing and page faults).
struct LayerChannel {
    chunks: std::sync::mpsc::Receiver<Msg>,
    spares: std::sync::mpsc::Sender<Vec<u8>>,
}

/// Reads every layer of `layers` from `store`, top layer first, building the final view and offering
/// each wanted final file to the visitors.
///
/// Fetching, hashing and decompressing run on worker threads (up to [`PREFETCH_LAYERS`] layers ahead);
/// tar parsing and the visitors run on the calling thread, which is where the layer order matters.
pub fn walk_layers(
    store: &dyn BlobStore,
    layers: &[Descriptor],
    visitors: &mut [&mut dyn FileVisitor],
) -> Result<FileTree> {
    let mut merger = merge::Merger::default();
    let mut stats = vec![LayerStats::default(); layers.len()];
    std::thread::scope(|scope| -> Result<()> {
        let spawn = |desc: &Descriptor| {
            let (tx, chunks) = std::sync::mpsc::sync_channel::<Msg>(CHUNKS_IN_FLIGHT);
            let (spares, spare_rx) = std::sync::mpsc::channel::<Vec<u8>>();
            let desc = desc.clone();
            scope.spawn(move || produce(store, &desc, &tx, &spare_rx));
            LayerChannel { chunks, spares }
        };
        let order: Vec<usize> = (0..layers.len()).rev().collect();
        let mut pending = std::collections::VecDeque::new();
        for (n, &index) in order.iter().enumerate() {
            while pending.len() < PREFETCH_LAYERS && n + pending.len() < order.len() {
                pending.push_back(spawn(&layers[order[n + pending.len()]]));
            }
            let channel = pending
                .pop_front()
                .expect("a receiver was queued for this layer");
            stats[index] =
                walk_one_layer(store, channel, &layers[index], index, &mut merger, visitors)?;
        }
        Ok(())
    })?;
    let mut tree = merger.finish();
    for node in &tree.nodes {
        if node.kind == Kind::File {
            stats[node.layer].final_bytes += node.size;
        }
    }
    tree.layers = stats;
    Ok(tree)
}

/// Opens, verifies and decompresses one layer blob, sending the tar stream in chunks. Stops quietly
/// when the reader has hung up (it failed elsewhere).
fn produce(
    store: &dyn BlobStore,
    desc: &Descriptor,
    tx: &std::sync::mpsc::SyncSender<Msg>,
    spares: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    let mut blob = match store.open(desc) {
        Ok(b) => b,
        Err(e) => {
            let _ = tx.send(Msg::Fail(e));
            return;
        }
    };
    // The decompressor borrows the verified blob, so that after a decompression error the rest of
    // the blob can still be read through the verifier: damage is then reported as the digest
    // mismatch it is, not as whatever gzip or tar tripped over first.
    let failure = match decompress_into(&mut blob, tx, spares) {
        // Hung up: the reader failed elsewhere.
        Ok(false) => return,
        // The decompressor may stop at its end marker before the blob's end; the verifier must see
        // every byte.
        Ok(true) => match blob::drain(&mut blob) {
            Ok(_) => return,
            Err(e) => map_layer_io(desc, e),
        },
        Err(Broken::Source(e)) => map_layer_io(desc, e),
        // The stored bytes are what the descriptor says (checked below): the compressed stream
        // itself is damaged, and that is the report.
        Err(Broken::Stream(kind, e)) => Error::CorruptLayer {
            layer: desc.digest.clone(),
            reason: format!("{kind} stream is {}: {e}", truncated_or_corrupt(&e)),
        },
    };
    let failure = match blob::drain(&mut blob).map_err(|e| map_layer_io(desc, e)) {
        Err(e @ (Error::DigestMismatch { .. } | Error::SizeMismatch { .. })) => e,
        _ => failure,
    };
    let _ = tx.send(Msg::Fail(failure));
}

/// "truncated" for a stream that ended early, else "corrupt".
fn truncated_or_corrupt(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        "truncated"
    } else {
        "corrupt"
    }
}

/// Why a layer's stream broke while decompressing.
enum Broken {
    /// Reading the stored blob failed (disk, network, or the verifier's digest check).
    Source(std::io::Error),
    /// The compressed stream is damaged (its bytes read fine).
    Stream(&'static str, std::io::Error),
}

/// Notes whether a read error came from the blob itself rather than from what decodes it.
struct Tracked<R> {
    inner: R,
    failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).inspect_err(|_| {
            self.failed
                .store(true, std::sync::atomic::Ordering::Relaxed)
        })
    }
}

/// Streams the decompressed layer in chunks: `Ok(true)` at its end, `Ok(false)` when the reader hung up.
fn decompress_into(
    blob: &mut Box<dyn Read + Send + '_>,
    tx: &std::sync::mpsc::SyncSender<Msg>,
    spares: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> Result<bool, Broken> {
    let failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tracked = Tracked {
        inner: blob,
        failed: failed.clone(),
    };
    let broken = |kind: Option<blob::Compression>, e: std::io::Error| {
        if failed.load(std::sync::atomic::Ordering::Relaxed) {
            return Broken::Source(e);
        }
        let name = match kind {
            Some(blob::Compression::Gzip) => "gzip",
            Some(blob::Compression::Zstd) => "zstd",
            _ => "compressed",
        };
        Broken::Stream(name, e)
    };
    let (kind, mut stream) = blob::decompress(Box::new(tracked)).map_err(|e| broken(None, e))?;
    if tx.send(Msg::Start(kind)).is_err() {
        return Ok(false);
    }
    loop {
        let mut buf = spares.try_recv().unwrap_or_else(|_| vec![0u8; CHUNK]);
        let mut filled = 0;
        // Fill whole chunks so the reader side sees few, large messages.
        while filled < CHUNK {
            match stream.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(broken(Some(kind), e)),
            }
        }
        if filled == 0 {
            return Ok(true);
        }
        if tx.send(Msg::Data(buf, filled)).is_err() {
            return Ok(false);
        }
    }
}

/// The reading end of a layer's chunk channel.
struct ChannelReader {
    channel: LayerChannel,
    chunk: Vec<u8>,
    /// Filled bytes of `chunk`.
    len: usize,
    pos: usize,
    failure: Option<Error>,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.len {
            match self.channel.chunks.recv() {
                Ok(Msg::Data(c, len)) => {
                    let used = std::mem::replace(&mut self.chunk, c);
                    if !used.is_empty() {
                        // The producer may be gone (it finished); the buffer is then just dropped.
                        let _ = self.channel.spares.send(used);
                    }
                    self.len = len;
                    self.pos = 0;
                }
                Ok(Msg::Start(_)) => {}
                Ok(Msg::Fail(e)) => {
                    let text = e.to_string();
                    self.failure = Some(e);
                    return Err(std::io::Error::other(text));
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.len - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn walk_one_layer(
    store: &dyn BlobStore,
    channel: LayerChannel,
    desc: &Descriptor,
    index: usize,
    merger: &mut merge::Merger,
    visitors: &mut [&mut dyn FileVisitor],
) -> Result<LayerStats> {
    let compression = match channel.chunks.recv() {
        Ok(Msg::Start(kind)) => kind,
        Ok(Msg::Fail(e)) => return Err(e),
        Ok(Msg::Data(..)) | Err(_) => {
            return Err(Error::CorruptLayer {
                layer: desc.digest.clone(),
                reason: "layer stream ended before it began".into(),
            });
        }
    };
    let channel = ChannelReader {
        channel,
        chunk: Vec::new(),
        len: 0,
        pos: 0,
        failure: None,
    };
    let counted_tar = CountingReader::new(channel);
    let tar_bytes = counted_tar.counter();
    let mut archive = tar::Archive::new(counted_tar);
    let mut stats = LayerStats {
        digest: Some(desc.digest.clone()),
        compressed_size: desc.size,
        compression: Some(compression),
        ..LayerStats::default()
    };
    let mut walk = merge::LayerWalk::new(index, desc, tar_bytes.clone());
    let result = walk.read_entries(&mut archive, merger, visitors, &mut stats);
    // Read to the end: the producer verifies the digest only once the whole blob went through, and a
    // failure on its side (digest mismatch, corrupt gzip) explains any tar error it caused.
    let mut channel = archive.into_inner();
    // On a tar error too: the damage that broke the tar stream usually fails the digest at the end,
    // and that is the better report.
    let drained = blob::drain(&mut channel).map(|_| ());
    if let Some(failure) = channel.inner.failure {
        return Err(failure);
    }
    result?;
    drained.map_err(|e| map_layer_io(desc, e))?;
    stats.uncompressed_size = tar_bytes.get();
    walk.reread(store, visitors)?;
    Ok(stats)
}

/// Counts bytes passing through and notes the end of the stream.
struct CountingReader<R> {
    inner: R,
    counter: Counter,
}

/// What went through a [`CountingReader`], readable after the reader moved elsewhere.
#[derive(Clone, Default)]
struct Counter(std::sync::Arc<CounterState>);

#[derive(Default)]
struct CounterState {
    bytes: std::sync::atomic::AtomicU64,
    ended: std::sync::atomic::AtomicBool,
}

impl Counter {
    fn get(&self) -> u64 {
        self.0.bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the stream reached its end (so a parse error after it means it ended too early).
    fn ended(&self) -> bool {
        self.0.ended.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl<R> CountingReader<R> {
    fn new(inner: R) -> Self {
        CountingReader {
            inner,
            counter: Counter::default(),
        }
    }

    fn counter(&self) -> Counter {
        self.counter.clone()
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.counter
                .0
                .ended
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        self.counter
            .0
            .bytes
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

mod merge;
#[cfg(test)]
mod tests;
