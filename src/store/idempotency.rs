//! API idempotency records: one per (tenant, API key, Idempotency-Key), claimed
//! inside the transaction of the effect and holding the response it gave, so
//! a retry gets the same answer and the effect happens once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Db, StoreError, StoreResult, Tx, on_pool, on_tx};

/// What identifies one request under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdemRequest {
    pub key_id: Uuid,
    pub key: String,
    pub method: String,
    pub path: String,
    pub body_sha256: String,
}

/// What an earlier request under the same key left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earlier {
    /// The same request: its stored response.
    Same { status: u16, response: String },
    /// Another body, method or path under the same key.
    Mismatch,
}

/// The earlier request under this key, if any.
pub async fn earlier(db: &Db, tenant: Uuid, r: &IdemRequest) -> StoreResult<Option<Earlier>> {
    const Q: &str = "select method, path, body_sha256, status_code, response from idempotency_keys
        where tenant_id = $1 and key_id = $2 and key = $3";
    let row: Option<(String, String, String, i64, String)> =
        on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(r.key_id).bind(&r.key).fetch_optional(p).await)?;
    Ok(row.map(|(method, path, sha, status, response)| {
        if method == r.method && path == r.path && sha == r.body_sha256 {
            Earlier::Same { status: u16::try_from(status).unwrap_or(500), response }
        } else {
            Earlier::Mismatch
        }
    }))
}

/// Why a key could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// Another transaction holds the key (PostgreSQL) or already committed it.
    #[error("the key is taken")]
    Taken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Claims the key inside `tx`, before the effect; `complete` stores the
/// response before the commit. On
/// PostgreSQL a concurrent holder of the key makes the insert wait; a short
/// lock timeout turns that wait into `Taken` (then "in progress"), and the
/// timeout is reset so the rest of the transaction waits as usual. On SQLite
/// the write transaction already excludes every other writer.
pub async fn claim(tx: &mut Tx, tenant: Uuid, r: &IdemRequest, now: DateTime<Utc>) -> Result<(), ClaimError> {
    const Q: &str = "insert into idempotency_keys (tenant_id, key_id, key, method, path, body_sha256, status_code,
        response, created_at) values ($1, $2, $3, $4, $5, $6, 0, '', $7)";
    if let Tx::Postgres(t) = tx {
        sqlx::query("set local lock_timeout = '200ms'").execute(&mut **t).await.map_err(StoreError::from)?;
    }
    let inserted = on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(r.key_id)
        .bind(&r.key)
        .bind(&r.method)
        .bind(&r.path)
        .bind(&r.body_sha256)
        .bind(now)
        .execute(c)
        .await
        .map(|x| x.rows_affected()));
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(d)) if d.is_unique_violation() || d.code().as_deref() == Some("55P03") => {
            return Err(ClaimError::Taken);
        }
        Err(e) => return Err(ClaimError::Store(e.into())),
    }
    if let Tx::Postgres(t) = tx {
        sqlx::query("set local lock_timeout = 0").execute(&mut **t).await.map_err(StoreError::from)?;
    }
    Ok(())
}

/// Stores the response of the claimed key, in the effect's transaction.
pub async fn complete(tx: &mut Tx, tenant: Uuid, r: &IdemRequest, status: u16, response: &str) -> StoreResult<()> {
    const Q: &str = "update idempotency_keys set status_code = $4, response = $5
        where tenant_id = $1 and key_id = $2 and key = $3";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(r.key_id)
        .bind(&r.key)
        .bind(i64::from(status))
        .bind(response)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(())
}

/// Forgets records older than `before` (kept at least 24 hours).
pub async fn prune(db: &Db, before: DateTime<Utc>) -> StoreResult<u64> {
    const Q: &str = "delete from idempotency_keys where created_at < $1";
    Ok(on_pool!(db, |p| sqlx::query(Q).bind(before).execute(p).await.map(|r| r.rows_affected()))?)
}
