//! Named files inside a directory or an (uncompressed) tar archive, opened without extracting.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Read access to the members of a layout, wherever they live.
pub(crate) trait Files: Send + Sync {
    /// Opens a member by its slash-separated relative name.
    fn open(&self, name: &str) -> Result<Box<dyn Read + Send + '_>>;
    /// Whether a member exists.
    fn exists(&self, name: &str) -> bool;
    /// What to call the container in messages.
    fn describe(&self) -> String;

    /// Reads a small member whole, refusing ones over `limit` bytes.
    fn read_small(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.open(name)?
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::io(format!("reading {name} in {}", self.describe()), e))?;
        if out.len() as u64 > limit {
            return Err(Error::malformed(
                format!("{name} in {}", self.describe()),
                format!("larger than {limit} bytes"),
            ));
        }
        Ok(out)
    }
}

/// Members of a directory. Names are validated so that none leaves the directory.
pub(crate) struct DirFiles {
    pub root: PathBuf,
}

fn safe_relative(name: &str) -> Option<&str> {
    let name = name.trim_start_matches("./");
    let ok = !name.is_empty()
        && !name.starts_with('/')
        && name
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    ok.then_some(name)
}

impl Files for DirFiles {
    fn open(&self, name: &str) -> Result<Box<dyn Read + Send + '_>> {
        let rel = safe_relative(name).ok_or_else(|| {
            Error::malformed(
                self.describe(),
                format!("member name {name:?} is not a plain relative path"),
            )
        })?;
        let path = self.root.join(rel);
        let f = File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                Error::NotFound(format!("{} (in {})", rel, self.describe()))
            }
            _ => Error::io(path.display().to_string(), e),
        })?;
        Ok(Box::new(f))
    }

    fn exists(&self, name: &str) -> bool {
        safe_relative(name).is_some_and(|rel| self.root.join(rel).is_file())
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

/// Members of an uncompressed tar file, indexed once by offset and read by seeking.
pub(crate) struct TarFiles {
    path: PathBuf,
    members: HashMap<String, (u64, u64)>,
}

/// Longest chain of symlinks followed between archive members.
const MAX_MEMBER_LINKS: usize = 8;

impl TarFiles {
    /// Indexes the archive's members (regular files, and symlinks `docker save` uses to share layers).
    pub fn index(path: &Path) -> Result<TarFiles> {
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound(path.display().to_string()),
            _ => Error::io(path.display().to_string(), e),
        })?;
        let mut head = [0u8; 4];
        let n = (&file)
            .read(&mut head)
            .map_err(|e| Error::io(path.display().to_string(), e))?;
        if crate::blob::Compression::sniff(&head[..n]) != crate::blob::Compression::None {
            return Err(Error::malformed(
                path.display().to_string(),
                "compressed archive: decompress it first (drydock seeks inside image archives)",
            ));
        }
        (&file)
            .seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(path.display().to_string(), e))?;
        let bad = |e: std::io::Error| {
            Error::malformed(
                path.display().to_string(),
                format!(
                    "not a readable tar archive: {}",
                    crate::error::tar_reason(&e)
                ),
            )
        };
        let mut archive = tar::Archive::new(BufReader::new(file));
        let mut members = HashMap::new();
        let mut links: Vec<(String, String)> = Vec::new();
        // Seeking past members' contents: an index of a large `docker save` archive reads its
        // headers, not its layers.
        for entry in archive.entries_with_seek().map_err(bad)? {
            let entry = entry.map_err(bad)?;
            let name = String::from_utf8_lossy(&entry.path_bytes())
                .trim_start_matches("./")
                .to_string();
            match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    members.insert(name, (entry.raw_file_position(), entry.size()));
                }
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    if let Some(target) = entry.link_name_bytes() {
                        let target = String::from_utf8_lossy(&target).into_owned();
                        let resolved = if entry.header().entry_type() == tar::EntryType::Link {
                            target.trim_start_matches("./").to_string()
                        } else {
                            let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                            crate::tree::normalize(&format!("/{dir}/{target}"))
                                .map(|p| p.trim_start_matches('/').to_string())
                                .unwrap_or_default()
                        };
                        links.push((name, resolved));
                    }
                }
                _ => {}
            }
        }
        for _ in 0..MAX_MEMBER_LINKS {
            let mut progressed = false;
            for (name, target) in &links {
                if !members.contains_key(name)
                    && let Some(&m) = members.get(target)
                {
                    members.insert(name.clone(), m);
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
        Ok(TarFiles {
            path: path.to_path_buf(),
            members,
        })
    }
}

impl TarFiles {
    /// The size of a member, if present.
    pub fn member_size(&self, name: &str) -> Option<u64> {
        self.members
            .get(name.trim_start_matches("./"))
            .map(|&(_, s)| s)
    }
}

impl Files for TarFiles {
    fn open(&self, name: &str) -> Result<Box<dyn Read + Send + '_>> {
        let name = name.trim_start_matches("./");
        let &(offset, size) = self.members.get(name).ok_or_else(|| {
            Error::NotFound(format!("{name} (in archive {})", self.path.display()))
        })?;
        let mut f =
            File::open(&self.path).map_err(|e| Error::io(self.path.display().to_string(), e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(self.path.display().to_string(), e))?;
        Ok(Box::new(f.take(size)))
    }

    fn exists(&self, name: &str) -> bool {
        self.members.contains_key(name.trim_start_matches("./"))
    }

    fn describe(&self) -> String {
        format!("archive {}", self.path.display())
    }
}
