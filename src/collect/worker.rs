//! The background worker of every node: provider events, scheduled
//! re-checks of pending card payments (and the cancel of intents past their
//! quote), and refunds the provider has not confirmed. Work is claimed row by
//! row, so any number of nodes may run it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

use super::card;
use super::events::{self, Outcome};
use super::providers::CardProvider;
use super::refund;
use crate::app::AppState;
use crate::store::{card_payments, provider_events, tenants};

/// Waits for work (a wake-up or the interval) until `stop` fires.
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let interval = Duration::from_millis(state.settings.worker_interval_ms);
    loop {
        if let Err(e) = step(&state).await {
            tracing::error!(error = %e, "worker step failed");
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

/// One pass over everything due.
pub async fn step(state: &AppState) -> Result<(), card::CardError> {
    let db = &state.db;
    let now = state.clock.now();
    let lease = chrono::Duration::seconds(i64::from(state.settings.event_lease_s));
    for ev in provider_events::claim_due(db, now, lease, 100).await? {
        match events::process(db, now, &ev).await {
            Ok(Outcome::Applied | Outcome::Ignored) => {}
            Ok(Outcome::Retry(why)) => {
                provider_events::retry_later(db, ev.tenant_id, &ev.id, &why, backoff(now, ev.attempts)).await?;
            }
            Err(e) => {
                tracing::warn!(event = %ev.id, error = %e, "provider event failed; retried later");
                provider_events::retry_later(db, ev.tenant_id, &ev.id, &e.to_string(), backoff(now, ev.attempts))
                    .await?;
            }
        }
    }
    for (tenant_id, payment_id) in card_payments::due_checks(db, now, 100).await? {
        let Some(tenant) = tenants::by_id(db, tenant_id).await? else { continue };
        let provider = CardProvider::for_tenant(db, &tenant).await?;
        if let Err(e) = card::recheck(db, &provider, &tenant, now, payment_id).await {
            tracing::warn!(payment = %payment_id, error = %e, "re-check failed; tried again at the next pass");
        }
    }
    if let Err(e) = refund::retry_pending(db, now).await {
        tracing::warn!(error = %e, "pending refunds not retried");
    }
    Ok(())
}
