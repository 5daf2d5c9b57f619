//! The EPC QR code payload (EPC069-12, "SEPA credit transfer" QR, version 002)
//! printed on a notice so a citizen's banking app fills in the transfer:
//! beneficiary, IBAN, amount and the debt's RF reference.
//!
//! Only what a municipal notice needs is built: UTF-8, a structured RF
//! reference, no purpose code, no free text. The payload is at most 331
//! *bytes*, the capacity the standard sets (QR version 13 at level M); a Greek
//! name takes two bytes a letter, so the limit is checked on the encoded form.

use std::fmt::Write as _;

use unicode_normalization::UnicodeNormalization;

use super::iban::{Bic, Iban};
use super::money::Cents;
use super::rf::RfReference;

/// Longest payload the standard allows, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 331;
/// Longest beneficiary name, in characters.
pub const MAX_NAME_CHARS: usize = 70;
/// Smallest and largest amount the standard allows: EUR 0.01 to 999,999,999.99.
pub const MIN_AMOUNT: Cents = Cents::new(1);
pub const MAX_AMOUNT: Cents = Cents::new(99_999_999_999);

/// Why a payload could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpcError {
    #[error("the beneficiary name is empty")]
    EmptyName,
    #[error("the beneficiary name has {0} characters; at most {MAX_NAME_CHARS} are allowed")]
    NameTooLong(usize),
    #[error("the beneficiary name contains a line break or another control character")]
    NameControlCharacter,
    #[error("the amount {0} is outside EUR 0.01 to 999999999.99")]
    AmountOutOfRange(Cents),
    #[error("the payload is {0} bytes; at most {MAX_PAYLOAD_BYTES} are allowed")]
    TooLong(usize),
}

/// One credit transfer to the municipality, as the QR code asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpcTransfer {
    /// Optional since version 002 inside the EEA; banks route by IBAN.
    pub bic: Option<Bic>,
    /// The tenant's creditor name, as the bank account is held.
    pub beneficiary: String,
    pub iban: Iban,
    pub amount: Cents,
    pub reference: RfReference,
}

/// Builds the payload: twelve lines joined by LF, with the trailing empty
/// lines (unstructured remittance, information) left off, as the EPC
/// examples and common encoders do.
pub fn epc_payload(t: &EpcTransfer) -> Result<String, EpcError> {
    // NFC so that "ή" is one code point (two bytes), not "η" plus a combining
    // accent, which some banking apps show as two characters.
    let name: String = t.beneficiary.trim().nfc().collect();
    if name.is_empty() {
        return Err(EpcError::EmptyName);
    }
    if name.chars().any(char::is_control) {
        return Err(EpcError::NameControlCharacter);
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(EpcError::NameTooLong(chars));
    }
    if !(MIN_AMOUNT..=MAX_AMOUNT).contains(&t.amount) {
        return Err(EpcError::AmountOutOfRange(t.amount));
    }
    let bic = t.bic.as_ref().map(Bic::as_str).unwrap_or_default();
    // The fields in the standard's order.
    let lines = [
        "BCD",
        // Version 002, where the BIC may be left empty inside the EEA.
        "002",
        // UTF-8: Greek names need no transliteration.
        "1",
        "SCT",
        bic,
        &name,
        t.iban.as_str(),
        &epc_amount(t.amount),
        // No purpose code: a municipal fee has none that banks act on.
        "",
        // The electronic form, which is what bank statements carry back and
        // reconciliation matches on.
        t.reference.as_str(),
    ];
    let payload = lines.join("\n");
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(EpcError::TooLong(payload.len()));
    }
    Ok(payload)
}

