//! Acting on stored provider events. Only a minimal envelope is read from the
//! delivery (id, type, the object's id and kind); the state itself always
//! comes from the provider with a retrieve, made outside any transaction.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::card::{self, CardError};
use super::dispute::{self, DisputeReport, Ready};
use super::provider::{Intent, IntentStatus, ProviderError};
use super::providers::CardProvider;
use super::refund::{self, RefundFailure};
use crate::domain::money::Cents;
use crate::domain::payment_state::PaymentEvent;
use crate::domain::tenant::Tenant;
use crate::store::provider_events::{self, DueEvent};
use crate::store::{Db, card_payments, tenants};

/// The part of a Stripe event we read before asking Stripe itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub id: String,
    pub kind: String,
    pub created: i64,
    pub object_id: Option<String>,
    pub object_kind: Option<String>,
}

#[derive(Deserialize)]
struct RawEnvelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: RawObject,
}

#[derive(Deserialize)]
struct RawObject {
    id: Option<String>,
    object: Option<String>,
}

impl Envelope {
    pub fn parse(body: &str) -> Result<Envelope, serde_json::Error> {
        let raw: RawEnvelope = serde_json::from_str(body)?;
        Ok(Envelope {
            id: raw.id,
            kind: raw.kind,
            created: raw.created,
            object_id: raw.data.object.id,
            object_kind: raw.data.object.object,
        })
    }
}

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Not ours, or a type we do not act on.
    Ignored,
    /// The provider could not be asked: try again later.
    Retry(String),
}

const INTENT_EVENTS: [&str; 5] = [
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
    "payment_intent.requires_action",
];

const CHARGE_EVENTS: [&str; 3] = ["charge.refunded", "charge.dispute.created", "charge.dispute.closed"];

/// The fields of a charge or dispute event the worker needs besides the
/// retrieved intent: read from the verified delivery.
#[derive(Deserialize)]
struct ChargeOrDispute {
    data: ChargeOrDisputeData,
}

#[derive(Deserialize)]
struct ChargeOrDisputeData {
    object: ChargeOrDisputeObject,
}

#[derive(Deserialize)]
struct ChargeOrDisputeObject {
    id: String,
    payment_intent: Option<String>,
    amount: Option<i64>,
    amount_refunded: Option<i64>,
    status: Option<String>,
}

/// The payment an intent belongs to, confirmed by the provider's own record
/// of the intent (its metadata names this tenant and payment).
async fn confirmed_payment(
    db: &Db,
    tenant: &Tenant,
    provider: &CardProvider,
    intent_id: &str,
) -> Result<Result<(card_payments::CardPayment, Intent), Outcome>, CardError> {
    let payment = card_payments::by_provider_ref(db, tenant.id, intent_id).await?;
    confirm(tenant, provider, payment, intent_id).await
}

/// [`confirmed_payment`] with the payment already looked up by its intent id.
async fn confirm(
    tenant: &Tenant,
    provider: &CardProvider,
    payment: Option<card_payments::CardPayment>,
    intent_id: &str,
) -> Result<Result<(card_payments::CardPayment, Intent), Outcome>, CardError> {
    let Some(payment) = payment else { return Ok(Err(Outcome::Ignored)) };
    let intent = match provider.retrieve_intent(intent_id).await {
        Ok(i) => i,
        // Not at this tenant's provider: not ours. Anything else (the provider
        // down, a rotated key) is tried again; the event is never dropped.
        Err(ProviderError::NotFound) => return Ok(Err(Outcome::Ignored)),
        Err(e) => return Ok(Err(Outcome::Retry(e.to_string()))),
    };
    if intent.tameio_tenant() != Some(tenant.id) || intent.tameio_payment() != Some(payment.id) {
        return Ok(Err(Outcome::Ignored));
    }
    Ok(Ok((payment, intent)))
}

