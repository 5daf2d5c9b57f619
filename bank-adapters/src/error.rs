//! The one error type of the crate: what went wrong, and where in the file.

use std::fmt;

/// What kind of problem made a file unreadable; stable names for tests and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Nothing to read: empty file, or a document without any statement.
    Empty,
    /// Neither camt XML nor MT940.
    UnknownFormat,
    /// A format we recognise but do not read (camt.052, a zip archive, a version out of range).
    Unsupported,
    /// An XML namespace that does not name a camt message matching the root.
    Namespace,
    /// A `DOCTYPE`: refused, so that no DTD or entity is ever processed.
    Doctype,
    /// The XML is not well-formed.
    Xml,
    /// A size or nesting limit was exceeded.
    Limit,
    /// A missing, malformed or inexact amount.
    Amount,
    /// A malformed date.
    Date,
    /// A required element or field is missing or malformed.
    Invalid,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty",
            ErrorKind::UnknownFormat => "unknown_format",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Namespace => "namespace",
            ErrorKind::Doctype => "doctype",
            ErrorKind::Xml => "xml",
            ErrorKind::Limit => "limit",
            ErrorKind::Amount => "amount",
            ErrorKind::Date => "date",
            ErrorKind::Invalid => "invalid",
        }
    }
}

/// Where the problem is: a line and column (1-based), and for XML the element path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// Byte offset from the start of the file.
    pub offset: Option<u64>,
    /// `/Document/BkToCstmrStmt/Stmt/Ntry/Amt` for XML.
    pub xml_path: Option<String>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            if let Some(col) = self.column {
                write!(f, ", column {col}")?;
            }
            sep = ", ";
        } else if let Some(off) = self.offset {
            write!(f, "byte {off}")?;
            sep = ", ";
        }
        if let Some(path) = &self.xml_path {
            write!(f, "{sep}at {path}")?;
        }
        Ok(())
    }
}

/// Why a file could not be read, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    pub kind: ErrorKind,
    pub message: String,
    pub position: Position,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pos = self.position.to_string();
        if pos.is_empty() {
            write!(f, "{} error: {}", self.kind.as_str(), self.message)
        } else {
            write!(f, "{} error at {pos}: {}", self.kind.as_str(), self.message)
        }
    }
}

impl ParseError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> ParseError {
        ParseError { kind, message: message.into(), position: Position::default() }
    }

    pub(crate) fn at_line(mut self, line: u64, column: u64) -> ParseError {
        self.position.line = Some(line);
        self.position.column = Some(column);
        self
    }

    /// Fills line and column from the byte offset, when the whole input is at hand.
    pub(crate) fn locate_in(mut self, input: &[u8]) -> ParseError {
        if self.position.line.is_none()
            && let Some(off) = self.position.offset
        {
            let end = usize::try_from(off).unwrap_or(usize::MAX).min(input.len());
            let before = input.get(..end).unwrap_or_default();
            let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
            let line_start = memchr::memrchr(b'\n', before).map_or(0, |p| p + 1);
            let column =
                String::from_utf8_lossy(before.get(line_start..).unwrap_or_default()).chars().count() as u64 + 1;
            self.position.line = Some(line);
            self.position.column = Some(column);
        }
        self
    }
}