/// "EUR12.3", "EUR5", "EUR1075.25": euros, then the cents without trailing
/// zeros, as the standard's own example writes 12.30.
pub fn epc_amount(amount: Cents) -> String {
    let cents = amount.get().unsigned_abs();
    let (euros, rest) = (cents / 100, cents % 100);
    let mut out = String::with_capacity(16);
    let _ = write!(out, "EUR{euros}");
    match rest {
        0 => {}
        r if r.is_multiple_of(10) => {
            let _ = write!(out, ".{}", r / 10);
        }
        r => {
            let _ = write!(out, ".{r:02}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::{MoneyError, parse_decimal_amount};
    use serde_json::Value;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpora/vectors");

    fn vectors() -> Value {
        let text = std::fs::read_to_string(format!("{VECTORS}/epc_qr.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn lines(v: &Value) -> Vec<String> {
        v["lines"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect()
    }

    fn athens() -> EpcTransfer {
        EpcTransfer {
            bic: None,
            beneficiary: "Δήμος Αθηναίων".to_owned(),
            iban: Iban::parse("GR1601101250000000012300695").unwrap(),
            amount: Cents::new(2550),
            reference: RfReference::parse("RF18539007547034").unwrap(),
        }
    }

    #[test]
    fn epc_example_1_without_its_purpose_code() {
        let v = vectors();
        let example = &v["valid_payloads"][0];
        assert_eq!(example["id"], "EPC069-12_example1");
        let expected = lines(example);
        let payload = example["payload_utf8"].as_str().unwrap();
        assert_eq!(payload.len(), 96, "the vector itself");
        assert_eq!(payload, expected.join("\n"));

        let t = EpcTransfer {
            bic: Some(Bic::parse(&expected[4]).unwrap()),
            beneficiary: expected[5].clone(),
            iban: Iban::parse(&expected[6]).unwrap(),
            amount: parse_decimal_amount("12.30", false).unwrap(),
            reference: RfReference::parse(&expected[9]).unwrap(),
        };
        let ours = epc_payload(&t).unwrap();
        // We never send a purpose code; everything else is the example's bytes.
        assert_eq!(expected[8], "GDDS");
        let mut without_purpose = expected.clone();
        without_purpose[8] = String::new();
        assert_eq!(ours, without_purpose.join("\n"));
        assert_eq!(ours.len(), 96 - "GDDS".len());
    }

    #[test]
    fn greek_example_matches_line_for_line_in_utf8() {
        let v = vectors();
        let greek = &v["derived_greek_example_NOT_FROM_A_SOURCE"];
        let mut expected = lines(greek);
        // That example is ISO-8859-7 (charset 6); ours is UTF-8 (charset 1).
        assert_eq!(expected[2], "6");
        expected[2] = "1".to_owned();
        let ours = epc_payload(&athens()).unwrap();
        assert_eq!(ours, expected.join("\n"));
        let latin_bytes = hex::decode(greek["payload_hex"].as_str().unwrap()).unwrap();
        // One byte a Greek letter there, two here: 13 letters in the name.
        assert_eq!(ours.len(), latin_bytes.len() + 13);
    }

    #[test]
    fn amounts_are_written_as_the_encoders_write_them() {
        let v = vectors();
        for encoder in ["segno", "smhg"] {
            for (input, expected) in v["amount_formatting"][encoder].as_object().unwrap() {
                let cents = parse_decimal_amount(input, false).unwrap();
                assert_eq!(epc_amount(cents), expected.as_str().unwrap(), "{input}");
            }
        }
        assert_eq!(epc_amount(Cents::new(1)), "EUR0.01");
        assert_eq!(epc_amount(Cents::new(10)), "EUR0.1");
        assert_eq!(epc_amount(MAX_AMOUNT), "EUR999999999.99");
    }

    #[test]
    fn invalid_amounts_of_the_corpus_are_refused() {
        let v = vectors();
        for case in v["invalid"]["amount"].as_array().unwrap() {
            let case = case.as_str().unwrap();
            let number = case.split(' ').next().unwrap();
            match parse_decimal_amount(number, false) {
                // Fractions of a cent never become Cents at all.
                Err(e) => assert_eq!(e, MoneyError::SubCent, "{case}"),
                Ok(cents) => {
                    let t = EpcTransfer { amount: cents, ..athens() };
                    assert_eq!(epc_payload(&t), Err(EpcError::AmountOutOfRange(cents)), "{case}");
                }
            }
        }
    }

    #[test]
    fn zero_and_negative_amounts_are_refused() {
        for cents in [0, -1, -2550] {
            let t = EpcTransfer { amount: Cents::new(cents), ..athens() };
            assert_eq!(epc_payload(&t), Err(EpcError::AmountOutOfRange(Cents::new(cents))));
        }
        let t = EpcTransfer { amount: Cents::new(MAX_AMOUNT.get() + 1), ..athens() };
        assert!(matches!(epc_payload(&t), Err(EpcError::AmountOutOfRange(_))));
    }

    #[test]
    fn names_of_the_corpus_are_refused() {
        let empty = EpcTransfer { beneficiary: "  ".to_owned(), ..athens() };
        assert_eq!(epc_payload(&empty), Err(EpcError::EmptyName));
        let long = EpcTransfer { beneficiary: "A".repeat(71), ..athens() };
        assert_eq!(epc_payload(&long), Err(EpcError::NameTooLong(71)));
        let seventy = EpcTransfer { beneficiary: "A".repeat(70), ..athens() };
        assert!(epc_payload(&seventy).is_ok());
        let two_lines = EpcTransfer { beneficiary: "Δήμος\nΑθηναίων".to_owned(), ..athens() };
        assert_eq!(epc_payload(&two_lines), Err(EpcError::NameControlCharacter));
    }

    #[test]
    fn greek_name_counts_bytes_not_characters() {
        // 70 Greek letters: within the character limit, 140 bytes.
        let name = "Δήμος Νέας Φιλαδέλφειας - Νέας Χαλκηδόνας και Κοινότητα Αγίου Ιωάννη Ρ";
        assert_eq!(name.chars().count(), 70);
        let t = EpcTransfer {
            bic: Some(Bic::parse("ETHNGRAAXXX").unwrap()),
            beneficiary: name.to_owned(),
            amount: MAX_AMOUNT,
            reference: RfReference::parse("RF2939KX5US7LX3PAN1BNWC0H").unwrap(),
            ..athens()
        };
        let payload = epc_payload(&t).unwrap();
        let greek_letters = name.chars().filter(|c| !c.is_ascii()).count();
        assert_eq!(greek_letters, 59);
        assert_eq!(payload.len(), payload.chars().count() + greek_letters);
        assert!(payload.len() <= MAX_PAYLOAD_BYTES, "{}", payload.len());

        // 70 four-byte characters are 70 characters but 280 bytes: too long.
        let wide = EpcTransfer { beneficiary: "𝔇".repeat(70), ..t.clone() };
        match epc_payload(&wide) {
            Err(EpcError::TooLong(bytes)) => assert!(bytes > MAX_PAYLOAD_BYTES),
            other => panic!("expected TooLong, got {other:?}"),
        }
    }

    #[test]
    fn decomposed_accents_are_composed() {
        let decomposed =
            EpcTransfer { beneficiary: "Δη\u{301}μος Αθηναι\u{301}ων".to_owned(), ..athens() };
        assert_eq!(epc_payload(&decomposed), epc_payload(&athens()));
    }

    #[test]
    fn bic_is_printed_when_given() {
        let t = EpcTransfer { bic: Some(Bic::parse("ETHNGRAA").unwrap()), ..athens() };
        let payload = epc_payload(&t).unwrap();
        assert_eq!(payload.lines().nth(4), Some("ETHNGRAA"));
        assert_eq!(payload.lines().count(), 10);
        assert!(!payload.ends_with('\n'));
    }
}
