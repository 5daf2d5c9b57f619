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
use crate::domain::payment_state::PaymentEvent;
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

/// Opens the transaction of a dispute event: marks the event, locks the
/// party. `None` when another node already applied the event.
async fn begin(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment_id: uuid::Uuid,
    event_id: &str,
) -> Result<Option<(Tx, card_payments::CardPayment)>, CardError> {
    let party = card_payments::by_id(Conn::Db(db), tenant.id, payment_id).await?.ok_or(CardError::NotFound)?.party_id;
    let mut tx = db.begin_write().await?;
    if !provider_events::finish(&mut tx, tenant.id, event_id, "applied", now).await? {
        return Ok(None);
    }
    payments::lock_party(&mut tx, tenant.id, party).await?;
    let payment = card_payments::by_id(Conn::Tx(&mut tx), tenant.id, payment_id).await?.ok_or(CardError::NotFound)?;
    Ok(Some((tx, payment)))
}

pub async fn opened(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment_id: uuid::Uuid,
    report: &DisputeReport,
    event_id: &str,
) -> Result<(), RefundFailure> {
    let codes = tenants::revenue_codes(db, tenant.id).await?;
    let Some((mut tx, payment)) = begin(db, tenant, now, payment_id, event_id).await? else { return Ok(()) };
    if refunds::dispute(&mut tx, tenant.id, &report.id).await?.is_some()
        || card::take_step(&mut tx, tenant, now, &payment, &PaymentEvent::DisputeOpened, &Actor::System)
            .await?
            .is_none()
    {
        tx.commit().await?;
        return Ok(());
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
    audit::append(
        &mut tx,
        tenant.id,
        now,
        &Actor::System,
        "dispute.opened",
        &format!("payment:{}", payment.id),
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn closed(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment_id: uuid::Uuid,
    report: &DisputeReport,
    event_id: &str,
) -> Result<(), RefundFailure> {
    let won = match report.status.as_str() {
        "won" => true,
        "lost" => false,
        _ => return Ok(()),
    };
    let codes = tenants::revenue_codes(db, tenant.id).await?;
    let Some((mut tx, payment)) = begin(db, tenant, now, payment_id, event_id).await? else { return Ok(()) };
    let open = refunds::dispute(&mut tx, tenant.id, &report.id).await?.filter(|d| d.status == "open");
    let event = if won { PaymentEvent::DisputeWon } else { PaymentEvent::DisputeLost };
    let Some(dispute) = open else {
        tx.commit().await?;
        return Ok(());
    };
    if card::take_step(&mut tx, tenant, now, &payment, &event, &Actor::System).await?.is_none() {
        tx.commit().await?;
        return Ok(());
    }
    let mut details = json!({ "dispute": report.id, "outcome": report.status });
    if won && dispute.taken_cents > 0 {
        let quote = quotes::by_id(Conn::Tx(&mut tx), tenant.id, payment.quote_id).await?.ok_or(CardError::NotFound)?;
        let debt_ids: Vec<uuid::Uuid> = quote.lines.iter().map(|l| l.debt_id).collect();
        let booking = Booking {
            payment_id: payment.id,
            party_id: payment.party_id,
            channel: Channel::DisputeReinstated,
            amount: Cents::new(dispute.taken_cents),
            as_of: quote.as_of,
            booked_on: tenant.local_date(now),
            debts: Some(&debt_ids),
        };
        let plan = apply::book(&mut tx, tenant, &codes, now, &booking).await.map_err(CardError::from)?;
        details["reapplied"] = apply::applied_details(&booking, &plan, tenant);
    }
    refunds::close_dispute(&mut tx, tenant.id, &report.id, &report.status, now).await?;
    let action = if won { "dispute.won" } else { "dispute.lost" };
    audit::append(&mut tx, tenant.id, now, &Actor::System, action, &format!("payment:{}", payment.id), details).await?;
    tx.commit().await?;
    Ok(())
}
