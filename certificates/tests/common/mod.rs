//! Fixtures shared by the integration tests: fixed keys, tenants and certificates.
#![allow(dead_code, clippy::unwrap_used)]

use certificates::{
    Certificate, CertificateId, Country, HolderName, KeyEntry, KeyRing, KeyStatus, KeysFile, PropertyId, Purpose,
    Scope, SigningKey, SigningWindow, TaxId, TenantName, Token, Validity, sign,
};
use chrono::NaiveDate;
use uuid::Uuid;

pub const TENANT_A: Uuid = Uuid::from_u128(0x0f6e_2c9a_8d1b_4f3e_9a57_3c2b_1d0e_a001);
pub const TENANT_B: Uuid = Uuid::from_u128(0x0f6e_2c9a_8d1b_4f3e_9a57_3c2b_1d0e_b002);
pub const SEED_A1: [u8; 32] = [0x11; 32];
pub const SEED_A2: [u8; 32] = [0x12; 32];
pub const SEED_B1: [u8; 32] = [0x21; 32];

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn key_a1() -> SigningKey {
    SigningKey::from_seed(TENANT_A, 1, &SEED_A1)
}

pub fn key_a2() -> SigningKey {
    SigningKey::from_seed(TENANT_A, 2, &SEED_A2)
}

pub fn key_b1() -> SigningKey {
    SigningKey::from_seed(TENANT_B, 1, &SEED_B1)
}

pub fn entry(key: &SigningKey, status: KeyStatus, from: NaiveDate, until: Option<NaiveDate>) -> KeyEntry {
    KeyEntry {
        tenant: key.tenant_id(),
        key_id: key.key_id(),
        public_key: data_encoding::HEXLOWER.encode(&key.public_key()),
        status,
        signing_window: SigningWindow { from, until },
    }
}

/// A1 active since 2025, A2 compromised, B1 active.
pub fn keys_file() -> KeysFile {
    KeysFile::new(vec![
        entry(&key_a1(), KeyStatus::Active, date(2025, 1, 1), None),
        entry(&key_a2(), KeyStatus::Compromised, date(2024, 1, 1), Some(date(2024, 12, 31))),
        entry(&key_b1(), KeyStatus::Active, date(2025, 1, 1), None),
    ])
}

pub fn keyring() -> KeyRing {
    KeyRing::from_file(keys_file()).unwrap()
}

/// A typical certificate of tenant A, key 1, valid 2025-03-14 to 2025-06-13.
pub fn typical() -> Certificate {
    let gr = Country::new("GR").unwrap();
    Certificate {
        id: CertificateId([0x5a; 16]),
        tenant_id: TENANT_A,
        key_id: 1,
        holder_tax_id: TaxId::new(gr, "094019245").unwrap(),
        holder_name: HolderName::new("Παπαδοπούλου Αικατερίνη").unwrap(),
        purpose: Purpose::PropertyTransfer,
        scope: Scope::AllDebts,
        validity: Validity::new(date(2025, 3, 14), date(2025, 6, 13)).unwrap(),
        serial: 123,
        tenant_name: TenantName::new("Δήμος Αθηναίων").unwrap(),
    }
}

/// A 64-letter Greek name with no spaces: 128 bytes in UTF-8, the byte bound.
pub fn longest_greek_name() -> String {
    let name = "ΑθανασοπουλοπούλουΧατζηκωνσταντινοπούλουΠαναγιώταΕυφροσύνηΜαρίας";
    assert_eq!((name.chars().count(), name.len()), (64, 128));
    name.to_owned()
}

/// The largest payload the bounds allow: longest Greek name, longest tax id,
/// longest property id, longest tenant name.
pub fn worst_case() -> Certificate {
    let name = longest_greek_name();
    let it = Country::new("IT").unwrap();
    Certificate {
        id: CertificateId([0xc3; 16]),
        holder_tax_id: TaxId::new(it, "RSSMRA85T10A562S").unwrap(),
        holder_name: HolderName::new(&name).unwrap(),
        scope: Scope::Property(PropertyId::new("050681726008/0/1-ABCDEFG").unwrap()),
        tenant_name: TenantName::new("Δήμος Νέας ΦιλαδέλφειαςΧΑ").unwrap(),
        serial: u32::MAX,
        ..typical()
    }
}

pub fn signed(cert: &Certificate, key: &SigningKey) -> Token {
    sign(cert, key).unwrap()
}
