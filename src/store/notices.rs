//! Links that open a party's full notice after the second factor: stored as
//! hashes, short-lived.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Db, StoreResult, Tx, on_pool, on_tx};

pub async fn create_token(
    tx: &mut Tx,
    tenant: Uuid,
    token_hash: &str,
    party: Uuid,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> StoreResult<()> {
    const Q: &str = "insert into notice_tokens (tenant_id, token_hash, party_id, created_at, expires_at)
        values ($1, $2, $3, $4, $5)";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(token_hash)
        .bind(party)
        .bind(now)
        .bind(expires)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The party a live token opens.
pub async fn party_of_token(db: &Db, tenant: Uuid, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<Uuid>> {
    const Q: &str = "select party_id from notice_tokens where tenant_id = $1 and token_hash = $2 and expires_at > $3";
    Ok(on_pool!(db, |p| sqlx::query_scalar(Q).bind(tenant).bind(token_hash).bind(now).fetch_optional(p).await)?)
}
