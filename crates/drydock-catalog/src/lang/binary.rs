//! Compiled binaries: Go build information ([`super::golang`]) and cargo-auditable dependency
//! lists ([`super::rust`]), from one bounded forward read of each ELF executable.

use std::io::Read;

use drydock_image::Node;
use drydock_image::tree::Kind;

use super::{elf, golang, rust, warning};
use crate::{Cataloger, Context, Package, Warning};

const NAME: &str = "binary";
/// No Go or Rust executable is this small.
const MIN_SIZE: u64 = 1 << 10;
/// Executables larger than this are not read.
const MAX_SIZE: u64 = 512 << 20;
/// Most bytes of one binary kept in memory (its data segments and section table).
const MAX_KEPT: u64 = 256 << 20;

fn in_bin_dir(path: &str) -> bool {
    let dir = super::parent_dir(path);
    dir.ends_with("/bin") || dir.ends_with("/sbin")
}

/// Finds Go and Rust (cargo-auditable) packages in ELF executables.
#[derive(Default)]
pub struct BinaryCataloger {
    packages: Vec<Package>,
    warnings: Vec<Warning>,
}

impl drydock_image::FileVisitor for BinaryCataloger {
    fn wants(&self, path: &str, node: &Node) -> bool {
        node.kind == Kind::File
            && node.size >= MIN_SIZE
            && (node.is_executable() || in_bin_dir(path))
            // An executable jar is the Java cataloger's; two visitors would make the walk buffer it.
            && !super::java::is_archive(super::file_name(path))
    }

    fn visit(&mut self, path: &str, node: &Node, content: &mut dyn Read) -> std::io::Result<()> {
        if node.size > MAX_SIZE {
            let mut magic = [0u8; 4];
            let n = content.take(4).read(&mut magic)?;
            if n == 4 && &magic == b"\x7fELF" {
                self.warnings.push(warning(
                    NAME,
                    path,
                    format!("executable larger than {} MiB, not read", MAX_SIZE >> 20),
                ));
            }
            return Ok(());
        }
        let elf = match elf::read(content, node.size, MAX_KEPT)? {
            Ok(Some(elf)) => elf,
            Ok(None) => return Ok(()),
            Err(e) => {
                self.warnings
                    .push(warning(NAME, path, format!("malformed ELF: {e}")));
                return Ok(());
            }
        };
        let mut found = Vec::new();
        match golang::build_info(&elf) {
            Ok(Some(info)) => found.extend(golang::packages(&info)),
            Ok(None) => {}
            Err(e) => self
                .warnings
                .push(warning(NAME, path, format!("Go build info: {e}"))),
        }
        match rust::audit_packages(&elf) {
            Ok(Some(pkgs)) => found.extend(pkgs),
            Ok(None) => {}
            Err(e) => self
                .warnings
                .push(warning(NAME, path, format!("cargo-auditable data: {e}"))),
        }
        for mut p in found {
            p.locations.push(path.to_string());
            p.layer = Some(node.layer);
            self.packages.push(p);
        }
        Ok(())
    }
}

impl Cataloger for BinaryCataloger {
    fn name(&self) -> &'static str {
        NAME
    }

    fn finish(self: Box<Self>, _ctx: &Context) -> (Vec<Package>, Vec<Warning>) {
        (self.packages, self.warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_image::FileVisitor;

    fn node(size: u64, mode: u32) -> Node {
        Node {
            kind: Kind::File,
            mode,
            uid: 0,
            gid: 0,
            size,
            mtime: 0,
            layer: 0,
            link: None,
        }
    }

    #[test]
    fn wants_executables_and_bin_dirs_only() {
        let c = BinaryCataloger::default();
        assert!(c.wants("/usr/local/share/app/server", &node(1 << 20, 0o755)));
        assert!(c.wants("/usr/local/bin/tool", &node(1 << 20, 0o644)));
        assert!(!c.wants("/usr/share/doc/readme", &node(1 << 20, 0o644)));
        assert!(!c.wants("/usr/bin/tiny", &node(100, 0o755)));
        assert!(!c.wants("/usr/local/bin/app.jar", &node(1 << 20, 0o755)));
    }

    #[test]
    fn oversized_executables_are_warned_not_read() {
        let mut c = BinaryCataloger::default();
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(4096, 0);
        c.visit(
            "/usr/bin/huge",
            &node(MAX_SIZE + 1, 0o755),
            &mut elf.as_slice(),
        )
        .unwrap();
        c.visit(
            "/usr/bin/huge.sh",
            &node(MAX_SIZE + 1, 0o755),
            &mut &b"#!/bin/sh\n"[..],
        )
        .unwrap();
        let (p, w) = Box::new(c).finish(&Context::default());
        assert!(p.is_empty());
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].path, "/usr/bin/huge");
    }

    #[test]
    fn a_size_the_content_does_not_match_is_a_warning() {
        // The header claims program headers beyond the content actually there.
        let mut c = BinaryCataloger::default();
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = 1;
        h[32..40].copy_from_slice(&64u64.to_le_bytes());
        h[54..56].copy_from_slice(&56u16.to_le_bytes());
        h[56..58].copy_from_slice(&4u16.to_le_bytes());
        c.visit("/usr/bin/short", &node(1 << 20, 0o755), &mut h.as_slice())
            .unwrap();
        let (_, w) = Box::new(c).finish(&Context::default());
        assert_eq!(w.len(), 1, "{w:?}");
    }
}
