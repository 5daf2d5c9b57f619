//! Verified provider events (Stripe webhooks), stored by id before anything
//! acts on them, then claimed by the worker until applied or ignored.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::batch::{chunk_rows, placeholder_list};
use super::{Db, StoreResult, on_pool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProviderEvent<'a> {
    pub tenant: Uuid,
    pub id: &'a str,
    pub kind: &'a str,
    pub object_id: Option<&'a str>,
    pub body: &'a str,
}

const EVENT_COLS: [&str; 9] =
    ["tenant_id", "id", "type", "object_id", "status", "body", "received_at", "attempts", "next_attempt_at"];

/// Stores verified events in one transaction; for each, `false` when its id
/// was already stored (a redelivery changes nothing).
pub async fn store_all(db: &Db, events: &[NewProviderEvent<'_>], now: DateTime<Utc>) -> StoreResult<Vec<bool>> {
    let mut tx = db.begin_write().await?;
    let dialect = tx.dialect();
    let mut stored: std::collections::HashSet<(Uuid, String)> = std::collections::HashSet::new();
    for chunk in events.chunks(chunk_rows(dialect, EVENT_COLS.len())) {
        let sql = format!(
            "{} on conflict (tenant_id, id) do nothing returning tenant_id, id",
            super::batch::insert_sql(dialect, "provider_events", &EVENT_COLS, chunk.len())
        );
        let rows: Vec<(Uuid, String)> = super::on_tx!(&mut tx, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for e in chunk {
                q = q
                    .bind(e.tenant)
                    .bind(e.id)
                    .bind(e.kind)
                    .bind(e.object_id)
                    .bind("received")
                    .bind(e.body)
                    .bind(now)
                    .bind(0i64)
                    .bind(now);
            }
            q.fetch_all(c).await
        })?;
        stored.extend(rows);
    }
    tx.commit().await?;
    // The first of two deliveries of one id in the same group is the new one.
    Ok(events.iter().map(|e| stored.remove(&(e.tenant, e.id.to_owned()))).collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEvent {
    pub tenant_id: Uuid,
    pub id: String,
    pub kind: String,
    pub object_id: Option<String>,
    pub attempts: i64,
    /// The verified delivery, for the few fields a retrieve cannot give.
    pub body: String,
}

/// Claims up to `limit` events still `received` whose next attempt is due,
/// in one statement, by pushing `next_attempt_at` past the lease: another
/// node does not see them due, and a crash leaves them due again when the
/// lease ends. Oldest first.
pub async fn claim_due(db: &Db, now: DateTime<Utc>, lease: chrono::Duration, limit: i64) -> StoreResult<Vec<DueEvent>> {
    // The outer condition is checked again on each row: one claimed meanwhile
    // is skipped. PostgreSQL also skips rows another node has locked; SQLite
    // has one writer.
    const SQLITE: &str = "update provider_events set next_attempt_at = $2
        where (tenant_id, id) in (select tenant_id, id from provider_events
            where status = 'received' and next_attempt_at <= $1 order by received_at, id limit $3)
        and status = 'received' and next_attempt_at <= $1
        returning tenant_id, id, type, object_id, attempts, body, received_at";
    const POSTGRES: &str = "update provider_events set next_attempt_at = $2
        where (tenant_id, id) in (select tenant_id, id from provider_events
            where status = 'received' and next_attempt_at <= $1 order by received_at, id limit $3
            for update skip locked)
        and status = 'received' and next_attempt_at <= $1
        returning tenant_id, id, type, object_id, attempts, body, received_at";
    type Row = (Uuid, String, String, Option<String>, i64, String, DateTime<Utc>);
    let until = now + lease;
    // A write transaction, so that on SQLite the claim waits its turn with
    // the other writers.
    let mut tx = db.begin_write().await?;
    let mut rows: Vec<Row> = match &mut tx {
        super::Tx::Sqlite(t) => sqlx::query_as(SQLITE).bind(now).bind(until).bind(limit).fetch_all(&mut **t).await?,
        super::Tx::Postgres(t) => {
            sqlx::query_as(POSTGRES).bind(now).bind(until).bind(limit).fetch_all(&mut **t).await?
        }
    };
    tx.commit().await?;
    rows.sort_by(|a, b| (a.6, &a.1).cmp(&(b.6, &b.1)));
    Ok(rows
        .into_iter()
        .map(|(tenant_id, id, kind, object_id, attempts, body, _)| DueEvent {
            tenant_id,
            id,
            kind,
            object_id,
            attempts,
            body,
        })
        .collect())
}

/// Marks an event done (`applied` or `ignored`) inside the transaction of its
/// effect; `false` when it was already done (by another node): the caller
/// then rolls back.
pub async fn finish(tx: &mut super::Tx, tenant: Uuid, id: &str, status: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    Ok(finish_all(tx, tenant, &[id], status, now).await?.contains(id))
}

/// [`finish`] for several events of one tenant; returns the ids this call
/// finished (the others were done already).
pub async fn finish_all(
    tx: &mut super::Tx,
    tenant: Uuid,
    ids: &[&str],
    status: &str,
    now: DateTime<Utc>,
) -> StoreResult<std::collections::HashSet<String>> {
    let mut done = std::collections::HashSet::with_capacity(ids.len());
    let dialect = tx.dialect();
    for chunk in ids.chunks(chunk_rows(dialect, 1)) {
        let p = |i| placeholder_list(dialect, i, 1);
        let sql = format!(
            "update provider_events set status = {}, done_at = {}, attempts = attempts + 1
             where tenant_id = {} and status = 'received' and id in ({}) returning id",
            p(1),
            p(2),
            p(3),
            placeholder_list(dialect, 4, chunk.len())
        );
        let finished: Vec<String> = super::on_tx!(tx, |c| {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(status).bind(now).bind(tenant);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        done.extend(finished);
    }
    Ok(done)
}

/// Whether the event is still to be acted on, inside the caller's transaction.
pub async fn is_received(tx: &mut super::Tx, tenant: Uuid, id: &str) -> StoreResult<bool> {
    const Q: &str = "select status from provider_events where tenant_id = $1 and id = $2";
    let status: Option<String> =
        super::on_tx!(tx, |c| sqlx::query_scalar(Q).bind(tenant).bind(id).fetch_optional(c).await)?;
    Ok(status.as_deref() == Some("received"))
}

/// The provider could not be asked: try again at `next`.
pub async fn retry_later(db: &Db, tenant: Uuid, id: &str, error: &str, next: DateTime<Utc>) -> StoreResult<()> {
    const Q: &str = "update provider_events set attempts = attempts + 1, last_error = $3, next_attempt_at = $4
        where tenant_id = $1 and id = $2 and status = 'received'";
    on_pool!(db, |p| sqlx::query(Q)
        .bind(tenant)
        .bind(id)
        .bind(error)
        .bind(next)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
