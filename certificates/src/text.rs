//! Names as signed text: NFC, single spaces, bounded in characters and bytes.
//!
//! The bounds exist because every byte of the payload ends up in the QR code;
//! the byte bound (not only the character bound) is what keeps the worst case
//! inside QR version 18.

use std::fmt;

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark, is_nfc};

/// The character that marks a shortened name.
pub const ELLIPSIS: char = '…';

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the text is empty")]
    Empty,
    #[error("the text contains a control character")]
    Control,
    #[error("the text is longer than {max_chars} characters or {max_bytes} bytes")]
    TooLong { max_chars: usize, max_bytes: usize },
    #[error("the text is not in canonical form (NFC, trimmed, single spaces)")]
    NotCanonical,
}

/// Limits of one kind of name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_chars: usize,
    pub max_bytes: usize,
}

/// Brings `raw` to canonical form: NFC, whitespace runs folded to one space, trimmed.
/// Refuses control characters rather than dropping them, so that nothing the
/// caller did not see is signed.
pub(crate) fn canonicalize(raw: &str) -> Result<String, TextError> {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for ch in raw.nfc() {
        if ch.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if ch.is_control() || is_format_char(ch) {
            return Err(TextError::Control);
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(ch);
    }
    if out.is_empty() {
        return Err(TextError::Empty);
    }
    Ok(out)
}

/// Invisible characters (bidi overrides, zero-width joiners) could make a name
/// print differently from what it says; they have no place in a holder's name.
fn is_format_char(ch: char) -> bool {
    matches!(ch, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// Shortens a canonical text to the limits, ending it with "…" when cut.
/// The cut never separates a base letter from its combining marks.
pub(crate) fn shorten(text: String, limits: Limits) -> String {
    if fits(&text, limits) {
        return text;
    }
    let budget_chars = limits.max_chars.saturating_sub(1);
    let budget_bytes = limits.max_bytes.saturating_sub(ELLIPSIS.len_utf8());
    let mut end = 0;
    let mut chars = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, ch)) = iter.next() {
        let next_end = i + ch.len_utf8();
        if chars + 1 > budget_chars || next_end > budget_bytes {
            break;
        }
        chars += 1;
        // Only remember cut points that do not strand a following combining mark.
        let next_is_mark = iter.peek().is_some_and(|(_, c)| is_combining_mark(*c));
        if !next_is_mark {
            end = next_end;
        }
    }
    let mut out = text.get(..end).unwrap_or_default().trim_end().to_owned();
    out.push(ELLIPSIS);
    out
}

pub(crate) fn fits(text: &str, limits: Limits) -> bool {
    text.len() <= limits.max_bytes && text.chars().count() <= limits.max_chars
}

/// Accepts `text` only if it is already canonical and within limits: decoding
/// must not change what was signed, so nothing is normalized on the way in.
pub(crate) fn check_exact(text: &str, limits: Limits) -> Result<(), TextError> {
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if !fits(text, limits) {
        return Err(TextError::TooLong { max_chars: limits.max_chars, max_bytes: limits.max_bytes });
    }
    if !is_nfc(text) {
        return Err(TextError::NotCanonical);
    }
    match canonicalize(text) {
        Ok(canon) if canon == text => Ok(()),
        Ok(_) => Err(TextError::NotCanonical),
        Err(e) => Err(e),
    }
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $chars:expr, $bytes:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Largest number of characters, "…" included.
            pub const MAX_CHARS: usize = $chars;
            /// Largest number of UTF-8 bytes, "…" included.
            pub const MAX_BYTES: usize = $bytes;
            const LIMITS: Limits = Limits { max_chars: $chars, max_bytes: $bytes };

            /// Canonicalizes `raw` and shortens it with "…" if it is too long.
            pub fn new(raw: &str) -> Result<Self, TextError> {
                Ok(Self(shorten(canonicalize(raw)?, Self::LIMITS)))
            }

            /// Accepts only text that is already canonical and within the limits.
            pub fn parse_exact(text: &str) -> Result<Self, TextError> {
                check_exact(text, Self::LIMITS)?;
                Ok(Self(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

bounded_text!(
    /// The holder's name as signed: at most 64 characters and 128 bytes, so a
    /// 64-letter Greek name fits whole.
    HolderName,
    64,
    128
);

bounded_text!(
    /// The municipality's short display name as signed (e.g. "Δήμος Αθηναίων").
    /// Its 48-byte bound is what is left of the QR budget; the full official name
    /// is printed on the PDF from the tenant's texts.
    TenantName,
    48,
    48
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalizes_spacing_and_composes() {
        let name = HolderName::new("  Παπαδόπουλος \t Γιώργος ").unwrap();
        assert_eq!(name.as_str(), "Παπαδόπουλος Γιώργος");
        // "ι" followed by a combining acute composes to "ί".
        let name = HolderName::new("Γι\u{3b9}\u{301}ργος").unwrap();
        assert_eq!(name.as_str(), "Γιίργος");
    }

    #[test]
    fn shortens_greek_with_ellipsis_within_both_bounds() {
        let long: String = "Α".repeat(70);
        let name = HolderName::new(&long).unwrap();
        // The byte bound cuts first: 62 Greek letters (124 bytes) and "…" (3).
        assert_eq!(name.as_str().chars().count(), 63);
        assert!(name.as_str().ends_with(ELLIPSIS));
        let latin = HolderName::new(&"a".repeat(70)).unwrap();
        assert_eq!(latin.as_str().chars().count(), 64);
        assert!(name.as_str().len() <= HolderName::MAX_BYTES);
        let exactly: String = "Ω".repeat(64);
        assert_eq!(HolderName::new(&exactly).unwrap().as_str(), exactly);
    }

    #[test]
    fn refuses_controls_and_non_canonical_exact_input() {
        assert_eq!(HolderName::new("a\u{7}b"), Err(TextError::Control));
        assert_eq!(HolderName::new("a\u{202E}b"), Err(TextError::Control));
        assert_eq!(HolderName::new("   "), Err(TextError::Empty));
        assert_eq!(HolderName::parse_exact("a  b"), Err(TextError::NotCanonical));
        assert_eq!(HolderName::parse_exact("i\u{301}"), Err(TextError::NotCanonical));
    }
}
