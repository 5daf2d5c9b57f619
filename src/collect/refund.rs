//! Refunds of card payments, by an officer, all or part.
//!
//! Three steps, none holding a transaction across the provider call:
//! 1. reserve: under the party's lock, check the amount against what the
//!    officer saw (stale: 412) and against what is left to refund (Tameio
//!    enforces it; a provider may not), and record the refund `pending`,
//!    which reserves the amount against concurrent refunds;
//! 2. ask the provider, with the refund's id as idempotency key;
//! 3. settle: if the provider took it, take the money back (unused credit
//!    first, then allocations newest first, so the debts reopen), post the
//!    journal, number a cancellation in the receipt series and move the
//!    payment; if it refused, release the reservation.
//!
//! A provider that cannot be reached leaves the refund `pending`; the worker
//! asks again with the same idempotency key.

use chrono::{DateTime, Datelike, Utc};
use serde_json::json;
use uuid::Uuid;

use super::apply::codes;
use super::card::{self, CardError, receipt_series};
use super::dispute::{self, Ready};
use super::provider::{ProviderError, RefundStatus};
use super::providers::CardProvider;
use crate::domain::actor::Actor;
use crate::domain::allocation::{AppliedPortion, RefundError as PlanError, RefundPlan, plan_refund};
use crate::domain::journal::{Account, DebtPortion, postings};
use crate::domain::money::Cents;
use crate::domain::payment_state::{PaymentEvent, PaymentState};
use crate::domain::secret::random_token;
use crate::domain::tenant::{RevenueCode, Tenant};
use crate::store::card_payments::{self, CardPayment};
use crate::store::journal;
use crate::store::payments::{self, NewAllocation};
use crate::store::receipts::{self, NewReceipt, ReceiptKind};
use crate::store::refunds::{self, AppliedRow, RefundRecord};
use crate::store::{Conn, Db, StoreError, Tx, audit, debts, tenants};

