//! Lint one Dockerfile with the bundled facts table and print tty output:
//! `cargo run -p drydock-lint --example lint -- path/to/Dockerfile [tty|json|sarif|checkstyle|github]`.

use drydock_lint::output::{self, Format};
use drydock_lint::{BundledResolver, Config, exit_code, lint_source};
use std::path::Path;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: lint <Dockerfile> [format]");
        std::process::exit(2);
    };
    let format: Format = args
        .next()
        .as_deref()
        .unwrap_or("tty")
        .parse()
        .unwrap_or(Format::Tty);
    let text = match std::fs::read(&path) {
        Ok(b) => String::from_utf8_lossy(&b).to_string(),
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let config = match Config::discover(None, Path::new(&path)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    match lint_source(&path, &text, &config, &BundledResolver) {
        Ok(findings) => {
            let _ = output::write(format, &findings, &[(&path, &text)], &mut std::io::stdout());
            std::process::exit(exit_code(&findings, config.failure_threshold));
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}
