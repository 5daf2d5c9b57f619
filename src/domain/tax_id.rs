//! Tax identification numbers of debtors: the Greek AFM, the Cyprus TIC, and
//! foreign ids kept as given.
//!
//! A `TaxId` only exists once its format and check digit are right. It has no
//! `Display` on purpose: a tax id is personal data, so `{}` cannot print it
//! and `{:?}` prints it masked. Code that needs the digits (storage, the
//! certificate) asks for them by name with [`TaxId::as_str`].

use std::fmt;
use std::str::FromStr;

/// Longest foreign tax id we keep.
const OTHER_MAX_LEN: usize = 20;
/// A stored tax id with all but its last three characters replaced by '*'.
pub fn masked_digits(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let hidden = chars.len().saturating_sub(MASK_VISIBLE);
    let mut out = "*".repeat(hidden);
    out.extend(&chars[hidden..]);
    out
}

/// Characters left visible by [`TaxId::masked`].
const MASK_VISIBLE: usize = 3;

/// Which rules a tax id follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaxCountry {
    /// Greece: ΑΦΜ, 9 digits with a check digit.
    Gr,
    /// Cyprus: TIC (ΑΦΤ), 8 digits and a check letter.
    Cy,
    /// Any other country: kept as given, without a check.
    Other,
}

impl TaxCountry {
    pub const fn as_str(self) -> &'static str {
        match self {
            TaxCountry::Gr => "GR",
            TaxCountry::Cy => "CY",
            TaxCountry::Other => "other",
        }
    }
}

impl FromStr for TaxCountry {
    type Err = TaxIdError;

    /// "GR" (or the EU code "EL"), "CY" or "other", in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "GR" | "EL" => Ok(TaxCountry::Gr),
            "CY" => Ok(TaxCountry::Cy),
            "OTHER" => Ok(TaxCountry::Other),
            _ => Err(TaxIdError::UnknownCountry(s.to_owned())),
        }
    }
}

/// Why a tax id was refused. Messages are shown to finance officers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxIdError {
    #[error("\"{0}\" is not a tax country: use GR, CY or other")]
    UnknownCountry(String),
    #[error("a Greek AFM is made of digits only")]
    AfmNotDigits,
    #[error("a Greek AFM has 9 digits, this one has {0}")]
    AfmLength(usize),
    #[error("000000000 is not a real AFM")]
    AfmAllZeros,
    #[error("check digits do not match: the AFM is mistyped")]
    AfmCheckDigit,
    #[error("a Cyprus TIC is 8 digits followed by a letter")]
    TicFormat,
    #[error("a Cyprus TIC has 9 characters, this one has {0}")]
    TicLength(usize),
    #[error("a Cyprus TIC cannot start with 12")]
    TicStart,
    #[error("the check letter does not match: the TIC is mistyped")]
    TicCheckLetter,
    #[error("a foreign tax id has 1 to 20 letters or digits")]
    OtherFormat,
}

/// A tax id that passed the rules of its country.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TaxId {
    country: TaxCountry,
    /// Compact form: digits (and the Cyprus check letter), no country prefix.
    value: String,
    flagged: bool,
}

impl TaxId {
    /// Parses a tax id as written on forms and in debt rolls.
    ///
    /// GR: separators (space - . / :) and an "EL" or "GR" prefix are dropped;
    /// an 8-digit AFM is the old format, or a spreadsheet that ate the
    /// leading zero, and gets it back (as python-stdnum does; the check digit
    /// still has to match). CY: spaces, hyphens and a "CY" prefix are dropped;
    /// a TIC starting with 6 whose letter fails is accepted but flagged for an
    /// officer to confirm. Other: spaces and hyphens dropped, upper-cased.
    pub fn parse(country: TaxCountry, s: &str) -> Result<TaxId, TaxIdError> {
        let (value, flagged) = match country {
            TaxCountry::Gr => (parse_afm(s)?, false),
            TaxCountry::Cy => parse_tic(s)?,
            TaxCountry::Other => (parse_other(s)?, false),
        };
        Ok(TaxId { country, value, flagged })
    }

