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
const BATCH: i64 = 500;

/// Provider events being looked up at the provider at once.
const PARALLEL: usize = 16;

/// Work that is never urgent (refunds the provider has not confirmed, old
/// idempotency records) runs this often, not on every pass.
const HOUSEKEEPING: Duration = Duration::from_secs(60);

/// Lanes claiming provider events. On PostgreSQL one lane asks the provider
/// about its batch while another applies. SQLite has one writer, and a
/// second lane's claims and transactions only queue behind the first's
/// (measured: 1 lane applied a third more events a second than 2).
fn event_lanes(db: &crate::store::Db) -> usize {
    match db {
        crate::store::Db::Sqlite(_) => 1,
        crate::store::Db::Postgres(_) => 2,
    }
}

/// Runs the event lanes and the scheduled work until `stop` fires.
pub async fn run(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    let mut lanes = tokio::task::JoinSet::new();
    for _ in 0..event_lanes(&state.db) {
        lanes.spawn(event_lane(state.clone(), stop.clone()));
    }
    lanes.spawn(scheduled(state, stop));
    while lanes.join_next().await.is_some() {}
}

/// Claims and processes provider events while there are any, then waits for
/// a wake-up or the interval.
async fn event_lane(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let interval = Duration::from_millis(state.settings.worker_interval_ms);
    loop {
        match events_step(&state).await {
            // More may be due: go on without waiting.
            Ok(claimed) if claimed > 0 => continue,
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

/// Re-checks of pending payments on the interval; housekeeping now and then.
async fn scheduled(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let interval = Duration::from_millis(state.settings.worker_interval_ms);
    let mut housekept: Option<std::time::Instant> = None;
    loop {
        if housekept.is_none_or(|at| at.elapsed() >= HOUSEKEEPING) {
            housekeeping(&state).await;
            housekept = Some(std::time::Instant::now());
        }
        if let Err(e) = recheck_step(&state).await {
            tracing::error!(error = %e, "re-check step failed");
        }
        tokio::select! {
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

/// One pass over the provider events that are due; returns how many it claimed.
pub async fn events_step(state: &AppState) -> Result<usize, card::CardError> {
    let db = &state.db;
    let now = state.clock.now();
    let lease = chrono::Duration::seconds(i64::from(state.settings.event_lease_s));
    let claimed = provider_events::claim_due(db, now, lease, BATCH).await?;
    let n = claimed.len();
    if n > 0 {
        // Another lane may claim what is left while this one works.
        state.worker_wake.notify_one();
    }
    let outcomes = events::process_all(db, now, &claimed, PARALLEL).await;
    for (ev, outcome) in claimed.iter().zip(outcomes) {
        let why = match outcome {
            Ok(Outcome::Applied | Outcome::Ignored) => continue,
            Ok(Outcome::Retry(why)) => why,
            Err(e) => {
                tracing::warn!(event = %ev.id, error = %e, "provider event failed; retried later");
                e.to_string()
            }
        };
        if let Err(e) = provider_events::retry_later(db, ev.tenant_id, &ev.id, &why, backoff(now, ev.attempts)).await {
            // The lease runs out and the event is claimed again.
            tracing::error!(event = %ev.id, error = %e, "provider event not rescheduled");
        }
    }
    Ok(n)
}

/// One pass over the payment re-checks that are due.
pub async fn recheck_step(state: &AppState) -> Result<(), card::CardError> {
    let db = &state.db;
    let now = state.clock.now();
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
    Ok(())
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