#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub payment_id: Uuid,
    pub amount: Cents,
    /// What the officer saw as refundable; another figure now means someone
    /// else refunded meanwhile.
    pub expected_refundable: Cents,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RefundFailure {
    #[error("the refundable amount is now {refundable}, not what was shown; reload and try again")]
    Stale { refundable: Cents },
    #[error("the refund must be more than zero and at most the {refundable} refundable")]
    OutOfRange { refundable: Cents },
    #[error("a {status} payment cannot be refunded")]
    NotRefundable { status: String },
    #[error(transparent)]
    Card(#[from] CardError),
    #[error(transparent)]
    Plan(#[from] PlanError),
}

impl From<StoreError> for RefundFailure {
    fn from(e: StoreError) -> Self {
        RefundFailure::Card(CardError::Store(e))
    }
}

fn refundable_states(s: PaymentState) -> bool {
    matches!(s, PaymentState::Succeeded | PaymentState::PartiallyRefunded | PaymentState::DisputeWon)
}

/// What can still be refunded of a payment.
pub async fn refundable(conn: Conn<'_>, tenant: Uuid, p: &CardPayment) -> Result<Cents, StoreError> {
    let reserved = refunds::reserved(conn, tenant, p.id).await?;
    Ok(Cents::new(p.amount_cents - reserved))
}

/// Step 1, inside the caller's write transaction (which may also hold the
/// request's idempotency claim).
pub async fn reserve(
    tx: &mut Tx,
    tenant: &Tenant,
    now: DateTime<Utc>,
    actor: &Actor,
    req: &RefundRequest,
) -> Result<RefundRecord, RefundFailure> {
    let party =
        card_payments::by_id(Conn::Tx(tx), tenant.id, req.payment_id).await?.ok_or(CardError::NotFound)?.party_id;
    payments::lock_party(tx, tenant.id, party).await?;
    let payment = card_payments::by_id(Conn::Tx(tx), tenant.id, req.payment_id).await?.ok_or(CardError::NotFound)?;
    let state = PaymentState::parse(&payment.status).unwrap_or(PaymentState::Anomaly);
    if !refundable_states(state) {
        return Err(RefundFailure::NotRefundable { status: payment.status });
    }
    let left = refundable(Conn::Tx(tx), tenant.id, &payment).await?;
    if left != req.expected_refundable {
        return Err(RefundFailure::Stale { refundable: left });
    }
    if !req.amount.is_positive() || req.amount > left {
        return Err(RefundFailure::OutOfRange { refundable: left });
    }
    let refund = RefundRecord {
        id: Uuid::now_v7(),
        payment_id: payment.id,
        amount_cents: req.amount.get(),
        status: "pending".into(),
        provider_ref: None,
        reason: req.reason.clone(),
        created_at: crate::store::truncate_micros(now),
    };
    refunds::insert(tx, tenant.id, &refund).await?;
    let details = json!({ "payment": payment.id.to_string(), "amount": req.amount.to_api_string(),
        "reason": req.reason, "refundable_before": left.to_api_string() });
    audit::append(tx, tenant.id, now, actor, "refund.requested", &format!("refund:{}", refund.id), details).await?;
    Ok(refund)
}

/// Steps 2 and 3 right after the reservation, as an officer's request makes
/// them: with the tenant's provider; a provider that cannot be reached leaves
/// the refund `pending` (reserved), for the worker to ask again.
pub async fn execute_now(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    reserved: RefundRecord,
) -> Result<RefundRecord, RefundFailure> {
    let provider = CardProvider::for_tenant(db, tenant).await.map_err(CardError::from)?;
    match execute(db, &provider, tenant, now, &reserved).await {
        Ok(settled) => Ok(settled),
        Err(RefundFailure::Card(CardError::Provider(e))) => {
            tracing::warn!(refund = %reserved.id, error = %e, "provider unreachable; refund left pending");
            Ok(reserved)
        }
        Err(e) => Err(e),
    }
}

/// Steps 2 and 3 for a reserved refund: ask the provider and settle.
pub async fn execute(
    db: &Db,
    provider: &CardProvider,
    tenant: &Tenant,
    now: DateTime<Utc>,
    refund: &RefundRecord,
) -> Result<RefundRecord, RefundFailure> {
    let payment = card_payments::by_id(Conn::Db(db), tenant.id, refund.payment_id).await?.ok_or(CardError::NotFound)?;
    let intent = payment.provider_ref.clone().ok_or(CardError::NotFound)?;
    let answer = provider.create_refund(refund.id, &intent, Cents::new(refund.amount_cents)).await;
    let outcome = match answer {
        Ok(r) if r.status == RefundStatus::Failed || r.status == RefundStatus::Canceled => Settle::Refused(r.id),
        Ok(r) if r.status == RefundStatus::Pending => Settle::Pending(r.id),
        Ok(r) => Settle::Taken(r.id),
        Err(ProviderError::Refused { message, .. }) => Settle::Refused(message),
        Err(e) => return Err(CardError::Provider(e).into()),
    };
    settle(db, tenant, now, refund.id, &outcome).await
}

enum Settle {
    /// The provider's refund id.
    Taken(String),
    /// The provider has it but is not done: it stays reserved, and the worker
    /// asks again (the same idempotency key returns the same refund).
    Pending(String),
    /// Why, or the provider's id of the failed refund.
    Refused(String),
}

async fn settle(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    refund_id: Uuid,
    outcome: &Settle,
) -> Result<RefundRecord, RefundFailure> {
    let tenant_codes = tenants::revenue_codes(db, tenant.id).await?;
    let mut tx = db.begin_write().await?;
    let refund = refunds::by_id(&mut tx, tenant.id, refund_id).await?.ok_or(CardError::NotFound)?;
    let party = card_payments::by_id(Conn::Tx(&mut tx), tenant.id, refund.payment_id)
        .await?
        .ok_or(CardError::NotFound)?
        .party_id;
    payments::lock_party(&mut tx, tenant.id, party).await?;
    let refund = refunds::by_id(&mut tx, tenant.id, refund_id).await?.ok_or(CardError::NotFound)?;
    if refund.status != "pending" {
        // Settled by another worker meanwhile.
        return Ok(refund);
    }
    let subject = format!("refund:{}", refund.id);
    match outcome {
        Settle::Refused(why) => {
            refunds::set_status(&mut tx, tenant.id, refund.id, "failed", None).await?;
            let details = json!({ "reason": why });
            audit::append(&mut tx, tenant.id, now, &Actor::System, "refund.failed", &subject, details).await?;
        }
        Settle::Pending(provider_ref) => {
            refunds::set_status(&mut tx, tenant.id, refund.id, "pending", Some(provider_ref)).await?;
        }
        Settle::Taken(provider_ref) => {
            take_back(&mut tx, tenant, &tenant_codes, now, &refund).await?;
            refunds::set_status(&mut tx, tenant.id, refund.id, "succeeded", Some(provider_ref)).await?;
        }
    }
    let settled = refunds::by_id(&mut tx, tenant.id, refund_id).await?.ok_or(CardError::NotFound)?;
    tx.commit().await?;
    Ok(settled)
}

/// What a payment still holds: each allocation net of its reversals, and
/// the credit it left.
pub async fn holdings(tx: &mut Tx, tenant: Uuid, payment: Uuid) -> Result<(Vec<AppliedRow>, Cents), StoreError> {
    let applied = refunds::applied(tx, tenant, payment).await?;
    let credit = Cents::new(refunds::credit_left(tx, tenant, payment).await?);
    Ok((applied, credit))
}

/// Takes `amount` back off what a payment holds (unused credit first, then
/// allocations newest first) and writes the reversal allocations and credit
/// movement; returns the plan and its journal portions. The caller holds
/// the party's lock and books the rest.
pub async fn reverse(
    tx: &mut Tx,
    tenant: &Tenant,
    tenant_codes: &[RevenueCode],
    now: DateTime<Utc>,
    payment: &CardPayment,
    amount: Cents,
    reason: &str,
) -> Result<(RefundPlan, Vec<DebtPortion>), RefundFailure> {
    let (applied, credit) = holdings(tx, tenant.id, payment.id).await?;
    let portions: Vec<AppliedPortion> = applied
        .iter()
        .enumerate()
        .map(|(i, a)| AppliedPortion {
            allocation_id: a.allocation_id,
            debt_id: a.debt_id,
            principal: Cents::new(a.principal_cents),
            surcharge: Cents::new(a.surcharge_cents),
            seq: i64::try_from(i).unwrap_or(i64::MAX),
        })
        .collect();
    let plan = plan_refund(amount, credit, &portions)?;

    let version = i64::from(tenant.policies.allocation.version);
    let rows: Vec<NewAllocation> = plan
        .reversals
        .iter()
        .map(|r| NewAllocation {
            id: Uuid::now_v7(),
            debt_id: r.debt_id,
            principal_cents: -r.principal.get(),
            surcharge_cents: -r.surcharge.get(),
            // A reversal carries the date of what it undoes, for the surcharge rule.
            paid_on: applied
                .iter()
                .find(|a| a.allocation_id == r.allocation_id)
                .map_or(payment.received_on, |a| a.paid_on),
            policy_version: version,
            reverses_id: Some(r.allocation_id),
        })
        .collect();
    payments::insert_allocations(tx, tenant.id, payment.id, &rows, now).await?;
    if plan.from_credit.is_positive() {
        payments::insert_credit(
            tx,
            tenant.id,
            payment.party_id,
            Some(payment.id),
            -plan.from_credit.get(),
            reason,
            now,
        )
        .await?;
    }

    let today = tenant.local_date(now);
    let records = debts::by_party(Conn::Tx(tx), tenant.id, payment.party_id).await?;
    let mut journal_portions = Vec::new();
    for r in &plan.reversals {
        let Some(d) = records.iter().find(|d| d.id == r.debt_id) else { continue };
        let kind = d.kind.parse().map_err(|_| StoreError::Corrupt(format!("debt kind {}", d.kind)))?;
        let (principal_code, surcharge_code) = codes(tenant_codes, d, kind, today.year());
        journal_portions.push(DebtPortion {
            debt_rf: d.rf.clone(),
            principal: r.principal,
            principal_code,
            surcharge: r.surcharge,
            surcharge_code,
        });
    }
    Ok((plan, journal_portions))
}

/// Takes the refund's money back off the payment's credit and debts, and
/// books it: reversal allocations, journal, cancellation receipt, payment
/// state and audit.
async fn take_back(
    tx: &mut Tx,
    tenant: &Tenant,
    tenant_codes: &[RevenueCode],
    now: DateTime<Utc>,
    refund: &RefundRecord,
) -> Result<(), RefundFailure> {
    let payment = card_payments::by_id(Conn::Tx(tx), tenant.id, refund.payment_id).await?.ok_or(CardError::NotFound)?;
    let amount = Cents::new(refund.amount_cents);
    let (plan, journal_portions) = reverse(tx, tenant, tenant_codes, now, &payment, amount, "refund").await?;
    let today = tenant.local_date(now);
    let entry = postings::refund(&journal_portions, plan.from_credit, Account::CardClearing)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    journal::post(tx, tenant, &entry, now, today, format!("payment:{}", payment.id)).await?;

    let original = receipts::of_payment(Conn::Tx(tx), tenant.id, payment.id)
        .await?
        .into_iter()
        .find(|r| r.kind == ReceiptKind::Receipt.as_str());
    let token = random_token();
    let cancellation = receipts::issue(
        tx,
        tenant.id,
        &NewReceipt {
            payment_id: payment.id,
            kind: ReceiptKind::Cancellation,
            series: receipt_series(tenant),
            year: today.year(),
            amount_cents: refund.amount_cents,
            cancels_id: original.as_ref().map(|r| r.id),
            refund_id: Some(refund.id),
            token: &token,
        },
        now,
    )
    .await?;

    let left = refundable(Conn::Tx(tx), tenant.id, &payment).await?;
    let event = if left.is_zero() { PaymentEvent::RefundedFully } else { PaymentEvent::RefundedPartly };
    card::take_step(tx, tenant, now, &payment, &event, &Actor::System).await?;
    let details = json!({
        "payment": payment.id.to_string(),
        "amount": amount.to_api_string(),
        "from_credit": plan.from_credit.to_api_string(),
        "reversals": plan.reversals.iter().map(|r| json!({
            "debt": r.debt_id.to_string(),
            "principal": r.principal.to_api_string(),
            "surcharge": r.surcharge.to_api_string(),
        })).collect::<Vec<_>>(),
        "cancellation": cancellation.label(),
    });
    audit::append(tx, tenant.id, now, &Actor::System, "refund.applied", &format!("refund:{}", refund.id), details)
        .await?;
    Ok(())
}

/// The worker's step: pending refunds are asked again.
pub async fn retry_pending(db: &Db, now: DateTime<Utc>) -> Result<usize, RefundFailure> {
    let mut done = 0;
    for (tenant_id, refund) in refunds::pending(db, 50).await? {
        let Some(tenant) = tenants::by_id(db, tenant_id).await? else { continue };
        let result = match CardProvider::for_tenant(db, &tenant).await {
            Ok(provider) => execute(db, &provider, &tenant, now, &refund).await,
            Err(e) => Err(CardError::from(e).into()),
        };
        // One refund's trouble never holds up the others.
        match result {
            Ok(_) => done += 1,
            Err(e) => tracing::warn!(refund = %refund.id, error = %e, "pending refund not settled; asked again later"),
        }
    }
    Ok(done)
}

/// A refund made at the provider outside Tameio (Stripe's dashboard), known
/// from a verified `charge.refunded` event: whatever the charge has refunded
/// beyond Tameio's own refunds is taken back now, as a refund of its own.
pub async fn record_external(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment_id: Uuid,
    amount_refunded: Cents,
    event_id: &str,
) -> Result<Ready, RefundFailure> {
    let tenant_codes = tenants::revenue_codes(db, tenant.id).await?;
    let Some((mut tx, payment)) = dispute::begin(db, tenant, payment_id, event_id).await? else {
        return Ok(Ready::Done);
    };
    let state = PaymentState::parse(&payment.status).unwrap_or(PaymentState::Anomaly);
    if !state.has_succeeded() {
        // The success is not booked yet: the refund waits for it.
        return Ok(Ready::NotYet);
    }
    let ours = refunds::reserved(Conn::Tx(&mut tx), tenant.id, payment.id).await?;
    let extra = amount_refunded.get() - ours;
    if extra > 0 && refundable_states(state) {
        let refund = RefundRecord {
            id: Uuid::now_v7(),
            payment_id: payment.id,
            amount_cents: extra.min(payment.amount_cents - ours),
            status: "pending".into(),
            provider_ref: None,
            reason: "refunded at the provider".into(),
            created_at: crate::store::truncate_micros(now),
        };
        refunds::insert(&mut tx, tenant.id, &refund).await?;
        take_back(&mut tx, tenant, &tenant_codes, now, &refund).await?;
        refunds::set_status(&mut tx, tenant.id, refund.id, "succeeded", Some(event_id)).await?;
    }
    Ok(dispute::done(tx, tenant, event_id, now).await?)
}