/// `charge.refunded` and `charge.dispute.*`: the intent is retrieved to
/// confirm the payment; the refunded or disputed amount and the dispute's
/// outcome come from the verified delivery (localstripe has no disputes to
/// retrieve).
async fn charge_event(
    db: &Db,
    tenant: &Tenant,
    provider: &CardProvider,
    now: DateTime<Utc>,
    ev: &DueEvent,
) -> Result<Outcome, CardError> {
    let Ok(parsed) = serde_json::from_str::<ChargeOrDispute>(&ev.body) else { return Ok(Outcome::Ignored) };
    let object = parsed.data.object;
    let Some(intent_id) = object.payment_intent.as_deref() else { return Ok(Outcome::Ignored) };
    let (payment, _) = match confirmed_payment(db, tenant, provider, intent_id).await? {
        Ok(found) => found,
        Err(outcome) => return Ok(outcome),
    };
    let result = match ev.kind.as_str() {
        "charge.refunded" => {
            let refunded = Cents::new(object.amount_refunded.unwrap_or(0));
            refund::record_external(db, tenant, now, payment.id, refunded, &ev.id).await
        }
        kind => {
            let report = DisputeReport {
                id: object.id,
                amount: Cents::new(object.amount.unwrap_or(0)),
                status: object.status.unwrap_or_default(),
            };
            if kind == "charge.dispute.created" {
                dispute::opened(db, tenant, now, payment.id, &report, &ev.id).await
            } else {
                dispute::closed(db, tenant, now, payment.id, &report, &ev.id).await
            }
        }
    };
    match result {
        Ok(Ready::Done) => Ok(Outcome::Applied),
        Ok(Ready::Ignored) => Ok(Outcome::Ignored),
        Ok(Ready::NotYet) => Ok(Outcome::Retry("the payment's success is not booked yet".into())),
        Err(RefundFailure::Card(e)) => Err(e),
        Err(other) => Err(CardError::Store(crate::store::StoreError::Corrupt(other.to_string()))),
    }
}

/// What an intent event asks for, found outside any transaction: the
/// provider's own record of the intent, and the step it means for our payment.
#[derive(Debug, Clone)]
enum Prepared {
    /// Move this payment (a success books money).
    Update { payment_id: Uuid, party_id: Uuid, event: PaymentEvent },
    /// Ours, and nothing changes: the event is marked applied.
    Nothing,
    /// Not ours, or the provider could not be asked.
    Done(Outcome),
}

/// `payment` is the payment whose intent is the event's object, if any.
async fn prepare(
    tenant: &Tenant,
    provider: &CardProvider,
    payment: Option<card_payments::CardPayment>,
    ev: &DueEvent,
) -> Result<Prepared, CardError> {
    let Some(intent_id) = &ev.object_id else { return Ok(Prepared::Done(Outcome::Ignored)) };
    let (payment, intent) = match confirm(tenant, provider, payment, intent_id).await? {
        Ok(found) => found,
        Err(outcome) => return Ok(Prepared::Done(outcome)),
    };
    let event = match (ev.kind.as_str(), intent.status, &intent.last_error_code) {
        ("payment_intent.payment_failed", IntentStatus::RequiresPaymentMethod, Some(code)) => {
            Some(PaymentEvent::AttemptFailed { decline_code: code.clone() })
        }
        _ => card::event_for(&payment, &intent),
    };
    Ok(match event {
        Some(event) => Prepared::Update { payment_id: payment.id, party_id: payment.party_id, event },
        None => Prepared::Nothing,
    })
}

