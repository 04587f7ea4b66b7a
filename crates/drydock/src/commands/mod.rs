//! One module per subcommand; each returns the process exit code.

mod inspect;
mod lint;
mod platforms;
mod sbom;

use std::io::IsTerminal;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command, ImageArgs};

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Platforms(a) => platforms::run(&a),
        Command::Inspect(a) => inspect::run(&a),
        Command::Sbom(a) => sbom::run(&a),
        Command::Lint(a) => lint::run(&a),
    }
}

/// Image-reading options from the command line.
pub fn open_options(a: &ImageArgs) -> Result<drydock_image::OpenOptions> {
    let platform = match &a.platform {
        Some(p) => Some(
            drydock_image::Platform::parse(p)
                .with_context(|| format!("--platform {p:?} is not os/arch[/variant]"))?,
        ),
        None => None,
    };
    Ok(drydock_image::OpenOptions {
        platform,
        no_cache: a.no_cache,
        cache_dir: a.cache_dir.clone(),
        insecure_registries: a.insecure_registries.clone(),
        docker_config: a.docker_config.clone(),
        auth_file: a.authfile.clone(),
        progress: !a.quiet && std::io::stderr().is_terminal(),
    })
}
