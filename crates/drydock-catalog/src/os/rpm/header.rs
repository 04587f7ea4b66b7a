//! RPM header blobs as the rpmdb stores them: a count of index entries and of data bytes (both
//! big-endian u32), the 16-byte index entries (tag, type, offset, count), then the data store.
//! Every offset and count is checked against the blob before use.

use std::collections::HashMap;

const TAG_SIGMD5: i32 = 261;
const TAG_NAME: i32 = 1000;
const TAG_VERSION: i32 = 1001;
const TAG_RELEASE: i32 = 1002;
const TAG_EPOCH: i32 = 1003;
const TAG_SUMMARY: i32 = 1004;
const TAG_SIZE: i32 = 1009;
const TAG_VENDOR: i32 = 1011;
const TAG_LICENSE: i32 = 1014;
const TAG_ARCH: i32 = 1022;
const TAG_OLDFILENAMES: i32 = 1027;
const TAG_FILEMODES: i32 = 1030;
const TAG_SOURCERPM: i32 = 1044;
const TAG_PROVIDENAME: i32 = 1047;
const TAG_REQUIRENAME: i32 = 1049;
const TAG_DIRINDEXES: i32 = 1116;
const TAG_BASENAMES: i32 = 1117;
const TAG_DIRNAMES: i32 = 1118;
const TAG_LONGSIZE: i32 = 5009;
const TAG_MODULARITYLABEL: i32 = 5096;

const TYPE_INT16: u32 = 3;
const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's own limits (`hdrblobVerifyInfo`): at most 0xffff tags and 256 MiB of data.
const MAX_ENTRIES: usize = 0xffff;
const MAX_DATA: usize = 0x0fff_ffff;

/// The fields of one installed package's header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RpmPackage {
    pub name: String,
    pub epoch: Option<i32>,
    pub version: String,
    pub release: String,
    pub arch: String,
    pub source_rpm: String,
    pub license: String,
    pub size: Option<u64>,
    pub vendor: String,
    pub summary: String,
    pub modularity_label: String,
    /// Hex of the header+payload MD5 (`SIGMD5`).
    pub sig_md5: String,
    /// Installed paths, directories included, in header order.
    pub files: Vec<String>,
    /// File modes parallel to `files`, when the header has them.
    pub file_modes: Vec<u16>,
    /// Capability names the package provides (`PROVIDENAME`), in header order.
    pub provides: Vec<String>,
    /// Capability names it requires (`REQUIRENAME`), in header order, repeats kept.
    pub requires: Vec<String>,
}

impl RpmPackage {
    /// Roughly the bytes this package takes once decoded (its strings and their bookkeeping), for
    /// bounding what one database may produce.
    pub fn decoded_size(&self) -> usize {
        const S: usize = std::mem::size_of::<String>();
        let list = |v: &[String]| v.iter().map(|x| x.len() + S).sum::<usize>();
        let fields = [
            &self.name,
            &self.version,
            &self.release,
            &self.arch,
            &self.source_rpm,
            &self.license,
            &self.vendor,
            &self.summary,
            &self.modularity_label,
            &self.sig_md5,
        ];
        std::mem::size_of::<Self>()
            + fields.iter().map(|f| f.len()).sum::<usize>()
            + list(&self.files)
            + list(&self.provides)
            + list(&self.requires)
            + self.file_modes.len() * 2
    }

    /// Installed regular files and links (directories left out).
    pub fn owned_files(&self) -> Vec<String> {
        self.files
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                self.file_modes
                    .get(*i)
                    .is_none_or(|m| m & 0o170000 != 0o040000)
            })
            .map(|(_, f)| f.clone())
            .collect()
    }
}

/// Why a header blob could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad rpm header: {0}")]
pub struct HeaderError(pub String);

struct Entry {
    ty: u32,
    offset: usize,
    count: usize,
}