async fn finish(db: &Db, tenant: Uuid, ids: &[&str], status: &str, now: DateTime<Utc>) -> Result<(), CardError> {
    let mut tx = db.begin_write().await?;
    provider_events::finish_all(&mut tx, tenant, ids, status, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Payment updates applied in one transaction at most.
const APPLY_BATCH: usize = 250;

/// A tenant and its card provider, read once per batch of events; or what
/// becomes of its events when either cannot be had (no such tenant: ignored;
/// the provider cannot be set up or the database read failed: tried again).
type Setup = Result<(Arc<Tenant>, CardProvider), Outcome>;

/// A claimed event's step, ready to be applied.
#[derive(Debug, Clone)]
struct Step {
    /// The event's place in the claimed batch.
    index: usize,
    payment_id: Uuid,
    party_id: Uuid,
    event: PaymentEvent,
}

/// What asking the provider left to write, per tenant.
#[derive(Default)]
struct Asked {
    updates: HashMap<Uuid, Vec<Step>>,
    /// Ours with nothing to change (marked applied), and not ours (ignored).
    nothing: HashMap<Uuid, Vec<usize>>,
    ignored: HashMap<Uuid, Vec<usize>>,
}

/// Acts on many claimed events at once: the provider is asked about every
/// intent event concurrently (`parallel` at a time), then the steps are
/// applied per tenant in transactions of many payments, each of a different
/// party. A transaction that fails is retried one payment at a time, so one
/// bad payment holds up no other. Charge and dispute events are acted on one
/// by one. Events of no tenant, of a type we do not act on, or whose object
/// is not one of the tenant's payments are marked ignored together.
/// Returns each event's outcome, in the given order.
pub async fn process_all(
    db: &Db,
    now: DateTime<Utc>,
    events: &[DueEvent],
    parallel: usize,
) -> Vec<Result<Outcome, CardError>> {
    let mut outcomes: Vec<Option<Result<Outcome, CardError>>> = events.iter().map(|_| None).collect();
    let setups = setups(db, events).await;
    // Without them no intent event can be told ours or not: all wait.
    let payments = payments_of(db, events, setups.keys()).await.map_err(|e| Outcome::Retry(e.to_string()));

    // Ask the provider about every intent event, `parallel` at a time; charge
    // and dispute events are acted on one by one meanwhile.
    let mut asked = Asked::default();
    let permits = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut asks = tokio::task::JoinSet::new();
    for (i, ev) in events.iter().enumerate() {
        let kind = ev.kind.as_str();
        let setup = setups.get(&ev.tenant_id).cloned().unwrap_or_else(|| Err(Outcome::Retry("no tenant read".into())));
        let outcome = match setup {
            Ok((tenant, provider)) if INTENT_EVENTS.contains(&kind) => {
                let payment = match &payments {
                    Ok(found) => ev.object_id.as_ref().and_then(|id| found.get(&(ev.tenant_id, id.clone())).cloned()),
                    Err(why) => {
                        outcomes[i] = Some(Ok(why.clone()));
                        continue;
                    }
                };
                let Ok(permit) = permits.clone().acquire_owned().await else { break };
                let ev = ev.clone();
                asks.spawn(async move {
                    let _permit = permit;
                    (i, prepare(&tenant, &provider, payment, &ev).await)
                });
                continue;
            }
            Ok((tenant, provider)) if CHARGE_EVENTS.contains(&kind) => {
                charge_event(db, &tenant, &provider, now, ev).await
            }
            // A type we do not act on.
            Ok(_) => Ok(Outcome::Ignored),
            Err(outcome) => Ok(outcome),
        };
        match outcome {
            Ok(Outcome::Ignored) => asked.ignored.entry(ev.tenant_id).or_default().push(i),
            other => outcomes[i] = Some(other),
        }
    }
    while let Some(done) = asks.join_next().await {
        let Ok((index, prepared)) = done else { continue };
        let tenant = events[index].tenant_id;
        match prepared {
            Ok(Prepared::Update { payment_id, party_id, event }) => {
                asked.updates.entry(tenant).or_default().push(Step { index, payment_id, party_id, event });
            }
            Ok(Prepared::Nothing) => asked.nothing.entry(tenant).or_default().push(index),
            Ok(Prepared::Done(Outcome::Ignored)) => asked.ignored.entry(tenant).or_default().push(index),
            Ok(Prepared::Done(other)) => outcomes[index] = Some(Ok(other)),
            Err(e) => outcomes[index] = Some(Err(e)),
        }
    }

    let marks = [(asked.nothing, "applied", Outcome::Applied), (asked.ignored, "ignored", Outcome::Ignored)];
    for (marked, status, outcome) in marks {
        for (tenant, indexes) in marked {
            let ids: Vec<&str> = indexes.iter().map(|&i| events[i].id.as_str()).collect();
            let outcome = match finish(db, tenant, &ids, status, now).await {
                Ok(()) => outcome.clone(),
                Err(e) => Outcome::Retry(e.to_string()),
            };
            for i in indexes {
                outcomes[i] = Some(Ok(outcome.clone()));
            }
        }
    }

    for (tenant_id, mut ready) in asked.updates {
        let Some(Ok((tenant, _))) = setups.get(&tenant_id) else { continue };
        ready.sort_by_key(|r| r.index);
        for round in rounds(ready, APPLY_BATCH) {
            for (i, result) in apply_round(db, tenant, now, events, &round).await {
                outcomes[i] = Some(result.map(|()| Outcome::Applied));
            }
        }
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Ok(Outcome::Retry("the event was not processed".into()))))
        .collect()
}

/// Each tenant of the batch with its provider.
async fn setups(db: &Db, events: &[DueEvent]) -> HashMap<Uuid, Setup> {
    let mut setups = HashMap::new();
    for ev in events {
        if let std::collections::hash_map::Entry::Vacant(slot) = setups.entry(ev.tenant_id) {
            let setup = match tenants::by_id(db, ev.tenant_id).await {
                Ok(Some(tenant)) => match CardProvider::for_tenant(db, &tenant).await {
                    Ok(provider) => Ok((Arc::new(tenant), provider)),
                    Err(e) => Err(Outcome::Retry(e.to_string())),
                },
                Ok(None) => Err(Outcome::Ignored),
                Err(e) => Err(Outcome::Retry(e.to_string())),
            };
            slot.insert(setup);
        }
    }
    setups
}

/// The payments behind the intent events, by (tenant, intent id), with one
/// query per tenant. An intent not here is no payment of ours.
async fn payments_of(
    db: &Db,
    events: &[DueEvent],
    tenants: impl Iterator<Item = &Uuid>,
) -> Result<HashMap<(Uuid, String), card_payments::CardPayment>, CardError> {
    let mut payments = HashMap::new();
    for &tenant in tenants {
        let refs: Vec<&str> = events
            .iter()
            .filter(|ev| ev.tenant_id == tenant && INTENT_EVENTS.contains(&ev.kind.as_str()))
            .filter_map(|ev| ev.object_id.as_deref())
            .collect();
        let found = card_payments::by_provider_refs(db, tenant, &refs).await?;
        payments.extend(found.into_iter().filter_map(|p| Some(((tenant, p.provider_ref.clone()?), p))));
    }
    Ok(payments)
}

/// Splits steps (oldest first) into transactions of at most `max`, each
/// naming a party once: a party's later step waits for a later transaction,
/// which sees what the earlier one wrote.
fn rounds(mut pending: Vec<Step>, max: usize) -> Vec<Vec<Step>> {
    let mut rounds = Vec::new();
    while !pending.is_empty() {
        let mut parties = std::collections::HashSet::new();
        let mut round = Vec::new();
        let mut later = Vec::new();
        for r in pending {
            if round.len() < max.max(1) && parties.insert(r.party_id) {
                round.push(r);
            } else {
                later.push(r);
            }
        }
        rounds.push(round);
        pending = later;
    }
    rounds
}

/// One transaction for the round; if it fails, one per payment.
async fn apply_round(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    events: &[DueEvent],
    round: &[Step],
) -> Vec<(usize, Result<(), CardError>)> {
    let updates: Vec<card::PaymentUpdate> = round
        .iter()
        .map(|r| card::PaymentUpdate {
            payment_id: r.payment_id,
            event: r.event.clone(),
            provider_event: Some(events[r.index].id.as_str()),
        })
        .collect();
    match card::apply_events(db, tenant, now, &updates).await {
        Ok(()) => round.iter().map(|r| (r.index, Ok(()))).collect(),
        Err(e) if round.len() == 1 => vec![(round[0].index, Err(e))],
        Err(e) => {
            tracing::warn!(error = %e, events = round.len(), "a batch of provider events failed; applied one by one");
            let mut out = Vec::with_capacity(round.len());
            for (update, r) in updates.iter().zip(round) {
                out.push((r.index, card::apply_events(db, tenant, now, std::slice::from_ref(update)).await));
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Step, rounds};
    use crate::domain::payment_state::PaymentEvent;
    use uuid::Uuid;

    fn step(index: usize, party: u128) -> Step {
        Step {
            index,
            payment_id: Uuid::from_u128(1000 + index as u128),
            party_id: Uuid::from_u128(party),
            event: PaymentEvent::ProviderCanceled,
        }
    }

    fn indexes(rounds: &[Vec<Step>]) -> Vec<Vec<usize>> {
        rounds.iter().map(|r| r.iter().map(|x| x.index).collect()).collect()
    }

    #[test]
    fn a_party_is_named_once_per_round_and_its_steps_keep_their_order() {
        let pending = vec![step(0, 1), step(1, 2), step(2, 1), step(3, 3), step(4, 1)];
        assert_eq!(indexes(&rounds(pending, 10)), vec![vec![0, 1, 3], vec![2], vec![4]]);
    }

    #[test]
    fn rounds_hold_at_most_the_batch() {
        let pending: Vec<Step> = (0..5).map(|i| step(i, i as u128)).collect();
        assert_eq!(indexes(&rounds(pending, 2)), vec![vec![0, 1], vec![2, 3], vec![4]]);
        assert!(rounds(Vec::new(), 2).is_empty());
    }
}
