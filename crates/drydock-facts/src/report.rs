//! The `drydock.inspect/v1` report: the serde structs are the JSON format (documented in
//! `docs/inspect.md`, checked by `docs/schemas/inspect-v1.schema.json`).

use std::collections::BTreeMap;

use serde::Serialize;

/// The schema name every report carries.
pub const SCHEMA: &str = "drydock.inspect/v1";

/// Everything `drydock inspect` knows about one image.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Where the image came from and what it is.
    pub identity: Identity,
    /// The distribution and its support status.
    pub os: Os,
    /// The C library.
    pub libc: Libc,
    /// `/bin/sh` and the other shells.
    pub shells: Shells,
    /// Package managers and package databases.
    pub package_managers: PackageManagers,
    /// The runtime part of the image config.
    pub config: RuntimeConfig,
    /// The configured user, resolved.
    pub user: User,
    /// Whether the command and healthcheck can start.
    pub runnability: Runnability,
    /// Sizes, total and per layer.
    pub size: Size,
    /// Setuid/setgid, world-writable paths, build tools, package leftovers.
    pub risk: Risk,
    /// Language runtimes.
    pub runtimes: Vec<Runtime>,
    /// CA certificates and time zone data.
    pub essentials: Essentials,
    /// Problems met while gathering facts that did not stop the run (malformed lines, oversized files).
    pub warnings: Vec<String>,
}

/// Where the image came from and what it is.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Identity {
    /// The source as the user wrote it.
    pub spec: String,
    /// `oci-layout`, `oci-archive`, `docker-archive`, `registry` or `directory`.
    pub source: String,
    /// The registry reference, when pulled from a registry.
    pub reference: Option<String>,
    /// A name or tag found in a local source (e.g. an OCI layout's `ref.name`).
    pub local_name: Option<String>,
    /// Digest of the index the manifest was chosen from.
    pub index_digest: Option<String>,
    /// Digest of the image manifest (none for legacy `docker save` archives).
    pub manifest_digest: Option<String>,
    /// Digest of the config blob.
    pub config_digest: Option<String>,
    /// `os/arch[/variant]` of the chosen image.
    pub platform: Option<String>,
    /// Platforms the index offered (empty for a plain manifest).
    pub index_platforms: Vec<String>,
    /// The config's `created` timestamp as written.
    pub created: Option<String>,
    /// The config's `author`.
    pub author: Option<String>,
    /// The config's labels.
    pub labels: BTreeMap<String, String>,
    /// The manifest's annotations.
    pub manifest_annotations: BTreeMap<String, String>,
    /// Annotations of the index entry that pointed at the manifest.
    pub descriptor_annotations: BTreeMap<String, String>,
    /// The base image, from `org.opencontainers.image.base.{name,digest}` annotations (or labels).
    pub base_image: Option<BaseImage>,
    /// The config's build history.
    pub history: Vec<HistoryEntry>,
}

/// The image this one was built on, as its annotations declare.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BaseImage {
    /// `org.opencontainers.image.base.name`.
    pub name: Option<String>,
    /// `org.opencontainers.image.base.digest`.
    pub digest: Option<String>,
}

/// One build step from the config's history.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HistoryEntry {
    /// When the step ran, as written.
    pub created: Option<String>,
    /// The step's command.
    pub created_by: Option<String>,
    /// The builder's comment.
    pub comment: Option<String>,
    /// True when the step made no layer (ENV, CMD, USER…).
    pub empty_layer: bool,
}

/// The operating system the image's files say it is.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Os {
    /// os-release `ID` (lower case), or inferred from a release file.
    pub id: Option<String>,
    /// os-release `VERSION_ID`.
    pub version_id: Option<String>,
    /// os-release `VERSION_CODENAME`.
    pub codename: Option<String>,
    /// os-release `PRETTY_NAME`.
    pub pretty_name: Option<String>,
    /// `debian`, `alpine`, `rhel`, `wolfi`, `suse`, `arch`, or `unknown`.
    pub family: String,
    /// A finer version from a distribution release file (`/etc/debian_version` 12.8, `/etc/alpine-release`).
    pub release_file_version: Option<String>,
    /// Which file the facts came from.
    pub source: Option<String>,
    /// Support status.
    pub eol: Eol,
}

