//! The background worker of every node: provider events, scheduled
//! re-checks of pending card payments (and the cancel of intents past their
//! quote), and refunds the provider has not confirmed. Work is claimed with
//! a lease, so any number of nodes may run it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

use super::card;
use super::events::{self, Outcome};
use super::providers::CardProvider;
use super::refund;
use crate::app::AppState;
use crate::store::{card_payments, idempotency, provider_events, tenants};

/// A failed re-check is tried again this much later.
const RECHECK_RETRY: chrono::Duration = chrono::Duration::minutes(2);

/// Events claimed per pass.
const BATCH: i64 = 100;

/// Work that is never urgent (refunds the provider has not confirmed, old
/// idempotency records) runs this often, not on every pass.
const HOUSEKEEPING: Duration = Duration::from_secs(60);

/// Waits for work (a wake-up or the interval) until `stop` fires.
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let interval = Duration::from_millis(state.settings.worker_interval_ms);
    let mut housekept: Option<std::time::Instant> = None;
    loop {
        if housekept.is_none_or(|at| at.elapsed() >= HOUSEKEEPING) {
            housekeeping(&state).await;
            housekept = Some(std::time::Instant::now());
        }
        match step(&state).await {
            // A full batch: more may be due, go on without waiting.
            Ok(claimed) if claimed >= BATCH as usize => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "worker step failed"),
        }
        tokio::select! {
            () = state.worker_wake.notified() => {}
            () = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Retry `attempts` times failed: wait 2^attempts seconds (at most an hour),
/// plus up to a second of jitter so nodes do not retry in step.
pub fn backoff(now: DateTime<Utc>, attempts: i64) -> DateTime<Utc> {
    let base = 1i64 << attempts.clamp(0, 12);
    let jitter = rand::rng().random_range(0..1000);
    now + chrono::Duration::seconds(base.min(3600)) + chrono::Duration::milliseconds(jitter)
}

/// One pass over the provider events and the payment re-checks that are due.
pub async fn step(state: &AppState) -> Result<usize, card::CardError> {
    let db = &state.db;
    let now = state.clock.now();
    let lease = chrono::Duration::seconds(i64::from(state.settings.event_lease_s));
    let claimed = provider_events::claim_due(db, now, lease, BATCH).await?;
    let n = claimed.len();
    // Each event on its own task, at most PARALLEL at a time: the provider's
    // answer and the reads of one overlap the transaction of another.
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(parallel(db)));
    let mut tasks = tokio::task::JoinSet::new();
    for ev in claimed {
        let Ok(permit) = permits.clone().acquire_owned().await else { break };
        let db = db.clone();
        tasks.spawn(async move {
            let _permit = permit;
            finish_one(&db, now, &ev).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "provider event not rescheduled"),
            Err(e) => tracing::error!(error = %e, "provider event task failed"),
        }
    }
    for (tenant_id, payment_id) in card_payments::due_checks(db, now, 100).await? {
        let Some(tenant) = tenants::by_id(db, tenant_id).await? else { continue };
        let checked = match CardProvider::for_tenant(db, &tenant).await {
            Ok(provider) => card::recheck(db, &provider, &tenant, now, payment_id).await.map(|_| ()),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = checked {
            // One payment's trouble never holds up the others: it is asked
            // again a little later.
            tracing::warn!(payment = %payment_id, error = %e, "re-check failed; tried again later");
            card_payments::set_next_check(db, tenant_id, payment_id, Some(now + RECHECK_RETRY)).await?;
        }
    }
    Ok(n)
}

/// Refunds the provider has not confirmed are asked about again, and
/// idempotency records older than two days (one is promised) are dropped.
pub async fn housekeeping(state: &AppState) {
    let now = state.clock.now();
    if let Err(e) = refund::retry_pending(&state.db, now).await {
        tracing::warn!(error = %e, "pending refunds not retried");
    }
    if let Err(e) = idempotency::prune(&state.db, now - chrono::Duration::days(2)).await {
        tracing::warn!(error = %e, "idempotency records not pruned");
    }
}

/// Events processed at once: SQLite has one writer, so a few overlap the
/// provider's answers; PostgreSQL takes more.
fn parallel(db: &crate::store::Db) -> usize {
    match db {
        crate::store::Db::Sqlite(_) => 4,
        crate::store::Db::Postgres(_) => 8,
    }
}

/// Processes one event; a failure or an unreachable provider schedules a retry.
async fn finish_one(
    db: &crate::store::Db,
    now: DateTime<Utc>,
    ev: &provider_events::DueEvent,
) -> Result<(), card::CardError> {
    match events::process(db, now, ev).await {
        Ok(Outcome::Applied | Outcome::Ignored) => {}
        Ok(Outcome::Retry(why)) => {
            provider_events::retry_later(db, ev.tenant_id, &ev.id, &why, backoff(now, ev.attempts)).await?;
        }
        Err(e) => {
            tracing::warn!(event = %ev.id, error = %e, "provider event failed; retried later");
            provider_events::retry_later(db, ev.tenant_id, &ev.id, &e.to_string(), backoff(now, ev.attempts)).await?;
        }
    }
    Ok(())
}
