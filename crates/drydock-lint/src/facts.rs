//! What a base image really contains, and where that knowledge came from.
//!
//! Rules never look an image up themselves: they ask a [`BaseResolver`]. [`BundledResolver`] answers from a
//! table of well-known images compiled into drydock; the CLI can put a resolver that reads the real image in
//! front of it. Every finding built on a fact names the fact's `source`.

use crate::imageref::ImageRef;
use std::collections::BTreeSet;

/// Which C library an image's userland links against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Libc {
    /// GNU libc (Debian, Ubuntu, RHEL, distroless base/cc, Wolfi).
    Glibc,
    /// musl (Alpine).
    Musl,
    /// No libc at all (scratch, distroless/static).
    None,
}

impl Libc {
    /// Lowercase name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
            Libc::None => "no libc",
        }
    }
}

/// Facts about one base image. `None` in a field means "unknown": rules stay silent on unknowns.
///
/// A resolver that reads a real image (the CLI's `--resolve`) fills it from the image: `shell` = whether
/// `/bin/sh` exists; `libc` from `/lib/ld-musl-*` (musl) or `ld-linux-*` (glibc), `Libc::None` if neither;
/// `user` = the config's `User` (`None` when empty); `entrypoint` = whether the config has one;
/// `binaries` = every executable in the config's `PATH` directories plus their absolute paths (a complete
/// list, so `Some`); `python` from `/usr/{local/,}lib/pythonX.Y`; `node` from the `node` binary's
/// package or headers; `package_manager` from which of apt/apk/dnf/microdnf/yum exist (`Some("")` if
/// none); `build_tools` = the compilers and build tools `drydock-facts` finds (its risk surface);
/// `healthcheck` = whether the config has a `Healthcheck`; `os` = the config's `os`; `source` = e.g. `image oci:/path@sha256:…`. Start from `BaseFacts::default()`, which means
/// "nothing known except that the default user is as given".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseFacts {
    /// Whether `/bin/sh` exists.
    pub shell: Option<bool>,
    /// The C library.
    pub libc: Option<Libc>,
    /// The default user from the image config; `None` means root (the config's empty `User`).
    pub user: Option<String>,
    /// Whether `user` is known (true by default; a table entry without user knowledge sets it false).
    pub user_known: bool,
    /// Python `major.minor` of the interpreter the image ships.
    pub python: Option<String>,
    /// Node.js major version.
    pub node: Option<String>,
    /// The package manager (`apt`, `apk`, `dnf`, `microdnf`, `yum`), `Some("")` for none.
    pub package_manager: Option<String>,
    /// Whether the image config sets an ENTRYPOINT (then a CMD only passes arguments to it).
    pub entrypoint: Option<bool>,
    /// Executables known to be present (absolute paths or bare names); `Some` means the list is complete.
    pub binaries: Option<BTreeSet<String>>,
    /// Executables known to be absent even though `binaries` is not a complete list.
    pub absent: BTreeSet<String>,
    /// Compilers and build tools the image ships (`go`, `gcc`, `javac`…); `Some` means the list is
    /// complete (possibly empty).
    pub build_tools: Option<BTreeSet<String>>,
    /// Whether the image config sets a HEALTHCHECK (`HEALTHCHECK NONE` included: it is a decision too).
    pub healthcheck: Option<bool>,
    /// The operating system the image is built for (`linux`, `windows`), from the config's `os`.
    pub os: Option<String>,
    /// Where these facts came from, e.g. `bundled table: gcr.io/distroless/*` or `image oci:/p@sha256:…`.
    pub source: String,
}

impl Default for BaseFacts {
    fn default() -> Self {
        BaseFacts {
            shell: None,
            libc: None,
            user: None,
            user_known: true,
            python: None,
            node: None,
            package_manager: None,
            entrypoint: None,
            binaries: None,
            absent: BTreeSet::new(),
            build_tools: None,
            healthcheck: None,
            os: None,
            source: String::new(),
        }
    }
}

impl BaseFacts {
    /// Facts known only by their source; fill the fields you know.
    pub fn new(source: impl Into<String>) -> Self {
        BaseFacts {
            source: source.into(),
            ..BaseFacts::default()
        }
    }

