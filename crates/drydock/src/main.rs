//! The drydock command line: parses arguments, calls the libraries, maps results to exit codes
//! (0 ok, 1 findings at or above the failure threshold, 2 error).

mod cli;
mod commands;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A panic is a bug, but the user still gets one line and exit code 2, never a backtrace dump.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let _ = writeln!(
            std::io::stderr(),
            "drydock: internal error (please report): {}",
            one_line(&msg)
        );
    }));
    let args = cli::Cli::parse();
    match std::panic::catch_unwind(|| commands::run(args)) {
        Ok(Ok(code)) => ExitCode::from(code),
        // A closed pipe (`drydock … | head`) is the reader's choice, not an error.
        Ok(Err(e)) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            let _ = writeln!(
                std::io::stderr(),
                "drydock: error: {}",
                one_line(&chain(&e))
            );
            ExitCode::from(2)
        }
        Err(_) => ExitCode::from(2),
    }
}

/// Errors are one line: newlines inside messages (from files or servers) are folded.
/// Control characters (from a hostile registry or file) are shown as `?` so they cannot drive the terminal.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Whether writing to a closed pipe (`drydock … | head`) caused the error, however it was wrapped:
/// every subcommand's output path ends here, so none of them reports it.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            // serde_json keeps the io::Error inside without exposing it as a source.
            || c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(BrokenPipe)
    })
}

/// The error and its causes, leaving out causes whose text the message already carries (library
/// errors often embed their source).
pub(crate) fn chain(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if msg.contains(&text) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&text);
    }
    msg
}
