//! Allocation: how a payment is spread over a party's debts, and how a refund
//! takes money back. Pure rules over cents; the caller loads the debts, holds
//! the party's lock, records the policy version and writes the result.
//!
//! The policy has two parts (DESIGN.md, Allocation). The order across debts is
//! fixed: oldest due date first, ties by debt id, so the same payment against
//! the same debts always lands the same way whatever order they were loaded
//! in. The split within a debt that is only partly covered is the tenant's
//! [`SplitRule`]. Whatever is left over after the chosen debts are paid is the
//! party's credit, so invariant 2 (`amount = Σ allocations + credit`) holds by
//! construction, and no portion ever exceeds what is due, which keeps
//! invariant 1 (`0 <= paid <= principal + surcharges`).
//!
//! A refund (by an officer, later) first gives back credit the payment left
//! unused, then takes allocations back newest first; the debts they paid
//! reopen. Taking back never exceeds what was applied, so invariant 1 holds
//! after refunds as well.

use std::cmp::Reverse;

use chrono::NaiveDate;
use uuid::Uuid;

use super::money::{Cents, MoneyError, split_proportional};
use super::tenant::SplitRule;

/// What is outstanding on one debt at the moment of the payment. Surcharges
/// are as of the payment's date (for a bank transfer, its value date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenDebt {
    pub debt_id: Uuid,
    pub due_on: NaiveDate,
    pub principal_due: Cents,
    pub surcharge_due: Cents,
}

/// The money one payment puts on one debt. Never zero in total, never more
/// than was due in either component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Portion {
    pub debt_id: Uuid,
    pub principal: Cents,
    pub surcharge: Cents,
}

/// The whole outcome of allocating one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// In the order they were applied: oldest debt first.
    pub portions: Vec<Portion>,
    /// The surplus kept as the party's credit (zero unless every given debt
    /// is paid in full).
    pub credit: Cents,
}

/// Why a payment could not be allocated. Every variant but `Inconsistent` is
/// a fault in the input; `Inconsistent` means this module broke its own rule
/// and nothing may be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("the payment amount cannot be negative")]
    NegativeAmount,
    #[error("debt {debt_id} has a negative amount due")]
    NegativeDue { debt_id: Uuid },
    #[error("debt {debt_id} is listed more than once")]
    DuplicateDebt { debt_id: Uuid },
    #[error("the amounts are too large")]
    Overflow,
    #[error("allocation broke its own rule: {0}")]
    Inconsistent(&'static str),
}

/// Spreads `amount` over `debts` (exactly the debts the payment is for):
/// oldest `due_on` first, ties by `debt_id`; a debt the money left covers is
/// paid in full, the first one it does not cover is split by `split`, and
/// what remains after every debt is paid becomes credit.
///
/// Debts with nothing due get no portion. The whole input is checked before
/// any money moves, so an error does not depend on the amount.
pub fn allocate(amount: Cents, debts: &[OpenDebt], split: SplitRule) -> Result<Allocation, AllocationError> {
    if amount.is_negative() {
        return Err(AllocationError::NegativeAmount);
    }
    validate_debts(debts)?;

    let mut order: Vec<&OpenDebt> = debts.iter().collect();
    order.sort_unstable_by_key(|d| (d.due_on, d.debt_id));

    let mut left = amount;
    let mut portions = Vec::new();
    for debt in order {
        if left.is_zero() {
            break;
        }
        // Checked in validate_debts, so this cannot fail; still no unwrap.
        let due = total_due(debt)?;
        if due.is_zero() {
            continue;
        }
        let (principal, surcharge) =
            if left >= due { (debt.principal_due, debt.surcharge_due) } else { split_partial(left, debt, split)? };
        let paid = principal.checked_add(surcharge).ok_or(AllocationError::Overflow)?;
        ensure(
            !principal.is_negative()
                && !surcharge.is_negative()
                && principal <= debt.principal_due
                && surcharge <= debt.surcharge_due
                && paid.is_positive()
                && paid <= left,
            AllocationError::Inconsistent("a portion is outside what the debt has due"),
        )?;
        left = left.checked_sub(paid).ok_or(AllocationError::Overflow)?;
        portions.push(Portion { debt_id: debt.debt_id, principal, surcharge });
    }

    let allocation = Allocation { portions, credit: left };
    ensure(
        portions_total(&allocation.portions).and_then(|applied| applied.checked_add(allocation.credit)) == Some(amount),
        AllocationError::Inconsistent("portions and credit do not add up to the amount"),
    )?;
    Ok(allocation)
}