    pub fn country(&self) -> TaxCountry {
        self.country
    }

    /// The full id in compact form, without a country prefix. Personal data:
    /// store it, do not log it.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// True for a Cyprus TIC starting with 6 whose check letter does not
    /// match: accepted, but an officer should confirm it.
    pub fn is_flagged(&self) -> bool {
        self.flagged
    }

    /// The id with all but the last three characters replaced by '*'
    /// ("******789"); safe for logs and screens.
    pub fn masked(&self) -> String {
        masked_digits(&self.value)
    }

    /// The last `n` characters (all of them if the id is shorter).
    pub fn last_digits(&self, n: usize) -> &str {
        // The value is ASCII, so any byte offset is a character boundary.
        let start = self.value.len().saturating_sub(n);
        self.value.get(start..).unwrap_or_default()
    }
}

impl fmt::Debug for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaxId")
            .field("country", &self.country)
            .field("id", &self.masked())
            .field("flagged", &self.flagged)
            .finish()
    }
}

fn compact(s: &str, separators: &[char]) -> String {
    s.chars().filter(|c| !c.is_whitespace() && !separators.contains(c)).map(|c| c.to_ascii_uppercase()).collect()
}

fn parse_afm(s: &str) -> Result<String, TaxIdError> {
    let c = compact(s, &['-', '.', '/', ':']);
    let digits = c.strip_prefix("EL").or_else(|| c.strip_prefix("GR")).unwrap_or(&c);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TaxIdError::AfmNotDigits);
    }
    let digits = match digits.len() {
        8 => format!("0{digits}"),
        9 => digits.to_owned(),
        n => return Err(TaxIdError::AfmLength(n)),
    };
    if digits.bytes().all(|b| b == b'0') {
        return Err(TaxIdError::AfmAllZeros);
    }
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = d.split_at(8);
    // Sum of d_i * 2^(9-i) for the first eight digits, mod 11, mod 10.
    let weighted = body.iter().fold(0u32, |acc, &x| (acc + x) * 2);
    if [weighted % 11 % 10] != check {
        return Err(TaxIdError::AfmCheckDigit);
    }
    Ok(digits)
}

fn parse_tic(s: &str) -> Result<(String, bool), TaxIdError> {
    let c = compact(s, &['-']);
    let tic = c.strip_prefix("CY").unwrap_or(&c);
    if !tic.is_ascii() {
        return Err(TaxIdError::TicFormat);
    }
    // ASCII from here on, so byte lengths are character counts.
    let Some((letter, digits)) = tic.as_bytes().split_last() else {
        return Err(TaxIdError::TicFormat);
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(TaxIdError::TicFormat);
    }
    if tic.len() != 9 {
        return Err(TaxIdError::TicLength(tic.len()));
    }
    if !letter.is_ascii_uppercase() {
        return Err(TaxIdError::TicFormat);
    }
    if digits.starts_with(b"12") {
        return Err(TaxIdError::TicStart);
    }
    // Digits in odd positions (1st, 3rd, ...) are recoded, the others count
    // as themselves; the sum mod 26 picks the letter.
    const RECODE: [u32; 10] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let d = b - b'0';
            if i % 2 == 0 { RECODE.get(usize::from(d)).copied().unwrap_or_default() } else { u32::from(d) }
        })
        .sum();
    let expected = b'A' + u8::try_from(sum % 26).unwrap_or_default();
    if *letter == expected {
        Ok((tic.to_owned(), false))
    } else if digits.first() == Some(&b'6') {
        Ok((tic.to_owned(), true))
    } else {
        Err(TaxIdError::TicCheckLetter)
    }
}

fn parse_other(s: &str) -> Result<String, TaxIdError> {
    let c = compact(s, &['-']);
    let ok = (1..=OTHER_MAX_LEN).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok { Ok(c) } else { Err(TaxIdError::OtherFormat) }
}

