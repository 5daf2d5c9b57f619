//! Payload round trips and the size bounds the QR budget rests on.
#![allow(clippy::unwrap_used)]

mod common;

use certificates::payload::{self, MAX_PAYLOAD_LEN};
use certificates::token::MAX_TOKEN_CHARS;
use common::*;

#[test]
fn worst_case_fills_the_bounds_exactly() {
    let cert = worst_case();
    assert_eq!(cert.holder_name.as_str(), longest_greek_name());
    assert_eq!(cert.tenant_name.as_str().len(), 48);
    let bytes = payload::encode(&cert);
    assert_eq!(bytes.len(), MAX_PAYLOAD_LEN);
    assert_eq!(MAX_PAYLOAD_LEN, 267);
    assert_eq!(MAX_TOKEN_CHARS, 530);
    assert_eq!(payload::decode(&bytes).unwrap(), cert);
}

#[test]
fn encoding_is_deterministic_and_round_trips() {
    for cert in [typical(), worst_case()] {
        let bytes = payload::encode(&cert);
        assert_eq!(payload::encode(&payload::decode(&bytes).unwrap()), bytes);
    }
    let bytes = payload::encode(&typical());
    assert_eq!(bytes[0], 1, "format version first");
    assert_eq!(&bytes[1..17], TENANT_A.as_bytes());
    assert_eq!(&bytes[17..19], &[0, 1]);
}

#[test]
fn every_accepted_single_bit_variant_re_encodes_to_itself() {
    // Strict decoding: whatever decodes must be the unique encoding of its value.
    let bytes = payload::encode(&worst_case());
    for i in 0..bytes.len() * 8 {
        let mut altered = bytes.clone();
        altered[i / 8] ^= 1 << (i % 8);
        if let Ok(cert) = payload::decode(&altered) {
            assert_eq!(payload::encode(&cert), altered, "bit {i}");
        }
    }
}

#[test]
fn trailing_bytes_and_unknown_versions_are_refused() {
    let mut bytes = payload::encode(&typical());
    bytes.push(0);
    assert!(payload::decode(&bytes).is_err());
    let mut bytes = payload::encode(&typical());
    bytes[0] = 2;
    assert!(payload::decode(&bytes).is_err());
}
