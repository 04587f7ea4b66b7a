//! A zip archive read front to back through its local file headers, for archives too large to hold
//! in memory (zip's central directory is at the end, so random access would need the whole file).
//!
//! Each entry's data follows its local header. Its compressed size is in the header, or, when the
//! writer streamed it (flag bit 3, as `jar` does for deflated entries), in a data descriptor after
//! the data: a deflate stream ends by itself, so it is inflated to find its end. A stored entry of
//! unknown size cannot be stepped over, and ends the reading with an error. Bytes before the first
//! local header (a launch script prepended to an executable jar) are skipped.

use std::io::{self, BufRead, Read};

const LOCAL: [u8; 4] = *b"PK\x03\x04";
const DESCRIPTOR: [u8; 4] = *b"PK\x07\x08";
/// How far into the stream the first local header is looked for.
const MAX_PREFIX: u64 = 1 << 20;
/// Bytes an archive's entries of unknown size may inflate to while being stepped over.
const MAX_STEP_INFLATE: u64 = 2 << 30;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

/// One entry's local header.
pub(crate) struct Entry {
    pub name: String,
    /// Uncompressed size, when the header gives it.
    pub size: Option<u64>,
}

/// Calls `visit` with each readable entry's name and uncompressed content, in archive order, and
/// returns how many entries there were. `visit` need not read the content to its end. An encrypted
/// entry, or one compressed by a method other than stored or deflate, is stepped over unvisited.
pub(crate) fn for_each_entry(
    r: &mut dyn BufRead,
    max_entries: usize,
    visit: impl FnMut(&Entry, &mut dyn Read) -> io::Result<()>,
) -> Result<usize, String> {
    for_each_entry_within(r, max_entries, MAX_STEP_INFLATE, visit)
}

