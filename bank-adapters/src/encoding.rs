//! Decoding MT940 bytes: UTF-8 where valid, else the configured legacy encoding.

use std::borrow::Cow;

use encoding_rs::Encoding;

/// Decides per line, so a file that is UTF-8 except for one hand-edited line
/// (or the reverse) still reads right everywhere; a line of plain ASCII reads
/// the same either way.
pub(crate) fn decode_line<'a>(bytes: &'a [u8], legacy: &'static Encoding) -> Cow<'a, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => legacy.decode_without_bom_handling(bytes).0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greek_windows_1253() {
        // "ΔΗΜΟΣ" in Windows-1253.
        let bytes = [0xC4, 0xC7, 0xCC, 0xCF, 0xD3];
        assert_eq!(decode_line(&bytes, encoding_rs::WINDOWS_1253), "ΔΗΜΟΣ");
        assert_eq!(decode_line("ΔΗΜΟΣ".as_bytes(), encoding_rs::WINDOWS_1253), "ΔΗΜΟΣ");
    }
}
