//! Applying a party's credit (overpayments it left) to its open debts: by an
//! officer, or on import when the tenant's `auto_apply_credit` is on. Each
//! allocation is attributed to the payment the credit came from, oldest
//! first, so every payment still adds up (invariant 2).

use chrono::{DateTime, Datelike, Utc};
use serde_json::json;
use uuid::Uuid;

use super::apply::codes;
use crate::debts::{DebtStanding, standings};
use crate::domain::actor::Actor;
use crate::domain::allocation::{self, OpenDebt, Portion};
use crate::domain::journal::{DebtPortion, postings};
use crate::domain::money::Cents;
use crate::domain::tenant::{RevenueCode, Tenant};
use crate::store::payments::{self, NewAllocation};
use crate::store::{Conn, StoreError, Tx, audit, debts, journal};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditApplied {
    pub applied: Cents,
    pub credit_left: Cents,
    pub portions: Vec<Portion>,
}

/// Applies the party's credit in the caller's write transaction, which holds
/// the party's lock. `None` when there is no credit or nothing is due.
pub async fn apply_credit_in(
    tx: &mut Tx,
    tenant: &Tenant,
    tenant_codes: &[RevenueCode],
    now: DateTime<Utc>,
    actor: &Actor,
    party: Uuid,
) -> Result<Option<CreditApplied>, StoreError> {
    let sources = payments::credit_by_payment(tx, tenant.id, party).await?;
    let total: i64 = sources.iter().map(|(_, c)| c).sum();
    if total <= 0 {
        return Ok(None);
    }
    let today = tenant.local_date(now);
    let records = debts::by_party(Conn::Tx(tx), tenant.id, party).await?;
    let standing: Vec<DebtStanding> = standings(Conn::Tx(tx), tenant, records, today).await?;
    let mut open: Vec<OpenDebt> = standing.iter().map(DebtStanding::open_debt).collect();
    let split = tenant.policies.allocation.split;
    let version = i64::from(tenant.policies.allocation.version);
    let mut all: Vec<Portion> = Vec::new();
    for (payment, credit) in sources {
        let plan =
            allocation::allocate(Cents::new(credit), &open, split).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if plan.portions.is_empty() {
            break;
        }
        let rows: Vec<NewAllocation> = plan
            .portions
            .iter()
            .map(|p| NewAllocation {
                id: Uuid::now_v7(),
                debt_id: p.debt_id,
                principal_cents: p.principal.get(),
                surcharge_cents: p.surcharge.get(),
                paid_on: today,
                policy_version: version,
                reverses_id: None,
            })
            .collect();
        payments::insert_allocations(tx, tenant.id, payment, &rows, now).await?;
        let used = credit - plan.credit.get();
        payments::insert_credit(tx, tenant.id, party, Some(payment), -used, "credit_applied", now).await?;
        for p in &plan.portions {
            if let Some(d) = open.iter_mut().find(|d| d.debt_id == p.debt_id) {
                d.principal_due = d.principal_due.checked_sub(p.principal).unwrap_or(Cents::ZERO);
                d.surcharge_due = d.surcharge_due.checked_sub(p.surcharge).unwrap_or(Cents::ZERO);
            }
        }
        all.extend(plan.portions);
    }
    if all.is_empty() {
        return Ok(None);
    }
    let applied = Cents::sum(all.iter().flat_map(|p| [p.principal, p.surcharge])).unwrap_or(Cents::ZERO);
    let journal_portions: Vec<DebtPortion> = all
        .iter()
        .filter_map(|p| {
            let s = standing.iter().find(|s| s.debt.id == p.debt_id)?;
            let (principal_code, surcharge_code) = codes(tenant_codes, &s.debt, s.kind, today.year());
            Some(DebtPortion {
                debt_rf: s.debt.rf.clone(),
                principal: p.principal,
                principal_code,
                surcharge: p.surcharge,
                surcharge_code,
            })
        })
        .collect();
    let entry = postings::credit_applied(&journal_portions).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    journal::post(tx, tenant, &entry, now, today, format!("party:{party}")).await?;
    let credit_left = Cents::new(total - applied.get());
    let details = json!({
        "applied": applied.to_api_string(),
        "credit_left": credit_left.to_api_string(),
        "debts": all.iter().map(|p| json!({
            "debt": p.debt_id.to_string(),
            "principal": p.principal.to_api_string(),
            "surcharge": p.surcharge.to_api_string(),
        })).collect::<Vec<_>>(),
    });
    audit::append(tx, tenant.id, now, actor, "credit.applied", &format!("party:{party}"), details).await?;
    Ok(Some(CreditApplied { applied, credit_left, portions: all }))
}
