//! The audit chain: each entry's hash covers the previous hash and a canonical
//! JSON form of the entry, so that any edit, deletion or reordering shows.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

/// The hash that stands before the first entry of every tenant's chain.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// One entry as it is hashed. `details` is any JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub seq: i64,
    pub tenant: Uuid,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: Value,
}

/// RFC 3339 in UTC with exactly six fractional digits: the form that is hashed.
pub fn format_at(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Canonical JSON: keys sorted, no whitespace, every string (keys included) in NFC.
/// `serde_json`'s map is ordered by key (no `preserve_order`), so sorting is free.
pub fn canonical_json(v: &Value) -> String {
    // ASCII text is already in NFC: most keys and values skip the normalizer.
    fn nfc_str(s: &str) -> String {
        if s.is_ascii() { s.to_owned() } else { s.nfc().collect() }
    }
    fn nfc(v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(nfc_str(s)),
            Value::Array(a) => Value::Array(a.iter().map(nfc).collect()),
            Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (nfc_str(k), nfc(v))).collect()),
            other => other.clone(),
        }
    }
    nfc(v).to_string()
}

impl AuditRecord {
    pub fn canonical(&self) -> String {
        canonical_json(&serde_json::json!({
            "seq": self.seq,
            "tenant": self.tenant.to_string(),
            "at": format_at(self.at),
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "details": self.details,
        }))
    }

    /// `SHA-256(prev_hash ‖ canonical JSON)`.
    pub fn hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(prev);
        h.update(self.canonical().as_bytes());
        h.finalize().into()
    }
}

/// A stored entry: the record plus the hashes kept beside it.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub record: AuditRecord,
    pub prev_hash: String,
    pub hash: String,
}

/// What `audit verify` can find wrong in one tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainFinding {
    /// Entry `seq` does not hash to what is stored, or does not follow its predecessor.
    EntryDiffers { seq: i64 },
    /// Sequence numbers jump: `expected` is missing before `found`.
    Gap { expected: i64, found: i64 },
    /// The head row does not name the last entry.
    HeadMismatch { head_seq: i64, last_seq: i64 },
}

impl std::fmt::Display for ChainFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainFinding::EntryDiffers { seq } => write!(f, "entry {seq} differs from its hash"),
            ChainFinding::Gap { expected, found } => {
                write!(f, "entry {expected} is missing (next entry is {found})")
            }
            ChainFinding::HeadMismatch { head_seq, last_seq } => {
                write!(f, "the head names entry {head_seq} but the last entry is {last_seq}")
            }
        }
    }
}

/// Recomputes a chain given in ascending `seq` order and returns every finding,
/// first entry that differs first. Hashes continue from the recomputed value so
/// a single edit is reported once, at the entry that was edited.
pub fn verify_chain(entries: &[StoredEntry], head: Option<(i64, &str)>) -> Vec<ChainFinding> {
    let mut findings = Vec::new();
    let mut prev = GENESIS_HASH;
    let mut expected_seq = 1;
    for e in entries {
        let seq = e.record.seq;
        if seq != expected_seq {
            findings.push(ChainFinding::Gap { expected: expected_seq, found: seq });
        }
        let computed = e.record.hash(&prev);
        let stored_ok = e.prev_hash == hex::encode(prev) && e.hash == hex::encode(computed);
        if !stored_ok {
            findings.push(ChainFinding::EntryDiffers { seq });
        }
        // Continue from the stored hash: a gap or an edit is then reported where it
        // is, and the entries after it that chain correctly are not blamed.
        prev = decode_hash(&e.hash).unwrap_or(computed);
        expected_seq = seq + 1;
    }
    let last_seq = entries.last().map_or(0, |e| e.record.seq);
    let last_hash = entries.last().map_or(hex::encode(GENESIS_HASH), |e| e.hash.clone());
    match head {
        Some((head_seq, head_hash)) if head_seq != last_seq || head_hash != last_hash => {
            findings.push(ChainFinding::HeadMismatch { head_seq, last_seq });
        }
        None if last_seq != 0 => findings.push(ChainFinding::HeadMismatch { head_seq: 0, last_seq }),
        _ => {}
    }
    findings
}

pub fn decode_hash(s: &str) -> Option<[u8; 32]> {
    hex::decode(s).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rec(seq: i64, action: &str) -> AuditRecord {
        AuditRecord {
            seq,
            tenant: Uuid::nil(),
            at: Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).single().unwrap_or_default(),
            actor: "cli".into(),
            action: action.into(),
            subject: "tenant:demo".into(),
            details: serde_json::json!({"b": 1, "a": "Δήμος"}),
        }
    }

    fn chain(n: i64) -> Vec<StoredEntry> {
        let mut prev = GENESIS_HASH;
        (1..=n)
            .map(|seq| {
                let record = rec(seq, &format!("action.{seq}"));
                let h = record.hash(&prev);
                let e = StoredEntry { record, prev_hash: hex::encode(prev), hash: hex::encode(h) };
                prev = h;
                e
            })
            .collect()
    }

    #[test]
    fn canonical_form_is_sorted_compact_and_nfc() {
        // "ά" decomposed (α + combining acute) must hash like the composed letter.
        let v = serde_json::json!({"z": "\u{03b1}\u{0301}", "a": [1, {"y": true, "b": null}]});
        assert_eq!(canonical_json(&v), "{\"a\":[1,{\"b\":null,\"y\":true}],\"z\":\"\u{03ac}\"}");
        assert_eq!(
            rec(1, "x").canonical(),
            "{\"action\":\"x\",\"actor\":\"cli\",\"at\":\"2026-11-23T10:00:00.000000Z\",\"details\":{\"a\":\"Δήμος\",\"b\":1},\"seq\":1,\"subject\":\"tenant:demo\",\"tenant\":\"00000000-0000-0000-0000-000000000000\"}"
        );
    }

    #[test]
    fn an_intact_chain_has_no_findings() {
        let c = chain(4);
        let head = (4, c[3].hash.clone());
        assert!(verify_chain(&c, Some((head.0, &head.1))).is_empty());
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        let c = chain(4);
        let head = (4, c[3].hash.clone());
        let mut edited = c.clone();
        edited[1].record.subject = "tenant:other".into();
        assert_eq!(verify_chain(&edited, Some((4, &head.1))), vec![ChainFinding::EntryDiffers { seq: 2 }]);

        let mut middle = c.clone();
        middle.remove(1);
        let f = verify_chain(&middle, Some((4, &head.1)));
        assert_eq!(f[0], ChainFinding::Gap { expected: 2, found: 3 });
        assert!(f.contains(&ChainFinding::EntryDiffers { seq: 3 }));

        let mut last = c.clone();
        last.pop();
        assert_eq!(
            verify_chain(&last, Some((4, &head.1))),
            vec![ChainFinding::HeadMismatch { head_seq: 4, last_seq: 3 }]
        );
    }
}
