//! Applying one received payment: lock the party, compute what is due on the
//! payment's date, allocate by policy, and record payment, allocations,
//! credit, journal events and audit entry together.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::debts::standings;
use crate::domain::actor::Actor;
use crate::domain::allocation::{self, Allocation, AllocationError, OpenDebt};
use crate::domain::journal::{DebtPortion, JournalEntry, JournalError, postings};
use crate::domain::money::Cents;
use crate::domain::tenant::{Component, Tenant, TenantMode, YearClass, revenue_code_for};
use crate::store::journal::{self, NewEvent};
use crate::store::payments::{self, NewAllocation, NewPayment};
use crate::store::{Conn, Db, StoreError, audit, debts, tenants};

/// How the money came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    BankTransfer,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::BankTransfer => "bank_transfer",
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
fn codes(
    tenant_codes: &[crate::domain::tenant::RevenueCode],
    d: &crate::debts::DebtStanding,
    year: i32,
) -> (String, String) {
    let class = if d.debt.fiscal_year >= year { YearClass::Current } else { YearClass::Prior };
    let pick = |component| {
        revenue_code_for(tenant_codes, d.kind, class, component, year)
            .map(|c| c.code.clone())
            .unwrap_or_else(|| format!("unmapped:{}", d.kind.as_str()))
    };
    let principal = d.debt.revenue_code.clone().unwrap_or_else(|| pick(Component::Principal));
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
    let records = debts::by_party(Conn::Tx(&mut tx), tenant.id, p.party_id).await?;
    let chosen: Vec<_> =
        records.into_iter().filter(|d| p.debts.as_ref().is_none_or(|ids| ids.contains(&d.id))).collect();
    let standing = standings(Conn::Tx(&mut tx), tenant, chosen, p.received_on).await?;
    let open: Vec<OpenDebt> = standing
        .iter()
        .map(|s| OpenDebt {
            debt_id: s.debt.id,
            due_on: s.debt.due_on,
            principal_due: s.balance.principal_due(),
            surcharge_due: s.balance.surcharges_due(),
        })
        .collect();
    let plan = allocation::allocate(p.amount, &open, tenant.policies.allocation.split)?;

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
    let version = i64::from(tenant.policies.allocation.version);
    let rows: Vec<NewAllocation> = plan
        .portions
        .iter()
        .map(|portion| NewAllocation {
            id: Uuid::new_v4(),
            debt_id: portion.debt_id,
            principal_cents: portion.principal.get(),
            surcharge_cents: portion.surcharge.get(),
            paid_on: p.received_on,
            policy_version: version,
            reverses_id: None,
        })
        .collect();
    payments::insert_allocations(&mut tx, tenant.id, payment_id, &rows, now).await?;
    if plan.credit.is_positive() {
        payments::insert_credit(
            &mut tx,
            tenant.id,
            p.party_id,
            Some(payment_id),
            plan.credit.get(),
            "overpayment",
            now,
        )
        .await?;
    }

    let year = p.received_on.year();
    let portions: Vec<DebtPortion> = plan
        .portions
        .iter()
        .filter_map(|portion| {
            let s = standing.iter().find(|s| s.debt.id == portion.debt_id)?;
            let (principal_code, surcharge_code) = codes(&tenant_codes, s, year);
            Some(DebtPortion {
                debt_rf: s.debt.rf.clone(),
                principal: portion.principal,
                principal_code,
                surcharge: portion.surcharge,
                surcharge_code,
            })
        })
        .collect();
    let mut entries: Vec<JournalEntry> = vec![match p.channel {
        Channel::BankTransfer => postings::bank_credit_booked(p.amount)?,
    }];
    if !portions.is_empty() {
        entries.push(postings::allocation(&portions)?);
    }
    if plan.credit.is_positive() {
        entries.push(postings::overpayment_kept(plan.credit)?);
    }
    let subject = format!("payment:{payment_id}");
    for entry in &entries {
        let ev = NewEvent {
            entry,
            occurred_at: now,
            business_date: p.received_on,
            livemode: tenant.mode == TenantMode::Live,
            subject: subject.clone(),
        };
        journal::append(&mut tx, tenant.id, &ev).await?;
    }
    let details = json!({
        "party": p.party_id.to_string(),
        "channel": p.channel.as_str(),
        "amount": p.amount.to_api_string(),
        "received_on": p.received_on.to_string(),
        "debts": plan.portions.iter().map(|x| json!({
            "debt": x.debt_id.to_string(),
            "principal": x.principal.to_api_string(),
            "surcharge": x.surcharge.to_api_string(),
        })).collect::<Vec<_>>(),
        "credit": plan.credit.to_api_string(),
        "policy_version": version,
    });
    audit::append(&mut tx, tenant.id, now, actor, "payment.applied", &subject, details).await?;
    tx.commit().await?;
    Ok(Applied { payment_id, allocation: plan })
}