    /// Is an executable (bare name or absolute path) present? `None` = unknown.
    pub fn has_binary(&self, name: &str) -> Option<bool> {
        let base = name.rsplit('/').next().unwrap_or(name);
        if let Some(set) = &self.binaries {
            let found = set.contains(name)
                || set.contains(base)
                || set
                    .iter()
                    .any(|p| p.rsplit('/').next() == Some(base) && !name.contains('/'));
            return Some(found);
        }
        if self.absent.contains(base) || self.absent.contains(name) {
            return Some(false);
        }
        None
    }

    /// `Some(true)` if the default user is root, `None` when unknown.
    pub fn runs_as_root(&self) -> Option<bool> {
        if !self.user_known {
            return None;
        }
        Some(match &self.user {
            None => true,
            Some(u) => is_root_user(u),
        })
    }
}

/// `root`, `0`, `0:0`, `root:root`, `0:anything`, empty.
pub fn is_root_user(user: &str) -> bool {
    let u = user.trim();
    let name = u.split(':').next().unwrap_or(u).trim();
    name.is_empty() || name == "root" || name == "0"
}

/// Answers what a base image contains.
pub trait BaseResolver {
    /// Facts for `image_ref` (as written in the Dockerfile, after ARG substitution), or `None` if unknown.
    fn resolve(&self, image_ref: &str) -> Option<BaseFacts>;
}

/// A resolver that knows nothing; every fact-based rule stays silent.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoFacts;

impl BaseResolver for NoFacts {
    fn resolve(&self, _image_ref: &str) -> Option<BaseFacts> {
        None
    }
}

/// Asks each resolver in turn and returns the first answer (e.g. the real image, then the bundled table).
pub struct FirstOf<'a>(pub Vec<&'a dyn BaseResolver>);

impl BaseResolver for FirstOf<'_> {
    fn resolve(&self, image_ref: &str) -> Option<BaseFacts> {
        self.0.iter().find_map(|r| r.resolve(image_ref))
    }
}

/// The table of well-known base images compiled into drydock.
#[derive(Debug, Default, Clone, Copy)]
pub struct BundledResolver;

/// Every executable name under /bin, /sbin, /usr/bin and /usr/sbin of the Alpine minirootfs 3.19.4, 3.20.3
/// and 20240923 (union): what the official `alpine` image ships.
const ALPINE_BINARIES: &str = "[ [[ acpid add-shell addgroup adduser adjtimex apk arch arp arping ash awk base64 basename \
    bbconfig bc beep blkdiscard blkid blockdev brctl bunzip2 busybox bzcat bzip2 cal cat chattr \
    chgrp chmod chown chpasswd chroot chvt cksum clear cmp comm cp cpio crond crontab cryptpw cut \
    date dc dd deallocvt delgroup deluser depmod df diff dirname dmesg dnsdomainname dos2unix du \
    dumpkmap echo egrep eject env ether-wake expand expr factor fallocate false fatattr fbset \
    fbsplash fdflush fdisk fgrep find findfs flock fold free fsck fstrim fsync fuser getconf getent \
    getopt getty grep groups gunzip gzip halt hd head hexdump hostid hostname hwclock iconv id \
    ifconfig ifdown ifenslave ifup init inotifyd insmod install ionice iostat ip ipaddr ipcalc \
    ipcrm ipcs iplink ipneigh iproute iprule iptunnel kbd_mode kill killall killall5 klogd last \
    ldconfig ldd less link linux32 linux64 ln loadfont loadkmap logger login logread losetup ls \
    lsattr lsmod lsof lsusb lzcat lzma lzop lzopcat makemime md5sum mdev mesg microcom mkdir \
    mkdosfs mkfifo mkfs.vfat mknod mkpasswd mkswap mktemp modinfo modprobe more mount mountpoint \
    mpstat mv nameif nanddump nandwrite nbd-client nc netstat nice nl nmeter nohup nologin nproc \
    nsenter nslookup ntpd od openvt partprobe passwd paste pgrep pidof ping ping6 pipe_progress \
    pivot_root pkill pmap poweroff printenv printf ps pscan pstree pwd pwdx raidautorun rdate rdev \
    readahead readlink realpath reboot reformime remove-shell renice reset resize rev rfkill rm \
    rmdir rmmod route run-parts scanelf sed sendmail seq setconsole setfont setkeycodes setlogcons \
    setpriv setserial setsid sh sha1sum sha256sum sha3sum sha512sum showkey shred shuf slattach \
    sleep sort split ssl_client stat strings stty su sum swapoff swapon switch_root sync sysctl \
    syslogd tac tail tar tee test time timeout top touch tr traceroute traceroute6 tree true \
    truncate tty ttysize tunctl udhcpc udhcpc6 umount uname unexpand uniq unix2dos unlink unlzma \
    unlzop unshare unxz unzip uptime usleep uudecode uuencode vconfig vi vlock volname watch \
    watchdog wc wget which who whoami whois xargs xxd xzcat yes zcat zcip";

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn major_minor(v: &str) -> Option<String> {
    let mut it = v.split('.');
    let a = it.next()?;
    let b = it.next()?;
    if a.chars().all(|c| c.is_ascii_digit()) && !a.is_empty() {
        let b: String = b.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !b.is_empty() {
            return Some(format!("{a}.{b}"));
        }
    }
    None
}

