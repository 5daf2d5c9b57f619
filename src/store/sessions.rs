//! Officer sessions: opened with a tenant API key, kept by an HttpOnly cookie
//! whose value is stored only as its hash, each with its own CSRF token.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Db, StoreResult, Tx, on_pool, on_tx};

#[derive(Debug, Clone)]
pub struct Session {
    pub tenant_id: Uuid,
    pub api_key_id: Uuid,
    pub csrf_token: String,
}

pub async fn create(
    tx: &mut Tx,
    tenant: Uuid,
    token_hash: &str,
    api_key_id: Uuid,
    csrf: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> StoreResult<()> {
    const Q: &str =
        "insert into officer_sessions (tenant_id, token_hash, api_key_id, csrf_token, created_at, expires_at)
        values ($1, $2, $3, $4, $5, $6)";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(token_hash)
        .bind(api_key_id)
        .bind(csrf)
        .bind(now)
        .bind(expires)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A live session whose key is still live.
pub async fn find(db: &Db, tenant: Uuid, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<Session>> {
    const Q: &str = "select s.api_key_id, s.csrf_token from officer_sessions s
        join api_keys k on k.tenant_id = s.tenant_id and k.id = s.api_key_id
        where s.tenant_id = $1 and s.token_hash = $2 and s.expires_at > $3 and k.revoked_at is null";
    let row: Option<(Uuid, String)> =
        on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(token_hash).bind(now).fetch_optional(p).await)?;
    Ok(row.map(|(api_key_id, csrf_token)| Session { tenant_id: tenant, api_key_id, csrf_token }))
}

/// Ends a session by moving its expiry to now (the row stays, as history).
pub async fn end(tx: &mut Tx, tenant: Uuid, token_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
    const Q: &str =
        "update officer_sessions set expires_at = $3 where tenant_id = $1 and token_hash = $2 and expires_at > $3";
    on_tx!(tx, |c| sqlx::query(Q).bind(tenant).bind(token_hash).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
