//! One test per verdict, each decided by the keys file, the revocation list and `now`.
#![allow(clippy::unwrap_used)]

mod common;

use certificates::payload;
use certificates::sign::sign_payload_bytes;
use certificates::{Certificate, KeyStatus, KeysFile, Revocations, SigningKey, Verdict, sign, verify, verify_input};
use common::*;

fn verdict(cert: &Certificate, key: &SigningKey) -> Verdict {
    verify(&signed(cert, key), &keyring(), None, date(2025, 4, 1)).verdict
}

#[test]
fn genuine_and_valid_through_the_whole_validity() {
    let token = signed(&typical(), &key_a1());
    for now in [date(2025, 3, 14), date(2025, 4, 1), date(2025, 6, 13)] {
        let v = verify(&token, &keyring(), None, now);
        assert_eq!(v.verdict, Verdict::GenuineAndValid, "{now}");
        assert_eq!(v.certificate.as_ref(), Some(&typical()));
    }
}

#[test]
fn expiry_and_not_yet_valid_follow_now() {
    let token = signed(&typical(), &key_a1());
    assert_eq!(verify(&token, &keyring(), None, date(2025, 6, 14)).verdict, Verdict::Expired);
    assert_eq!(verify(&token, &keyring(), None, date(2025, 3, 13)).verdict, Verdict::NotYetValid);
}

#[test]
fn tenant_a_claim_signed_with_tenant_b_key_is_not_genuine() {
    // Names tenant A and key id 1, but B's key signed the bytes.
    let cert = typical();
    let forged = sign_payload_bytes(payload::encode(&cert), &key_b1()).unwrap();
    let v = verify(&forged, &keyring(), None, date(2025, 4, 1));
    assert_eq!(v.verdict, Verdict::NotGenuine);
    assert!(v.certificate.is_none(), "unverified fields are never reported as signed");
    // And sign() itself refuses to sign for another tenant.
    assert!(sign(&cert, &key_b1()).is_err());
}

#[test]
fn unknown_key_is_not_genuine() {
    let cert = Certificate { key_id: 9, ..typical() };
    let key = SigningKey::from_seed(TENANT_A, 9, &[0x99; 32]);
    assert_eq!(verdict(&cert, &key), Verdict::NotGenuine);
}

#[test]
fn any_token_of_a_compromised_key_is_revoked() {
    // A2 is compromised; even a certificate inside its signing window is refused.
    let cert = Certificate {
        key_id: 2,
        validity: certificates::Validity::new(date(2024, 6, 1), date(2025, 12, 31)).unwrap(),
        ..typical()
    };
    assert_eq!(verdict(&cert, &key_a2()), Verdict::RevokedKeyCompromised);
    // Outside its window as well.
    let late = Certificate { key_id: 2, ..typical() };
    assert_eq!(verdict(&late, &key_a2()), Verdict::RevokedKeyCompromised);
}

#[test]
fn issue_date_outside_the_signing_window_is_not_genuine() {
    let cert = Certificate {
        validity: certificates::Validity::new(date(2024, 12, 31), date(2025, 12, 31)).unwrap(),
        ..typical()
    };
    let v = verify(&signed(&cert, &key_a1()), &keyring(), None, date(2025, 4, 1));
    assert_eq!(v.verdict, Verdict::NotGenuine);
}

#[test]
fn retired_key_still_verifies_what_it_signed_in_its_window() {
    let mut file = keys_file();
    file.keys[0].status = KeyStatus::Retired;
    file.keys[0].signing_window.until = Some(date(2025, 3, 31));
    let keys = certificates::KeyRing::from_file(file).unwrap();
    let token = signed(&typical(), &key_a1());
    assert_eq!(verify(&token, &keys, None, date(2025, 4, 1)).verdict, Verdict::GenuineAndValid);
}