fn leading_number(v: &str) -> Option<String> {
    let n: String = v.chars().take_while(|c| c.is_ascii_digit()).collect();
    (!n.is_empty()).then_some(n)
}

fn facts(source: &str) -> BaseFacts {
    let mut f = BaseFacts::new(format!("bundled table: {source}"));
    f.os = Some("linux".into());
    // None of the images in the table sets a HEALTHCHECK in its config.
    f.healthcheck = Some(false);
    f
}

/// A Debian-based "full" official image (no `-slim`, `-alpine`, UBI or Windows tag): built `FROM
/// buildpack-deps`, so it ships gcc, g++ and make.
fn full_debian_variant(tag: &str, f: &BaseFacts) -> bool {
    f.package_manager.as_deref() == Some("apt") && !tag.contains("slim")
}

/// Which compilers a toolchain or "full" official image brings, by image and tag.
fn official_build_tools(official: &str, tag: &str, f: &BaseFacts) -> BTreeSet<String> {
    let linux = f.os.as_deref() == Some("linux");
    let full = full_debian_variant(tag, f);
    let jdk = !tag.contains("jre");
    let mut t: BTreeSet<String> = BTreeSet::new();
    match official {
        "golang" => {
            t.insert("go".into());
            if full {
                t.extend(set(&["gcc", "g++", "make"]));
            }
        }
        // rustc needs a C linker: every Linux variant installs gcc.
        "rust" => {
            t.extend(set(&["rustc", "cargo"]));
            if linux {
                t.insert("gcc".into());
            }
            if full {
                t.extend(set(&["g++", "make"]));
            }
        }
        "gcc" => t.extend(set(&["gcc", "g++", "make"])),
        // buildpack-deps' `-curl` and `-scm` tags are the layers below the one with compilers.
        "python" | "node" | "ruby" | "perl" | "buildpack-deps"
            if full
                && !(official == "buildpack-deps"
                    && (tag.contains("curl") || tag.contains("scm"))) =>
        {
            t.extend(set(&["gcc", "g++", "make"]));
        }
        "eclipse-temurin" | "openjdk" | "amazoncorretto" if jdk => {
            t.insert("javac".into());
        }
        "maven" => t.extend(set(&["mvn", "javac"])),
        "gradle" => t.extend(set(&["gradle", "javac"])),
        _ => {}
    }
    t
}

/// A Windows image: no POSIX shell facts, default shell `cmd /S /C`, user not known.
fn windows(source: &str) -> BaseFacts {
    let mut f = BaseFacts::new(format!("bundled table: {source}"));
    f.os = Some("windows".into());
    f.user_known = false;
    f
}

/// A Debian/Ubuntu or Alpine flavoured official image, judged by its tag's variant suffix.
fn distro_variant(tag: &str, source: &str) -> BaseFacts {
    let mut f = facts(source);
    f.shell = Some(true);
    if tag.contains("alpine") {
        f.libc = Some(Libc::Musl);
        f.package_manager = Some("apk".into());
    } else if tag.contains("ubi") {
        f.libc = Some(Libc::Glibc);
        f.package_manager = Some("microdnf".into());
    } else if tag.contains("windowsservercore") || tag.contains("nanoserver") {
        f = windows(source);
    } else {
        f.libc = Some(Libc::Glibc);
        f.package_manager = Some("apt".into());
    }
    f
}

