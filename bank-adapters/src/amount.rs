//! Exact decimal amounts to integer cents, without floats or rounding.

/// Why an amount text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AmountError {
    Empty,
    Malformed,
    /// A non-zero digit below the cent: refused rather than rounded, because
    /// rounding would silently change money.
    SubCent,
    TooLarge,
}

impl AmountError {
    pub fn describe(self, text: &str) -> String {
        match self {
            AmountError::Empty => "missing amount".to_string(),
            AmountError::Malformed => format!("malformed amount {text:?}"),
            AmountError::SubCent => {
                format!("amount {text:?} has a non-zero part below the cent")
            }
            AmountError::TooLarge => format!("amount {text:?} is too large"),
        }
    }
}

/// Parses `123`, `123.4`, `18.150` (with `sep` as decimal separator) into cents.
/// Surrounding whitespace is ignored; signs are not accepted (amounts in both
/// formats are unsigned, the direction is a separate field).
pub(crate) fn parse_cents(text: &str, sep: u8) -> Result<i64, AmountError> {
    let bytes = crate::model::trim(text).as_bytes();
    if bytes.is_empty() {
        return Err(AmountError::Empty);
    }
    let mut acc = Cents::new(sep);
    for &b in bytes {
        acc.push(b)?;
    }
    acc.finish()
}

/// Reads the run of digits and `sep` at the start of `bytes` in one pass, as
/// [`parse_cents`] reads that run: its result, and the run's length.
/// Inlined: the usual amount is read in a few instructions, fewer than a call costs.
#[inline]
pub(crate) fn parse_cents_run(bytes: &[u8], sep: u8) -> (Result<i64, AmountError>, usize) {
    match plain_run(bytes, sep) {
        Some((cents, len)) => (Ok(cents), len),
        None => general_run(bytes, sep),
    }
}

/// [`parse_cents_run`] for any run, checked digit by digit.
#[inline(never)]
fn general_run(bytes: &[u8], sep: u8) -> (Result<i64, AmountError>, usize) {
    let mut acc = Cents::new(sep);
    let mut first_error = None;
    let mut len = 0;
    for &b in bytes {
        if !b.is_ascii_digit() && b != sep {
            break;
        }
        len += 1;
        // The first error is the one `parse_cents` stops at; the run goes on.
        if first_error.is_none()
            && let Err(e) = acc.push(b)
        {
            first_error = Some(e);
        }
    }
    let result = match first_error {
        Some(e) => Err(e),
        None if len == 0 => Err(AmountError::Empty),
        None => acc.finish(),
    };
    (result, len)
}

/// [`parse_cents_run`] for the usual amount, `digits[sep[d[d]]]` with at most
/// 15 integer digits, which cannot overflow or go below the cent: read without
/// the per-digit checks. `None` for anything else, left to the general reader.
#[inline(always)]
fn plain_run(bytes: &[u8], sep: u8) -> Option<(i64, usize)> {
    let digit = |i: usize| bytes.get(i).filter(|b| b.is_ascii_digit()).map(|&b| i64::from(b - b'0'));
    // The integer digits, read as they are counted (one pass); a sixteenth
    // digit is enough to tell there are too many.
    let mut units = 0i64;
    let mut int_len = 0;
    while int_len <= 15
        && let Some(d) = digit(int_len)
    {
        units = units * 10 + d;
        int_len += 1;
    }
    if !(1..=15).contains(&int_len) {
        return None;
    }
    let (frac, len) = if bytes.get(int_len) == Some(&sep) {
        let at = int_len + 1;
        // One decimal is tenths: `0,5` is 50 cents. A third is refused below.
        match (digit(at), digit(at + 1)) {
            (None, _) => (0, at),
            (Some(tenths), None) => (tenths * 10, at + 1),
            (Some(tenths), Some(cents)) => (tenths * 10 + cents, at + 2),
        }
    } else {
        (0, int_len)
    };
    // The run must end here: a third decimal or a second separator is for the general reader to refuse.
    if bytes.get(len).is_some_and(|&b| b.is_ascii_digit() || b == sep) {
        return None;
    }
    Some((units * 100 + frac, len))
}

/// An amount being read digit by digit.
struct Cents {
    sep: u8,
    units: i64,
    frac: i64,
    frac_digits: u32,
    seen_sep: bool,
    digits: usize,
}

impl Cents {
    fn new(sep: u8) -> Self {
        Cents { sep, units: 0, frac: 0, frac_digits: 0, seen_sep: false, digits: 0 }
    }

    fn push(&mut self, b: u8) -> Result<(), AmountError> {
        match b {
            b'0'..=b'9' => {
                let d = i64::from(b - b'0');
                self.digits += 1;
                if self.seen_sep {
                    if self.frac_digits < 2 {
                        self.frac = self.frac * 10 + d;
                        self.frac_digits += 1;
                    } else if d != 0 {
                        return Err(AmountError::SubCent);
                    }
                } else {
                    self.units =
                        self.units.checked_mul(10).and_then(|u| u.checked_add(d)).ok_or(AmountError::TooLarge)?;
                }
            }
            _ if b == self.sep && !self.seen_sep => self.seen_sep = true,
            _ => return Err(AmountError::Malformed),
        }
        Ok(())
    }

    fn finish(mut self) -> Result<i64, AmountError> {
        if self.digits == 0 {
            return Err(AmountError::Malformed);
        }
        while self.frac_digits < 2 {
            self.frac *= 10;
            self.frac_digits += 1;
        }
        self.units.checked_mul(100).and_then(|c| c.checked_add(self.frac)).ok_or(AmountError::TooLarge)
    }
}

/// Formats cents as a decimal string with two decimals, `-` when negative.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_amounts() {
        assert_eq!(parse_cents("18.150", b'.'), Ok(1815));
        assert_eq!(parse_cents("2700", b'.'), Ok(270000));
        assert_eq!(parse_cents("0,5", b','), Ok(50));
        assert_eq!(parse_cents("1000,", b','), Ok(100000));
        assert_eq!(parse_cents(",07", b','), Ok(7));
        assert_eq!(parse_cents("8.851", b'.'), Err(AmountError::SubCent));
        assert_eq!(parse_cents("", b'.'), Err(AmountError::Empty));
        assert_eq!(parse_cents(".", b'.'), Err(AmountError::Malformed));
        assert_eq!(parse_cents("1.2.3", b'.'), Err(AmountError::Malformed));
        assert_eq!(parse_cents("-1", b'.'), Err(AmountError::Malformed));
        assert_eq!(parse_cents("99999999999999999999", b'.'), Err(AmountError::TooLarge));
    }

    #[test]
    fn runs_read_as_whole_texts() {
        for text in ["18,15", "2700", "0,5", "1000,", ",07", "8,851", ",", "1,2,3", "99999999999999999999", "1,2,0", ""]
        {
            for tail in ["", "NTRF", " x", "\n1"] {
                let (result, len) = parse_cents_run(format!("{text}{tail}").as_bytes(), b',');
                assert_eq!((result, len), (parse_cents(text, b','), text.len()), "{text:?}{tail:?}");
            }
        }
    }

    #[test]
    fn formats() {
        assert_eq!(format_cents(1230), "12.30");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(i64::MIN), "-92233720368547758.08");
    }
}
