//! Just enough of an ELF file, read from a stream in one forward pass with bounded buffering.
//!
//! The walk hands over file content as a stream, but section headers sit at the end of the file
//! while the sections they describe come before. So the program headers (at the start) decide
//! what to keep: the section header table, the unloaded bytes before it (`.shstrtab`, and
//! cargo-auditable's `.dep-v0`, which is not a loaded section) and, in Go binaries (known by
//! their build-id note), the writable data segments (`.go.buildinfo` and what it points at).
//! Everything else streams past: machine code and read-only data, the bulk of a binary, and the
//! writable data of other binaries. Some of it is scanned on the way, keeping small windows: in
//! Go binaries the read-only data for the strings pre-1.18 build information points at, in other
//! binaries the writable data for a build info header (a Go binary whose note was stripped).

use std::io::{self, Read};

const MAGIC: &[u8; 4] = b"\x7fELF";
/// Program headers beyond this offset are not read (real ones follow the 64-byte header).
const MAX_HEAD: u64 = 64 << 10;
const MAX_PHNUM: usize = 512;
const MAX_SHNUM: u64 = 65_535;
/// Unloaded bytes (debug info, symbols, `.dep-v0`, `.shstrtab`) kept before the section header
/// table: all of them up to `MAX_TAIL`, else the last `TAIL_WINDOW` (`.shstrtab` is last with GNU
/// ld, and `.dep-v0` sits after the debug sections, just before the symbol tables).
const TAIL_WINDOW: u64 = 16 << 20;
const MAX_TAIL: u64 = 32 << 20;

const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const SHT_NOBITS: u32 = 8;

/// A loadable segment.
#[derive(Clone, Debug)]
pub struct Segment {
    pub offset: u64,
    pub filesz: u64,
    pub vaddr: u64,
    pub flags: u32,
}

/// A section header (name empty when `.shstrtab` was not kept).
#[derive(Clone, Debug)]
pub struct Section {
    pub name: String,
    pub kind: u32,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
}

/// The kept parts of an ELF file.
#[derive(Debug, Default)]
pub struct Elf {
    pub big_endian: bool,
    pub is_64: bool,
    pub segments: Vec<Segment>,
    pub sections: Vec<Section>,
    /// Whether the build-id note says the Go toolchain linked it.
    pub go_note: bool,
    /// Kept bytes: (file offset, data), sorted, not overlapping.
    kept: Vec<(u64, Vec<u8>)>,
}

impl Elf {
    /// Kept bytes at `[offset, offset + len)`, if they were kept.
    pub fn bytes(&self, offset: u64, len: u64) -> Option<&[u8]> {
        let end = offset.checked_add(len)?;
        // Scan windows may sit inside larger ranges, so look at every range starting before.
        let last = self.kept.partition_point(|(o, _)| *o <= offset);
        self.kept[..last].iter().rev().find_map(|(start, data)| {
            if end > start + data.len() as u64 {
                return None;
            }
            let from = usize::try_from(offset - start).ok()?;
            data.get(from..from + usize::try_from(len).ok()?)
        })
    }

    /// Kept bytes from `offset` to the end of the kept range holding it.
    pub fn bytes_from(&self, offset: u64) -> Option<&[u8]> {
        let i = self
            .kept
            .partition_point(|(o, _)| *o <= offset)
            .checked_sub(1)?;
        let (start, data) = &self.kept[i];
        data.get(usize::try_from(offset - start).ok()?..)
    }

    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// A section's content, if it has some in the file and it was kept.
    pub fn section_data(&self, s: &Section) -> Option<&[u8]> {
        if s.kind == SHT_NOBITS {
            return None;
        }
        self.bytes(s.offset, s.size)
    }

    /// Bytes at a virtual address, through the loadable segments.
    pub fn read_vaddr(&self, addr: u64, len: u64) -> Option<&[u8]> {
        let seg = self.segments.iter().find(|s| {
            addr >= s.vaddr
                && addr
                    .checked_add(len)
                    .is_some_and(|end| end <= s.vaddr.saturating_add(s.filesz))
        })?;
        self.bytes(seg.offset + (addr - seg.vaddr), len)
    }

    /// Bytes kept in memory.
    pub fn kept_bytes(&self) -> u64 {
        self.kept.iter().map(|(_, d)| d.len() as u64).sum()
    }