/// [`for_each_entry`], with entries of unknown size inflating to at most `max_step` bytes while
/// they are stepped over.
fn for_each_entry_within(
    r: &mut dyn BufRead,
    max_entries: usize,
    max_step: u64,
    mut visit: impl FnMut(&Entry, &mut dyn Read) -> io::Result<()>,
) -> Result<usize, String> {
    let at = |count: usize, what: &str| format!("entry {}: {what}", count + 1);
    skip_prefix(r).map_err(|e| format!("no zip local header found: {e}"))?;
    let mut count = 0;
    // Bytes inflated only to find where entries of unknown size end.
    let mut stepped = 0u64;
    loop {
        let mut sig = LOCAL;
        if count > 0 {
            match read_exact_or_end(r, &mut sig) {
                Ok(false) => return Ok(count),
                Ok(true) => {}
                Err(e) => return Err(at(count, &e.to_string())),
            }
        }
        if sig != LOCAL {
            // The central directory (or another trailing record): every entry has been seen.
            return Ok(count);
        }
        if count == max_entries {
            return Err(format!("more than {max_entries} entries"));
        }
        let mut h = [0u8; 26];
        r.read_exact(&mut h)
            .map_err(|e| at(count, &format!("truncated local header: {e}")))?;
        let u16_at = |i: usize| u16::from_le_bytes([h[i], h[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let (flags, method) = (u16_at(2), u16_at(4));
        let (mut csize, mut usize_) = (u64::from(u32_at(14)), u64::from(u32_at(18)));
        let (name_len, extra_len) = (usize::from(u16_at(22)), usize::from(u16_at(24)));
        let mut name = vec![0u8; name_len];
        let mut extra = vec![0u8; extra_len];
        r.read_exact(&mut name)
            .and_then(|()| r.read_exact(&mut extra))
            .map_err(|e| at(count, &format!("truncated local header: {e}")))?;
        let name = String::from_utf8_lossy(&name).into_owned();
        let zip64 = zip64_sizes(&extra, &mut usize_, &mut csize);
        let streamed = flags & 0x08 != 0;
        let entry = Entry {
            name,
            size: (!streamed).then_some(usize_),
        };
        let encrypted = flags & 0x01 != 0;
        let failed = |e: io::Error| at(count, &format!("{}: {e}", entry.name));
        match (streamed, method) {
            (false, _) => {
                let mut raw = (&mut *r).take(csize);
                if !encrypted && method == DEFLATED {
                    // What the visitor left unread is stepped over compressed, not inflated.
                    let mut inflated = flate2::bufread::DeflateDecoder::new(&mut raw);
                    visit(&entry, &mut inflated).map_err(failed)?;
                } else if !encrypted && method == STORED {
                    visit(&entry, &mut raw).map_err(failed)?;
                }
                io::copy(&mut raw, &mut io::sink()).map_err(failed)?;
                if raw.limit() > 0 {
                    return Err(at(count, &format!("{}: truncated", entry.name)));
                }
            }
            (true, DEFLATED) if !encrypted => {
                let mut inflated = flate2::bufread::DeflateDecoder::new(&mut *r);
                visit(&entry, &mut inflated).map_err(failed)?;
                // Its end is only found by inflating it: bounded, so that a bomb costs little time.
                let left = max_step - stepped;
                let n = io::copy(&mut (&mut inflated).take(left + 1), &mut io::sink())
                    .map_err(failed)?;
                if n > left {
                    return Err(at(
                        count,
                        &format!(
                            "{}: entries of unknown size expand to more than {} MiB; the rest is not read",
                            entry.name,
                            max_step >> 20
                        ),
                    ));
                }
                stepped += n;
                skip_descriptor(r, zip64).map_err(failed)?;
            }
            (true, _) => {
                return Err(at(
                    count,
                    &format!(
                        "{}: stored or encrypted with its size after the data; the rest cannot be read in one pass",
                        entry.name
                    ),
                ));
            }
        }
        count += 1;
    }
}

/// Steps over anything before the first local header (at most [`MAX_PREFIX`] bytes), and over
/// that header's signature.
fn skip_prefix(r: &mut dyn BufRead) -> io::Result<()> {
    let mut matched = 0;
    let mut skipped = 0u64;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Err(io::Error::other("the stream ended"));
        }
        let mut used = 0;
        for &b in buf {
            if skipped + used as u64 > MAX_PREFIX {
                return Err(io::Error::other(format!(
                    "not within the first {} KiB",
                    MAX_PREFIX >> 10
                )));
            }
            used += 1;
            // No byte of the signature after its first is a `P`, so a mismatch restarts simply.
            matched = if b == LOCAL[matched] {
                matched + 1
            } else {
                usize::from(b == LOCAL[0])
            };
            if matched == LOCAL.len() {
                r.consume(used);
                return Ok(());
            }
        }
        r.consume(used);
        skipped += used as u64;
    }
}

/// Reads the zip64 extra field's sizes where the header's are saturated; whether it was there.
fn zip64_sizes(mut extra: &[u8], usize_: &mut u64, csize: &mut u64) -> bool {
    while extra.len() >= 4 {
        let id = u16::from_le_bytes([extra[0], extra[1]]);
        let len = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let Some(data) = extra.get(4..4 + len) else {
            return false;
        };
        if id == 0x0001 {
            let mut fields = data
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
            if *usize_ == u64::from(u32::MAX) {
                *usize_ = fields.next().unwrap_or(*usize_);
            }
            if *csize == u64::from(u32::MAX) {
                *csize = fields.next().unwrap_or(*csize);
            }
            return true;
        }
        extra = &extra[4 + len..];
    }
    false
}

/// Steps over a data descriptor: an optional signature, the CRC, then both sizes (8 bytes each
/// for a zip64 entry, else 4).
fn skip_descriptor(r: &mut dyn BufRead, zip64: bool) -> io::Result<()> {
    let buf = r.fill_buf()?;
    if buf.len() >= 4 && buf[..4] == DESCRIPTOR {
        r.consume(4);
    }
    let len = if zip64 { 4 + 16 } else { 4 + 8 };
    let mut rest = vec![0u8; len];
    r.read_exact(&mut rest)
}

/// Fills `buf`; `Ok(false)` at a clean end of stream (no byte read).
fn read_exact_or_end(r: &mut dyn BufRead, buf: &mut [u8]) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "truncated header",
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Counts the bytes read through it.
pub(crate) struct Counted<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Counted<R> {
    pub fn new(inner: R) -> Self {
        Counted { inner, count: 0 }
    }

    pub fn count(&self) -> u64 {
        self.count
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A zip of `entries` (name, bytes, deflated?), sizes in the local headers (`streamed` false)
    /// or in data descriptors after the data (`streamed` true, as a writer that cannot seek does).
    fn zip_of(entries: &[(&str, &[u8], bool)], streamed: bool) -> Vec<u8> {
        fn write_all<W: Write + std::io::Seek>(
            w: &mut zip::ZipWriter<W>,
            entries: &[(&str, &[u8], bool)],
        ) {
            for (name, bytes, deflated) in entries {
                let method = if *deflated {
                    zip::CompressionMethod::Deflated
                } else {
                    zip::CompressionMethod::Stored
                };
                let opts = zip::write::SimpleFileOptions::default().compression_method(method);
                w.start_file(*name, opts).unwrap();
                w.write_all(bytes).unwrap();
            }
        }
        if streamed {
            let mut out = Vec::new();
            let mut w = zip::ZipWriter::new_stream(&mut out);
            write_all(&mut w, entries);
            w.finish().unwrap();
            out
        } else {
            let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            write_all(&mut w, entries);
            w.finish().unwrap().into_inner()
        }
    }

    /// Each entry's name, declared size and content.
    type Entries = Vec<(String, Option<u64>, Vec<u8>)>;

    fn read(bytes: &[u8]) -> Result<Entries, String> {
        let mut got = Vec::new();
        for_each_entry(&mut &bytes[..], 100, |e, content| {
            let mut data = Vec::new();
            content.read_to_end(&mut data)?;
            got.push((e.name.clone(), e.size, data));
            Ok(())
        })
        .map(|n| {
            assert_eq!(n, got.len());
            got
        })
    }

    #[test]
    fn entries_with_sizes_in_headers_or_in_descriptors() {
        let big: Vec<u8> = (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect();
        for streamed in [false, true] {
            // A writer that cannot seek puts even a stored entry's size after it, which one pass
            // cannot step over (see below): streamed archives here deflate everything, as `jar`.
            let entries: [(&str, &[u8], bool); 3] = [
                ("a.txt", b"alpha", streamed),
                ("b/big.bin", &big, true),
                ("c.txt", b"gamma gamma gamma", true),
            ];
            let bytes = zip_of(&entries, streamed);
            let got = read(&bytes).unwrap_or_else(|e| panic!("streamed {streamed}: {e}"));
            let names: Vec<&str> = got.iter().map(|(n, _, _)| n.as_str()).collect();
            assert_eq!(
                names,
                ["a.txt", "b/big.bin", "c.txt"],
                "streamed {streamed}"
            );
            assert_eq!(got[1].2, big, "streamed {streamed}");
            assert_eq!(got[2].2, b"gamma gamma gamma", "streamed {streamed}");
            if !streamed {
                assert_eq!(got[1].1, Some(big.len() as u64));
            }
            // A visitor that reads nothing still gets every entry, in order.
            let mut seen = 0;
            for_each_entry(&mut &bytes[..], 100, |_, _| {
                seen += 1;
                Ok(())
            })
            .unwrap();
            assert_eq!(seen, 3);
        }
    }

    #[test]
    fn a_prefix_before_the_first_header_is_skipped() {
        let zip = zip_of(&[("x", b"1", false)], false);
        let mut bytes = b"#!/bin/sh\nexec java -jar \"$0\"\n".to_vec();
        bytes.extend_from_slice(&zip);
        assert_eq!(read(&bytes).unwrap()[0].0, "x");
        let mut far = vec![b'P'; (MAX_PREFIX + 10) as usize];
        far.extend_from_slice(&zip);
        assert!(read(&far).unwrap_err().contains("no zip local header"));
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        assert!(read(b"").is_err());
        assert!(read(b"not a zip at all").is_err());
        assert!(read(b"PK\x03\x04short").is_err());
        let noise: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let bytes = zip_of(&[("a", &noise, false), ("b", b"bb", true)], false);
        for cut in 1..bytes.len() {
            let _ = read(&bytes[..cut]);
        }
        // Cut inside an entry's data.
        assert!(read(&bytes[..2500]).unwrap_err().contains("truncated"));
        // A stored entry whose size comes after its data cannot be stepped over.
        let mut stored = zip_of(&[("s", b"stored", false)], false);
        stored[6] |= 0x08;
        assert!(
            read(&stored)
                .unwrap_err()
                .contains("cannot be read in one pass")
        );
        // Too many entries.
        let many: Vec<(String, &[u8], bool)> = (0..101)
            .map(|i| (format!("e{i}"), &b""[..], false))
            .collect();
        let refs: Vec<(&str, &[u8], bool)> =
            many.iter().map(|(n, b, d)| (n.as_str(), *b, *d)).collect();
        assert!(
            read(&zip_of(&refs, false))
                .unwrap_err()
                .contains("more than 100")
        );
    }

    #[test]
    fn stepping_over_entries_of_unknown_size_is_bounded() {
        let zeros = vec![0u8; 3 << 20];
        let bytes = zip_of(&[("one", &zeros, true), ("two", &zeros, true)], true);
        let entries = |max_step| {
            let mut names = Vec::new();
            let done = for_each_entry_within(&mut &bytes[..], 10, max_step, |e, _| {
                names.push(e.name.clone());
                Ok(())
            });
            (names, done)
        };
        let (names, done) = entries(8 << 20);
        assert_eq!((names.len(), done), (2, Ok(2)));
        let (names, done) = entries(5 << 20);
        assert_eq!(names, ["one", "two"]);
        assert!(done.unwrap_err().contains("expand to more than 5 MiB"));
    }
}
