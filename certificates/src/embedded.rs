//! Reads the token back out of a certificate PDF without a PDF library, so a
//! `verify`-only build stays small.
//!
//! The issuer writes `/TameioCertificate (<BASE32 TOKEN>)` as a literal string
//! in the document information dictionary, outside any compressed stream. The
//! value needs no escaping (base32 has no parentheses or backslashes). Nothing
//! here has to be trusted: the token found is verified by its signature, and
//! the report prints what was signed, not what the page shows.

/// The information dictionary key that holds the token.
pub const PDF_INFO_KEY: &str = "TameioCertificate";

/// True if the bytes start like a PDF file.
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// The token text stored under `/TameioCertificate`, if there is one. When a
/// PDF was updated incrementally the last entry wins, as in any PDF reader.
pub fn extract_token_from_pdf(pdf: &[u8]) -> Option<String> {
    let needle = b"/TameioCertificate";
    let mut found = None;
    let mut from = 0;
    while let Some(at) = find(pdf.get(from..)?, needle) {
        let start = from + at + needle.len();
        if let Some(value) = literal_after(pdf.get(start..)?) {
            found = Some(value);
        }
        from = start;
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads `(` value `)` after optional PDF white space. Only base32 characters
/// are accepted inside, which also bounds the scan.
fn literal_after(rest: &[u8]) -> Option<String> {
    let mut it = rest.iter().copied().skip_while(|b| b" \t\r\n\x0c\0".contains(b));
    if it.next()? != b'(' {
        return None;
    }
    let mut value = String::new();
    for b in it.take(crate::token::MAX_TOKEN_CHARS + 1) {
        match b {
            b')' => return Some(value),
            b'A'..=b'Z' | b'2'..=b'7' => value.push(char::from(b)),
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_last_literal_entry() {
        let pdf = b"%PDF-1.7\n<< /TameioCertificate (ABC) >>\n<< /TameioCertificate\n(XYZ234) >>";
        assert_eq!(extract_token_from_pdf(pdf), Some("XYZ234".to_owned()));
        assert_eq!(extract_token_from_pdf(b"%PDF-1.7 /TameioCertificate (a\\)"), None);
        assert_eq!(extract_token_from_pdf(b"%PDF-1.7 nothing"), None);
        assert_eq!(extract_token_from_pdf(b"/TameioCertificate ("), None);
    }
}
