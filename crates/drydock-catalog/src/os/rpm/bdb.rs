//! Berkeley DB hash files (`/var/lib/rpm/Packages`): the values of every hash page entry, on
//! overflow pages (where rpm's header blobs almost always are) or, when small, on the page
//! itself. Read from a byte slice, with page numbers, chains and lengths bounded by the file.

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

/// Why a file is not a readable Berkeley DB hash database.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad Berkeley DB file: {0}")]
pub struct BdbError(pub String);

struct Endian(bool);

impl Endian {
    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.0 {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        })
    }
    fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.0 {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        })
    }
}

/// Whether the bytes start like a Berkeley DB hash file.
pub fn is_bdb(b: &[u8]) -> bool {
    b.get(12..16)
        .is_some_and(|m| m == HASH_MAGIC.to_le_bytes() || m == HASH_MAGIC.to_be_bytes())
}

/// Every value in the file, in page order. Each overflow page belongs to one value: a page met a
/// second time (a chain looping, or two entries sharing a chain) is refused, and so values never add
/// up to more bytes than the file holds.
pub fn values(file: &[u8]) -> Result<Vec<Vec<u8>>, BdbError> {
    let err = |m: String| BdbError(m);
    let magic = file
        .get(12..16)
        .ok_or_else(|| err("shorter than its metadata page".into()))?;
    let endian = if magic == HASH_MAGIC.to_le_bytes() {
        Endian(false)
    } else if magic == HASH_MAGIC.to_be_bytes() {
        Endian(true)
    } else {
        return Err(err("not a hash database (wrong magic)".into()));
    };
    let page_size = endian.u32(file, 20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(err(format!("page size {page_size}")));
    }
    let last_page = endian.u32(file, 32).unwrap_or(0) as usize;
    let pages_in_file = file.len() / page_size;
    // The metadata may claim more pages than the file holds (a truncated copy): read what is there.
    let last_page = last_page.min(pages_in_file.saturating_sub(1));
    let page = |n: usize| file.get(n * page_size..(n + 1) * page_size);
    let mut out = Vec::new();
    // The chain each overflow page was read for (0: none yet), and each chain's first page. Every
    // chain claims at least one page of its own, so neither outgrows the page count.
    let mut owner: Vec<u32> = vec![0; pages_in_file];
    let mut chain_starts: Vec<u32> = vec![0];
    // On-page values are copied too: entries pointing at one item again and again must not
    // multiply it, so all values together stay within the file's size.
    let mut copied = 0usize;
    for n in 1..=last_page {
        let Some(p) = page(n) else { break };
        let ty = p[25];
        if ty != P_HASH && ty != P_HASH_UNSORTED {
            continue;
        }
        let entries = endian.u16(p, 20).unwrap_or(0) as usize;
        // Entries alternate key, value; the index array must fit in the page.
        if PAGE_HEADER + entries * 2 > page_size {
            return Err(err(format!("page {n} claims {entries} entries")));
        }
        // Item i spans [inp[i], inp[i-1]), item 0 runs to the end of the page (BDB's LEN_HITEM).
        let inp = |i: usize| endian.u16(p, PAGE_HEADER + i * 2).unwrap_or(0) as usize;
        let item = |i: usize| {
            let end = if i == 0 { page_size } else { inp(i - 1) };
            p.get(inp(i)..end)
        };
        for k in (1..entries).step_by(2) {
            let off = inp(k);
            if p.get(off) == Some(&H_KEYDATA) {
                // A value small enough to sit on the hash page itself. Record 0 is rpm's
                // instance counter, not a header.
                let key = item(k - 1).and_then(|i| i.get(1..)).unwrap_or(&[]);
                if key.iter().all(|&b| b == 0) {
                    continue;
                }
                if let Some(v) = item(k).and_then(|i| i.get(1..)).filter(|v| v.len() >= 8) {
                    copied += v.len();
                    if copied > file.len() {
                        return Err(err(format!(
                            "page {n}: values add up to more than the file's {} bytes",
                            file.len()
                        )));
                    }
                    out.push(v.to_vec());
                }
                continue;
            }
            if p.get(off) != Some(&H_OFFPAGE) {
                continue;
            }
            let first = endian
                .u32(p, off + 4)
                .ok_or_else(|| err(format!("page {n}: entry outside the page")))?;
            let total = endian
                .u32(p, off + 8)
                .ok_or_else(|| err(format!("page {n}: entry outside the page")))?
                as usize;
            if total > file.len() {
                return Err(err(format!(
                    "page {n}: value of {total} bytes in a smaller file"
                )));
            }
            // Grown as pages arrive: a lying length must not reserve memory up front.
            let mut value = Vec::with_capacity(total.min(1 << 20));
            let chain = chain_starts.len() as u32;
            chain_starts.push(first);
            let mut next = first as usize;
            while next != 0 {
                let op = page(next)
                    .ok_or_else(|| err(format!("overflow page {next} beyond the file")))?;
                match owner[next] {
                    0 => owner[next] = chain,
                    c if c == chain => {
                        return Err(err(format!("overflow chain from page {first} loops")));
                    }
                    c if chain_starts[c as usize] == first => {
                        return Err(err(format!(
                            "two values share the overflow chain from page {first}"
                        )));
                    }
                    c => {
                        return Err(err(format!(
                            "two values share overflow page {next} (chains from pages {} and {first})",
                            chain_starts[c as usize]
                        )));
                    }
                }
                if op[25] != P_OVERFLOW {
                    return Err(err(format!("page {next} is not an overflow page")));
                }
                let following = endian.u32(op, 16).unwrap_or(0) as usize;
                let used = endian.u16(op, 22).unwrap_or(0) as usize;
                let chunk = if following == 0 {
                    op.get(PAGE_HEADER..PAGE_HEADER + used)
                        .ok_or_else(|| err(format!("overflow page {next} claims {used} bytes")))?
                } else {
                    &op[PAGE_HEADER..]
                };
                let room = total.saturating_sub(value.len());
                value.extend_from_slice(&chunk[..chunk.len().min(room)]);
                next = following;
            }
            copied += value.len();
            out.push(value);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(size: usize, ty: u8, next: u32, entries: u16, used: u16) -> Vec<u8> {
        let mut p = vec![0u8; size];
        p[16..20].copy_from_slice(&next.to_le_bytes());
        p[20..22].copy_from_slice(&entries.to_le_bytes());
        p[22..24].copy_from_slice(&used.to_le_bytes());
        p[25] = ty;
        p
    }

    fn db(loop_chain: bool) -> Vec<u8> {
        let size = 512;
        let mut meta = vec![0u8; size];
        meta[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        meta[20..24].copy_from_slice(&(size as u32).to_le_bytes());
        meta[32..36].copy_from_slice(&3u32.to_le_bytes());
        let mut hash = page(size, P_HASH, 0, 2, 0);
        // key at 500 (inline), value at 400: offpage entry → page 2, 600 bytes.
        hash[PAGE_HEADER..PAGE_HEADER + 2].copy_from_slice(&500u16.to_le_bytes());
        hash[PAGE_HEADER + 2..PAGE_HEADER + 4].copy_from_slice(&400u16.to_le_bytes());
        hash[400] = H_OFFPAGE;
        hash[404..408].copy_from_slice(&2u32.to_le_bytes());
        hash[408..412].copy_from_slice(&600u32.to_le_bytes());
        let mut o1 = page(size, P_OVERFLOW, 3, 0, 0);
        o1[PAGE_HEADER..].fill(b'a');
        let used = (600 - (size - PAGE_HEADER)) as u16;
        let mut o2 = page(size, P_OVERFLOW, if loop_chain { 2 } else { 0 }, 0, used);
        o2[PAGE_HEADER..PAGE_HEADER + used as usize].fill(b'b');
        [meta, hash, o1, o2].concat()
    }

    #[test]
    fn reads_values_on_the_hash_page() {
        let size = 512;
        let mut meta = vec![0u8; size];
        meta[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        meta[20..24].copy_from_slice(&(size as u32).to_le_bytes());
        meta[32..36].copy_from_slice(&1u32.to_le_bytes());
        let mut hash = page(size, P_HASH, 0, 4, 0);
        // Items from the end down: key 0 [500,512), its counter [490,500), key 1 [480,490),
        // its value [400,480).
        for (i, off) in [500u16, 490, 480, 400].iter().enumerate() {
            hash[PAGE_HEADER + 2 * i..PAGE_HEADER + 2 * i + 2].copy_from_slice(&off.to_le_bytes());
            hash[*off as usize] = H_KEYDATA;
        }
        hash[482] = 1;
        hash[401..480].fill(b'h');
        let v = values(&[meta, hash].concat()).unwrap();
        assert_eq!(v, vec![vec![b'h'; 79]]);
    }

    /// Two values whose chains start apart and meet (2 → 3 and 4 → 3): the page is theirs twice.
    #[test]
    fn refuses_chains_that_merge() {
        let size = 512;
        let mut meta = vec![0u8; size];
        meta[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        meta[20..24].copy_from_slice(&(size as u32).to_le_bytes());
        meta[32..36].copy_from_slice(&4u32.to_le_bytes());
        let mut hash = page(size, P_HASH, 0, 4, 0);
        let total = (size - PAGE_HEADER + 10) as u32;
        for (i, (off, first)) in [(500u16, 0u32), (400, 2), (380, 0), (300, 4)]
            .into_iter()
            .enumerate()
        {
            hash[PAGE_HEADER + 2 * i..PAGE_HEADER + 2 * i + 2].copy_from_slice(&off.to_le_bytes());
            if first != 0 {
                let o = off as usize;
                hash[o] = H_OFFPAGE;
                hash[o + 4..o + 8].copy_from_slice(&first.to_le_bytes());
                hash[o + 8..o + 12].copy_from_slice(&total.to_le_bytes());
            }
        }
        let head_a = page(size, P_OVERFLOW, 3, 0, 0);
        let tail = page(size, P_OVERFLOW, 0, 0, 10);
        let head_b = page(size, P_OVERFLOW, 3, 0, 0);
        let file = [meta, hash, head_a, tail, head_b].concat();
        let e = values(&file).unwrap_err();
        assert_eq!(
            e.0,
            "two values share overflow page 3 (chains from pages 2 and 4)"
        );
        // Without the second value, the first chain reads whole.
        let mut one = file.clone();
        one[size + 20..size + 22].copy_from_slice(&2u16.to_le_bytes());
        assert_eq!(values(&one).unwrap()[0].len(), total as usize);
    }

    #[test]
    fn reads_overflow_chains_and_refuses_loops() {
        let v = values(&db(false)).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].len(), 600);
        assert_eq!(v[0][0], b'a');
        assert_eq!(v[0][599], b'b');
        assert!(values(&db(true)).is_err());
        assert!(values(b"not a database at all").is_err());
        let mut truncated = db(false);
        truncated.truncate(1100);
        assert!(values(&truncated).is_err());
    }
}
