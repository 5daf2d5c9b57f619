//! Card disputes (chargebacks). When one opens the provider withdraws the
//! money, so what the payment had put on debts (and in credit) is taken back
//! into disputed funds and the debts reopen. Won: the funds come back and are
//! allocated again by policy over the quote's debts, as new allocations.
//! Lost: the loss is recorded; no more money moves.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::apply::{self, Booking, Channel};
use super::card::{self, CardError};
use super::refund::{self, RefundFailure, reverse};
use crate::domain::actor::Actor;
use crate::domain::journal::postings;
use crate::domain::money::Cents;
use crate::domain::payment_state::{PaymentEvent, PaymentState};
use crate::domain::tenant::Tenant;
use crate::store::journal;
use crate::store::refunds::{self, DisputeRecord};
use crate::store::{Conn, Db, StoreError, Tx, audit, card_payments, payments, provider_events, quotes, tenants};

/// The dispute as the provider reported it in a verified event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeReport {
    pub id: String,
    pub amount: Cents,
    /// `won`, `lost`, or anything else while open.
    pub status: String,
}

/// Whether a charge or dispute event could act now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    /// Applied (or found already applied): the event is done.
    Done,
    /// Not an event to act on (an inquiry, an interim status): done, ignored.
    Ignored,
    /// The payment is not where the event expects it yet (events come in any
    /// order): try again later, nothing written.
    NotYet,
}

/// Opens the transaction of a charge or dispute event: the party's lock, then
/// the payment as it now stands. `None` when the event was already done (by
/// another node); the caller marks it done before committing.
pub(crate) async fn begin(
    db: &Db,
    tenant: &Tenant,
    payment_id: uuid::Uuid,
    event_id: &str,
) -> Result<Option<(Tx, card_payments::CardPayment)>, CardError> {
    let party = card_payments::by_id(Conn::Db(db), tenant.id, payment_id).await?.ok_or(CardError::NotFound)?.party_id;
    let mut tx = db.begin_write().await?;
    payments::lock_party(&mut tx, tenant.id, party).await?;
    if !provider_events::is_received(&mut tx, tenant.id, event_id).await? {
        return Ok(None);
    }
    let payment = card_payments::by_id(Conn::Tx(&mut tx), tenant.id, payment_id).await?.ok_or(CardError::NotFound)?;
    Ok(Some((tx, payment)))
}

/// Marks the event done and commits.
pub(crate) async fn done(mut tx: Tx, tenant: &Tenant, event_id: &str, now: DateTime<Utc>) -> Result<Ready, CardError> {
    provider_events::finish(&mut tx, tenant.id, event_id, "applied", now).await?;
    tx.commit().await?;
    Ok(Ready::Done)
}

/// Stripe's inquiries (`warning_*`) withdraw no money and are not disputes.
fn is_inquiry(status: &str) -> bool {
    status.starts_with("warning_")
}