    /// Kept bytes inside writable segments (whole segments, or windows where the build info
    /// magic was seen): (file offset, bytes).
    pub fn writable_data(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.kept
            .iter()
            .filter(|(o, _)| {
                self.segments
                    .iter()
                    .any(|s| s.flags & PF_W != 0 && *o >= s.offset && *o < s.offset + s.filesz)
            })
            .map(|(o, d)| (*o, d.as_slice()))
    }

    pub fn u16(&self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }

    pub fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }

    pub fn u64(&self, b: &[u8]) -> u64 {
        let a: [u8; 8] = b[..8].try_into().unwrap_or_default();
        if self.big_endian {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    }

    /// A pointer-sized word (`ptr_size` 4 or 8) at the start of `b`.
    pub fn word(&self, b: &[u8], ptr_size: usize) -> Option<u64> {
        match ptr_size {
            4 if b.len() >= 4 => Some(u64::from(self.u32(b))),
            8 if b.len() >= 8 => Some(self.u64(b)),
            _ => None,
        }
    }
}

/// Reads an ELF file from a stream. `Ok(None)` when the content is not ELF (scripts, data).
/// `budget` bounds the bytes kept; a file needing more is refused with an error.
pub fn read(
    content: &mut dyn Read,
    size: u64,
    budget: u64,
) -> io::Result<Result<Option<Elf>, String>> {
    let mut head = vec![0u8; 64];
    let n = read_full(content, &mut head)?;
    if n < 52 || &head[..4] != MAGIC {
        return Ok(Ok(None));
    }
    let is_64 = match head[4] {
        1 => false,
        2 => true,
        _ => return Ok(Err("unknown ELF class".to_string())),
    };
    let big_endian = match head[5] {
        1 => false,
        2 => true,
        _ => return Ok(Err("unknown ELF byte order".to_string())),
    };
    if is_64 && n < 64 {
        return Ok(Err("truncated ELF header".to_string()));
    }
    let mut elf = Elf {
        big_endian,
        is_64,
        ..Elf::default()
    };
    let (phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx) = if is_64 {
        (
            elf.u64(&head[32..]),
            elf.u64(&head[40..]),
            u64::from(elf.u16(&head[54..])),
            u64::from(elf.u16(&head[56..])),
            u64::from(elf.u16(&head[58..])),
            u64::from(elf.u16(&head[60..])),
            u64::from(elf.u16(&head[62..])),
        )
    } else {
        (
            u64::from(elf.u32(&head[28..])),
            u64::from(elf.u32(&head[32..])),
            u64::from(elf.u16(&head[42..])),
            u64::from(elf.u16(&head[44..])),
            u64::from(elf.u16(&head[46..])),
            u64::from(elf.u16(&head[48..])),
            u64::from(elf.u16(&head[50..])),
        )
    };
    let min_ph = if is_64 { 56 } else { 32 };
    if phnum == 0 {
        // Object files and the like: no loadable segments, nothing the catalogers read.
        return Ok(Ok(None));
    }
    if phentsize < min_ph || phnum as usize > MAX_PHNUM {
        return Ok(Err(format!(
            "implausible program header table ({phnum} × {phentsize} bytes)"
        )));
    }
    let ph_end = phoff.saturating_add(phentsize * phnum);
    if phoff < 52 || ph_end > MAX_HEAD || ph_end > size {
        return Ok(Err(format!(
            "program headers at {phoff:#x} are outside the first {MAX_HEAD} bytes"
        )));
    }
    head.resize(ph_end.max(64) as usize, 0);
    if read_full(content, &mut head[64.min(ph_end as usize)..])?
        < (ph_end as usize).saturating_sub(64)
    {
        return Ok(Err("truncated program headers".to_string()));
    }
    let mut notes = Vec::new();
    for i in 0..phnum {
        let p = &head[(phoff + i * phentsize) as usize..];
        let (kind, flags, offset, vaddr, filesz) = if is_64 {
            (
                elf.u32(p),
                elf.u32(&p[4..]),
                elf.u64(&p[8..]),
                elf.u64(&p[16..]),
                elf.u64(&p[32..]),
            )
        } else {
            (
                elf.u32(p),
                elf.u32(&p[24..]),
                u64::from(elf.u32(&p[4..])),
                u64::from(elf.u32(&p[8..])),
                u64::from(elf.u32(&p[16..])),
            )
        };
        let Some(end) = offset.checked_add(filesz).filter(|&e| e <= size) else {
            return Ok(Err(format!("segment {i} extends past the end of the file")));
        };
        match kind {
            PT_LOAD if filesz > 0 => elf.segments.push(Segment {
                offset,
                filesz,
                vaddr,
                flags,
            }),
            PT_NOTE if end <= MAX_HEAD => notes.push((offset, filesz)),
            _ => {}
        }
    }
    // Notes follow the program headers closely: read on to the end of the last one.
    let notes_end = notes.iter().map(|&(o, l)| o + l).max().unwrap_or(0);
    if notes_end > head.len() as u64 {
        let old = head.len();
        head.resize(notes_end as usize, 0);
        if read_full(content, &mut head[old..])? < notes_end as usize - old {
            return Ok(Err("truncated note segment".to_string()));
        }
    }
    elf.go_note = notes
        .iter()
        .any(|&(o, l)| has_go_note(&elf, &head[o as usize..(o + l) as usize]));

    // The ranges worth keeping: writable data (Go build info), the section table and the unloaded
    // bytes before it (`.shstrtab`, cargo-auditable's `.dep-v0`).
    let mut want: Vec<(u64, u64)> = Vec::new();
    let mut scans: Vec<(u64, u64, Scan)> = Vec::new();
    for s in &elf.segments {
        let (a, b) = (s.offset, s.offset + s.filesz);
        if s.flags & PF_X != 0 {
            continue;
        }
        if s.flags & PF_W != 0 {
            if elf.go_note {
                // Pre-1.18 build info points at string headers anywhere in writable data.
                want.push((a, b));
            } else {
                // Not linked by Go, as far as the notes say: keep only what follows a build info
                // header, should there be one.
                scans.push((a, b, Scan::BuildInfo));
            }
        } else if elf.go_note {
            scans.push((a, b, Scan::GoStrings));
        }
    }
    let sh_size = shentsize.saturating_mul(shnum);
    let min_sh = if is_64 { 64 } else { 40 };
    let has_sections = shoff > 0 && shnum > 0 && shnum <= MAX_SHNUM && shentsize >= min_sh;
    if has_sections && shoff.checked_add(sh_size).is_some_and(|e| e <= size) {
        want.push((shoff, shoff + sh_size));
        let loaded_end = elf
            .segments
            .iter()
            .map(|s| s.offset + s.filesz)
            .max()
            .unwrap_or(0);
        if shoff > loaded_end {
            let from = if shoff - loaded_end <= MAX_TAIL {
                loaded_end
            } else {
                shoff - TAIL_WINDOW
            };
            want.push((from, shoff));
        }
    }
    let want = merge(want);
    let total: u64 = want.iter().map(|(a, b)| b - a).sum();
    if total > budget {
        return Ok(Err(format!(
            "would need {} MiB of the file kept in memory, more than the {} MiB allowed",
            total >> 20,
            budget >> 20
        )));
    }
    // Scanned ranges stream past, keeping small windows (Go binaries older than 1.18 point from
    // the build info into read-only data at strings only known once writable data is reached).
    let mut steps: Vec<(u64, u64, Option<Scan>)> =
        want.iter().map(|&(a, b)| (a, b, None)).collect();
    for (a, b, scan) in scans {
        if !want.iter().any(|&(x, y)| a < y && x < b) {
            steps.push((a, b, Some(scan)));
        }
    }
    steps.sort_unstable_by_key(|&(a, b, _)| (a, b));

    // One forward pass collecting the ranges.
    let mut pos = head.len() as u64;
    for (start, end, scan) in steps {
        if let Some(scan) = scan {
            let start = start.max(pos);
            if end <= start {
                continue;
            }
            if !skip(content, start - pos)? {
                return Ok(Err("file shorter than its headers say".to_string()));
            }
            let Some(windows) = scan_windows(content, start, end - start, scan)? else {
                return Ok(Err("file shorter than its headers say".to_string()));
            };
            elf.kept.extend(windows);
            pos = end;
            continue;
        }
        let mut data = Vec::with_capacity((end - start) as usize);
        if start < pos {
            let overlap_end = end.min(pos).min(head.len() as u64);
            if let Some(h) = head.get(start as usize..overlap_end as usize) {
                data.extend_from_slice(h);
            }
        } else {
            if !skip(content, start - pos)? {
                return Ok(Err("file shorter than its headers say".to_string()));
            }
            pos = start;
        }
        if end > pos {
            let need = end - pos;
            let got = (&mut *content).take(need).read_to_end(&mut data)?;
            if (got as u64) < need {
                return Ok(Err("file shorter than its headers say".to_string()));
            }
            pos = end;
        }
        elf.kept.push((start, data));
    }
    elf.kept.sort_by_key(|(o, _)| *o);
    if has_sections {
        read_sections(&mut elf, shoff, shentsize, shnum, shstrndx);
    }
    Ok(Ok(Some(elf)))
}

