//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Decide and keep your container base image: what is in it, every package, and a Dockerfile policy that
/// knows what its base images contain. Offline, without a Docker engine.
#[derive(Debug, Parser)]
#[command(name = "drydock", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// What is in an image: distro, libc, shells, package managers, user, size, layers, risks.
    Inspect(InspectArgs),
    /// Every package in an image (or a root file system directory) as CycloneDX, SPDX, JSON or a table.
    Sbom(SbomArgs),
    /// Check Dockerfiles against the hardening policy, aware of what their base images contain.
    Lint(LintArgs),
    /// List the platforms an image index offers.
    Platforms(PlatformsArgs),
}

/// How to reach an image.
#[derive(Debug, Args, Clone)]
pub struct ImageArgs {
    /// Platform to pick from a multi-platform image, as os/arch[/variant] (default: this machine's).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Do not read or write the blob cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Blob cache directory (default: $XDG_CACHE_HOME/drydock).
    #[arg(long, value_name = "DIR", env = "DRYDOCK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Allow plain HTTP to this registry (loopback registries always may). Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub insecure_registries: Vec<String>,
    /// Docker config.json to take credentials from.
    #[arg(long, value_name = "FILE")]
    pub docker_config: Option<PathBuf>,
    /// Podman/containers auth.json to take credentials from.
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME], docker://REF or a bare reference.
    ///
    /// A directory holding an `oci-layout` file is read as an OCI image layout. Any other directory
    /// is read as a root file system, walked in place and without an image config (no command,
    /// the user is root): `drydock inspect /` reports on the host itself, without entering other
    /// file systems mounted below (`/proc`, `/sys`…).
    pub image: String,
    #[arg(long, short, value_enum, default_value_t = InspectFormat::Table)]
    pub format: InspectFormat,
    #[command(flatten)]
    pub image_args: ImageArgs,
    /// Date to judge end-of-life against (YYYY-MM-DD; default: today).
    #[arg(long, value_name = "DATE", hide = true, env = "DRYDOCK_TODAY")]
    pub today: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum InspectFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// An image (as for inspect) or a root file system directory.
    pub image: String,
    #[arg(long, short, value_enum, default_value_t = SbomFormat::CyclonedxJson)]
    pub format: SbomFormat,
    /// The base image, whose layers are a prefix of this image's (marks packages as base or added).
    #[arg(long, value_name = "IMAGE")]
    pub base: Option<String>,
    /// Write the SBOM here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub image_args: ImageArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SbomFormat {
    CyclonedxJson,
    SpdxJson,
    Json,
    Table,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Dockerfiles to check; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<String>,
    #[arg(long, short, value_enum, default_value_t = LintFormat::Tty)]
    pub format: LintFormat,
    /// Configuration file (default: .drydock.toml next to the Dockerfile or in a parent up to the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Exit 1 when a finding is at least this severe (overrides the config).
    #[arg(long, value_name = "SEVERITY")]
    pub failure_threshold: Option<String>,
    /// Read each base image's real facts instead of the bundled table.
    #[arg(long)]
    pub resolve: bool,
    /// Take the facts for REF from a local source instead of the bundled table or its registry,
    /// e.g. `python:3.12-slim=oci:./img` (with or without --resolve).
    #[arg(long = "image", value_name = "REF=SOURCE")]
    pub images: Vec<String>,
    #[command(flatten)]
    pub image_args: ImageArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LintFormat {
    Tty,
    Json,
    Sarif,
    Checkstyle,
    Github,
}

#[derive(Debug, Args)]
pub struct PlatformsArgs {
    /// The image (as for inspect).
    pub image: String,
    #[command(flatten)]
    pub image_args: ImageArgs,
}