pub async fn opened(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment_id: uuid::Uuid,
    report: &DisputeReport,
    event_id: &str,
) -> Result<Ready, RefundFailure> {
    if is_inquiry(&report.status) {
        return Ok(Ready::Ignored);
    }
    let codes = tenants::revenue_codes(db, tenant.id).await?;
    let Some((mut tx, payment)) = begin(db, tenant, payment_id, event_id).await? else { return Ok(Ready::Done) };
    if refunds::dispute(&mut tx, tenant.id, &report.id).await?.is_some() {
        return Ok(done(tx, tenant, event_id, now).await?);
    }
    let state = PaymentState::parse(&payment.status).unwrap_or(PaymentState::Anomaly);
    if !state.has_succeeded() {
        // The success is not booked yet: the dispute waits for it.
        return Ok(Ready::NotYet);
    }
    if card::take_step(&mut tx, tenant, now, &payment, &PaymentEvent::DisputeOpened, &Actor::System).await?.is_none() {
        return Ok(done(tx, tenant, event_id, now).await?);
    }
    // Never more than the payment still holds (it may have been refunded).
    let (applied, credit) = refund::holdings(&mut tx, tenant.id, payment.id).await?;
    let held = applied.iter().map(|a| a.principal_cents + a.surcharge_cents).sum::<i64>() + credit.get();
    let taken = Cents::new(report.amount.get().min(held).max(0));
    if taken.is_positive() {
        let (plan, portions) = reverse(&mut tx, tenant, &codes, now, &payment, taken, "dispute").await?;
        let entry = postings::dispute(&portions, plan.from_credit).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        journal::post(&mut tx, tenant, &entry, now, tenant.local_date(now), format!("payment:{}", payment.id)).await?;
    }
    let record = DisputeRecord {
        id: report.id.clone(),
        payment_id: payment.id,
        amount_cents: report.amount.get(),
        taken_cents: taken.get(),
        status: "open".into(),
    };
    refunds::insert_dispute(&mut tx, tenant.id, &record, now).await?;
    let details =
        json!({ "dispute": report.id, "amount": report.amount.to_api_string(), "taken_back": taken.to_api_string() });
    let subject = format!("payment:{}", payment.id);
    audit::append(&mut tx, tenant.id, now, &Actor::System, "dispute.opened", &subject, details).await?;
    Ok(done(tx, tenant, event_id, now).await?)
}

pub async fn closed(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment_id: uuid::Uuid,
    report: &DisputeReport,
    event_id: &str,
) -> Result<Ready, RefundFailure> {
    let won = match report.status.as_str() {
        "won" => true,
        "lost" => false,
        // An inquiry closed, or an interim status: nothing moves.
        _ => return Ok(Ready::Ignored),
    };
    let codes = tenants::revenue_codes(db, tenant.id).await?;
    let Some((mut tx, payment)) = begin(db, tenant, payment_id, event_id).await? else { return Ok(Ready::Done) };
    let Some(dispute) = refunds::dispute(&mut tx, tenant.id, &report.id).await? else {
        // Closed before its opening was applied: wait for it.
        return Ok(Ready::NotYet);
    };
    let event = if won { PaymentEvent::DisputeWon } else { PaymentEvent::DisputeLost };
    if dispute.status != "open"
        || card::take_step(&mut tx, tenant, now, &payment, &event, &Actor::System).await?.is_none()
    {
        return Ok(done(tx, tenant, event_id, now).await?);
    }
    let mut details = json!({ "dispute": report.id, "outcome": report.status });
    let taken = Cents::new(dispute.taken_cents);
    if won && taken.is_positive() {
        let quote = quotes::by_id(Conn::Tx(&mut tx), tenant.id, payment.quote_id).await?.ok_or(CardError::NotFound)?;
        let debt_ids: Vec<uuid::Uuid> = quote.lines.iter().map(|l| l.debt_id).collect();
        let booking = Booking {
            payment_id: payment.id,
            party_id: payment.party_id,
            channel: Channel::DisputeReinstated,
            amount: taken,
            as_of: quote.as_of,
            booked_on: tenant.local_date(now),
            debts: Some(&debt_ids),
        };
        let plan = apply::book(&mut tx, tenant, &codes, now, &booking).await.map_err(CardError::from)?;
        details["reapplied"] = apply::applied_details(&booking, &plan, tenant);
    } else if taken.is_positive() {
        // Lost: the provider keeps the withdrawn funds, so what card clearing
        // expected from it will never come.
        let entry = postings::dispute_lost(taken).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        journal::post(&mut tx, tenant, &entry, now, tenant.local_date(now), format!("payment:{}", payment.id)).await?;
    }
    refunds::close_dispute(&mut tx, tenant.id, &report.id, &report.status, now).await?;
    let action = if won { "dispute.won" } else { "dispute.lost" };
    audit::append(&mut tx, tenant.id, now, &Actor::System, action, &format!("payment:{}", payment.id), details).await?;
    Ok(done(tx, tenant, event_id, now).await?)
}
