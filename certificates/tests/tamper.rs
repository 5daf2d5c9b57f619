//! Tampering: no changed bit or character of a genuine token verifies as valid.
#![allow(clippy::unwrap_used)]

mod common;

use certificates::{Token, Verdict, verify};
use common::*;

fn verdict_of_bytes(bytes: Vec<u8>) -> Verdict {
    match Token::from_bytes(bytes) {
        Ok(token) => verify(&token, &keyring(), None, date(2025, 4, 1)).verdict,
        Err(_) => Verdict::Malformed,
    }
}

#[test]
fn every_flipped_bit_of_payload_and_signature_is_refused() {
    let keys = keyring();
    for cert in [typical(), worst_case()] {
        let token = signed(&cert, &key_a1());
        let now = date(2025, 4, 1);
        assert_eq!(verify(&token, &keys, None, now).verdict, Verdict::GenuineAndValid);
        let bytes = token.as_bytes().to_vec();
        for i in 0..bytes.len() * 8 {
            let mut altered = bytes.clone();
            altered[i / 8] ^= 1 << (i % 8);
            let altered = Token::from_bytes(altered).unwrap();
            let verdict = verify(&altered, &keys, None, now).verdict;
            assert!(matches!(verdict, Verdict::NotGenuine | Verdict::Malformed), "bit {i} flipped gave {verdict}");
        }
    }
}

#[test]
fn every_changed_character_of_the_text_is_refused() {
    let text = signed(&worst_case(), &key_a1()).to_base32();
    let keys = keyring();
    let now = date(2025, 4, 1);
    // Every other base32 letter, plus characters outside the alphabet (lower
    // case of the same letter, a digit base32 lacks, padding).
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    for (i, original) in text.char_indices() {
        let replacements = alphabet.chars().filter(|c| *c != original).step_by(8).chain([
            original.to_ascii_lowercase(),
            '0',
            '1',
            '8',
            '=',
            '/',
        ]);
        for replacement in replacements.filter(|c| *c != original) {
            let mut altered = text.clone();
            altered.replace_range(i..i + 1, replacement.encode_utf8(&mut [0; 4]));
            let verdict = match Token::parse(&altered) {
                Ok(token) => verify(&token, &keys, None, now).verdict,
                Err(_) => Verdict::Malformed,
            };
            assert!(verdict != Verdict::GenuineAndValid, "char {i} {original}->{replacement} still verifies");
        }
    }
}

#[test]
fn truncated_and_extended_tokens_are_refused() {
    let bytes = signed(&typical(), &key_a1()).as_bytes().to_vec();
    for cut in 1..bytes.len() {
        assert_ne!(verdict_of_bytes(bytes[..cut].to_vec()), Verdict::GenuineAndValid);
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_ne!(verdict_of_bytes(longer), Verdict::GenuineAndValid);
}
