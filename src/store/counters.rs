//! Gapless per-tenant numbers from counter rows updated inside the caller's
//! transaction: a rolled-back transaction rolls its number back too.

use super::{StoreResult, Tx, on_tx};
use uuid::Uuid;

const NEXT: &str = "insert into counters (tenant_id, name, value) values ($1, $2, 1)
    on conflict (tenant_id, name) do update set value = counters.value + 1
    returning value";

/// The next number of `name` for `tenant` (1, 2, 3...). The upsert also locks
/// the counter row until the transaction ends.
pub async fn next(tx: &mut Tx, tenant: Uuid, name: &str) -> StoreResult<i64> {
    let v: i64 = on_tx!(tx, |c| sqlx::query_scalar(NEXT).bind(tenant).bind(name).fetch_one(c).await)?;
    Ok(v)
}
