//! rpm's own NDB format (`Packages.db`, SUSE): a header, slot pages pointing at blobs, and the blobs
//! (each a 16-byte blob header then an rpm header). Little-endian throughout.

const HEADER_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const SLOTS_PER_PAGE: usize = 4096 / 16;
/// rpm refuses more slot pages than this; so do we (it bounds the slot table).
const MAX_SLOT_PAGES: usize = 2048;
const BLK_SIZE: usize = 16;

/// Why a file is not a readable NDB database.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad NDB file: {0}")]
pub struct NdbError(pub String);

fn le32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Whether the bytes start like an NDB database.
pub fn is_ndb(b: &[u8]) -> bool {
    b.starts_with(HEADER_MAGIC)
}

/// The header blobs of every used slot, in slot order. Blobs are disjoint in a real database; one
/// that repeats or overlaps another is refused (a few kilobytes of slots pointing at one large blob
/// would otherwise be parsed thousands of times).
pub fn blobs(file: &[u8]) -> Result<Vec<&[u8]>, NdbError> {
    let err = |m: String| NdbError(m);
    if !is_ndb(file) {
        return Err(err("wrong magic".into()));
    }
    let version = le32(file, 4).ok_or_else(|| err("truncated header".into()))?;
    let slot_pages = le32(file, 12).ok_or_else(|| err("truncated header".into()))? as usize;
    if version != 0 {
        return Err(err(format!("version {version}")));
    }
    if slot_pages == 0 || slot_pages > MAX_SLOT_PAGES {
        return Err(err(format!("{slot_pages} slot pages")));
    }
    // The file header takes the first two slot-sized entries of the first page.
    let slots = slot_pages * SLOTS_PER_PAGE - 2;
    let mut out = Vec::new();
    // (start, end, slot) of every blob, with its 16-byte blob header.
    let mut spans: Vec<(usize, usize, usize)> = Vec::new();
    for i in 0..slots {
        let at = 32 + i * 16;
        let Some(slot) = file.get(at..at + 16) else {
            return Err(err(format!("slot {i} beyond the end of the file")));
        };
        if &slot[0..4] != SLOT_MAGIC {
            return Err(err(format!("slot {i} has a bad magic")));
        }
        let pkg = le32(slot, 4).unwrap_or(0);
        if pkg == 0 {
            continue;
        }
        let offset = (le32(slot, 8).unwrap_or(0) as usize)
            .checked_mul(BLK_SIZE)
            .ok_or_else(|| err(format!("slot {i}: offset overflows")))?;
        let head = file
            .get(offset..offset + 16)
            .ok_or_else(|| err(format!("slot {i}: blob beyond the end of the file")))?;
        if &head[0..4] != BLOB_MAGIC {
            return Err(err(format!("slot {i}: blob has a bad magic")));
        }
        if le32(head, 4) != Some(pkg) {
            return Err(err(format!(
                "slot {i}: blob belongs to package {}",
                le32(head, 4).unwrap_or(0)
            )));
        }
        let len = le32(head, 12).unwrap_or(0) as usize;
        let blob = file.get(offset + 16..offset + 16 + len).ok_or_else(|| {
            err(format!(
                "slot {i}: blob of {len} bytes beyond the end of the file"
            ))
        })?;
        spans.push((offset, offset + 16 + len, i));
        out.push(blob);
    }
    spans.sort_unstable();
    for w in spans.windows(2) {
        let ((_, end, a), (start, _, b)) = (w[0], w[1]);
        if start < end {
            return Err(err(format!(
                "slots {} and {} point at overlapping blobs",
                a.min(b),
                a.max(b)
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_files() {
        assert!(blobs(b"RpmP").is_err());
        let mut f = vec![0u8; 4096];
        f[0..4].copy_from_slice(HEADER_MAGIC);
        f[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(blobs(&f).is_err());
        f[12..16].copy_from_slice(&1u32.to_le_bytes());
        // Slots without magic.
        assert!(blobs(&f).is_err());
        for i in 0..SLOTS_PER_PAGE - 2 {
            f[32 + i * 16..36 + i * 16].copy_from_slice(SLOT_MAGIC);
        }
        assert_eq!(blobs(&f).unwrap().len(), 0);
        // A used slot pointing far past the end.
        f[36..40].copy_from_slice(&1u32.to_le_bytes());
        f[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(blobs(&f).is_err());
    }
}