struct Header<'a> {
    entries: HashMap<i32, Entry>,
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    fn parse(blob: &'a [u8]) -> Result<Header<'a>, HeaderError> {
        let err = |m: &str| HeaderError(m.to_string());
        let il = be32(blob, 0).ok_or_else(|| err("shorter than 8 bytes"))? as usize;
        let dl = be32(blob, 4).ok_or_else(|| err("shorter than 8 bytes"))? as usize;
        if il == 0 || il > MAX_ENTRIES {
            return Err(HeaderError(format!("{il} index entries")));
        }
        if dl > MAX_DATA {
            return Err(HeaderError(format!("{dl} data bytes")));
        }
        let data_start = 8 + il * 16;
        if data_start + dl > blob.len() {
            return Err(HeaderError(format!(
                "{il} entries and {dl} data bytes do not fit in {} bytes",
                blob.len()
            )));
        }
        let data = &blob[data_start..data_start + dl];
        let mut entries = HashMap::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * 16;
            let tag = be32(blob, at).unwrap_or(0) as i32;
            let ty = be32(blob, at + 4).unwrap_or(0);
            let offset = be32(blob, at + 8).unwrap_or(0) as i32;
            let count = be32(blob, at + 12).unwrap_or(0) as usize;
            // Region markers (negative offsets into the trailer) and out-of-range entries are skipped.
            if offset < 0 || offset as usize > dl {
                continue;
            }
            entries.entry(tag).or_insert(Entry {
                ty,
                offset: offset as usize,
                count,
            });
        }
        Ok(Header { entries, data })
    }

    fn string(&self, tag: i32) -> Option<String> {
        let e = self.entries.get(&tag)?;
        if !matches!(e.ty, TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY) {
            return None;
        }
        let rest = self.data.get(e.offset..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    fn strings(&self, tag: i32) -> Option<Vec<String>> {
        let e = self.entries.get(&tag)?;
        if e.ty != TYPE_STRING_ARRAY && e.ty != TYPE_STRING {
            return None;
        }
        // Every string takes at least its NUL, so a count beyond the data is a lie.
        if e.count > self.data.len() {
            return None;
        }
        let mut rest = self.data.get(e.offset..)?;
        let mut out = Vec::with_capacity(e.count.min(1024));
        for _ in 0..e.count {
            let end = rest.iter().position(|&b| b == 0)?;
            out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
            rest = &rest[end + 1..];
        }
        Some(out)
    }

    fn ints(&self, tag: i32) -> Option<Vec<i64>> {
        let e = self.entries.get(&tag)?;
        let width = match e.ty {
            TYPE_INT16 => 2,
            TYPE_INT32 => 4,
            TYPE_INT64 => 8,
            _ => return None,
        };
        let bytes = self
            .data
            .get(e.offset..e.offset.checked_add(e.count.checked_mul(width)?)?)?;
        Some(
            bytes
                .chunks_exact(width)
                .map(|c| match width {
                    2 => i16::from_be_bytes([c[0], c[1]]) as i64,
                    4 => i32::from_be_bytes([c[0], c[1], c[2], c[3]]) as i64,
                    _ => i64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
                })
                .collect(),
        )
    }

    fn bin(&self, tag: i32) -> Option<&[u8]> {
        let e = self.entries.get(&tag)?;
        if e.ty != TYPE_BIN {
            return None;
        }
        self.data.get(e.offset..e.offset.checked_add(e.count)?)
    }
}

/// Reads the package fields out of one header blob.
pub fn parse(blob: &[u8]) -> Result<RpmPackage, HeaderError> {
    let h = Header::parse(blob)?;
    let s = |tag| h.string(tag).unwrap_or_default();
    let name = s(TAG_NAME);
    if name.is_empty() {
        return Err(HeaderError("no NAME tag".into()));
    }
    let mut files = Vec::new();
    if let (Some(base), Some(dirs), Some(idx)) = (
        h.strings(TAG_BASENAMES),
        h.strings(TAG_DIRNAMES),
        h.ints(TAG_DIRINDEXES),
    ) {
        // Directory names are shared; joined paths could blow a small blob up enormously.
        let budget = crate::os::decode_limit(blob.len());
        let mut used = 0usize;
        for (b, i) in base.iter().zip(idx.iter()) {
            if let Some(d) = usize::try_from(*i).ok().and_then(|i| dirs.get(i)) {
                // Each path's own bookkeeping counts too: empty names cost memory as well.
                used += d.len() + b.len() + std::mem::size_of::<String>();
                if used > budget {
                    return Err(HeaderError(format!(
                        "file list expands past {budget} bytes from a {}-byte header",
                        blob.len()
                    )));
                }
                files.push(format!("{d}{b}"));
            }
        }
    } else if let Some(old) = h.strings(TAG_OLDFILENAMES) {
        files = old;
    }
    let file_modes = h
        .ints(TAG_FILEMODES)
        .map(|m| m.into_iter().map(|x| x as u16).collect())
        .unwrap_or_default();
    let size = h
        .ints(TAG_LONGSIZE)
        .and_then(|v| v.first().copied())
        .or_else(|| {
            h.ints(TAG_SIZE)
                .and_then(|v| v.first().map(|x| *x as u32 as i64))
        })
        .and_then(|x| u64::try_from(x).ok());
    Ok(RpmPackage {
        name,
        epoch: h.ints(TAG_EPOCH).and_then(|v| v.first().map(|x| *x as i32)),
        version: s(TAG_VERSION),
        release: s(TAG_RELEASE),
        arch: s(TAG_ARCH),
        source_rpm: s(TAG_SOURCERPM),
        license: s(TAG_LICENSE),
        size,
        vendor: s(TAG_VENDOR),
        summary: s(TAG_SUMMARY),
        modularity_label: s(TAG_MODULARITYLABEL),
        sig_md5: h
            .bin(TAG_SIGMD5)
            .map(|b| b.iter().map(|x| format!("{x:02x}")).collect())
            .unwrap_or_default(),
        files,
        file_modes,
        provides: h.strings(TAG_PROVIDENAME).unwrap_or_default(),
        requires: h.strings(TAG_REQUIRENAME).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(entries: &[(i32, u32, u32, u32)], data: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend((entries.len() as u32).to_be_bytes());
        b.extend((data.len() as u32).to_be_bytes());
        for (t, ty, off, cnt) in entries {
            b.extend(t.to_be_bytes());
            b.extend(ty.to_be_bytes());
            b.extend(off.to_be_bytes());
            b.extend(cnt.to_be_bytes());
        }
        b.extend(data);
        b
    }

    #[test]
    fn reads_tags_and_files() {
        let data = b"hello\0/usr/bin/\0hi\0x\0\0\0\0\0\0\0\0\0";
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 0, 1),
                (TAG_DIRNAMES, TYPE_STRING_ARRAY, 6, 1),
                (TAG_BASENAMES, TYPE_STRING_ARRAY, 16, 2),
                (TAG_DIRINDEXES, TYPE_INT32, 21, 2),
            ],
            data,
        );
        let p = parse(&b).unwrap();
        assert_eq!(p.name, "hello");
        assert_eq!(p.files, vec!["/usr/bin/hi", "/usr/bin/x"]);
    }

    #[test]
    fn file_list_amplification_is_refused() {
        // One 64 KiB directory name shared by 100 000 one-byte base names.
        let mut data = b"n\0".to_vec();
        let dir_at = data.len() as u32;
        data.extend(vec![b'd'; 65536]);
        data.push(0);
        let base_at = data.len() as u32;
        for _ in 0..100_000 {
            data.extend(b"x\0");
        }
        while !data.len().is_multiple_of(4) {
            data.push(0);
        }
        let idx_at = data.len() as u32;
        data.extend(vec![0u8; 400_000]);
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 0, 1),
                (TAG_DIRNAMES, TYPE_STRING_ARRAY, dir_at, 1),
                (TAG_BASENAMES, TYPE_STRING_ARRAY, base_at, 100_000),
                (TAG_DIRINDEXES, TYPE_INT32, idx_at, 100_000),
            ],
            &data,
        );
        let e = parse(&b).unwrap_err();
        assert!(e.0.contains("expands"), "{e}");
    }

    #[test]
    fn hostile_headers_fail_cleanly() {
        assert!(parse(&[]).is_err());
        assert!(parse(&[0xff; 8]).is_err());
        // Claims far more data than present.
        let mut b = blob(&[(TAG_NAME, TYPE_STRING, 0, 1)], b"x\0");
        b[4..8].copy_from_slice(&1000u32.to_be_bytes());
        assert!(parse(&b).is_err());
        // A string array whose count exceeds the data, and an unterminated name.
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 0, 1),
                (TAG_BASENAMES, TYPE_STRING_ARRAY, 0, u32::MAX),
            ],
            b"abc",
        );
        assert!(parse(&b).is_err());
        let b = blob(
            &[
                (TAG_NAME, TYPE_STRING, 0, 1),
                (TAG_DIRINDEXES, TYPE_INT32, 0, u32::MAX),
            ],
            b"n\0",
        );
        assert_eq!(parse(&b).unwrap().files, Vec::<String>::new());
    }
}
