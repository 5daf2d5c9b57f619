//! Applying one received payment: lock the party, compute what is due on the
//! payment's date, allocate by policy, and record payment, allocations,
//! credit, journal events and audit entry together.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::debts::{DebtStanding, standings_from};
use crate::domain::actor::Actor;
use crate::domain::allocation::{self, Allocation, AllocationError, OpenDebt};
use crate::domain::debt_kind::DebtKind;
use crate::domain::journal::{DebtPortion, JournalEntry, JournalError, postings};
use crate::domain::money::Cents;
use crate::domain::tenant::{Component, RevenueCode, Tenant, YearClass, revenue_code_for};
use crate::store::debts::DebtRecord;
use crate::store::journal::{self, Posting};
use crate::store::payments::{self, NewAllocation, NewCredit, NewPayment};
use crate::store::{Conn, Db, StoreError, Tx, audit, debts, tenants};

/// How the money came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    BankTransfer,
    Card,
    /// A card dispute won: the disputed funds come back to be allocated again.
    DisputeReinstated,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::BankTransfer => "bank_transfer",
            Channel::Card => "card",
            Channel::DisputeReinstated => "dispute_reinstated",
        }
    }
}

#[derive(Debug, Clone)]
pub struct IncomingPayment {
    pub party_id: Uuid,
    pub channel: Channel,
    pub amount: Cents,
    /// The value date: surcharges are computed as of it.
    pub received_on: NaiveDate,
    /// Only these debts; `None`: every open debt of the party.
    pub debts: Option<Vec<Uuid>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the amount must be positive")]
    NotPositive,
    #[error("one batch of bookings names a party twice")]
    SamePartyTwice,
    #[error(transparent)]
    Allocation(#[from] AllocationError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What applying did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub payment_id: Uuid,
    pub allocation: Allocation,
}

/// The codes that book one debt's principal and surcharge in `year`.
pub(crate) fn codes(tenant_codes: &[RevenueCode], debt: &DebtRecord, kind: DebtKind, year: i32) -> (String, String) {
    let class = if debt.fiscal_year >= year { YearClass::Current } else { YearClass::Prior };
    let pick = |component| {
        revenue_code_for(tenant_codes, kind, class, component, year)
            .map(|c| c.code.clone())
            .unwrap_or_else(|| format!("unmapped:{}", kind.as_str()))
    };
    let principal = debt.revenue_code.clone().unwrap_or_else(|| pick(Component::Principal));
    (principal, pick(Component::Surcharge))
}

pub async fn apply_payment(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    actor: &Actor,
    p: &IncomingPayment,
) -> Result<Applied, ApplyError> {
    if !p.amount.is_positive() {
        return Err(ApplyError::NotPositive);
    }
    let tenant_codes = tenants::revenue_codes(db, tenant.id).await?;
    let mut tx = db.begin_write().await?;
    payments::lock_party(&mut tx, tenant.id, p.party_id).await?;
    let payment_id = Uuid::new_v4();
    let payment = NewPayment {
        id: payment_id,
        party_id: p.party_id,
        channel: p.channel.as_str(),
        status: "succeeded",
        amount_cents: p.amount.get(),
        currency: "EUR",
        received_on: p.received_on,
    };
    payments::insert_payment(&mut tx, tenant.id, &payment, now).await?;
    let booking = Booking {
        payment_id,
        party_id: p.party_id,
        channel: p.channel,
        amount: p.amount,
        as_of: p.received_on,
        booked_on: p.received_on,
        debts: p.debts.as_deref(),
    };
    let plan = book(&mut tx, tenant, &tenant_codes, now, &booking).await?;
    let details = applied_details(&booking, &plan, tenant);
    audit::append(&mut tx, tenant.id, now, actor, "payment.applied", &format!("payment:{payment_id}"), details).await?;
    tx.commit().await?;
    Ok(Applied { payment_id, allocation: plan })
}

/// Money received, to be spread over the party's debts.
#[derive(Debug, Clone)]
pub struct Booking<'a> {
    pub payment_id: Uuid,
    pub party_id: Uuid,
    pub channel: Channel,
    pub amount: Cents,
    /// Surcharges are computed as of this date: the value date of a
    /// transfer, the locked date of a card quote.
    pub as_of: NaiveDate,
    /// The business date the journal records.
    pub booked_on: NaiveDate,
    /// Only these debts; `None`: every open debt of the party.
    pub debts: Option<&'a [Uuid]>,
}

/// Allocates a received payment by policy and writes its allocations, credit
/// and journal events. The caller holds the party's lock in `tx` and has
/// written the payment row; it writes the audit entry.
pub async fn book(
    tx: &mut Tx,
    tenant: &Tenant,
    tenant_codes: &[RevenueCode],
    now: DateTime<Utc>,
    b: &Booking<'_>,
) -> Result<Allocation, ApplyError> {
    let mut plans = book_all(tx, tenant, tenant_codes, now, std::slice::from_ref(b)).await?;
    plans.pop().ok_or(ApplyError::Store(StoreError::NotFound))
}