#[cfg(test)]
// Tests fail loudly on broken fixtures; that is what unwrap is for here.
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpora/vectors");

    fn load() -> Value {
        let text = std::fs::read_to_string(format!("{VECTORS}/vat_gr_afm_cy.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn strs(v: &Value) -> Vec<&str> {
        v.as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect()
    }

    /// Our error for a python-stdnum exception name (or the vector file's
    /// "duplicated-prefix"), per country.
    fn expected_error(country: TaxCountry, stdnum: &str) -> Option<fn(&TaxIdError) -> bool> {
        Some(match (country, stdnum) {
            (TaxCountry::Gr, "InvalidChecksum") => |e| *e == TaxIdError::AfmCheckDigit,
            (TaxCountry::Gr, "duplicated-prefix") => |e| *e == TaxIdError::AfmNotDigits,
            (TaxCountry::Cy, "InvalidChecksum") => |e| *e == TaxIdError::TicCheckLetter,
            (TaxCountry::Cy, "InvalidFormat" | "duplicated-prefix") => |e| *e == TaxIdError::TicFormat,
            (TaxCountry::Cy, "InvalidComponent") => |e| *e == TaxIdError::TicStart,
            (TaxCountry::Cy, "InvalidLength") => |e| matches!(e, TaxIdError::TicLength(_)),
            _ => return None,
        })
    }

    /// Checks every vector of one country block; returns how many were used.
    fn check_block(country: TaxCountry, block: &Value) -> usize {
        let mut used = 0;
        let valid = strs(&block["valid"])
            .into_iter()
            .chain(strs(&block["docstring_examples"]["valid"]))
            .chain(strs(&block["jsvat"]["valid"]));
        for s in valid {
            let id = TaxId::parse(country, s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert!(!id.is_flagged(), "{s}");
            used += 1;
        }
        let invalid = block["invalid"]
            .as_array()
            .unwrap()
            .iter()
            .chain(block["docstring_examples"]["invalid"].as_array().unwrap());
        for case in invalid {
            let s = case["value"].as_str().unwrap();
            let err = TaxId::parse(country, s).unwrap_err();
            let kind = case["error"].as_str().unwrap();
            let matches = expected_error(country, kind).unwrap();
            assert!(matches(&err), "{s}: stdnum says {kind}, we say {err:?}");
            used += 1;
        }
        for s in strs(&block["jsvat"]["invalid"]) {
            assert!(TaxId::parse(country, s).is_err(), "{s}");
            used += 1;
        }
        if let Some(only_format) = block["jsvat"].get("validOnlyByFormat") {
            // jsvat's own note: these fail the checksum (and start with 12).
            for s in strs(only_format) {
                assert!(TaxId::parse(country, s).is_err(), "{s}");
                used += 1;
            }
        }
        for (input, compact) in block["docstring_examples"]["compact"].as_object().unwrap() {
            // These show compaction only: "GR 23456783" becomes 023456783,
            // whose check digit is wrong. Either way, the input must be
            // treated exactly like its compact form.
            let compact = compact.as_str().unwrap();
            let parsed = TaxId::parse(country, input);
            assert_eq!(parsed, TaxId::parse(country, compact), "{input}");
            if let Ok(id) = parsed {
                assert_eq!(id.as_str(), compact);
            }
            used += 1;
        }
        used
    }

    #[test]
    fn greek_vectors() {
        let v = load();
        assert_eq!(check_block(TaxCountry::Gr, &v["GR_EL"]), 87);
    }

    #[test]
    fn cyprus_vectors() {
        let v = load();
        assert_eq!(check_block(TaxCountry::Cy, &v["CY"]), 69);
    }

    #[test]
    fn afm_rules() {
        let id = TaxId::parse(TaxCountry::Gr, "EL 094259216").unwrap();
        assert_eq!(id.as_str(), "094259216");
        assert_eq!(id.country(), TaxCountry::Gr);
        assert_eq!(TaxId::parse(TaxCountry::Gr, "000000000"), Err(TaxIdError::AfmAllZeros));
        assert_eq!(TaxId::parse(TaxCountry::Gr, "GR 00000000"), Err(TaxIdError::AfmAllZeros));
        assert_eq!(TaxId::parse(TaxCountry::Gr, "0942592161"), Err(TaxIdError::AfmLength(10)));
        assert_eq!(TaxId::parse(TaxCountry::Gr, ""), Err(TaxIdError::AfmLength(0)));
        assert_eq!(TaxId::parse(TaxCountry::Gr, "09425921６"), Err(TaxIdError::AfmNotDigits));
        assert_eq!(TaxId::parse(TaxCountry::Gr, "CY094259216"), Err(TaxIdError::AfmNotDigits));
    }

    #[test]
    fn tic_starting_with_6_is_flagged_not_refused() {
        // Whatever the right letter for 60000000 is, a wrong one is flagged.
        let good = (b'A'..=b'Z')
            .map(|l| format!("60000000{}", l as char))
            .find(|s| TaxId::parse(TaxCountry::Cy, s).is_ok_and(|id| !id.is_flagged()))
            .unwrap();
        let letter = good.as_bytes()[8];
        let wrong = format!("60000000{}", (b'A' + (letter - b'A' + 1) % 26) as char);
        let id = TaxId::parse(TaxCountry::Cy, &wrong).unwrap();
        assert!(id.is_flagged());
        assert_eq!(id.as_str(), wrong);
        // The same mistake on a TIC that does not start with 6 is refused.
        assert_eq!(TaxId::parse(TaxCountry::Cy, "CY 10246672F"), Err(TaxIdError::TicCheckLetter));
        // Format rules still apply to a 6.
        assert_eq!(TaxId::parse(TaxCountry::Cy, "6000000012"), Err(TaxIdError::TicLength(10)));
        assert_eq!(TaxId::parse(TaxCountry::Cy, "6000000AB"), Err(TaxIdError::TicFormat));
    }

    #[test]
    fn other_countries() {
        let id = TaxId::parse(TaxCountry::Other, "de 123-456 789").unwrap();
        assert_eq!(id.as_str(), "DE123456789");
        assert_eq!(id.country(), TaxCountry::Other);
        assert_eq!(TaxId::parse(TaxCountry::Other, " - "), Err(TaxIdError::OtherFormat));
        assert_eq!(TaxId::parse(TaxCountry::Other, &"1".repeat(21)), Err(TaxIdError::OtherFormat));
        assert_eq!(TaxId::parse(TaxCountry::Other, "AB/12"), Err(TaxIdError::OtherFormat));
    }

    #[test]
    fn countries_parse() {
        assert_eq!("gr".parse(), Ok(TaxCountry::Gr));
        assert_eq!("EL".parse(), Ok(TaxCountry::Gr));
        assert_eq!("Cy".parse(), Ok(TaxCountry::Cy));
        assert_eq!("OTHER".parse(), Ok(TaxCountry::Other));
        assert!("DE".parse::<TaxCountry>().is_err());
        assert_eq!(TaxCountry::Other.as_str(), "other");
    }

    #[test]
    fn never_printed_in_full_by_accident() {
        let id = TaxId::parse(TaxCountry::Gr, "094259216").unwrap();
        assert_eq!(id.masked(), "******216");
        assert_eq!(id.last_digits(4), "9216");
        assert_eq!(id.last_digits(40), "094259216");
        let debug = format!("{id:?}");
        assert!(!debug.contains("094259216"), "{debug}");
        assert!(debug.contains("******216"), "{debug}");
        let short = TaxId::parse(TaxCountry::Other, "AB").unwrap();
        assert_eq!(short.masked(), "AB");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            for c in [TaxCountry::Gr, TaxCountry::Cy, TaxCountry::Other] {
                let _ = TaxId::parse(c, &s);
            }
        }

        #[test]
        fn every_afm_body_has_exactly_one_check_digit(body in "[0-9]{8}") {
            prop_assume!(body != "00000000");
            let ok = (0..10)
                .filter(|d| TaxId::parse(TaxCountry::Gr, &format!("{body}{d}")).is_ok())
                .count();
            prop_assert_eq!(ok, 1);
        }
    }
}
