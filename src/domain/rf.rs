//! RF creditor references (ISO 11649): the payment code a citizen quotes on
//! a bank transfer so the money finds its debt.
//!
//! An `RfReference` only exists if its check digits are right, and the
//! references Tameio issues are the tenant's unique RF prefix followed by
//! random digits, so a reference names one tenant and cannot be guessed from
//! another (no bare sequence numbers).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::check_digits::{mod97, write_in_fours};

/// Most characters the reference part may have (ISO 11649: 25 in all).
const MAX_REFERENCE_LEN: usize = 21;
/// Random decimal digits in a generated debt part: 10^12 ≈ 2^39.9, above the
/// 30 random bits the design asks for.
const GENERATED_DIGITS: usize = 12;
const GENERATED_SPACE: u64 = 1_000_000_000_000;

/// Why an RF reference or RF prefix was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RfError {
    #[error("an RF reference starts with the letters RF")]
    MissingRf,
    #[error("an RF reference has two check digits after RF")]
    CheckDigitsNotDigits,
    #[error("an RF reference has between 5 and 25 characters, this one has {0}")]
    WrongLength(usize),
    #[error("an RF reference may only contain the letters A-Z and the digits 0-9")]
    BadCharacter,
    #[error("check digits do not match: the RF reference is mistyped")]
    CheckDigitsMismatch,
    #[error("an RF prefix has 3 to 6 characters, a letter first, then letters A-Z or digits")]
    BadPrefix,
    #[error("the debt part of an RF reference must be 1 to {max} letters or digits")]
    BadDebtPart { max: usize },
}

/// A tenant's RF prefix: 3 to 6 characters `[A-Z0-9]`, the first a letter.
/// The platform keeps prefixes unique, so a reference's prefix names the
/// municipality it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RfPrefix(String);

