//! The audit chain in storage: entries appended in the caller's transaction,
//! with the tenant's head row updated beside them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::batch::insert_rows;
use super::{Db, StoreError, StoreResult, Tx, on_pool, on_tx};
use crate::domain::actor::Actor;
use crate::domain::audit::{AuditRecord, StoredEntry, decode_hash};

/// Reads the head and, on PostgreSQL, locks it: the head is the last lock in
/// the fixed order (party, counters, audit head), taken just before the insert.
async fn head_for_update(tx: &mut Tx, tenant: Uuid) -> StoreResult<(i64, String)> {
    const SQLITE: &str = "select seq, hash from audit_heads where tenant_id = $1";
    const POSTGRES: &str = "select seq, hash from audit_heads where tenant_id = $1 for update";
    let row: Option<(i64, String)> = match tx {
        // SQLite: the transaction already holds the database's write lock.
        Tx::Sqlite(t) => sqlx::query_as(SQLITE).bind(tenant).fetch_optional(&mut **t).await?,
        Tx::Postgres(t) => sqlx::query_as(POSTGRES).bind(tenant).fetch_optional(&mut **t).await?,
    };
    row.ok_or(StoreError::NotFound)
}

const ENTRY_COLS: [&str; 9] = ["tenant_id", "seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash"];
const UPDATE_HEAD: &str = "update audit_heads set seq = $2, hash = $3 where tenant_id = $1";

/// An entry about to be appended.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub subject: String,
    pub details: serde_json::Value,
}

/// Appends one entry to the tenant's chain and returns its sequence number.
pub async fn append(
    tx: &mut Tx,
    tenant: Uuid,
    at: DateTime<Utc>,
    actor: &Actor,
    action: &str,
    subject: &str,
    details: serde_json::Value,
) -> StoreResult<i64> {
    let entry = NewEntry { actor, action, subject: subject.into(), details };
    Ok(*append_all(tx, tenant, at, vec![entry]).await?.end())
}

/// Appends entries in order, chained in memory from the head read once, with
/// one insert and one head update; returns their sequence numbers.
pub async fn append_all(
    tx: &mut Tx,
    tenant: Uuid,
    at: DateTime<Utc>,
    entries: Vec<NewEntry<'_>>,
) -> StoreResult<std::ops::RangeInclusive<i64>> {
    let (head_seq, head_hash) = head_for_update(tx, tenant).await?;
    let count = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    if entries.is_empty() {
        return Ok(head_seq + 1..=head_seq);
    }
    let at = super::truncate_micros(at);
    // (seq, actor, action, subject, canonical details, prev hash, hash)
    let mut rows: Vec<(i64, String, String, String, String, String, String)> = Vec::with_capacity(entries.len());
    let mut prev_hex = head_hash;
    for (seq, e) in (head_seq + 1..).zip(entries) {
        let prev = decode_hash(&prev_hex).ok_or_else(|| StoreError::Corrupt("audit head hash".into()))?;
        let record = AuditRecord {
            seq,
            tenant,
            at,
            actor: e.actor.label(),
            action: e.action.into(),
            subject: e.subject,
            details: e.details,
        };
        let hash = hex::encode(record.hash(&prev));
        let details = crate::domain::audit::canonical_json(&record.details);
        rows.push((seq, record.actor, record.action, record.subject, details, prev_hex, hash.clone()));
        prev_hex = hash;
    }
    insert_rows!(tx, "audit_entries", ENTRY_COLS, rows, |q, r| q
        .bind(tenant)
        .bind(r.0)
        .bind(at)
        .bind(&r.1)
        .bind(&r.2)
        .bind(&r.3)
        .bind(&r.4)
        .bind(&r.5)
        .bind(&r.6));
    let last = head_seq + count;
    on_tx!(tx, |c| sqlx::query(UPDATE_HEAD)
        .bind(tenant)
        .bind(last)
        .bind(&prev_hex)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(head_seq + 1..=last)
}

type EntryRow = (i64, DateTime<Utc>, String, String, String, String, String, String);

fn to_entry(tenant: Uuid, (seq, at, actor, action, subject, details, prev_hash, hash): EntryRow) -> StoredEntry {
    StoredEntry {
        record: AuditRecord {
            seq,
            tenant,
            at,
            actor,
            action,
            subject,
            // A details column that no longer parses still hashes as its text,
            // so the edit shows as a hash mismatch, not as a crash.
            details: serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details)),
        },
        prev_hash,
        hash,
    }
}

/// The whole chain of one tenant, in order, for verification.
pub async fn chain(db: &Db, tenant: Uuid) -> StoreResult<Vec<StoredEntry>> {
    const Q: &str = "select seq, at, actor, action, subject, details, prev_hash, hash
        from audit_entries where tenant_id = $1 order by seq";
    let rows: Vec<EntryRow> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| to_entry(tenant, r)).collect())
}

pub async fn head(db: &Db, tenant: Uuid) -> StoreResult<Option<(i64, String)>> {
    const Q: &str = "select seq, hash from audit_heads where tenant_id = $1";
    Ok(on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).fetch_optional(p).await)?)
}

/// The newest entries first, for the officer pages and the API.
pub async fn recent(db: &Db, tenant: Uuid, limit: i64) -> StoreResult<Vec<StoredEntry>> {
    const Q: &str = "select seq, at, actor, action, subject, details, prev_hash, hash
        from audit_entries where tenant_id = $1 order by seq desc limit $2";
    let rows: Vec<EntryRow> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(limit).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| to_entry(tenant, r)).collect())
}