fn read_sections(elf: &mut Elf, shoff: u64, shentsize: u64, shnum: u64, shstrndx: u64) {
    let Some(table) = elf.bytes(shoff, shentsize * shnum) else {
        return;
    };
    let mut sections = Vec::with_capacity(shnum as usize);
    let mut names = Vec::with_capacity(shnum as usize);
    for i in 0..shnum {
        let h = &table[(i * shentsize) as usize..];
        let (name, kind, addr, offset, size) = if elf.is_64 {
            (
                elf.u32(h),
                elf.u32(&h[4..]),
                elf.u64(&h[16..]),
                elf.u64(&h[24..]),
                elf.u64(&h[32..]),
            )
        } else {
            (
                elf.u32(h),
                elf.u32(&h[4..]),
                u64::from(elf.u32(&h[12..])),
                u64::from(elf.u32(&h[16..])),
                u64::from(elf.u32(&h[20..])),
            )
        };
        names.push(name);
        sections.push(Section {
            name: String::new(),
            kind,
            addr,
            offset,
            size,
        });
    }
    let strtab = sections
        .get(shstrndx as usize)
        .filter(|s| s.kind != SHT_NOBITS)
        .and_then(|s| elf.bytes(s.offset, s.size))
        .map(<[u8]>::to_vec);
    if let Some(strtab) = strtab {
        for (s, &n) in sections.iter_mut().zip(&names) {
            if let Some(rest) = strtab.get(n as usize..) {
                let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
                s.name = String::from_utf8_lossy(&rest[..end]).into_owned();
            }
        }
    }
    elf.sections = sections;
}

