//! Bank statement parsers: bytes in, one normalized statement model out.
//!
//! Reads ISO 20022 camt.053 and camt.054 (versions .001.02 to .001.13) and
//! SWIFT MT940 (MT942 as information), telling them apart by content. Pure:
//! no I/O beyond the reader handed in, no database, no async runtime.

mod amount;
mod camt;
mod camt_lines;
mod checks;
pub mod contract;
mod detect;
mod encoding;
mod error;
mod model;
mod mt940;
mod mt940_details;
mod rf_scan;
mod scan;

use std::io::BufRead;

pub use amount::format_cents;
pub use error::{ErrorKind, ParseError, Position};
pub use model::{Balance, Date, Direction, Format, Line, LineRef, ParsedFile, Statement, Status, TextField};
pub use rf_scan::{find_rf_candidates, is_valid_rf};

/// Largest file read: bigger than any real daily statement, small enough to bound memory.
pub const MAX_FILE_BYTES: u64 = 200 * 1024 * 1024;
/// Largest XML element (tag or text) or MT940 field.
pub const MAX_ELEMENT_BYTES: usize = 1024 * 1024;
/// Deepest XML nesting; camt documents need about 15.
pub const MAX_NESTING: usize = 64;

/// How to read a file.
#[derive(Clone, Copy, Debug)]
pub struct ParseOptions {
    /// Encoding of MT940 lines that are not valid UTF-8. Greek banks use Windows-1253.
    pub legacy_encoding: &'static encoding_rs::Encoding,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { legacy_encoding: encoding_rs::WINDOWS_1253 }
    }
}

/// Reads a whole statement file held in memory.
pub fn parse(bytes: &[u8], opts: &ParseOptions) -> Result<ParsedFile, ParseError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ParseError::new(ErrorKind::Limit, format!("file larger than {MAX_FILE_BYTES} bytes")));
    }
    match detect::detect(bytes)? {
        detect::Kind::Xml => camt::parse_slice(bytes),
        detect::Kind::Mt940 => mt940::parse_slice(bytes, opts.legacy_encoding),
    }
}

/// Reads a statement file from a stream, without holding the file in memory:
/// only the lines read are kept. Errors carry the XML path and byte offset (camt)
/// or the line and column (MT940).
pub fn parse_reader<R: BufRead>(mut reader: R, opts: &ParseOptions) -> Result<ParsedFile, ParseError> {
    let kind = loop {
        let head = reader.fill_buf().map_err(|e| ParseError::new(ErrorKind::Invalid, format!("read error: {e}")))?;
        if head.is_empty() {
            return Err(ParseError::new(ErrorKind::Empty, "the file is empty"));
        }
        // Leading whitespace says nothing about the format: skip it and look again.
        let blank = head.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if blank == head.len() {
            reader.consume(blank);
            continue;
        }
        break detect::detect(head)?;
    };
    match kind {
        detect::Kind::Xml => camt::parse_reader(reader),
        detect::Kind::Mt940 => mt940::parse_reader(reader, opts.legacy_encoding),
    }
}