impl BaseResolver for BundledResolver {
    fn resolve(&self, image_ref: &str) -> Option<BaseFacts> {
        let r = ImageRef::parse(image_ref);
        if r.has_variable() {
            return None;
        }
        if r.is_scratch() {
            let mut f = facts("scratch");
            f.shell = Some(false);
            f.libc = Some(Libc::None);
            f.package_manager = Some(String::new());
            f.binaries = Some(BTreeSet::new());
            f.entrypoint = Some(false);
            return Some(f);
        }
        let name = r.canonical_name();
        let tag = r
            .tag
            .clone()
            .unwrap_or_else(|| "latest".into())
            .to_ascii_lowercase();
        if let Some(img) = name.strip_prefix("gcr.io/distroless/") {
            return Some(distroless(img, &tag));
        }
        if let Some(img) = name.strip_prefix("cgr.dev/chainguard/") {
            return Some(chainguard(img, &tag));
        }
        if name == "mcr.microsoft.com/dotnet/sdk" {
            let mut f = distro_variant(&tag, "mcr.microsoft.com/dotnet/sdk");
            if tag.contains("mariner") || tag.contains("azurelinux") {
                f.package_manager = None;
            }
            f.build_tools = Some(set(&["dotnet"]));
            return Some(f);
        }
        if name.starts_with("mcr.microsoft.com/windows") {
            return Some(windows("mcr.microsoft.com/windows*"));
        }
        let last = name.rsplit('/').next().unwrap_or(&name).to_string();
        if name.contains("ubi8") || name.contains("ubi9") || name.contains("ubi10") {
            return Some(ubi(&name, &last));
        }
        let official = name.strip_prefix("docker.io/library/")?;
        let mut f;
        match official {
            "alpine" => {
                f = facts("alpine");
                f.shell = Some(true);
                f.libc = Some(Libc::Musl);
                f.package_manager = Some("apk".into());
                let mut b: BTreeSet<String> = ALPINE_BINARIES
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                b.extend(set(&["/bin/sh", "/bin/busybox", "/sbin/apk"]));
                f.binaries = Some(b);
                f.entrypoint = Some(false);
            }
            "busybox" => {
                f = facts("busybox");
                f.shell = Some(true);
                f.package_manager = Some(String::new());
                // The applet set depends on the busybox build: only what is certainly absent is listed.
                f.absent = set(&[
                    "curl", "bash", "git", "python3", "python", "node", "apk", "apt-get",
                ]);
            }
            "debian" | "ubuntu" => {
                f = facts(official);
                f.shell = Some(true);
                f.libc = Some(Libc::Glibc);
                f.package_manager = Some("apt".into());
                f.absent = set(&[
                    "curl", "wget", "git", "gcc", "make", "python3", "python", "node",
                ]);
                f.entrypoint = Some(false);
            }
            "python" => {
                f = distro_variant(&tag, "python");
                f.python = major_minor(&tag);
                f.entrypoint = Some(false);
                if tag.contains("alpine") {
                    f.absent = set(&["curl", "bash", "git"]);
                }
                if tag.contains("slim") {
                    f.absent
                        .extend(set(&["curl", "wget", "git", "gcc", "make"]));
                }
            }
            "node" => {
                f = distro_variant(&tag, "node");
                f.node = leading_number(&tag);
                f.entrypoint = Some(true);
                if tag.contains("alpine") {
                    f.absent = set(&["curl", "bash", "git"]);
                }
                if tag.contains("slim") {
                    f.absent.extend(set(&["curl", "wget", "git"]));
                }
            }
            "golang" | "rust" | "gcc" | "eclipse-temurin" | "openjdk" | "amazoncorretto"
            | "ruby" | "php" | "perl" | "maven" | "gradle" | "buildpack-deps" | "nginx"
            | "httpd" | "redis" | "postgres" => {
                f = distro_variant(&tag, official);
                if official == "amazoncorretto" && !tag.contains("alpine") {
                    f.package_manager = Some("yum".into());
                }
            }
            "fedora" | "rockylinux" | "almalinux" | "centos" | "amazonlinux" | "oraclelinux" => {
                f = facts(official);
                f.shell = Some(true);
                f.libc = Some(Libc::Glibc);
                f.package_manager = Some(if official == "centos" { "yum" } else { "dnf" }.into());
            }
            _ => return None,
        }
        f.build_tools = Some(official_build_tools(official, &tag, &f));
        Some(f)
    }
}

