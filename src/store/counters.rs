//! Gapless per-tenant numbers from counter rows updated inside the caller's
//! transaction: a rolled-back transaction rolls its numbers back too.

use super::{StoreResult, Tx, on_tx};
use uuid::Uuid;

const ADVANCE: &str = "insert into counters (tenant_id, name, value) values ($1, $2, $3)
    on conflict (tenant_id, name) do update set value = counters.value + excluded.value
    returning value";

/// The next number of `name` for `tenant` (1, 2, 3...). The upsert also locks
/// the counter row until the transaction ends.
pub async fn next(tx: &mut Tx, tenant: Uuid, name: &str) -> StoreResult<i64> {
    Ok(*take(tx, tenant, name, 1).await?.start())
}

/// The next `n` (at least 1) numbers of `name` in one statement, for a batch.
pub async fn take(tx: &mut Tx, tenant: Uuid, name: &str, n: usize) -> StoreResult<std::ops::RangeInclusive<i64>> {
    let n = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
    let last: i64 = on_tx!(tx, |c| sqlx::query_scalar(ADVANCE).bind(tenant).bind(name).bind(n).fetch_one(c).await)?;
    Ok(last - n + 1..=last)
}
