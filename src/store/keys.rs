//! Tenant API keys and platform operator keys, stored only as SHA-256.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Db, StoreError, StoreResult, Tx, on_pool, on_tx};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ApiKeyInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const INSERT_API_KEY: &str =
    "insert into api_keys (tenant_id, id, name, key_hash, created_at) values ($1, $2, $3, $4, $5)";

pub async fn create_api_key(
    tx: &mut Tx,
    tenant: Uuid,
    name: &str,
    key_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = Uuid::new_v4();
    on_tx!(tx, |c| sqlx::query(INSERT_API_KEY)
        .bind(tenant)
        .bind(id)
        .bind(name)
        .bind(key_hash)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(StoreError::from_insert)?;
    Ok(id)
}

/// The live key with this hash in this tenant, if any.
pub async fn find_api_key(db: &Db, tenant: Uuid, key_hash: &str) -> StoreResult<Option<Uuid>> {
    const Q: &str = "select id from api_keys where tenant_id = $1 and key_hash = $2 and revoked_at is null";
    Ok(on_pool!(db, |p| sqlx::query_scalar(Q).bind(tenant).bind(key_hash).fetch_optional(p).await)?)
}

type KeyRow = (Uuid, String, DateTime<Utc>, Option<DateTime<Utc>>);

fn info((id, name, created_at, revoked_at): KeyRow) -> ApiKeyInfo {
    ApiKeyInfo { id, name, created_at, revoked_at }
}

pub async fn list_api_keys(db: &Db, tenant: Uuid) -> StoreResult<Vec<ApiKeyInfo>> {
    const Q: &str =
        "select id, name, created_at, revoked_at from api_keys where tenant_id = $1 order by created_at, id";
    let rows: Vec<KeyRow> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).fetch_all(p).await)?;
    Ok(rows.into_iter().map(info).collect())
}

pub async fn get_api_key(db: &Db, tenant: Uuid, id: Uuid) -> StoreResult<Option<ApiKeyInfo>> {
    const Q: &str = "select id, name, created_at, revoked_at from api_keys where tenant_id = $1 and id = $2";
    let row: Option<KeyRow> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(id).fetch_optional(p).await)?;
    Ok(row.map(info))
}

/// Revokes a key; revoking a revoked key changes nothing. `NotFound` when the
/// tenant has no such key.
pub async fn revoke_api_key(tx: &mut Tx, tenant: Uuid, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
    const Q: &str = "update api_keys set revoked_at = $3 where tenant_id = $1 and id = $2 and revoked_at is null";
    const EXISTS: &str = "select count(*) from api_keys where tenant_id = $1 and id = $2";
    let changed =
        on_tx!(tx, |c| sqlx::query(Q).bind(tenant).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if changed == 0 {
        let n: i64 = on_tx!(tx, |c| sqlx::query_scalar(EXISTS).bind(tenant).bind(id).fetch_one(c).await)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
    }
    Ok(changed > 0)
}

pub async fn create_operator_key(db: &Db, name: &str, key_hash: &str, now: DateTime<Utc>) -> StoreResult<Uuid> {
    const Q: &str = "insert into operator_keys (id, name, key_hash, created_at) values ($1, $2, $3, $4)";
    let id = Uuid::new_v4();
    on_pool!(db, |p| sqlx::query(Q)
        .bind(id)
        .bind(name)
        .bind(key_hash)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
    .map_err(StoreError::from_insert)?;
    Ok(id)
}

pub async fn find_operator_key(db: &Db, key_hash: &str) -> StoreResult<Option<Uuid>> {
    const Q: &str = "select id from operator_keys where key_hash = $1";
    Ok(on_pool!(db, |p| sqlx::query_scalar(Q).bind(key_hash).fetch_optional(p).await)?)
}
