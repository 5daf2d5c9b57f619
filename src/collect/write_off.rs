//! Writing off a debt: an officer's decision (with its number and reason)
//! that what is outstanding will not be collected. It settles the debt like
//! a payment that moves no cash (a `write_off` payment with its allocations),
//! so balances, surcharges and invariants treat it like any settlement;
//! the journal books the principal to write-off expense.

use chrono::{DateTime, Datelike, Utc};
use serde_json::json;
use uuid::Uuid;

use super::apply::codes;
use crate::debts::standings;
use crate::domain::actor::Actor;
use crate::domain::journal::postings;
use crate::domain::tenant::{RevenueCode, Tenant};
use crate::store::journal;
use crate::store::payments::{self, NewAllocation, NewPayment};
use crate::store::{Conn, StoreError, Tx, audit, debts};

#[derive(Debug, thiserror::Error)]
pub enum WriteOffError {
    #[error("no such debt")]
    NotFound,
    #[error("nothing is outstanding on this debt")]
    NothingOutstanding,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub use crate::store::payments::WriteOff;

#[derive(Debug, Clone)]
pub struct WriteOffRequest {
    pub debt_id: Uuid,
    pub reason: String,
    /// The number of the decision (απόφαση) that authorises it.
    pub decision: String,
}

/// Writes off what `debt_id` has outstanding today, in the caller's write
/// transaction.
pub async fn write_off(
    tenant_codes: &[RevenueCode],
    tx: &mut Tx,
    tenant: &Tenant,
    now: DateTime<Utc>,
    actor: &Actor,
    req: &WriteOffRequest,
) -> Result<WriteOff, WriteOffError> {
    let debt_id = req.debt_id;
    let party = debts::by_id(Conn::Tx(tx), tenant.id, debt_id).await?.ok_or(WriteOffError::NotFound)?.party_id;
    payments::lock_party(tx, tenant.id, party).await?;
    let debt = debts::by_id(Conn::Tx(tx), tenant.id, debt_id).await?.ok_or(WriteOffError::NotFound)?;
    let today = tenant.local_date(now);
    let standing = standings(Conn::Tx(tx), tenant, vec![debt], today).await?;
    let s = standing.first().ok_or(WriteOffError::NotFound)?;
    let (principal, surcharge) = (s.balance.principal_due(), s.balance.surcharges_due());
    let total = principal.checked_add(surcharge).ok_or(WriteOffError::NothingOutstanding)?;
    if !total.is_positive() {
        return Err(WriteOffError::NothingOutstanding);
    }
    let settlement = Uuid::now_v7();
    let payment = NewPayment {
        id: settlement,
        party_id: party,
        channel: "write_off",
        status: "succeeded",
        amount_cents: total.get(),
        currency: "EUR",
        received_on: today,
    };
    payments::insert_payment(tx, tenant.id, &payment, now).await?;
    let row = NewAllocation {
        id: Uuid::now_v7(),
        debt_id,
        principal_cents: principal.get(),
        surcharge_cents: surcharge.get(),
        paid_on: today,
        policy_version: i64::from(tenant.policies.allocation.version),
        reverses_id: None,
    };
    payments::insert_allocations(tx, tenant.id, settlement, &[row], now).await?;
    let w = WriteOff {
        id: Uuid::now_v7(),
        debt_id,
        principal_cents: principal.get(),
        surcharge_cents: surcharge.get(),
        written_on: today,
    };
    payments::insert_write_off(tx, tenant.id, &w, &req.reason, &req.decision, now).await?;
    // Surcharges were never booked as receivable (Tameio recognises them when
    // paid), so only the principal is written off in the ledger.
    if principal.is_positive() {
        let (principal_code, _) = codes(tenant_codes, &s.debt, s.kind, today.year());
        let entry = postings::write_off(&s.debt.rf, principal, &principal_code)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        journal::post(tx, tenant, &entry, now, today, format!("debt:{debt_id}")).await?;
    }
    let details = json!({
        "rf": s.debt.rf, "principal": principal.to_api_string(), "surcharge": surcharge.to_api_string(),
        "reason": req.reason, "decision": req.decision, "settlement": settlement.to_string(),
    });
    audit::append(tx, tenant.id, now, actor, "debt.written_off", &format!("debt:{debt_id}"), details).await?;
    Ok(w)
}