/// Whether a note segment holds the Go toolchain's build-id note (owner `Go`, type 4).
fn has_go_note(elf: &Elf, mut notes: &[u8]) -> bool {
    while notes.len() >= 12 {
        let namesz = elf.u32(notes) as usize;
        let descsz = elf.u32(&notes[4..]) as usize;
        let kind = elf.u32(&notes[8..]);
        let name_end = 12usize.saturating_add(namesz);
        if notes
            .get(12..name_end)
            .is_some_and(|n| n.starts_with(b"Go\0"))
            && kind == 4
        {
            return true;
        }
        let next = name_end.div_ceil(4) * 4 + descsz.div_ceil(4) * 4;
        if next == 0 || next > notes.len() {
            return false;
        }
        notes = &notes[next..];
    }
    false
}

fn merge(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.retain(|(a, b)| b > a);
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Discards `n` bytes; `false` when the stream ends first.
fn skip(content: &mut dyn Read, n: u64) -> io::Result<bool> {
    Ok(io::copy(&mut (&mut *content).take(n), &mut io::sink())? == n)
}

/// What a streamed range is searched for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scan {
    /// `go1.` and module-information starts (strings pre-1.18 build info points at).
    GoStrings,
    /// The build info magic at a 16-byte aligned offset.
    BuildInfo,
}

/// The start of the module information string (pre-1.18 binaries have it in read-only data).
const MODINFO_START: &[u8; 16] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
const BUILDINFO_MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// Bytes kept after each `go1.`, and after each module-information start or build info header.
const VERSION_WINDOW: usize = 64;
const LONG_WINDOW: usize = 1 << 20;
/// Windows kept per binary at most (a Go binary has a handful of `go1.` strings).
const MAX_WINDOWS: usize = 512;

