//! Telling the formats apart from the first bytes of the content.

use crate::error::{ErrorKind, ParseError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Xml,
    Mt940,
}

/// Looks at the start of the file: XML (camt), a zip archive (refused), or
/// text that the MT940 reader will judge. `head` may be a prefix of the file.
pub(crate) fn detect(head: &[u8]) -> Result<Kind, ParseError> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Err(ParseError::new(ErrorKind::Unsupported, "a zip archive: unpack it and import each statement file"));
    }
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err(ParseError::new(ErrorKind::Empty, "the file is empty")),
        Some(b'<') => Ok(Kind::Xml),
        Some(_) => Ok(Kind::Mt940),
    }
}
