//! The audit chain in storage: entries appended in the caller's transaction,
//! with the tenant's head row updated beside them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

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

const INSERT_ENTRY: &str = "insert into audit_entries
    (tenant_id, seq, at, actor, action, subject, details, prev_hash, hash)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const UPDATE_HEAD: &str = "update audit_heads set seq = $2, hash = $3 where tenant_id = $1";

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
    let (head_seq, head_hash) = head_for_update(tx, tenant).await?;
    let prev = decode_hash(&head_hash).ok_or_else(|| StoreError::Corrupt("audit head hash".into()))?;
    let record = AuditRecord {
        seq: head_seq + 1,
        tenant,
        at: super::truncate_micros(at),
        actor: actor.label(),
        action: action.into(),
        subject: subject.into(),
        details,
    };
    let hash = hex::encode(record.hash(&prev));
    let details = crate::domain::audit::canonical_json(&record.details);
    on_tx!(tx, |c| sqlx::query(INSERT_ENTRY)
        .bind(tenant)
        .bind(record.seq)
        .bind(record.at)
        .bind(&record.actor)
        .bind(&record.action)
        .bind(&record.subject)
        .bind(&details)
        .bind(&head_hash)
        .bind(&hash)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    on_tx!(tx, |c| sqlx::query(UPDATE_HEAD)
        .bind(tenant)
        .bind(record.seq)
        .bind(&hash)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(record.seq)
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