/// [`book`] for several payments of one tenant at once, each of a different
/// party (the debts are read once, before any is booked), with one statement
/// per table. Plans come back in the bookings' order.
pub async fn book_all(
    tx: &mut Tx,
    tenant: &Tenant,
    tenant_codes: &[RevenueCode],
    now: DateTime<Utc>,
    bookings: &[Booking<'_>],
) -> Result<Vec<Allocation>, ApplyError> {
    let parties: Vec<Uuid> = bookings.iter().map(|b| b.party_id).collect();
    if parties.iter().collect::<std::collections::HashSet<_>>().len() != parties.len() {
        return Err(ApplyError::SamePartyTwice);
    }
    let mut by_party = debts::by_parties(Conn::Tx(tx), tenant.id, &parties).await?;
    let ids: Vec<Uuid> = by_party.values().flatten().map(|d| d.id).collect();
    let mut paid = debts::principal_payments(Conn::Tx(tx), tenant.id, &ids).await?;
    let version = i64::from(tenant.policies.allocation.version);

    let mut plans = Vec::with_capacity(bookings.len());
    let mut rows: Vec<(Uuid, NewAllocation)> = Vec::new();
    let mut credits: Vec<NewCredit> = Vec::new();
    let mut entries: Vec<(JournalEntry, NaiveDate, String)> = Vec::new();
    for b in bookings {
        let records = by_party.remove(&b.party_id).unwrap_or_default();
        let chosen: Vec<_> = records.into_iter().filter(|d| b.debts.is_none_or(|ids| ids.contains(&d.id))).collect();
        let standing = standings_from(tenant, chosen, &mut paid, b.as_of)?;
        let open: Vec<OpenDebt> = standing.iter().map(DebtStanding::open_debt).collect();
        let plan = allocation::allocate(b.amount, &open, tenant.policies.allocation.split)?;
        rows.extend(plan.portions.iter().map(|portion| {
            let row = NewAllocation {
                // Time-ordered ids: within one booking, a refund takes back the
                // debt allocated last first.
                id: Uuid::now_v7(),
                debt_id: portion.debt_id,
                principal_cents: portion.principal.get(),
                surcharge_cents: portion.surcharge.get(),
                paid_on: b.as_of,
                policy_version: version,
                reverses_id: None,
            };
            (b.payment_id, row)
        }));
        if plan.credit.is_positive() {
            credits.push(NewCredit {
                party_id: b.party_id,
                payment_id: Some(b.payment_id),
                amount_cents: plan.credit.get(),
                reason: "overpayment",
            });
        }
        let subject = format!("payment:{}", b.payment_id);
        for entry in journal_entries(tenant_codes, b, &plan, &standing)? {
            entries.push((entry, b.booked_on, subject.clone()));
        }
        plans.push(plan);
    }
    let rows: Vec<(Uuid, &NewAllocation)> = rows.iter().map(|(p, a)| (*p, a)).collect();
    payments::insert_allocations_of(tx, tenant.id, &rows, now).await?;
    payments::insert_credits(tx, tenant.id, &credits, now).await?;
    let postings: Vec<Posting> = entries
        .iter()
        .map(|(entry, business_date, subject)| Posting {
            entry,
            business_date: *business_date,
            subject: subject.clone(),
        })
        .collect();
    journal::post_all(tx, tenant, &postings, now).await?;
    Ok(plans)
}

/// The journal entries of one booking: the money in, its allocation to
/// revenue codes, and any credit kept.
fn journal_entries(
    tenant_codes: &[RevenueCode],
    b: &Booking<'_>,
    plan: &Allocation,
    standing: &[DebtStanding],
) -> Result<Vec<JournalEntry>, ApplyError> {
    let year = b.booked_on.year();
    let portions: Vec<DebtPortion> = plan
        .portions
        .iter()
        .filter_map(|portion| {
            let s = standing.iter().find(|s| s.debt.id == portion.debt_id)?;
            let (principal_code, surcharge_code) = codes(tenant_codes, &s.debt, s.kind, year);
            Some(DebtPortion {
                debt_rf: s.debt.rf.clone(),
                principal: portion.principal,
                principal_code,
                surcharge: portion.surcharge,
                surcharge_code,
            })
        })
        .collect();
    let mut entries: Vec<JournalEntry> = vec![match b.channel {
        Channel::BankTransfer => postings::bank_credit_booked(b.amount)?,
        Channel::Card => postings::card_payment_succeeded(b.amount)?,
        Channel::DisputeReinstated => postings::dispute_reinstated(b.amount)?,
    }];
    if !portions.is_empty() {
        entries.push(postings::allocation(&portions)?);
    }
    if plan.credit.is_positive() {
        entries.push(postings::overpayment_kept(plan.credit)?);
    }
    Ok(entries)
}

/// The audit details of an applied payment: where every cent went.
pub fn applied_details(b: &Booking<'_>, plan: &Allocation, tenant: &Tenant) -> serde_json::Value {
    json!({
        "party": b.party_id.to_string(),
        "channel": b.channel.as_str(),
        "amount": b.amount.to_api_string(),
        "as_of": b.as_of.to_string(),
        "debts": plan.portions.iter().map(|x| json!({
            "debt": x.debt_id.to_string(),
            "principal": x.principal.to_api_string(),
            "surcharge": x.surcharge.to_api_string(),
        })).collect::<Vec<_>>(),
        "credit": plan.credit.to_api_string(),
        "policy_version": tenant.policies.allocation.version,
    })
}
