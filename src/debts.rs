//! Reading debts as citizens and officers see them: each stored debt with its
//! balance on the tenant's business date.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::domain::allocation::OpenDebt;
use crate::domain::balance::{self, Balance, DebtFacts};
use crate::domain::debt_kind::DebtKind;
use crate::domain::money::Cents;
use crate::domain::surcharge::PrincipalPayment;
use crate::domain::tenant::Tenant;
use crate::store::debts::{self, DebtRecord};
use crate::store::{Conn, StoreError, StoreResult};

/// A debt and where it stands.
#[derive(Debug, Clone)]
pub struct DebtStanding {
    pub debt: DebtRecord,
    pub kind: DebtKind,
    pub balance: Balance,
}

impl DebtStanding {
    /// What the debt has due, as allocation sees it.
    pub fn open_debt(&self) -> OpenDebt {
        OpenDebt {
            debt_id: self.debt.id,
            due_on: self.debt.due_on,
            principal_due: self.balance.principal_due(),
            surcharge_due: self.balance.surcharges_due(),
        }
    }
}

/// Balances for stored debts as of `as_of`, with one query for all payments.
pub async fn standings(
    conn: Conn<'_>,
    tenant: &Tenant,
    records: Vec<DebtRecord>,
    as_of: NaiveDate,
) -> StoreResult<Vec<DebtStanding>> {
    let ids: Vec<Uuid> = records.iter().map(|d| d.id).collect();
    let mut payments = debts::principal_payments(conn, tenant.id, &ids).await?;
    standings_from(tenant, records, &mut payments, as_of)
}

/// Balances as of `as_of` from principal payments already read (by
/// [`debts::principal_payments`]); each debt's payments are taken from the map.
pub fn standings_from(
    tenant: &Tenant,
    records: Vec<DebtRecord>,
    payments: &mut HashMap<Uuid, Vec<(i64, NaiveDate)>>,
    as_of: NaiveDate,
) -> StoreResult<Vec<DebtStanding>> {
    records
        .into_iter()
        .map(|debt| {
            let kind: DebtKind =
                debt.kind.parse().map_err(|_| StoreError::Corrupt(format!("debt kind {}", debt.kind)))?;
            let paid: Vec<PrincipalPayment> = payments
                .remove(&debt.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(cents, on)| PrincipalPayment { amount: Cents::new(cents), on })
                .collect();
            let facts = DebtFacts {
                kind,
                principal: Cents::new(debt.principal_cents),
                due_on: debt.due_on,
                principal_payments: &paid,
                surcharges_paid: Cents::new(debt.surcharge_paid_cents),
            };
            let balance = balance::balance(&facts, &tenant.policies.surcharge, as_of)
                .map_err(|e| StoreError::Corrupt(format!("debt {}: {e}", debt.id)))?;
            Ok(DebtStanding { debt, kind, balance })
        })
        .collect()
}

/// "Γεώργιος Παπαδόπουλος" -> "Γ. Π.": enough for a citizen to recognise a
/// notice, too little to identify anyone.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphabetic()))
        .flat_map(char::to_uppercase)
        .map(|c| format!("{c}."))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn initials_keep_one_letter_per_word() {
        assert_eq!(super::initials("Γεώργιος Παπαδόπουλος"), "Γ. Π.");
        assert_eq!(super::initials("  ΑΡΤΟΠΟΙΕΙΟ  «ΜΙΧΑΗΛΙΔΗΣ» ΙΚΕ "), "Α. Μ. Ι.");
        assert_eq!(super::initials("élodie d'Arc"), "É. D.");
    }
}
