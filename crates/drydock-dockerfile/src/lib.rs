//! Dockerfile parser that agrees with BuildKit's, with spans for every instruction and flag.
//!
//! [`parse`] mirrors BuildKit's `parser.Parse` (what it accepts and rejects); [`validate`] adds the
//! instruction-level errors BuildKit raises when it turns the AST into build instructions.

pub mod ast;
mod error;
mod mount;
mod parser;
mod shell;
mod stages;
mod validate;

pub use ast::*;
pub use error::{ParseError, ParseErrorKind};
pub use parser::{dump, parse};
pub use shell::{ShellWord, expand, split_words, unquote};
pub use validate::validate;

/// Parse raw bytes: a UTF-8 BOM is dropped and invalid UTF-8 is replaced with U+FFFD (BuildKit reads
/// bytes; Go strings carry invalid sequences along, which only matters for the dump).
pub fn parse_bytes(bytes: &[u8]) -> Result<Dockerfile, ParseError> {
    parse(&String::from_utf8_lossy(bytes))
}