#[test]
fn revocation_list_revokes_and_its_absence_is_said() {
    let token = signed(&typical(), &key_a1());
    let list = Revocations::new(Some(date(2025, 3, 31)), [typical().id]);
    let v = verify(&token, &keyring(), Some(&list), date(2025, 4, 1));
    assert_eq!(v.verdict, Verdict::Revoked);
    let json = list.to_json();
    let report = verify_input(
        token.to_base32().as_bytes(),
        keys_file().to_json().as_bytes(),
        Some(json.as_bytes()),
        date(2025, 4, 1),
    )
    .unwrap();
    assert_eq!(report.verdict(), Verdict::Revoked);
    assert!(report.render().contains("as of 2025-03-31"));
    let other = Revocations::new(None, [worst_case().id]);
    let v = verify(&token, &keyring(), Some(&other), date(2025, 4, 1));
    assert_eq!(v.verdict, Verdict::GenuineAndValid);

    let unchecked =
        verify_input(token.to_base32().as_bytes(), keys_file().to_json().as_bytes(), None, date(2025, 4, 1)).unwrap();
    assert_eq!(unchecked.verdict(), Verdict::GenuineAndValid);
    assert_eq!(unchecked.exit_code(), 0);
    assert!(unchecked.render().contains("revocation not checked"));
}

#[test]
fn genuinely_signed_garbage_is_malformed() {
    let mut bytes = payload::encode(&typical());
    let last = bytes.len() - 1;
    bytes[last] = 0xff; // not UTF-8 inside the tenant name
    let token = sign_payload_bytes(bytes, &key_a1()).unwrap();
    let v = verify(&token, &keyring(), None, date(2025, 4, 1));
    assert_eq!(v.verdict, Verdict::Malformed);
    assert_eq!(v.verdict.exit_code(), 4);
}

#[test]
fn non_canonical_signature_is_not_genuine() {
    // Adding the group order L to S gives a signature that lax verifiers accept;
    // verify_strict must not.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let token = signed(&typical(), &key_a1());
    let mut bytes = token.as_bytes().to_vec();
    let s_at = bytes.len() - 32;
    let mut carry = 0u16;
    for (i, l) in L.iter().enumerate() {
        let sum = u16::from(bytes[s_at + i]) + u16::from(*l) + carry;
        bytes[s_at + i] = sum as u8;
        carry = sum >> 8;
    }
    let altered = certificates::Token::from_bytes(bytes).unwrap();
    assert_eq!(verify(&altered, &keyring(), None, date(2025, 4, 1)).verdict, Verdict::NotGenuine);
}

#[test]
fn garbage_inputs_are_malformed_never_a_panic() {
    let keys = keys_file().to_json();
    for input in [&b""[..], b"%PDF-1.7 junk", b"\xff\xfe", b"HTTPS://X/V/", b"AAAA", b"not a token"] {
        let report = verify_input(input, keys.as_bytes(), None, date(2025, 4, 1)).unwrap();
        assert_eq!(report.verdict(), Verdict::Malformed);
        assert_ne!(report.exit_code(), 0);
    }
    assert!(verify_input(b"AAAA", b"{}", None, date(2025, 4, 1)).is_err());
    let bad_format = KeysFile { format: "other".into(), keys: vec![] }.to_json();
    assert!(verify_input(b"AAAA", bad_format.as_bytes(), None, date(2025, 4, 1)).is_err());
}

#[test]
fn pdf_bytes_and_bare_token_give_the_same_report() {
    let text = signed(&typical(), &key_a1()).to_base32();
    let fake_pdf = format!("%PDF-1.7\n1 0 obj\n<< /Producer (x) /TameioCertificate ({text}) >>\nendobj\n%%EOF");
    let keys = keys_file().to_json();
    let a = verify_input(fake_pdf.as_bytes(), keys.as_bytes(), None, date(2025, 4, 1)).unwrap();
    let b = verify_input(text.as_bytes(), keys.as_bytes(), None, date(2025, 4, 1)).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.verdict(), Verdict::GenuineAndValid);
}

#[test]
fn random_bytes_and_mutated_tokens_never_panic_or_verify() {
    // A small xorshift keeps the inputs the same on every run.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let keys = keyring();
    let genuine = signed(&worst_case(), &key_a1()).to_base32().into_bytes();
    for round in 0..2_000 {
        let input: Vec<u8> = if round % 2 == 0 {
            let len = (next() % 700) as usize;
            (0..len).map(|_| next() as u8).collect()
        } else {
            let mut text = genuine.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % text.len();
                text[at] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(next() % 32) as usize];
            }
            if text == genuine {
                continue;
            }
            text
        };
        let report = certificates::verify_with(&input, &keys, None, date(2025, 4, 1));
        assert_ne!(report.verdict(), Verdict::GenuineAndValid, "round {round}");
        let _ = report.render();
    }
}