fn validate_debts(debts: &[OpenDebt]) -> Result<(), AllocationError> {
    for debt in debts {
        if debt.principal_due.is_negative() || debt.surcharge_due.is_negative() {
            return Err(AllocationError::NegativeDue { debt_id: debt.debt_id });
        }
        total_due(debt)?;
    }
    // A debt listed twice would be paid twice; sorting ids finds it in
    // O(n log n) without hashing.
    let mut ids: Vec<Uuid> = debts.iter().map(|d| d.debt_id).collect();
    ids.sort_unstable();
    if let Some(pair) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(AllocationError::DuplicateDebt { debt_id: pair[0] });
    }
    Ok(())
}

fn total_due(debt: &OpenDebt) -> Result<Cents, AllocationError> {
    debt.principal_due.checked_add(debt.surcharge_due).ok_or(AllocationError::Overflow)
}

/// Splits `partial` (more than zero, less than the debt's total due) into
/// (principal, surcharge).
fn split_partial(partial: Cents, debt: &OpenDebt, split: SplitRule) -> Result<(Cents, Cents), AllocationError> {
    let rest = |taken: Cents| partial.checked_sub(taken).ok_or(AllocationError::Overflow);
    match split {
        SplitRule::SurchargesFirst => {
            let surcharge = partial.min(debt.surcharge_due);
            Ok((rest(surcharge)?, surcharge))
        }
        SplitRule::PrincipalFirst => {
            let principal = partial.min(debt.principal_due);
            Ok((principal, rest(principal)?))
        }
        SplitRule::Proportional => {
            // Largest remainder over [principal, surcharge]: with two shares
            // at most one cent is left over, and it goes to the larger
            // remainder; on an exact tie split_proportional gives it to the
            // earlier index, i.e. principal, as the policy says. Because
            // partial < due, neither share can exceed its component.
            let shares =
                split_proportional(partial, &[debt.principal_due, debt.surcharge_due]).map_err(|e| match e {
                    MoneyError::Overflow => AllocationError::Overflow,
                    _ => AllocationError::Inconsistent("proportional split refused its weights"),
                })?;
            match shares.as_slice() {
                [principal, surcharge] => Ok((*principal, *surcharge)),
                _ => Err(AllocationError::Inconsistent("proportional split returned the wrong number of shares")),
            }
        }
    }
}

fn portions_total(portions: &[Portion]) -> Option<Cents> {
    portions.iter().try_fold(Cents::ZERO, |acc, p| acc.checked_add(p.principal)?.checked_add(p.surcharge))
}

/// A rule this module keeps about its own output: loud in debug builds and
/// tests, an error (never a panic) in release.
fn ensure<E>(holds: bool, error: E) -> Result<(), E> {
    debug_assert!(holds, "allocation invariant broken");
    if holds { Ok(()) } else { Err(error) }
}

// ---- Refunds ----

/// Money that sits on a debt through one allocation, net of any earlier
/// reversals of it: what a refund may still take back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedPortion {
    pub allocation_id: Uuid,
    pub debt_id: Uuid,
    pub principal: Cents,
    pub surcharge: Cents,
    /// Larger is newer: the order in which portions were applied.
    pub seq: i64,
}

/// Money a refund takes back from one allocation (positive amounts; the
/// caller posts them as the reverse of the allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reversal {
    pub allocation_id: Uuid,
    pub debt_id: Uuid,
    pub principal: Cents,
    pub surcharge: Cents,
}

/// The whole outcome of planning a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPlan {
    /// Taken from the payment's unused credit.
    pub from_credit: Cents,
    /// Taken back from allocations, newest first; each reopens its debt.
    pub reversals: Vec<Reversal>,
}

