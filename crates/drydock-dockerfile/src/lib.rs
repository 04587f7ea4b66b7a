//! Dockerfile parser that agrees with BuildKit's, with spans for every instruction and flag.
//!
//! [`parse`] mirrors BuildKit's `parser.Parse` (what it accepts and rejects); [`validate`] adds the
//! instruction-level errors BuildKit raises when it turns the AST into build instructions.
//!
//! ```
//! use drydock_dockerfile::{parse, validate, InstructionKind};
//!
//! let df = parse("ARG TAG=3.19\nFROM alpine:${TAG} AS base\nRUN --mount=type=cache,target=/var/cache/apk \\\n    apk add curl\nUSER 1000\n")?;
//! assert_eq!(df.stages[0].name.as_deref(), Some("base"));
//! assert_eq!(df.stages[0].from.image_expanded, "alpine:3.19");
//! let run = &df.instructions[2];
//! assert_eq!(run.kind, InstructionKind::Run);
//! assert_eq!((run.span.start_line, run.span.end_line), (3, 4));
//! assert_eq!(run.mounts()[0].as_ref().unwrap().kind, "cache");
//! assert!(validate(&df).is_empty());
//! # Ok::<(), drydock_dockerfile::ParseError>(())
//! ```

#![warn(missing_docs)]

pub mod ast;
mod error;
mod goprint;
mod mount;
mod parser;
mod scope;
mod shell;
mod stages;
mod validate;

pub use ast::*;
pub use error::{ParseError, ParseErrorKind};
pub use parser::{dump, parse};
pub use scope::Scope;
pub use shell::{ShellWord, expand, expand_keep_unset, split_words, unquote};
pub use validate::validate;

/// Parse raw bytes: a UTF-8 BOM is dropped and invalid UTF-8 is replaced with U+FFFD (BuildKit reads
/// bytes; Go strings carry invalid sequences along, which only matters for the dump).
pub fn parse_bytes(bytes: &[u8]) -> Result<Dockerfile, ParseError> {
    parse(&String::from_utf8_lossy(bytes))
}
