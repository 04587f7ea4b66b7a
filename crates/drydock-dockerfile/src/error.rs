//! Parse errors with locations.

use crate::ast::Span;
use std::fmt;

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The file holds no instruction (empty, or only comments/blank lines).
    NoInstructions,
    /// A parser directive is invalid (bad escape token, repeated directive).
    InvalidDirective,
    /// A physical line is longer than BuildKit's 65535-byte limit.
    LineTooLong,
    /// A heredoc has no terminator line.
    UnterminatedHeredoc,
    /// A JSON array holds something other than strings (BuildKit: "not a string array").
    NotStringArray,
    /// ENV/LABEL/ARG syntax errors ("must have two arguments", "can't find =").
    InvalidKeyValue,
    /// A malformed flag (e.g. a bad `--mount` value).
    InvalidFlag,
    /// An unclosed quote or `${` in a word that must be evaluated.
    UnterminatedQuote,
    /// A bad variable substitution.
    BadSubstitution,
    /// An instruction-level error BuildKit raises when converting the AST (see [`crate::validate`]).
    Instruction,
}

/// A parse error: kind, message, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Human-readable message (BuildKit's wording where BuildKit has one).
    pub message: String,
    /// Where.
    pub span: Span,
}

impl ParseError {
    /// A new error.
    pub fn new(kind: ParseErrorKind, message: impl Into<String>, span: Span) -> Self {
        ParseError {
            kind,
            message: message.into(),
            span,
        }
    }

    /// 1-based line of the error.
    pub fn line(&self) -> usize {
        self.span.start_line
    }

    /// 1-based column of the error.
    pub fn col(&self) -> usize {
        self.span.start_col
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}:{}: {}",
            self.span.start_line, self.span.start_col, self.message
        )
    }
}

impl std::error::Error for ParseError {}