/// Support status relative to the report's `today`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Eol {
    /// `supported`, `eol`, `unknown` or `rolling`.
    pub state: EolState,
    /// Last day of free security support (including community LTS where it exists), `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Last day of the distribution's regular security support when an LTS phase follows it.
    pub regular_support_until: Option<String>,
    /// True while only the LTS phase still supports this release.
    pub lts: bool,
    /// Days from `as_of` to `date` (negative once past), when there is a date.
    pub days_left: Option<i64>,
    /// Where the date comes from (the bundled table cites its sources).
    pub source: Option<String>,
    /// The date the state was computed for.
    pub as_of: String,
}

/// Support states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EolState {
    /// Supported on `as_of`.
    Supported,
    /// Past its end of support on `as_of`.
    Eol,
    #[default]
    /// Not in the bundled table, or no OS found.
    Unknown,
    /// A rolling release without an end date.
    Rolling,
}

/// The C library the image's programs link against.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Libc {
    /// `glibc`, `musl` or `none` (static binaries only, or scratch).
    pub kind: LibcKind,
    /// Upstream version (`2.36`, `1.2.5`) when known.
    pub version: Option<String>,
    /// The distribution package version when the version came from package metadata.
    pub package_version: Option<String>,
    /// How the version was found: `dpkg`, `apk`, `file-name`, `binary`.
    pub version_source: Option<String>,
    /// Files that show this libc (loader, libc.so).
    pub evidence: Vec<String>,
    /// Another libc also present (e.g. glibc compat on a musl image).
    pub also_present: Vec<LibcKind>,
}

/// C library kinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LibcKind {
    /// The GNU C library.
    Glibc,
    /// musl libc.
    Musl,
    #[default]
    /// Neither: static binaries or scratch.
    None,
}

/// `/bin/sh` and the other shells.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Shells {
    /// `/bin/sh` itself.
    pub sh: ShellInfo,
    /// Shells present (executable) by name: `sh`, `bash`, `dash`, `ash`, `zsh`, `ksh`, `mksh`, `fish`, `busybox`.
    pub available: Vec<ShellInfo>,
}

/// One shell path.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ShellInfo {
    /// The shell's name.
    pub name: String,
    /// The path looked up.
    pub path: String,
    /// Whether it resolves to an executable regular file.
    pub present: bool,
    /// The real file after following symlinks (and hard links).
    pub resolved: Option<String>,
    /// What it is: `dash`, `bash`, `busybox-ash`, `zsh`, `mksh`, `ksh`, `toybox`, `fish` or `unknown`.
    pub kind: Option<String>,
}

/// Package managers and package databases.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PackageManagers {
    /// Executable package managers (`dpkg`, `apt`, `apt-get`, `apk`, `rpm`, `dnf`, `microdnf`, `yum`, `pip`, `pip3`, `npm`…).
    pub tools: Vec<NamedPath>,
    /// Package databases (`dpkg`, `dpkg-status.d`, `apk`, `rpm`), present even when the tool is not.
    pub databases: Vec<NamedPath>,
}

/// A name found at a path.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NamedPath {
    /// What was found (`dpkg`, `pip3`…).
    pub name: String,
    /// Where.
    pub path: String,
}