/// Kept bytes: (file offset, data).
type Window = (u64, Vec<u8>);

/// How many bytes to keep from `rest` (which starts at file offset `at`), 0 for none.
fn window_at(scan: Scan, rest: &[u8], at: u64) -> usize {
    match scan {
        Scan::GoStrings if rest.starts_with(b"go1.") => VERSION_WINDOW,
        Scan::GoStrings if rest.starts_with(MODINFO_START) => LONG_WINDOW,
        Scan::BuildInfo if at.is_multiple_of(16) && rest.starts_with(BUILDINFO_MAGIC) => {
            LONG_WINDOW
        }
        _ => 0,
    }
}

/// Streams `len` bytes, keeping a window wherever `scan` finds a start. Memory: two long windows
/// at a time plus the windows kept. `None` when the stream ends early.
fn scan_windows(
    content: &mut dyn Read,
    start: u64,
    len: u64,
    scan: Scan,
) -> io::Result<Option<Vec<Window>>> {
    let first: &[u8] = match scan {
        Scan::GoStrings => b"g0",
        Scan::BuildInfo => b"\xff",
    };
    let mut out: Vec<Window> = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(2 * LONG_WINDOW);
    let mut buf_start = start;
    let mut remaining = len;
    loop {
        let want = (2 * LONG_WINDOW - buf.len()) as u64;
        let got = (&mut *content)
            .take(want.min(remaining))
            .read_to_end(&mut buf)? as u64;
        remaining -= got;
        if got == 0 && remaining > 0 {
            return Ok(None);
        }
        let at_end = remaining == 0;
        // Scan match starts in the first half only (unless at the end), so every window fits.
        let scan_to = if at_end {
            buf.len()
        } else {
            buf.len().min(LONG_WINDOW)
        };
        let mut i = 0;
        while i < scan_to && out.len() < MAX_WINDOWS {
            let Some(k) = buf[i..scan_to].iter().position(|b| first.contains(b)) else {
                break;
            };
            let p = i + k;
            let rest = &buf[p..];
            let window = window_at(scan, rest, buf_start + p as u64);
            if window > 0 {
                out.push((
                    buf_start + p as u64,
                    rest[..window.min(rest.len())].to_vec(),
                ));
            }
            i = p + 1;
        }
        if at_end {
            return Ok(Some(out));
        }
        buf.drain(..scan_to);
        buf_start += scan_to as u64;
    }
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_elf_is_none() {
        assert!(
            read(&mut &b"#!/bin/sh\necho hi\n"[..], 18, 1 << 20)
                .unwrap()
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn hostile_headers_are_errors() {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(MAGIC);
        h[4] = 2;
        h[5] = 1;
        // Program headers claimed far away.
        h[32..40].copy_from_slice(&(1u64 << 40).to_le_bytes());
        h[54..56].copy_from_slice(&56u16.to_le_bytes());
        h[56..58].copy_from_slice(&3u16.to_le_bytes());
        assert!(read(&mut h.as_slice(), 64, 1 << 20).unwrap().is_err());
        // Truncated after the header.
        h[32..40].copy_from_slice(&64u64.to_le_bytes());
        assert!(read(&mut h.as_slice(), 1 << 20, 1 << 20).unwrap().is_err());
        // Bad class.
        h[4] = 9;
        assert!(read(&mut h.as_slice(), 64, 1 << 20).unwrap().is_err());
    }

    /// A C program (the shell) is read keeping only its section table and unloaded tail.
    #[test]
    fn plain_binary_keeps_little() {
        let bytes = std::fs::read("/bin/sh").expect("/bin/sh");
        let elf = read(&mut bytes.as_slice(), bytes.len() as u64, 256 << 20)
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(!elf.go_note);
        assert!(elf.section(".text").is_some(), "section names read");
        assert!(
            elf.kept_bytes() * 20 < bytes.len() as u64,
            "kept {} of {}",
            elf.kept_bytes(),
            bytes.len()
        );
    }

    #[test]
    fn merge_ranges() {
        assert_eq!(
            merge(vec![(5, 10), (0, 3), (8, 12), (20, 20)]),
            vec![(0, 3), (5, 12)]
        );
    }
}
