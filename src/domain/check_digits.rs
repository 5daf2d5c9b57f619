//! ISO 7064 MOD 97-10, the check-digit scheme of IBANs (ISO 13616) and RF
//! creditor references (ISO 11649), and the print form in groups of four
//! that both share.

use std::fmt;

/// ISO 7064 MOD 97-10 remainder of upper-case alphanumerics, letters counting
/// as 10..=35. A valid IBAN or RF reference, its first four characters moved
/// to the end, leaves 1.
pub(crate) fn mod97(chars: impl Iterator<Item = u8>) -> u32 {
    chars.fold(0u32, |acc, b| {
        if b.is_ascii_digit() {
            (acc * 10 + u32::from(b - b'0')) % 97
        } else {
            (acc * 100 + u32::from(b.wrapping_sub(b'A')) + 10) % 97
        }
    })
}

/// Writes the electronic form `s` in its print form, groups of four
/// characters separated by spaces: "RF18 5390 0754 7034".
pub(crate) fn write_in_fours(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    for (i, c) in s.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            f.write_str(" ")?;
        }
        write!(f, "{c}")?;
    }
    Ok(())
}