/// The runtime part of the image config.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RuntimeConfig {
    /// `USER` as written (empty means root).
    pub user: Option<String>,
    /// `WORKDIR`.
    pub working_dir: Option<String>,
    /// `ENTRYPOINT`.
    pub entrypoint: Option<Vec<String>>,
    /// `CMD`.
    pub cmd: Option<Vec<String>>,
    /// `KEY=value` entries.
    pub env: Vec<String>,
    /// Names of environment variables that look like they hold secrets (values never shown).
    pub secret_like_env: Vec<String>,
    /// Exposed ports (`8080/tcp`).
    pub exposed_ports: Vec<String>,
    /// Declared volumes.
    pub volumes: Vec<String>,
    /// The healthcheck as stored.
    pub healthcheck: Option<Healthcheck>,
    /// `STOPSIGNAL`.
    pub stop_signal: Option<String>,
    /// `SHELL`, used by healthcheck `CMD-SHELL`.
    pub shell: Option<Vec<String>>,
    /// `ONBUILD` triggers that run in every image built `FROM` this one.
    pub on_build: Vec<String>,
}

/// The config's healthcheck; durations in nanoseconds as stored.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Healthcheck {
    /// `CMD …`, `CMD-SHELL …` or `NONE`.
    pub test: Vec<String>,
    /// Interval between checks, in nanoseconds.
    pub interval_ns: Option<i64>,
    /// Time a check may take, in nanoseconds.
    pub timeout_ns: Option<i64>,
    /// Start period, in nanoseconds.
    pub start_period_ns: Option<i64>,
    /// Failures before the container is unhealthy.
    pub retries: Option<i64>,
}

/// The user the container runs as.
#[derive(Clone, Debug, Default, Serialize)]
pub struct User {
    /// The config's `USER` (empty string when unset).
    pub spec: String,
    /// The passwd name of the uid.
    pub name: Option<String>,
    /// The uid the process gets.
    pub uid: Option<u64>,
    /// The gid the process gets.
    pub gid: Option<u64>,
    /// The group name of `gid`.
    pub group: Option<String>,
    /// Home directory from passwd.
    pub home: Option<String>,
    /// Login shell from passwd.
    pub login_shell: Option<String>,
    /// Whether the uid is 0.
    pub is_root: bool,
    /// Whether a runtime can resolve the user and group (numeric ids always resolve).
    pub resolved: bool,
    /// Whether the uid has an `/etc/passwd` entry.
    pub in_passwd: bool,
    /// Why it does not resolve, or a note.
    pub why: Option<String>,
}

/// Whether the container's command and healthcheck can start.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Runnability {
    /// ENTRYPOINT + CMD.
    pub command: RunCheck,
    /// The healthcheck test, when the config has one.
    pub healthcheck: Option<RunCheck>,
}

/// The verdict on one command.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunCheck {
    /// The full argv (ENTRYPOINT + CMD), or the healthcheck test.
    pub argv: Vec<String>,
    /// `exec`, `shell` or `none`.
    pub form: String,
    /// The program that must exist (`argv[0]`, or the shell for shell form).
    pub program: Option<String>,
    /// Where the program resolved in the image.
    pub resolved: Option<String>,
    /// The script interpreter from a `#!` line, when the program is a script.
    pub interpreter: Option<String>,
    /// The ELF dynamic loader (PT_INTERP) the program needs, when drydock read its header.
    pub loader: Option<String>,
    /// For shell form: the program the command runs first, when plain to see (not a builtin or expansion).
    pub shell_program: Option<String>,
    /// Where `shell_program` resolved on the image's PATH.
    pub shell_program_resolved: Option<String>,
    /// The verdict.
    pub can_run: bool,
    /// The reason, in one sentence.
    pub why: String,
}

/// Size figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Size {
    /// Sum of the layer blobs as stored.
    pub compressed: u64,
    /// Sum of the layers' tar streams.
    pub uncompressed: u64,
    /// Bytes of regular-file content in the final view.
    pub content_bytes: u64,
    /// Regular files (and hard links) in the final view.
    pub file_count: u64,
    /// Per layer, bottom first.
    pub layers: Vec<LayerSize>,
}

/// One layer's figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LayerSize {
    /// Position, 0 = bottom.
    pub index: usize,
    /// The layer blob's digest.
    pub digest: Option<String>,
    /// Bytes of the blob as stored.
    pub compressed: u64,
    /// Bytes of its tar stream.
    pub uncompressed: u64,
    /// Tar entries, directories and whiteouts included.
    pub entries: u64,
    /// Whiteout and opaque markers.
    pub whiteouts: u64,
    /// Bytes of this layer's files still visible in the final view.
    pub final_bytes: u64,
    /// The matching non-empty history entry's `created_by`.
    pub created_by: Option<String>,
}

