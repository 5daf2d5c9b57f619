//! What a debt stands at on a date: principal, surcharges accrued, paid and
//! outstanding, from its payments and the tenant's surcharge policy.

use chrono::NaiveDate;

use super::debt_kind::DebtKind;
use super::money::Cents;
use super::surcharge::{self, PrincipalPayment, SurchargeError};
use super::tenant::SurchargePolicy;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub principal: Cents,
    pub principal_paid: Cents,
    /// Surcharges accrued up to the date, paid or not.
    pub surcharges: Cents,
    pub surcharges_paid: Cents,
}

impl Balance {
    pub fn paid(&self) -> Cents {
        self.principal_paid.checked_add(self.surcharges_paid).unwrap_or(Cents::ZERO)
    }

    pub fn principal_due(&self) -> Cents {
        self.principal.checked_sub(self.principal_paid).unwrap_or(Cents::ZERO)
    }

    pub fn surcharges_due(&self) -> Cents {
        self.surcharges.checked_sub(self.surcharges_paid).unwrap_or(Cents::ZERO)
    }

    pub fn outstanding(&self) -> Cents {
        self.principal_due().checked_add(self.surcharges_due()).unwrap_or(Cents::ZERO)
    }
}

/// The facts of one debt that its balance depends on.
#[derive(Debug, Clone)]
pub struct DebtFacts<'a> {
    pub kind: DebtKind,
    pub principal: Cents,
    pub due_on: NaiveDate,
    pub principal_payments: &'a [PrincipalPayment],
    pub surcharges_paid: Cents,
}

/// The balance as of `as_of`. With no policy for the kind, no surcharge accrues.
pub fn balance(d: &DebtFacts<'_>, policies: &[SurchargePolicy], as_of: NaiveDate) -> Result<Balance, SurchargeError> {
    let principal_paid = Cents::sum(d.principal_payments.iter().map(|p| p.amount)).ok_or(SurchargeError::Overflow)?;
    let owed = match surcharge::policy_in_force(policies, d.kind, as_of) {
        Some(policy) => {
            surcharge::surcharge_owed(d.principal, d.due_on, d.principal_payments, d.surcharges_paid, as_of, policy)?
        }
        None => Cents::ZERO,
    };
    Ok(Balance {
        principal: d.principal,
        principal_paid,
        surcharges: owed.checked_add(d.surcharges_paid).ok_or(SurchargeError::Overflow)?,
        surcharges_paid: d.surcharges_paid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tenant::SurchargePolicy;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_partly_paid_debt_accrues_only_on_what_is_outstanding() {
        // The shared vector: 100.00 due 2024-03-31, 50.00 of principal paid on
        // 2024-05-10 (with its 0.73 of surcharge), seen on 2024-07-01.
        let paid = [PrincipalPayment { amount: Cents::new(5000), on: date(2024, 5, 10) }];
        let facts = DebtFacts {
            kind: DebtKind::Water,
            principal: Cents::new(10_000),
            due_on: date(2024, 3, 31),
            principal_payments: &paid,
            surcharges_paid: Cents::new(73),
        };
        let b = balance(&facts, &[SurchargePolicy::greek_default()], date(2024, 7, 1)).unwrap();
        assert_eq!(b.surcharges, Cents::new(219));
        assert_eq!(b.paid(), Cents::new(5073));
        assert_eq!(b.outstanding(), Cents::new(5000 + 146));
        let none = balance(&facts, &[], date(2024, 7, 1)).unwrap();
        assert_eq!(none.surcharges, Cents::new(73), "without a policy only what was paid stands");
    }
}
