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
    let bytes = text.trim().as_bytes();
    if bytes.is_empty() {
        return Err(AmountError::Empty);
    }
    let mut units: i64 = 0;
    let mut frac: i64 = 0;
    let mut frac_digits = 0u32;
    let mut seen_sep = false;
    let mut digits = 0usize;
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                let d = i64::from(b - b'0');
                digits += 1;
                if seen_sep {
                    if frac_digits < 2 {
                        frac = frac * 10 + d;
                        frac_digits += 1;
                    } else if d != 0 {
                        return Err(AmountError::SubCent);
                    }
                } else {
                    units = units.checked_mul(10).and_then(|u| u.checked_add(d)).ok_or(AmountError::TooLarge)?;
                }
            }
            _ if b == sep && !seen_sep => seen_sep = true,
            _ => return Err(AmountError::Malformed),
        }
    }
    if digits == 0 {
        return Err(AmountError::Malformed);
    }
    while frac_digits < 2 {
        frac *= 10;
        frac_digits += 1;
    }
    units.checked_mul(100).and_then(|c| c.checked_add(frac)).ok_or(AmountError::TooLarge)
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
    fn formats() {
        assert_eq!(format_cents(1230), "12.30");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(i64::MIN), "-92233720368547758.08");
    }
}
