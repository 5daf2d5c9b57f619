//! Published test vectors (`tests/data/`): fixed test keys, a token for each
//! verdict, and the report each must print. This test checks that the files
//! match what the code produces; `TAMEIO_BLESS=1` rewrites them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use certificates::payload;
use certificates::sign::sign_payload_bytes;
use certificates::{Certificate, Revocations, Validity, verify_input};
use chrono::NaiveDate;
use common::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Vector {
    name: String,
    description: String,
    token: String,
    now: NaiveDate,
    with_revocations: bool,
    verdict: String,
    exit_code: i32,
    report: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Vectors {
    comment: String,
    keys: String,
    revocations: String,
    vectors: Vec<Vector>,
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn revocations() -> Revocations {
    let revoked = Certificate { id: certificates::CertificateId([0x7e; 16]), ..typical() };
    Revocations::new(Some(date(2025, 3, 31)), [revoked.id])
}

/// (name, description, token text, now, with revocation list)
fn cases() -> Vec<(&'static str, &'static str, String, NaiveDate, bool)> {
    let now = date(2025, 4, 1);
    let genuine = signed(&typical(), &key_a1()).to_base32();
    let worst = signed(&worst_case(), &key_a1()).to_base32();
    let revoked = Certificate { id: certificates::CertificateId([0x7e; 16]), ..typical() };
    let compromised =
        Certificate { key_id: 2, validity: Validity::new(date(2024, 6, 1), date(2025, 12, 31)).unwrap(), ..typical() };
    let cross_tenant = sign_payload_bytes(payload::encode(&typical()), &key_b1()).unwrap().to_base32();
    let mut flipped = signed(&typical(), &key_a1()).as_bytes().to_vec();
    flipped[60] ^= 0x01;
    let flipped = certificates::Token::from_bytes(flipped).unwrap().to_base32();
    let mut garbage = payload::encode(&typical());
    let last = garbage.len() - 1;
    garbage[last] = 0xff;
    let garbage = sign_payload_bytes(garbage, &key_a1()).unwrap().to_base32();
    vec![
        ("genuine", "typical certificate, checked against the revocation list", genuine.clone(), now, true),
        ("genuine-unchecked", "the same without a revocation list", genuine.clone(), now, false),
        ("genuine-url", "the QR's URL form", format!("HTTPS://VERIFY.EXAMPLE.GR/V/{genuine}"), now, true),
        ("worst-case", "longest Greek name, tax id, property id and tenant name", worst, now, true),
        ("expired", "checked the day after valid-until", genuine.clone(), date(2025, 6, 14), true),
        ("not-yet-valid", "checked the day before the issue date", genuine, date(2025, 3, 13), true),
        ("revoked", "certificate id on the revocation list", signed(&revoked, &key_a1()).to_base32(), now, true),
        (
            "key-compromised",
            "signed by tenant A key 2, marked compromised",
            signed(&compromised, &key_a2()).to_base32(),
            now,
            true,
        ),
        ("cross-tenant", "names tenant A key 1, signed by tenant B's key", cross_tenant, now, true),
        ("bit-flip", "genuine token with one payload bit flipped", flipped, now, true),
        ("signed-garbage", "validly signed bytes that are not a payload", garbage, now, true),
        ("bad-base32", "lower-case text", "abcdefgh".to_owned(), now, true),
    ]
}

fn build() -> (String, String, Vectors, Vec<(String, String)>) {
    let keys = keys_file().to_json();
    let revocations = revocations().to_json();
    let mut reports = Vec::new();
    let vectors = cases()
        .into_iter()
        .map(|(name, description, token, now, with_revocations)| {
            let list = with_revocations.then_some(revocations.as_bytes());
            let report = verify_input(token.as_bytes(), keys.as_bytes(), list, now).unwrap();
            let file = format!("{name}.txt");
            reports.push((file.clone(), report.render()));
            Vector {
                name: name.to_owned(),
                description: description.to_owned(),
                token,
                now,
                with_revocations,
                verdict: report.verdict().as_str().to_owned(),
                exit_code: report.exit_code(),
                report: file,
            }
        })
        .collect();
    let vectors = Vectors {
        comment: "Tameio certificate test vectors; the keys are test keys whose seeds are in README.md here. Never trust them.".to_owned(),
        keys: "keys.json".to_owned(),
        revocations: "revocations.json".to_owned(),
        vectors,
    };
    (keys, revocations, vectors, reports)
}

#[test]
fn published_vectors_match_the_code() {
    let (keys, revocations, vectors, reports) = build();
    let dir = data_dir();
    let json = serde_json::to_string_pretty(&vectors).unwrap() + "\n";
    let mut files = vec![
        ("keys.json".to_owned(), keys + "\n"),
        ("revocations.json".to_owned(), revocations + "\n"),
        ("vectors.json".to_owned(), json),
    ];
    files.extend(reports);
    if std::env::var_os("TAMEIO_BLESS").is_some() {
        for (name, content) in &files {
            std::fs::write(dir.join(name), content).unwrap();
        }
    }
    for (name, content) in &files {
        let on_disk = std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|_| panic!("{name} missing; run with TAMEIO_BLESS=1"));
        assert_eq!(&on_disk, content, "{name} differs; run with TAMEIO_BLESS=1 and review");
    }
    let names: Vec<_> = vectors.vectors.iter().map(|v| (v.name.as_str(), v.verdict.as_str())).collect();
    for expected in [
        ("genuine", "genuine and valid"),
        ("expired", "expired"),
        ("revoked", "revoked"),
        ("key-compromised", "revoked: key compromised"),
        ("cross-tenant", "not genuine"),
        ("signed-garbage", "malformed"),
    ] {
        assert!(names.contains(&expected), "{expected:?}");
    }
}
