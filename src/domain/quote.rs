//! A quote: what a citizen is offered to pay now for some debts, and how it
//! will land. Pure rules; the caller loads the debts as of the quote's date
//! and stores the result, which then holds its surcharges for the tenant's
//! window.

use super::allocation::{self, Allocation, AllocationError, OpenDebt};
use super::money::Cents;
use super::tenant::SplitRule;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotePlan {
    /// What each chosen debt has due as of the quote's date.
    pub debts: Vec<OpenDebt>,
    pub total_due: Cents,
    /// What the citizen pays: the total, or the partial amount asked for.
    pub amount: Cents,
    /// How `amount` will be allocated if nothing changes before it is paid.
    pub allocation: Allocation,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("nothing is due on the chosen debts")]
    NothingDue,
    #[error("a card payment must be at least {minimum}")]
    BelowMinimum { minimum: Cents },
    #[error("the amount is more than the {outstanding} outstanding")]
    AboveOutstanding { outstanding: Cents },
    /// Paying `amount` would leave less than the minimum on a debt, which
    /// nobody could then pay by card: pay `pay_in_full` instead.
    #[error("the amount would leave {left} on a debt, less than the minimum {minimum}; pay {pay_in_full} instead")]
    LeavesBelowMinimum { left: Cents, minimum: Cents, pay_in_full: Cents },
    #[error(transparent)]
    Allocation(#[from] AllocationError),
    #[error("the amounts are too large")]
    Overflow,
}

/// Card networks take nothing smaller (Stripe: €0.50), whatever the tenant's
/// minimum: below it the citizen pays by bank transfer.
pub const CARD_FLOOR: Cents = Cents::new(50);

/// Quotes `amount` (or everything due, when `None`) over `debts`.
///
/// A partial amount is at least `minimum`, at most the total due, and may not
/// leave a debt with less than `minimum` on it. Paying everything due is
/// always allowed, even when the total is below the minimum: otherwise a
/// small remainder could never be paid by card at all.
pub fn quote(
    debts: &[OpenDebt],
    amount: Option<Cents>,
    minimum: Cents,
    split: SplitRule,
) -> Result<QuotePlan, QuoteError> {
    let mut total_due = Cents::ZERO;
    for d in debts {
        let due = d.principal_due.checked_add(d.surcharge_due).ok_or(QuoteError::Overflow)?;
        total_due = total_due.checked_add(due).ok_or(QuoteError::Overflow)?;
    }
    if !total_due.is_positive() {
        return Err(QuoteError::NothingDue);
    }
    let amount = amount.unwrap_or(total_due);
    if amount > total_due {
        return Err(QuoteError::AboveOutstanding { outstanding: total_due });
    }
    if amount != total_due && amount < minimum {
        return Err(QuoteError::BelowMinimum { minimum });
    }
    if amount < CARD_FLOOR {
        return Err(QuoteError::BelowMinimum { minimum: CARD_FLOOR });
    }
    let plan = allocation::allocate(amount, debts, split)?;
    for portion in &plan.portions {
        let Some(d) = debts.iter().find(|d| d.debt_id == portion.debt_id) else { continue };
        let left = d
            .principal_due
            .checked_add(d.surcharge_due)
            .and_then(|due| due.checked_sub(portion.principal))
            .and_then(|due| due.checked_sub(portion.surcharge))
            .ok_or(QuoteError::Overflow)?;
        if left.is_positive() && left < minimum {
            let pay_in_full = amount.checked_add(left).ok_or(QuoteError::Overflow)?;
            return Err(QuoteError::LeavesBelowMinimum { left, minimum, pay_in_full });
        }
    }
    Ok(QuotePlan { debts: debts.to_vec(), total_due, amount, allocation: plan })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;

    fn debt(n: u128, day: u32, principal: i64, surcharge: i64) -> OpenDebt {
        OpenDebt {
            debt_id: Uuid::from_u128(n),
            due_on: NaiveDate::from_ymd_opt(2026, 1, day).unwrap(),
            principal_due: Cents::new(principal),
            surcharge_due: Cents::new(surcharge),
        }
    }

    const MIN: Cents = Cents::new(100);

    #[test]
    fn no_amount_pays_everything_due() {
        let q = quote(&[debt(1, 5, 10_000, 730), debt(2, 1, 5_000, 0)], None, MIN, SplitRule::SurchargesFirst).unwrap();
        assert_eq!(q.total_due, Cents::new(15_730));
        assert_eq!(q.amount, q.total_due);
        assert!(q.allocation.credit.is_zero());
        // Oldest due date first.
        assert_eq!(q.allocation.portions[0].debt_id, Uuid::from_u128(2));
    }

    #[test]
    fn a_partial_amount_goes_to_the_oldest_debt_surcharges_first() {
        let q = quote(&[debt(1, 5, 10_000, 730)], Some(Cents::new(1_000)), MIN, SplitRule::SurchargesFirst).unwrap();
        assert_eq!(q.allocation.portions[0].surcharge, Cents::new(730));
        assert_eq!(q.allocation.portions[0].principal, Cents::new(270));
    }

    #[test]
    fn amounts_outside_the_limits_are_refused_with_the_way_out() {
        let debts = [debt(1, 5, 10_000, 0)];
        let s = SplitRule::SurchargesFirst;
        assert_eq!(quote(&debts, Some(Cents::new(99)), MIN, s), Err(QuoteError::BelowMinimum { minimum: MIN }));
        assert_eq!(
            quote(&debts, Some(Cents::new(10_001)), MIN, s),
            Err(QuoteError::AboveOutstanding { outstanding: Cents::new(10_000) })
        );
        assert_eq!(
            quote(&debts, Some(Cents::new(9_950)), MIN, s),
            Err(QuoteError::LeavesBelowMinimum { left: Cents::new(50), minimum: MIN, pay_in_full: Cents::new(10_000) })
        );
        assert_eq!(quote(&[debt(1, 5, 0, 0)], None, MIN, s), Err(QuoteError::NothingDue));
    }

    #[test]
    fn a_remainder_below_the_minimum_can_still_be_paid_in_full_above_the_card_floor() {
        let q = quote(&[debt(1, 5, 70, 0)], None, MIN, SplitRule::SurchargesFirst).unwrap();
        assert_eq!(q.amount, Cents::new(70));
        assert_eq!(
            quote(&[debt(1, 5, 40, 0)], None, MIN, SplitRule::SurchargesFirst),
            Err(QuoteError::BelowMinimum { minimum: CARD_FLOOR }),
            "below what card networks take: pay by bank transfer"
        );
    }
}
