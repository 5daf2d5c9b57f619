//! Acting on stored provider events. Only a minimal envelope is read from the
//! delivery (id, type, the object's id and kind); the state itself always
//! comes from the provider with a retrieve, made outside any transaction.

use chrono::{DateTime, Utc};
use serde::Deserialize;

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

/// Acts on one claimed event, marking it applied or ignored in the
/// transaction of its effect.
pub async fn process(db: &Db, now: DateTime<Utc>, ev: &DueEvent) -> Result<Outcome, CardError> {
    let Some(tenant) = tenants::by_id(db, ev.tenant_id).await? else { return ignore(db, ev, now).await };
    let outcome = match ev.kind.as_str() {
        k if INTENT_EVENTS.contains(&k) => intent_event(db, &tenant, now, ev).await?,
        "charge.refunded" | "charge.dispute.created" | "charge.dispute.closed" => {
            charge_event(db, &tenant, now, ev).await?
        }
        _ => Outcome::Ignored,
    };
    match outcome {
        Outcome::Ignored => ignore(db, ev, now).await,
        other => Ok(other),
    }
}

async fn ignore(db: &Db, ev: &DueEvent, now: DateTime<Utc>) -> Result<Outcome, CardError> {
    let mut tx = db.begin_write().await?;
    provider_events::finish(&mut tx, ev.tenant_id, &ev.id, "ignored", now).await?;
    tx.commit().await?;
    Ok(Outcome::Ignored)
}

/// The payment an intent belongs to, confirmed by the provider's own record
/// of the intent (its metadata names this tenant and payment).
async fn confirmed_payment(
    db: &Db,
    tenant: &Tenant,
    intent_id: &str,
) -> Result<Result<(card_payments::CardPayment, Intent), Outcome>, CardError> {
    let Some(payment) = card_payments::by_provider_ref(db, tenant.id, intent_id).await? else {
        return Ok(Err(Outcome::Ignored));
    };
    let provider = CardProvider::for_tenant(db, tenant).await?;
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
async fn charge_event(db: &Db, tenant: &Tenant, now: DateTime<Utc>, ev: &DueEvent) -> Result<Outcome, CardError> {
    let Ok(parsed) = serde_json::from_str::<ChargeOrDispute>(&ev.body) else { return Ok(Outcome::Ignored) };
    let object = parsed.data.object;
    let Some(intent_id) = object.payment_intent.as_deref() else { return Ok(Outcome::Ignored) };
    let (payment, _) = match confirmed_payment(db, tenant, intent_id).await? {
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

async fn intent_event(db: &Db, tenant: &Tenant, now: DateTime<Utc>, ev: &DueEvent) -> Result<Outcome, CardError> {
    let Some(intent_id) = &ev.object_id else { return Ok(Outcome::Ignored) };
    let (payment, intent) = match confirmed_payment(db, tenant, intent_id).await? {
        Ok(found) => found,
        Err(outcome) => return Ok(outcome),
    };
    let event = match (ev.kind.as_str(), intent.status, &intent.last_error_code) {
        ("payment_intent.payment_failed", IntentStatus::RequiresPaymentMethod, Some(code)) => {
            Some(PaymentEvent::AttemptFailed { decline_code: code.clone() })
        }
        _ => card::event_for(&payment, &intent),
    };
    match event {
        Some(e) => {
            card::apply_event(db, tenant, now, payment.id, &e, Some(&ev.id)).await?;
        }
        None => {
            let mut tx = db.begin_write().await?;
            provider_events::finish(&mut tx, tenant.id, &ev.id, "applied", now).await?;
            tx.commit().await?;
        }
    }
    Ok(Outcome::Applied)
}
