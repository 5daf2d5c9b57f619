//! Finding ISO 11649 RF creditor references in free text.

use crate::scan::BytePositions;

/// RF candidates in `text` that pass the ISO 11649 mod-97 check, in electronic
/// format (upper case, no spaces), in order of appearance, without duplicates.
///
/// A candidate is `RF` (any case), two check digits, then 1 to 21 letters or
/// digits, where single spaces may separate groups of four (print format,
/// `RF18 5390 0754 7034`). Callers join wrapped lines (MT940 `:86:`) before
/// scanning, so a reference split by the bank's line width is still found.
pub fn find_rf_candidates(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut from = 0;
    while let Some((rf, next)) = next_candidate(text.as_bytes(), from) {
        let rf = rf.as_str();
        if !found.iter().any(|f| f == rf) {
            found.push(rf.to_string());
        }
        from = next;
    }
    found
}

/// The first of [`find_rf_candidates`], without allocating.
pub(crate) fn first_rf_candidate(text: &str) -> Option<RfText> {
    next_candidate(text.as_bytes(), 0).map(|(rf, _)| rf)
}

/// The next candidate at or after `from`, and where to look for the one after it.
fn next_candidate(bytes: &[u8], from: usize) -> Option<(RfText, usize)> {
    // Only an `R` can start a candidate: jump from one to the next.
    for i in BytePositions::ignore_ascii_case(bytes.get(from..)?, b'R').map(|p| from + p) {
        if i + 4 > bytes.len() {
            return None;
        }
        let is_start = bytes[i + 1].eq_ignore_ascii_case(&b'F') && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if is_start && let Some(b) = best_at(bytes, i) {
            return Some((b, i + 2));
        }
    }
    None
}

/// A reference in electronic format (at most 25 ASCII letters and digits), kept on the stack.
#[derive(Clone, Copy)]
pub(crate) struct RfText {
    buf: [u8; 25],
    len: usize,
}

impl RfText {
    fn new() -> Self {
        RfText { buf: [0; 25], len: 0 }
    }
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }
    fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII letters and digits are pushed.
        std::str::from_utf8(self.bytes()).unwrap_or_default()
    }
}

/// The reference starting at `start`, if one checks. A reference written
/// without spaces wins; otherwise the longest print-format reading that checks,
/// since print format only allows a space after each group of four.
fn best_at(bytes: &[u8], start: usize) -> Option<RfText> {
    let mut s = RfText::new();
    s.push(b'R');
    s.push(b'F');
    let mut pos = start + 2;
    for _ in 0..2 {
        match bytes.get(pos) {
            Some(b) if b.is_ascii_digit() => s.push(*b),
            _ => return None,
        }
        pos += 1;
    }
    let mut spaced = false;
    let mut token: Option<RfText> = None;
    let mut print: Option<RfText> = None;
    let mut record = |s: &RfText, spaced: bool| {
        if s.len >= 5 && valid_rf_bytes(s.bytes()) {
            if spaced {
                print = Some(*s);
            } else {
                token = Some(*s);
            }
        }
    };
    loop {
        match bytes.get(pos) {
            Some(b) if b.is_ascii_alphanumeric() => {
                if s.len == 25 {
                    // Longer than any reference: not a boundary, so no candidate here.
                    break;
                }
                s.push(b.to_ascii_uppercase());
                pos += 1;
            }
            Some(b' ') if s.len.is_multiple_of(4) && bytes.get(pos + 1).is_some_and(|n| n.is_ascii_alphanumeric()) => {
                record(&s, spaced);
                spaced = true;
                pos += 1;
            }
            _ => {
                record(&s, spaced);
                break;
            }
        }
    }
    token.or(print)
}

/// ISO 11649 check: move `RFkk` to the end, letters to numbers (A=10), mod 97 == 1.
pub fn is_valid_rf(reference: &str) -> bool {
    let mut r = RfText::new();
    for b in reference.bytes().filter(|b| *b != b' ') {
        if r.len == 25 {
            return false;
        }
        r.push(b);
    }
    valid_rf_bytes(r.bytes())
}

/// [`is_valid_rf`] on a reference without spaces.
fn valid_rf_bytes(r: &[u8]) -> bool {
    if r.len() < 5 || r.len() > 25 || !r[..2].eq_ignore_ascii_case(b"RF") {
        return false;
    }
    if !r[2].is_ascii_digit() || !r[3].is_ascii_digit() {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in r[4..].iter().chain(r[..4].iter()) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'a'..=b'z' => u32::from(b - b'a') + 10,
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_electronic_and_print_formats() {
        assert_eq!(find_rf_candidates("pay RF18539007547034 now"), vec!["RF18539007547034"]);
        assert_eq!(find_rf_candidates("ref: rf18 5390 0754 7034."), vec!["RF18539007547034"]);
        assert!(find_rf_candidates("RF19539007547034").is_empty());
        assert!(find_rf_candidates("SURF18539007547034").is_empty());
    }

    #[test]
    fn iso_examples() {
        assert!(is_valid_rf("RF18539007547034"));
        assert!(is_valid_rf("RF18 5390 0754 7034"));
        assert!(is_valid_rf("RF712348231"));
        assert!(!is_valid_rf("RF18539007547035"));
    }
}