/// Why a refund could not be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("the refund amount cannot be negative")]
    NegativeAmount,
    #[error("the unused credit cannot be negative")]
    NegativeCredit,
    #[error("allocation {allocation_id} has a negative amount applied to debt {debt_id}")]
    NegativeApplied { allocation_id: Uuid, debt_id: Uuid },
    #[error("allocation {allocation_id} to debt {debt_id} is listed more than once")]
    DuplicatePortion { allocation_id: Uuid, debt_id: Uuid },
    #[error("the refund is larger than the {refundable} that can be refunded")]
    ExceedsRefundable { refundable: Cents },
    #[error("the amounts are too large")]
    Overflow,
    #[error("refund planning broke its own rule: {0}")]
    Inconsistent(&'static str),
}

/// Plans a refund of `amount`: unused credit first (it reopens nothing), then
/// allocations newest first (largest `seq`; equal `seq` broken by
/// `allocation_id`, then `debt_id`, both descending, only so the plan is
/// deterministic).
///
/// Within the one allocation that is reversed only in part, principal is
/// taken back before surcharge: the reverse of the default surcharges-first
/// split, so a partial refund leaves the debt as a partial payment under the
/// default policy would have. The rule is the same whichever split the
/// allocation used, so a refund never needs the policy of the past.
pub fn plan_refund(amount: Cents, unused_credit: Cents, applied: &[AppliedPortion]) -> Result<RefundPlan, RefundError> {
    if amount.is_negative() {
        return Err(RefundError::NegativeAmount);
    }
    if unused_credit.is_negative() {
        return Err(RefundError::NegativeCredit);
    }
    let mut refundable = unused_credit;
    for a in applied {
        if a.principal.is_negative() || a.surcharge.is_negative() {
            return Err(RefundError::NegativeApplied { allocation_id: a.allocation_id, debt_id: a.debt_id });
        }
        refundable = refundable
            .checked_add(a.principal)
            .and_then(|r| r.checked_add(a.surcharge))
            .ok_or(RefundError::Overflow)?;
    }
    let mut keys: Vec<(Uuid, Uuid)> = applied.iter().map(|a| (a.allocation_id, a.debt_id)).collect();
    keys.sort_unstable();
    if let Some(pair) = keys.windows(2).find(|w| w[0] == w[1]) {
        let (allocation_id, debt_id) = pair[0];
        return Err(RefundError::DuplicatePortion { allocation_id, debt_id });
    }
    if amount > refundable {
        return Err(RefundError::ExceedsRefundable { refundable });
    }

    let from_credit = amount.min(unused_credit);
    let mut left = amount.checked_sub(from_credit).ok_or(RefundError::Overflow)?;

    let mut order: Vec<&AppliedPortion> = applied.iter().collect();
    order.sort_unstable_by_key(|a| Reverse((a.seq, a.allocation_id, a.debt_id)));
    let mut reversals = Vec::new();
    for a in order {
        if left.is_zero() {
            break;
        }
        let principal = left.min(a.principal);
        let after_principal = left.checked_sub(principal).ok_or(RefundError::Overflow)?;
        let surcharge = after_principal.min(a.surcharge);
        left = after_principal.checked_sub(surcharge).ok_or(RefundError::Overflow)?;
        if principal.is_zero() && surcharge.is_zero() {
            continue;
        }
        reversals.push(Reversal { allocation_id: a.allocation_id, debt_id: a.debt_id, principal, surcharge });
    }

    let taken = reversals.iter().try_fold(from_credit, |acc, r| acc.checked_add(r.principal)?.checked_add(r.surcharge));
    ensure(
        left.is_zero() && taken == Some(amount),
        RefundError::Inconsistent("the plan does not add up to the refund"),
    )?;
    Ok(RefundPlan { from_credit, reversals })
}