fn distroless(img: &str, tag: &str) -> BaseFacts {
    let mut f = facts("gcr.io/distroless/*");
    let debug = tag.contains("debug");
    f.shell = Some(debug);
    f.package_manager = Some(String::new());
    f.user = tag.contains("nonroot").then(|| "nonroot".to_string());
    let family = img.split('-').next().unwrap_or(img);
    let debian = img
        .rsplit('-')
        .next()
        .and_then(|s| s.strip_prefix("debian"))
        .unwrap_or("12")
        .to_string();
    f.libc = Some(if family == "static" {
        Libc::None
    } else {
        Libc::Glibc
    });
    let mut bins = BTreeSet::new();
    if family.starts_with("python") {
        let v = if debian == "11" { "3.9" } else { "3.11" };
        f.python = Some(v.to_string());
        bins.extend(set(&["python3", "/usr/bin/python3", "python"]));
        bins.insert(format!("python{v}"));
    } else if let Some(v) = family.strip_prefix("nodejs") {
        f.node = leading_number(v);
        bins.extend(set(&["node", "/nodejs/bin/node"]));
    } else if family.starts_with("java") {
        bins.extend(set(&["java", "/usr/bin/java"]));
    }
    f.entrypoint = Some(
        family.starts_with("python") || family.starts_with("nodejs") || family.starts_with("java"),
    );
    if debug {
        // busybox's applet list varies by build: the set is not complete, keep what is surely absent.
        f.absent = set(&["curl", "bash", "git", "apk", "apt-get"]);
    } else {
        f.binaries = Some(bins);
    }
    f
}

fn chainguard(img: &str, tag: &str) -> BaseFacts {
    let mut f = facts("cgr.dev/chainguard/*");
    let dev = tag.contains("-dev") || tag == "dev";
    let shell_image = matches!(img, "wolfi-base" | "busybox" | "git" | "bash");
    // Toolchain images are built for RUN steps; whether they ship a shell is not pinned down here.
    let toolchain = matches!(
        img,
        "go" | "rust" | "gcc-glibc" | "maven" | "gradle" | "zig" | "bazel"
    );
    f.shell = if dev || shell_image {
        Some(true)
    } else if toolchain {
        None
    } else {
        Some(false)
    };
    f.libc = Some(if img == "static" {
        Libc::None
    } else {
        Libc::Glibc
    });
    f.user = if img == "wolfi-base" || img == "busybox" {
        None
    } else {
        Some("nonroot".to_string())
    };
    f.package_manager = Some(if dev || img == "wolfi-base" {
        "apk".into()
    } else {
        String::new()
    });
    let version = tag.split('-').next().unwrap_or(tag);
    if matches!(img, "python" | "node" | "static") {
        f.entrypoint = Some(img != "static");
    }
    match img {
        "python" => {
            f.python = major_minor(version);
            if !dev {
                f.binaries = Some(set(&[
                    "python",
                    "python3",
                    "/usr/bin/python",
                    "/usr/bin/python3",
                ]));
            }
        }
        "node" => {
            f.node = leading_number(version);
            if !dev {
                f.binaries = Some(set(&["node", "/usr/bin/node"]));
            }
        }
        "static" => f.binaries = Some(BTreeSet::new()),
        _ if !dev && !shell_image && !toolchain => {
            f.absent = set(&["sh", "bash", "/bin/sh", "curl", "wget", "apk"]);
        }
        _ => {}
    }
    let tools: &[&str] = match img {
        "go" => &["go"],
        "rust" => &["rustc", "cargo"],
        "gcc-glibc" => &["gcc"],
        "maven" => &["mvn", "javac"],
        "gradle" => &["gradle", "javac"],
        "jdk" => &["javac"],
        "zig" => &["zig"],
        _ => &[],
    };
    if !tools.is_empty() {
        f.build_tools = Some(set(tools));
    }
    f
}

