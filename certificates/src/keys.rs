//! The published keys file and the optional revocation list, both JSON, as an
//! offline verifier reads them.
//!
//! Keys file:
//!
//! ```json
//! { "format": "tameio-keys/1",
//!   "keys": [ { "tenant": "<uuid>", "key_id": 1, "public_key": "<64 hex digits>",
//!               "status": "active", "signing_window": { "from": "2025-01-01", "until": null } } ] }
//! ```
//!
//! Revocation list: `{ "format": "tameio-revocations/1", "as_of": "2025-06-30",
//! "revoked": ["<certificate id, short form or 32 hex digits>", ...] }`.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::fields::CertificateId;
use crate::payload::KeyId;

pub const KEYS_FORMAT: &str = "tameio-keys/1";
pub const REVOCATIONS_FORMAT: &str = "tameio-revocations/1";

/// Why a keys file or revocation list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeysError {
    #[error("not valid JSON for this file: {0}")]
    Json(String),
    #[error("unknown format {found:?}, expected {expected:?}")]
    Format { found: String, expected: &'static str },
    #[error("key {tenant}/{key_id}: public key is not 32 bytes of hex or not a valid Ed25519 point")]
    PublicKey { tenant: Uuid, key_id: KeyId },
    #[error("key {tenant}/{key_id} appears twice")]
    Duplicate { tenant: Uuid, key_id: KeyId },
    #[error("key {tenant}/{key_id}: signing window ends before it starts")]
    Window { tenant: Uuid, key_id: KeyId },
    #[error("revocation list entry {0:?} is not a certificate id")]
    CertificateId(String),
}

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Signs new certificates.
    Active,
    /// No longer signs, but what it signed inside its window stays genuine.
    Retired,
    /// Its private half may be known to others: nothing it signed can be trusted.
    Compromised,
}

/// The dates (inclusive, tenant-local) on which a key may sign; `until` is
/// open while the key is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningWindow {
    pub from: NaiveDate,
    #[serde(default)]
    pub until: Option<NaiveDate>,
}

impl SigningWindow {
    pub fn contains(&self, day: NaiveDate) -> bool {
        day >= self.from && self.until.is_none_or(|u| day <= u)
    }
}

/// One key as it appears in the keys file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEntry {
    pub tenant: Uuid,
    pub key_id: KeyId,
    /// 32 bytes, lower-case hex.
    pub public_key: String,
    pub status: KeyStatus,
    pub signing_window: SigningWindow,
}

/// The keys file as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysFile {
    pub format: String,
    pub keys: Vec<KeyEntry>,
}

impl KeysFile {
    pub fn new(keys: Vec<KeyEntry>) -> Self {
        Self { format: KEYS_FORMAT.to_owned(), keys }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// A published key, checked and ready to verify with.
#[derive(Debug, Clone)]
pub struct PublishedKey {
    pub tenant: Uuid,
    pub key_id: KeyId,
    pub status: KeyStatus,
    pub signing_window: SigningWindow,
    pub(crate) verifying: ed25519_dalek::VerifyingKey,
}

/// Every published key, found by (tenant, key id).
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: HashMap<(Uuid, KeyId), PublishedKey>,
}

impl KeyRing {
    pub fn from_json(bytes: &[u8]) -> Result<Self, KeysError> {
        let file: KeysFile = serde_json::from_slice(bytes).map_err(|e| KeysError::Json(e.to_string()))?;
        Self::from_file(file)
    }

    pub fn from_file(file: KeysFile) -> Result<Self, KeysError> {
        if file.format != KEYS_FORMAT {
            return Err(KeysError::Format { found: file.format, expected: KEYS_FORMAT });
        }
        let mut keys = HashMap::with_capacity(file.keys.len());
        for entry in file.keys {
            let (tenant, key_id) = (entry.tenant, entry.key_id);
            let verifying = decode_public_key(&entry.public_key).ok_or(KeysError::PublicKey { tenant, key_id })?;
            if entry.signing_window.until.is_some_and(|u| u < entry.signing_window.from) {
                return Err(KeysError::Window { tenant, key_id });
            }
            let key =
                PublishedKey { tenant, key_id, status: entry.status, signing_window: entry.signing_window, verifying };
            if keys.insert((tenant, key_id), key).is_some() {
                return Err(KeysError::Duplicate { tenant, key_id });
            }
        }
        Ok(Self { keys })
    }

    pub fn get(&self, tenant: Uuid, key_id: KeyId) -> Option<&PublishedKey> {
        self.keys.get(&(tenant, key_id))
    }
}

fn decode_public_key(hex: &str) -> Option<ed25519_dalek::VerifyingKey> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE.decode(hex.as_bytes()).ok()?;
    let array: [u8; 32] = bytes.try_into().ok()?;
    ed25519_dalek::VerifyingKey::from_bytes(&array).ok()
}

/// The revocation list file as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationsFile {
    pub format: String,
    /// The day the list was published, printed so the reader knows how fresh it is.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
    pub revoked: Vec<String>,
}

/// Revoked certificate ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revocations {
    pub as_of: Option<NaiveDate>,
    ids: BTreeSet<CertificateId>,
}

impl Revocations {
    pub fn new(as_of: Option<NaiveDate>, ids: impl IntoIterator<Item = CertificateId>) -> Self {
        Self { as_of, ids: ids.into_iter().collect() }
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, KeysError> {
        let file: RevocationsFile = serde_json::from_slice(bytes).map_err(|e| KeysError::Json(e.to_string()))?;
        if file.format != REVOCATIONS_FORMAT {
            return Err(KeysError::Format { found: file.format, expected: REVOCATIONS_FORMAT });
        }
        let mut ids = BTreeSet::new();
        for text in file.revoked {
            let id = CertificateId::parse(&text).ok_or(KeysError::CertificateId(text))?;
            ids.insert(id);
        }
        Ok(Self { as_of: file.as_of, ids })
    }

    pub fn to_json(&self) -> String {
        let file = RevocationsFile {
            format: REVOCATIONS_FORMAT.to_owned(),
            as_of: self.as_of,
            revoked: self.ids.iter().map(CertificateId::short_form).collect(),
        };
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    pub fn contains(&self, id: &CertificateId) -> bool {
        self.ids.contains(id)
    }
}