#[cfg(test)]
// Tests fail loudly on broken fixtures; that is what unwrap is for here.
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    const ALL_RULES: [SplitRule; 3] = [SplitRule::SurchargesFirst, SplitRule::PrincipalFirst, SplitRule::Proportional];

    fn c(v: i64) -> Cents {
        Cents::new(v)
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(u64::from(d))
    }

    fn debt(n: u128, d: u32, principal: i64, surcharge: i64) -> OpenDebt {
        OpenDebt { debt_id: id(n), due_on: day(d), principal_due: c(principal), surcharge_due: c(surcharge) }
    }

    fn portion(n: u128, principal: i64, surcharge: i64) -> Portion {
        Portion { debt_id: id(n), principal: c(principal), surcharge: c(surcharge) }
    }

    // ---- allocate: examples ----

    #[test]
    fn oldest_first_ties_by_id_and_surplus_is_credit() {
        let debts = [debt(3, 10, 1000, 100), debt(2, 5, 500, 0), debt(1, 10, 200, 20)];
        let a = allocate(c(2000), &debts, SplitRule::SurchargesFirst).unwrap();
        assert_eq!(a.portions, vec![portion(2, 500, 0), portion(1, 200, 20), portion(3, 1000, 100)]);
        assert_eq!(a.credit, c(180));
    }

    #[test]
    fn partial_debt_is_split_by_each_rule() {
        // 1000 principal, 300 surcharge; 650 covers the first debt (100) and
        // leaves 550 for this one.
        let debts = [debt(1, 1, 100, 0), debt(2, 2, 1000, 300)];
        let expect = [
            (SplitRule::SurchargesFirst, portion(2, 250, 300)),
            (SplitRule::PrincipalFirst, portion(2, 550, 0)),
            // 550 * 1000/1300 = 423.07…, 550 * 300/1300 = 126.92…: the
            // leftover cent goes to the larger remainder, the surcharge.
            (SplitRule::Proportional, portion(2, 423, 127)),
        ];
        for (rule, second) in expect {
            let a = allocate(c(650), &debts, rule).unwrap();
            assert_eq!(a.portions, vec![portion(1, 100, 0), second], "{rule:?}");
            assert_eq!(a.credit, Cents::ZERO);
        }
    }

    #[test]
    fn surcharges_first_spills_into_principal_and_principal_first_into_surcharge() {
        let debts = [debt(1, 1, 1000, 300)];
        let a = allocate(c(200), &debts, SplitRule::SurchargesFirst).unwrap();
        assert_eq!(a.portions, vec![portion(1, 0, 200)]);
        let a = allocate(c(1200), &debts, SplitRule::PrincipalFirst).unwrap();
        assert_eq!(a.portions, vec![portion(1, 1000, 200)]);
    }

    #[test]
    fn proportional_tie_cent_goes_to_principal() {
        // 1 cent over equal components: both remainders are exactly half.
        let a = allocate(c(1), &[debt(1, 1, 50, 50)], SplitRule::Proportional).unwrap();
        assert_eq!(a.portions, vec![portion(1, 1, 0)]);
        let a = allocate(c(3), &[debt(1, 1, 50, 50)], SplitRule::Proportional).unwrap();
        assert_eq!(a.portions, vec![portion(1, 2, 1)]);
        // Only a surcharge left: it all goes there, and never more.
        let a = allocate(c(7), &[debt(1, 1, 0, 10)], SplitRule::Proportional).unwrap();
        assert_eq!(a.portions, vec![portion(1, 0, 7)]);
    }

    #[test]
    fn nothing_to_pay_and_nothing_paid() {
        for rule in ALL_RULES {
            let a = allocate(c(500), &[], rule).unwrap();
            assert_eq!(a, Allocation { portions: vec![], credit: c(500) });
            let a = allocate(c(0), &[debt(1, 1, 10, 10)], rule).unwrap();
            assert!(a.portions.is_empty() && a.credit.is_zero());
            // A debt with nothing due gets no zero portion.
            let a = allocate(c(30), &[debt(1, 1, 0, 0), debt(2, 2, 10, 10)], rule).unwrap();
            assert_eq!(a.portions, vec![portion(2, 10, 10)]);
            assert_eq!(a.credit, c(10));
        }
    }

    #[test]
    fn bad_input_is_refused_before_any_money_moves() {
        let ok = debt(1, 1, 10, 10);
        assert_eq!(allocate(c(-1), &[ok], SplitRule::SurchargesFirst), Err(AllocationError::NegativeAmount));
        assert_eq!(
            allocate(c(5), &[ok, debt(2, 9, -1, 0)], SplitRule::SurchargesFirst),
            Err(AllocationError::NegativeDue { debt_id: id(2) })
        );
        assert_eq!(
            allocate(c(5), &[ok, debt(2, 9, 0, -1)], SplitRule::SurchargesFirst),
            Err(AllocationError::NegativeDue { debt_id: id(2) })
        );
        // The duplicate is found even when its dates differ and the amount
        // would not reach it.
        assert_eq!(
            allocate(c(5), &[ok, debt(2, 5, 1, 1), debt(1, 9, 3, 3)], SplitRule::Proportional),
            Err(AllocationError::DuplicateDebt { debt_id: id(1) })
        );
        assert_eq!(
            allocate(c(5), &[ok, debt(2, 9, i64::MAX, 1)], SplitRule::PrincipalFirst),
            Err(AllocationError::Overflow)
        );
    }

    #[test]
    fn huge_amounts_do_not_overflow() {
        let debts = [debt(1, 1, i64::MAX - 1, 1), debt(2, 2, 1, 0)];
        for rule in ALL_RULES {
            let a = allocate(c(i64::MAX), &debts, rule).unwrap();
            assert_eq!(a.portions.len(), 1);
            assert_eq!(a.credit, Cents::ZERO);
            let a = allocate(c(i64::MAX - 1), &debts, rule).unwrap();
            assert_eq!(portions_total(&a.portions), Some(c(i64::MAX - 1)));
        }
    }

    // ---- plan_refund: examples ----

    fn applied(alloc: u128, debt_n: u128, principal: i64, surcharge: i64, seq: i64) -> AppliedPortion {
        AppliedPortion {
            allocation_id: id(alloc),
            debt_id: id(debt_n),
            principal: c(principal),
            surcharge: c(surcharge),
            seq,
        }
    }

    fn reversal(alloc: u128, debt_n: u128, principal: i64, surcharge: i64) -> Reversal {
        Reversal { allocation_id: id(alloc), debt_id: id(debt_n), principal: c(principal), surcharge: c(surcharge) }
    }

    #[test]
    fn refund_takes_credit_then_newest_allocations_principal_first() {
        let rows = [applied(10, 1, 500, 50, 1), applied(11, 2, 300, 30, 2)];
        // Credit alone.
        let plan = plan_refund(c(40), c(100), &rows).unwrap();
        assert_eq!(plan.from_credit, c(40));
        assert!(plan.reversals.is_empty());
        // Credit, the newest allocation whole, then principal of the older.
        let plan = plan_refund(c(100 + 330 + 120), c(100), &rows).unwrap();
        assert_eq!(plan.from_credit, c(100));
        assert_eq!(plan.reversals, vec![reversal(11, 2, 300, 30), reversal(10, 1, 120, 0)]);
        // Everything.
        let plan = plan_refund(c(100 + 330 + 550), c(100), &rows).unwrap();
        assert_eq!(plan.reversals, vec![reversal(11, 2, 300, 30), reversal(10, 1, 500, 50)]);
        // Principal first spills into surcharge.
        let plan = plan_refund(c(310), c(0), &rows).unwrap();
        assert_eq!(plan.reversals, vec![reversal(11, 2, 300, 10)]);
    }

    #[test]
    fn refund_errors() {
        let rows = [applied(10, 1, 500, 50, 1)];
        assert_eq!(plan_refund(c(651), c(100), &rows), Err(RefundError::ExceedsRefundable { refundable: c(650) }));
        assert_eq!(plan_refund(c(-1), c(0), &rows), Err(RefundError::NegativeAmount));
        assert_eq!(plan_refund(c(1), c(-1), &rows), Err(RefundError::NegativeCredit));
        assert_eq!(
            plan_refund(c(1), c(0), &[applied(10, 1, 0, -1, 1)]),
            Err(RefundError::NegativeApplied { allocation_id: id(10), debt_id: id(1) })
        );
        assert_eq!(
            plan_refund(c(1), c(0), &[rows[0], applied(10, 1, 1, 1, 2)]),
            Err(RefundError::DuplicatePortion { allocation_id: id(10), debt_id: id(1) })
        );
        assert_eq!(plan_refund(c(1), c(i64::MAX), &rows), Err(RefundError::Overflow));
        // Zero refunds nothing; zero-applied rows are skipped, not reversed.
        let plan = plan_refund(c(0), c(5), &rows).unwrap();
        assert_eq!(plan, RefundPlan { from_credit: c(0), reversals: vec![] });
        let plan = plan_refund(c(5), c(0), &[applied(11, 2, 0, 0, 9), rows[0]]).unwrap();
        assert_eq!(plan.reversals, vec![reversal(10, 1, 5, 0)]);
    }

    #[test]
    fn equal_seq_is_ordered_deterministically() {
        let a = applied(10, 1, 5, 0, 7);
        let b = applied(11, 2, 5, 0, 7);
        let one = plan_refund(c(5), c(0), &[a, b]).unwrap();
        let two = plan_refund(c(5), c(0), &[b, a]).unwrap();
        assert_eq!(one, two);
        assert_eq!(one.reversals, vec![reversal(11, 2, 5, 0)]);
    }

    // ---- properties ----

    fn rule() -> impl Strategy<Value = SplitRule> {
        prop_oneof![Just(SplitRule::SurchargesFirst), Just(SplitRule::PrincipalFirst), Just(SplitRule::Proportional),]
    }

    /// Debts with few distinct dates (so ties by id happen), some zero
    /// components and random ids (so id order is not input order).
    fn debts() -> impl Strategy<Value = Vec<OpenDebt>> {
        proptest::collection::vec((any::<u128>(), 0u32..8, 0i64..5_000, 0i64..1_500), 0..10).prop_map(|rows| {
            let mut seen = std::collections::HashSet::new();
            rows.into_iter().filter(|r| seen.insert(r.0)).map(|(n, d, p, s)| debt(n, d, p, s)).collect()
        })
    }

    fn due(d: &OpenDebt) -> i64 {
        d.principal_due.get() + d.surcharge_due.get()
    }

    /// Debts and an amount from nothing to a bit more than all of them.
    fn payment() -> impl Strategy<Value = (Vec<OpenDebt>, i64, SplitRule)> {
        (debts(), rule()).prop_flat_map(|(debts, rule)| {
            let total: i64 = debts.iter().map(due).sum();
            (Just(debts), 0..=total + 2_000, Just(rule))
        })
    }

    fn sorted(debts: &[OpenDebt]) -> Vec<OpenDebt> {
        let mut v = debts.to_vec();
        v.sort_by_key(|d| (d.due_on, d.debt_id));
        v
    }

    proptest! {
        /// Invariant 2: amount = Σ allocations + credit.
        #[test]
        fn amount_is_portions_plus_credit((debts, amount, rule) in payment()) {
            let a = allocate(c(amount), &debts, rule).unwrap();
            let applied: i64 = a.portions.iter().map(|p| p.principal.get() + p.surcharge.get()).sum();
            prop_assert_eq!(applied + a.credit.get(), amount);
            prop_assert!(!a.credit.is_negative());
            let total: i64 = debts.iter().map(due).sum();
            prop_assert_eq!(a.credit.get(), (amount - total).max(0));
        }

        /// Invariant 1 for one payment: each component within [0, due], no
        /// zero portion, one portion per debt at most, no debt outside the input.
        #[test]
        fn portions_stay_within_what_is_due((debts, amount, rule) in payment()) {
            let a = allocate(c(amount), &debts, rule).unwrap();
            let by_id: HashMap<Uuid, &OpenDebt> = debts.iter().map(|d| (d.debt_id, d)).collect();
            let mut seen = std::collections::HashSet::new();
            for p in &a.portions {
                let d = by_id.get(&p.debt_id);
                prop_assert!(d.is_some(), "portion for a debt not given");
                let d = d.unwrap();
                prop_assert!(seen.insert(p.debt_id), "two portions for one debt");
                prop_assert!(!p.principal.is_negative() && p.principal <= d.principal_due);
                prop_assert!(!p.surcharge.is_negative() && p.surcharge <= d.surcharge_due);
                prop_assert!(p.principal.get() + p.surcharge.get() > 0);
            }
        }

        /// Oldest first: a debt receives money only if every debt before it
        /// (by due date, then id) is paid in full, and the portions come in
        /// that order.
        #[test]
        fn older_debts_are_paid_first((debts, amount, rule) in payment()) {
            let a = allocate(c(amount), &debts, rule).unwrap();
            let order = sorted(&debts);
            let paid: HashMap<Uuid, i64> = a.portions.iter()
                .map(|p| (p.debt_id, p.principal.get() + p.surcharge.get())).collect();
            let mut all_before_full = true;
            for d in &order {
                let got = paid.get(&d.debt_id).copied().unwrap_or(0);
                if got > 0 {
                    prop_assert!(all_before_full, "money skipped an older debt");
                }
                all_before_full &= got == due(d);
            }
            let portion_order: Vec<Uuid> = a.portions.iter().map(|p| p.debt_id).collect();
            let expected: Vec<Uuid> = order.iter().map(|d| d.debt_id).filter(|i| paid.contains_key(i)).collect();
            prop_assert_eq!(portion_order, expected);
        }

        /// The order the debts are loaded in does not matter.
        #[test]
        fn input_order_does_not_matter(
            (debts, amount, rule, shuffled) in payment().prop_flat_map(|(d, a, r)| {
                (Just(d.clone()), Just(a), Just(r), Just(d).prop_shuffle())
            })
        ) {
            prop_assert_eq!(
                allocate(c(amount), &debts, rule).unwrap(),
                allocate(c(amount), &shuffled, rule).unwrap()
            );
        }

        /// The partly paid debt follows its rule; proportional is within one
        /// cent of the exact proportion.
        #[test]
        fn partial_split_follows_the_rule((debts, amount, rule) in payment()) {
            let a = allocate(c(amount), &debts, rule).unwrap();
            let by_id: HashMap<Uuid, &OpenDebt> = debts.iter().map(|d| (d.debt_id, d)).collect();
            let partial: Vec<_> = a.portions.iter()
                .filter(|p| p.principal.get() + p.surcharge.get() < due(by_id[&p.debt_id]))
                .collect();
            prop_assert!(partial.len() <= 1, "more than one debt partly paid");
            if let Some(p) = partial.first() {
                let d = by_id[&p.debt_id];
                prop_assert!(a.credit.is_zero());
                let (pp, ps) = (i128::from(p.principal.get()), i128::from(p.surcharge.get()));
                let (dp, ds) = (i128::from(d.principal_due.get()), i128::from(d.surcharge_due.get()));
                match rule {
                    SplitRule::SurchargesFirst => prop_assert!(pp == 0 || ps == ds),
                    SplitRule::PrincipalFirst => prop_assert!(ps == 0 || pp == dp),
                    SplitRule::Proportional => {
                        let w = dp + ds;
                        prop_assert!((pp * w - (pp + ps) * dp).abs() < w);
                        prop_assert!((ps * w - (pp + ps) * ds).abs() < w);
                    }
                }
            }
        }

        /// Invariants 1 and 2 after a refund of any part of one payment.
        #[test]
        fn invariants_hold_after_a_refund(
            ((debts, amount, rule), refund_permille) in (payment(), 0i64..=1000)
        ) {
            let a = allocate(c(amount), &debts, rule).unwrap();
            let rows: Vec<AppliedPortion> = a.portions.iter().enumerate().map(|(i, p)| AppliedPortion {
                allocation_id: id(1_000 + i as u128),
                debt_id: p.debt_id,
                principal: p.principal,
                surcharge: p.surcharge,
                seq: i as i64,
            }).collect();
            let refund = amount * refund_permille / 1000;
            let plan = plan_refund(c(refund), a.credit, &rows).unwrap();
            prop_assert_eq!(plan.from_credit.get(), refund.min(a.credit.get()));
            let mut left: HashMap<Uuid, (i64, i64)> = a.portions.iter()
                .map(|p| (p.debt_id, (p.principal.get(), p.surcharge.get()))).collect();
            for r in &plan.reversals {
                prop_assert!(r.principal.get() + r.surcharge.get() > 0);
                let e = left.get_mut(&r.debt_id).unwrap();
                e.0 -= r.principal.get();
                e.1 -= r.surcharge.get();
            }
            let by_id: HashMap<Uuid, &OpenDebt> = debts.iter().map(|d| (d.debt_id, d)).collect();
            let mut still_applied = 0;
            for (debt_id, (p, s)) in &left {
                let d = by_id[debt_id];
                prop_assert!((0..=d.principal_due.get()).contains(p));
                prop_assert!((0..=d.surcharge_due.get()).contains(s));
                still_applied += p + s;
            }
            let credit_left = a.credit.get() - plan.from_credit.get();
            prop_assert!(credit_left >= 0);
            prop_assert_eq!(still_applied + credit_left, amount - refund);
            // Newest first: an older portion is touched only once every newer
            // one is taken back whole.
            let reversed: HashMap<Uuid, i64> = plan.reversals.iter()
                .map(|r| (r.allocation_id, r.principal.get() + r.surcharge.get())).collect();
            let mut newer_all_gone = plan.from_credit == a.credit;
            for row in rows.iter().rev() {
                let got = reversed.get(&row.allocation_id).copied().unwrap_or(0);
                if got > 0 { prop_assert!(newer_all_gone); }
                newer_all_gone &= got == row.principal.get() + row.surcharge.get();
            }
        }

        /// Invariant 1 across several payments on the same debts and a
        /// refund of part of each: per debt, paid = Σ allocations − Σ
        /// reversals stays within [0, principal + surcharges] per component.
        #[test]
        fn paid_stays_within_due_across_payments_and_refunds(
            debts in debts(),
            steps in proptest::collection::vec((0i64..6_000, rule(), 0i64..=1000), 1..6),
        ) {
            let original: HashMap<Uuid, OpenDebt> = debts.iter().map(|d| (d.debt_id, *d)).collect();
            let mut paid: HashMap<Uuid, (i64, i64)> = HashMap::new();
            let mut seq = 0i64;
            for (pay_no, (amount, rule, refund_permille)) in steps.into_iter().enumerate() {
                let open: Vec<OpenDebt> = original.values().map(|d| {
                    let (p, s) = paid.get(&d.debt_id).copied().unwrap_or((0, 0));
                    OpenDebt {
                        principal_due: c(d.principal_due.get() - p),
                        surcharge_due: c(d.surcharge_due.get() - s),
                        ..*d
                    }
                }).collect();
                let a = allocate(c(amount), &open, rule).unwrap();
                let mut rows = Vec::new();
                for p in &a.portions {
                    seq += 1;
                    let e = paid.entry(p.debt_id).or_default();
                    e.0 += p.principal.get();
                    e.1 += p.surcharge.get();
                    rows.push(AppliedPortion {
                        allocation_id: id((pay_no as u128) << 64 | seq as u128),
                        debt_id: p.debt_id,
                        principal: p.principal,
                        surcharge: p.surcharge,
                        seq,
                    });
                }
                let refund = amount * refund_permille / 1000;
                let plan = plan_refund(c(refund), a.credit, &rows).unwrap();
                for r in &plan.reversals {
                    let e = paid.get_mut(&r.debt_id).unwrap();
                    e.0 -= r.principal.get();
                    e.1 -= r.surcharge.get();
                }
                for (debt_id, (p, s)) in &paid {
                    let d = &original[debt_id];
                    prop_assert!((0..=d.principal_due.get()).contains(p));
                    prop_assert!((0..=d.surcharge_due.get()).contains(s));
                }
            }
        }

        /// Any refund up to what is refundable is planned exactly; beyond it
        /// is refused with the refundable amount.
        #[test]
        fn refund_plans_add_up(
            credit in 0i64..2_000,
            rows in proptest::collection::vec((0i64..3_000, 0i64..500, -5i64..5), 0..8),
            extra in 0i64..5_000,
        ) {
            let rows: Vec<AppliedPortion> = rows.into_iter().enumerate()
                .map(|(i, (p, s, seq))| applied(i as u128, 100 + i as u128, p, s, seq))
                .collect();
            let refundable = credit + rows.iter().map(|r| r.principal.get() + r.surcharge.get()).sum::<i64>();
            let amount = extra.min(refundable);
            let plan = plan_refund(c(amount), c(credit), &rows).unwrap();
            let taken: i64 = plan.reversals.iter().map(|r| r.principal.get() + r.surcharge.get()).sum();
            prop_assert_eq!(plan.from_credit.get() + taken, amount);
            prop_assert_eq!(
                plan_refund(c(refundable + 1 + extra), c(credit), &rows),
                Err(RefundError::ExceedsRefundable { refundable: c(refundable) })
            );
        }
    }
}