/// What an attacker or an auditor would look at first.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Risk {
    /// Files with the setuid or setgid bit.
    pub setuid_setgid: Capped<SpecialFile>,
    /// Paths anyone may write, outside `/tmp`, `/var/tmp` and `/dev/shm`, symlinks excluded.
    pub world_writable: Capped<WorldWritable>,
    /// Compilers and build tools present in the final image.
    pub build_tools: Vec<NamedPath>,
    /// Package-manager caches and lists left behind.
    pub package_leftovers: Vec<Leftover>,
}

/// A list that stops growing at a limit but keeps counting.
#[derive(Clone, Debug, Serialize)]
pub struct Capped<T> {
    /// How many there are in all.
    pub total: u64,
    /// Whether `items` left some out.
    pub truncated: bool,
    /// The first ones, sorted by path.
    pub items: Vec<T>,
}

impl<T> Default for Capped<T> {
    fn default() -> Self {
        Capped {
            total: 0,
            truncated: false,
            items: Vec::new(),
        }
    }
}

impl<T> Capped<T> {
    /// Adds an item, keeping at most `limit`.
    pub(crate) fn push(&mut self, item: T, limit: usize) {
        self.total += 1;
        if self.items.len() < limit {
            self.items.push(item);
        } else {
            self.truncated = true;
        }
    }
}

/// A setuid or setgid file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SpecialFile {
    /// The file.
    pub path: String,
    /// Octal permission bits, e.g. `4755`.
    pub mode: String,
    /// Owner uid.
    pub uid: u64,
    /// Owner gid.
    pub gid: u64,
    /// The setuid bit is set.
    pub setuid: bool,
    /// The setgid bit is set.
    pub setgid: bool,
    /// Index of the layer that last wrote it (0 = bottom).
    pub layer: usize,
}

/// A world-writable path.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WorldWritable {
    /// The path.
    pub path: String,
    /// `file`, `dir`, `hardlink`, `chardevice`, `blockdevice` or `fifo`.
    pub kind: String,
    /// Octal permission bits.
    pub mode: String,
    /// A sticky directory (like /tmp) only lets owners delete their entries.
    pub sticky: bool,
    /// Index of the layer that last wrote it (0 = bottom).
    pub layer: usize,
}

/// A package-manager cache or list directory left in the image.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Leftover {
    /// `apt-lists`, `apt-archives`, `apt-pkgcache`, `apk-cache`, `pip-cache`, `dnf-cache`, `yum-cache`, `npm-cache`, `yarn-cache`.
    pub kind: String,
    /// The cache or list directory.
    pub path: String,
    /// Regular files under it.
    pub files: u64,
    /// Their content bytes.
    pub bytes: u64,
    /// Layers that wrote these files (0 = bottom), ascending.
    pub layers: Vec<usize>,
}

/// A language runtime.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Runtime {
    /// `python`, `node`, `java`, `go`, `ruby`, `perl`, `php`.
    pub name: String,
    /// The version, when found.
    pub version: Option<String>,
    /// How the version was found: `dpkg`, `apk`, `file` (a version file), `path` (a versioned path).
    pub version_source: Option<String>,
    /// The executable or directory that shows the runtime.
    pub path: String,
}

/// Data files many programs need at run time and minimal images often lack.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Essentials {
    /// The CA certificate bundle TLS clients read, when one exists (first of the usual paths).
    pub ca_bundle: Option<String>,
    /// Bytes of that bundle.
    pub ca_bundle_bytes: u64,
    /// Whether `/usr/share/zoneinfo` has time zone files.
    pub zoneinfo: bool,
    /// Regular files under `/usr/share/zoneinfo`.
    pub zoneinfo_files: u64,
}