fn ubi(name: &str, last: &str) -> BaseFacts {
    let mut f = facts("registry.access.redhat.com/ubi*");
    f.libc = Some(Libc::Glibc);
    f.shell = Some(true);
    if last.ends_with("-micro") || last == "ubi-micro" {
        f.package_manager = Some(String::new());
        f.shell = None;
    } else if last.ends_with("-minimal") || last == "ubi-minimal" {
        f.package_manager = Some("microdnf".into());
    } else {
        f.package_manager = Some(if name.contains("ubi8") { "yum" } else { "dnf" }.into());
    }
    // Red Hat's language images run as user 1001.
    if let Some(v) = last.strip_prefix("python-") {
        f.user = Some("1001".into());
        if v.len() >= 2 && v.bytes().all(|b| b.is_ascii_digit()) {
            f.python = Some(format!("{}.{}", &v[..1], &v[1..]));
        }
    } else if let Some(v) = last.strip_prefix("nodejs-") {
        f.user = Some("1001".into());
        f.node = leading_number(v);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distroless_variants() {
        let r = BundledResolver;
        let s = r
            .resolve("gcr.io/distroless/static-debian12:nonroot")
            .unwrap();
        assert_eq!(s.shell, Some(false));
        assert_eq!(s.runs_as_root(), Some(false));
        assert_eq!(s.libc, Some(Libc::None));
        let d = r.resolve("gcr.io/distroless/base:debug").unwrap();
        assert_eq!(d.shell, Some(true));
        assert_eq!(d.runs_as_root(), Some(true));
        assert_eq!(d.has_binary("curl"), Some(false));
        let p = r.resolve("gcr.io/distroless/python3-debian12").unwrap();
        assert_eq!(p.python.as_deref(), Some("3.11"));
        assert_eq!(p.has_binary("python3"), Some(true));
        assert!(p.source.contains("distroless"));
    }

    #[test]
    fn chainguard_and_official() {
        let r = BundledResolver;
        let c = r.resolve("cgr.dev/chainguard/python:latest").unwrap();
        assert_eq!(c.shell, Some(false));
        assert_eq!(c.runs_as_root(), Some(false));
        let cd = r.resolve("cgr.dev/chainguard/python:latest-dev").unwrap();
        assert_eq!(cd.shell, Some(true));
        let py = r.resolve("python:3.12-slim-bookworm").unwrap();
        assert_eq!(py.python.as_deref(), Some("3.12"));
        assert_eq!(py.libc, Some(Libc::Glibc));
        assert_eq!(py.has_binary("curl"), Some(false));
        let pa = r.resolve("python:3.11-alpine").unwrap();
        assert_eq!(pa.libc, Some(Libc::Musl));
        assert_eq!(
            r.resolve("alpine:3.20").unwrap().has_binary("curl"),
            Some(false)
        );
        assert_eq!(
            r.resolve("alpine:3.20").unwrap().has_binary("/bin/sh"),
            Some(true)
        );
        assert!(r.resolve("example.com/team/app:1").is_none());
        assert!(r.resolve("${BASE}").is_none());
        let micro = r
            .resolve("registry.access.redhat.com/ubi9/ubi-micro")
            .unwrap();
        assert_eq!(micro.package_manager.as_deref(), Some(""));
        let ubipy = r
            .resolve("registry.access.redhat.com/ubi9/python-311")
            .unwrap();
        assert_eq!(ubipy.python.as_deref(), Some("3.11"));
        assert_eq!(ubipy.runs_as_root(), Some(false));
    }

    #[test]
    fn build_tools_by_variant() {
        let r = BundledResolver;
        let tools = |image: &str| -> Vec<String> {
            r.resolve(image)
                .and_then(|f| f.build_tools)
                .map(|t| t.into_iter().collect())
                .unwrap_or_default()
        };
        assert_eq!(tools("golang:1.22"), ["g++", "gcc", "go", "make"]);
        assert_eq!(tools("golang:1.22-alpine"), ["go"]);
        assert_eq!(tools("python:3.12"), ["g++", "gcc", "make"]);
        assert_eq!(tools("python:3.12-bookworm"), ["g++", "gcc", "make"]);
        assert!(tools("python:3.12-slim").is_empty());
        assert!(tools("python:3.12-alpine").is_empty());
        assert_eq!(tools("node:20"), ["g++", "gcc", "make"]);
        assert!(tools("node:20-slim").is_empty());
        assert_eq!(tools("gcc:14"), ["g++", "gcc", "make"]);
        assert_eq!(tools("rust:1.80-slim"), ["cargo", "gcc", "rustc"]);
        assert_eq!(tools("eclipse-temurin:21"), ["javac"]);
        assert!(tools("eclipse-temurin:21-jre").is_empty());
        assert!(tools("buildpack-deps:bookworm-curl").is_empty());
        assert_eq!(tools("cgr.dev/chainguard/go:latest"), ["go"]);
        assert_eq!(tools("mcr.microsoft.com/dotnet/sdk:8.0"), ["dotnet"]);
        assert!(tools("debian:12").is_empty());
        assert!(tools("nginx:1.27").is_empty());
        let py = r.resolve("python:3.12").unwrap();
        assert!(py.build_tools.is_some() && py.source == "bundled table: python");
    }

    #[test]
    fn root_users() {
        for u in ["root", "0", "0:0", "root:root", "0:1000"] {
            assert!(is_root_user(u), "{u}");
        }
        for u in ["nonroot", "65532", "1000:1000", "app"] {
            assert!(!is_root_user(u), "{u}");
        }
    }
}