impl RfPrefix {
    /// Parses a prefix; lower case is folded to upper case.
    pub fn parse(s: &str) -> Result<RfPrefix, RfError> {
        let upper = s.trim().to_ascii_uppercase();
        let ok = (3..=6).contains(&upper.len())
            && upper.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
            && upper.bytes().all(is_upper_alnum);
        if ok { Ok(RfPrefix(upper)) } else { Err(RfError::BadPrefix) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RfPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A valid ISO 11649 reference, held in electronic form ("RF18539007547034").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RfReference(String);

impl RfReference {
    /// Parses a reference as people and banks write it: spaces and lower case
    /// are accepted ("rf18 5390 0754 7034").
    pub fn parse(s: &str) -> Result<RfReference, RfError> {
        let compact: String = s.chars().filter(|c| *c != ' ').map(|c| c.to_ascii_uppercase()).collect();
        let rest = compact.strip_prefix("RF").ok_or(RfError::MissingRf)?;
        if !compact.is_ascii() {
            return Err(RfError::BadCharacter);
        }
        // ASCII from here on, so byte lengths are character counts.
        let len = compact.len();
        if !(5..=4 + MAX_REFERENCE_LEN).contains(&len) {
            return Err(RfError::WrongLength(len));
        }
        let (check, reference) = rest.split_at(2);
        let check_value = match check.as_bytes() {
            [a @ b'0'..=b'9', b @ b'0'..=b'9'] => u32::from(a - b'0') * 10 + u32::from(b - b'0'),
            _ => return Err(RfError::CheckDigitsNotDigits),
        };
        if !reference.bytes().all(is_upper_alnum) {
            return Err(RfError::BadCharacter);
        }
        // ISO 7064 MOD 97-10 check characters run from 02 to 98; "00", "01"
        // and "99" would pass the remainder test for some references but are
        // never issued.
        let check_ok =
            (2..=98).contains(&check_value) && mod97(reference.bytes().chain(*b"RF").chain(check.bytes())) == 1;
        if !check_ok {
            return Err(RfError::CheckDigitsMismatch);
        }
        Ok(RfReference(compact))
    }

    /// A new reference for a debt: the tenant's prefix then 12 random digits.
    pub fn generate(prefix: &RfPrefix, rng: &mut impl rand::Rng) -> RfReference {
        let n = rng.random_range(0..GENERATED_SPACE);
        let reference = format!("{}{n:0width$}", prefix.0, width = GENERATED_DIGITS);
        RfReference::with_check_digits(&reference)
    }

    /// A reference from a prefix and a given debt part (for instance one a
    /// debt roll already carries). New debts should use [`RfReference::generate`].
    pub fn from_parts(prefix: &RfPrefix, debt_part: &str) -> Result<RfReference, RfError> {
        let max = MAX_REFERENCE_LEN - prefix.0.len();
        let debt = debt_part.to_ascii_uppercase();
        if debt.is_empty() || debt.len() > max || !debt.bytes().all(is_upper_alnum) {
            return Err(RfError::BadDebtPart { max });
        }
        Ok(RfReference::with_check_digits(&format!("{}{debt}", prefix.0)))
    }

    /// The electronic form, e.g. "RF18539007547034".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after RF and the check digits.
    pub fn reference_part(&self) -> &str {
        self.0.get(4..).unwrap_or_default()
    }

    /// Whether this reference was issued under `prefix`.
    pub fn prefix_matches(&self, prefix: &RfPrefix) -> bool {
        self.reference_part().starts_with(prefix.as_str())
    }

    /// `reference` must be 1..=21 upper-case alphanumerics; callers ensure it.
    fn with_check_digits(reference: &str) -> RfReference {
        let check = 98 - mod97(reference.bytes().chain(*b"RF00"));
        RfReference(format!("RF{check:02}{reference}"))
    }
}

impl fmt::Display for RfReference {
    /// The print form in groups of four: "RF18 5390 0754 7034".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_in_fours(f, &self.0)
    }
}

impl Serialize for RfReference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RfReference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        RfReference::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn is_upper_alnum(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

#[cfg(test)]
// Tests fail loudly on broken fixtures; that is what unwrap is for here.
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use serde_json::Value;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpora/vectors");

    fn load(name: &str) -> Value {
        let text = std::fs::read_to_string(format!("{VECTORS}/{name}")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn prefix(s: &str) -> RfPrefix {
        RfPrefix::parse(s).unwrap()
    }

    #[test]
    fn iso11649_vectors() {
        let v = load("rf_iso11649.json");
        let valid = v["valid"].as_array().unwrap();
        assert_eq!(valid.len(), 103);
        for s in valid {
            let s = s.as_str().unwrap();
            let rf = RfReference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            // Print form parses back to the same reference.
            assert_eq!(RfReference::parse(&rf.to_string()), Ok(rf.clone()));
        }
        let invalid = v["invalid"].as_array().unwrap();
        assert_eq!(invalid.len(), 1);
        for case in invalid {
            let s = case["value"].as_str().unwrap();
            assert_eq!(case["error"], "InvalidChecksum");
            assert_eq!(RfReference::parse(s), Err(RfError::CheckDigitsMismatch), "{s}");
        }
        for case in v["format_examples"].as_array().unwrap() {
            let rf = RfReference::parse(case["compact"].as_str().unwrap()).unwrap();
            assert_eq!(rf.as_str(), case["compact"].as_str().unwrap());
            assert_eq!(rf.to_string(), case["formatted"].as_str().unwrap());
        }
    }

    #[test]
    fn references_found_in_bank_files() {
        let v = load("rf_found_in_bank_files.json");
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 4);
        for item in items {
            let s = item["value"].as_str().unwrap();
            let expected = item["stdnum_valid"].as_bool().unwrap();
            assert_eq!(RfReference::parse(s).is_ok(), expected, "{s}");
        }
    }

    #[test]
    fn parse_accepts_spaces_and_lower_case() {
        let rf = RfReference::parse(" rf18 5390 0754 7034 ").unwrap();
        assert_eq!(rf.as_str(), "RF18539007547034");
        assert_eq!(rf.reference_part(), "539007547034");
        assert_eq!(rf.to_string(), "RF18 5390 0754 7034");
    }

    #[test]
    fn parse_errors() {
        assert_eq!(RfReference::parse("XX18539007547034"), Err(RfError::MissingRf));
        assert_eq!(RfReference::parse("RF18"), Err(RfError::WrongLength(4)));
        assert_eq!(RfReference::parse("RF18 1234 5678 9012 3456 7890 12"), Err(RfError::WrongLength(26)));
        assert_eq!(RfReference::parse("RFAB539007547034"), Err(RfError::CheckDigitsNotDigits));
        assert_eq!(RfReference::parse("RF18-5390-0754"), Err(RfError::BadCharacter));
        assert_eq!(RfReference::parse("RF18ΑΒΓ"), Err(RfError::BadCharacter));
        assert_eq!(RfReference::parse("RFΑ8539"), Err(RfError::BadCharacter));
        assert_eq!(RfReference::parse(""), Err(RfError::MissingRf));
    }

    #[test]
    fn check_digits_outside_02_to_98_are_refused() {
        // Find a reference part whose check digits are 02 or 98: the same
        // remainder is reached by 99 or 01, which must still be refused.
        for n in 0..10_000u32 {
            let rf = RfReference::with_check_digits(&format!("ATH{n}"));
            let alias = match &rf.as_str()[2..4] {
                "02" => "99",
                "98" => "01",
                _ => continue,
            };
            let mangled = format!("RF{alias}{}", rf.reference_part());
            assert_eq!(RfReference::parse(&mangled), Err(RfError::CheckDigitsMismatch));
            return;
        }
        panic!("no reference with check digits 02 or 98 found");
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix("ath").as_str(), "ATH");
        assert_eq!(prefix("LEF123").as_str(), "LEF123");
        for bad in ["", "AB", "ABCDEFG", "1AB", "A-B", "ΑΘΗ", "A B"] {
            assert_eq!(RfPrefix::parse(bad), Err(RfError::BadPrefix), "{bad:?}");
        }
    }

    #[test]
    fn generated_references_parse_back_and_carry_the_prefix() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let p = prefix("LEF123");
        let other = prefix("ATH");
        for _ in 0..1000 {
            let rf = RfReference::generate(&p, &mut rng);
            assert_eq!(RfReference::parse(rf.as_str()), Ok(rf.clone()));
            assert_eq!(RfReference::parse(&rf.to_string()), Ok(rf.clone()));
            assert!(rf.prefix_matches(&p));
            assert!(!rf.prefix_matches(&other));
            assert_eq!(rf.reference_part().len(), 6 + GENERATED_DIGITS);
        }
    }

    #[test]
    fn from_parts() {
        let p = prefix("ATH");
        let rf = RfReference::from_parts(&p, "abc123").unwrap();
        assert_eq!(rf.reference_part(), "ATHABC123");
        assert!(RfReference::parse(rf.as_str()).is_ok());
        assert_eq!(RfReference::from_parts(&p, ""), Err(RfError::BadDebtPart { max: 18 }));
        assert!(RfReference::from_parts(&p, &"1".repeat(18)).is_ok());
        assert!(RfReference::from_parts(&p, &"1".repeat(19)).is_err());
        assert!(RfReference::from_parts(&p, "12-3").is_err());
    }

    #[test]
    fn serde_round_trip() {
        let rf = RfReference::parse("RF18 5390 0754 7034").unwrap();
        let json = serde_json::to_string(&rf).unwrap();
        assert_eq!(json, "\"RF18539007547034\"");
        assert_eq!(serde_json::from_str::<RfReference>(&json).unwrap(), rf);
        assert!(serde_json::from_str::<RfReference>("\"RF17539007547034\"").is_err());
    }

    #[test]
    fn a_digit_to_letter_change_can_go_unnoticed() {
        // Mod 97 catches every substitution of a digit by a digit (and a
        // letter by a letter), but not every digit-to-letter change, because a
        // letter counts as two digits. A real pair, for the record:
        assert!(RfReference::parse("RF83ATH291417776317").is_ok());
        assert!(RfReference::parse("RF83ATH2N1417776317").is_ok());
    }

    fn same_class_substitute(b: u8, k: u8) -> u8 {
        if b.is_ascii_digit() { b'0' + (b - b'0' + 1 + k % 9) % 10 } else { b'A' + (b - b'A' + 1 + k % 25) % 26 }
    }

    proptest! {
        #[test]
        fn random_prefix_and_digits_are_valid(
            p in "[A-Z][A-Z0-9]{2,5}",
            seed in any::<u64>(),
        ) {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let rf = RfReference::generate(&prefix(&p), &mut rng);
            prop_assert_eq!(RfReference::parse(&rf.to_string()), Ok(rf));
        }

        #[test]
        fn from_parts_is_always_valid(p in "[A-Z][A-Z0-9]{2,5}", debt in "[a-zA-Z0-9]{1,15}") {
            let rf = RfReference::from_parts(&prefix(&p), &debt).unwrap();
            prop_assert_eq!(RfReference::parse(rf.as_str()), Ok(rf));
        }

        #[test]
        fn single_substitution_is_refused(
            p in "[A-Z][A-Z0-9]{2,5}",
            seed in any::<u64>(),
            pos in any::<usize>(),
            k in any::<u8>(),
        ) {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let rf = RfReference::generate(&prefix(&p), &mut rng);
            let mut bytes = rf.as_str().as_bytes().to_vec();
            // Any position in the check digits or the reference part.
            let pos = 2 + pos % (bytes.len() - 2);
            bytes[pos] = same_class_substitute(bytes[pos], k);
            let mangled = String::from_utf8(bytes).unwrap();
            prop_assert!(RfReference::parse(&mangled).is_err(), "{} accepted", mangled);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = RfReference::parse(&s);
        }
    }
}
