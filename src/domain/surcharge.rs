//! Late surcharges (προσαυξήσεις εκπρόθεσμης καταβολής): how much a debt has
//! grown since its due date, under a tenant's versioned surcharge policy.
//!
//! Everything here is a pure function of dates, cents and policy data, so the
//! same debt gives the same surcharge on a bill, at the card checkout and in
//! the allocation of a bank transfer. The rule:
//!
//! - Month *k* of delay starts on `due + 1 day + (k − 1)` calendar months.
//!   Every start is counted from that anchor, not from the previous start, and
//!   clamped to the last day of its month, so a debt due on 30 January has
//!   months starting 31 Jan, 28 Feb, 31 Mar (not 31 Jan, 28 Feb, 28 Mar).
//! - Under [`MonthRule::Started`] a month counts from its first day; under
//!   [`MonthRule::Completed`] only once the next month has started.
//! - Each counted month is charged, on the principal, at the monthly rate in
//!   force on its first day; then the one-off step for the delay reached is
//!   added; then the total is capped.
//! - The sum is exact in `Decimal` and rounded once, half away from zero,
//!   through [`round_to_cents`].

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::debt_kind::DebtKind;
use super::money::{Cents, round_to_cents, to_decimal};
use super::tenant::{MonthRule, SurchargePolicy, SurchargeStep};

/// Why a surcharge could not be computed. Each one is a data problem (a policy
/// with a gap, an impossible payment history), never a transient failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurchargeError {
    #[error("the surcharge policy has no monthly rate for a month of delay starting on {0}")]
    NoRateFor(NaiveDate),
    #[error("the principal of a debt cannot be negative")]
    NegativePrincipal,
    #[error("the principal payment made on {0} is negative")]
    NegativePayment(NaiveDate),
    #[error("the surcharges already paid cannot be negative")]
    NegativeSurchargesPaid,
    #[error("more principal has been paid than the debt's principal")]
    PrincipalOverpaid,
    #[error("the surcharge is too large to compute")]
    Overflow,
}

/// Principal paid towards a debt on a business date. Surcharges on this part
/// stop growing on that date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalPayment {
    pub amount: Cents,
    pub on: NaiveDate,
}

/// The policy that governs a debt of `kind` on `as_of`: among the versions
/// that apply to the kind, the one with the latest `effective_from` not after
/// `as_of`, and of those the highest `version` (a correction published for
/// the same day replaces the original).
pub fn policy_in_force(policies: &[SurchargePolicy], kind: DebtKind, as_of: NaiveDate) -> Option<&SurchargePolicy> {
    policies
        .iter()
        .filter(|p| p.applies_to(kind) && p.effective_from <= as_of)
        .max_by_key(|p| (p.effective_from, p.version))
}

/// The first day of month `k` (1-based) of delay, counted from `anchor` (the
/// day after the due date). `None` only past the end of chrono's calendar.
fn month_start(anchor: NaiveDate, k: u32) -> Option<NaiveDate> {
    // checked_add_months clamps to the month's last day (31 Jan + 1 month is
    // 28 or 29 Feb), which is the rule; adding to the anchor each time, rather
    // than to the previous start, keeps 31 Mar from becoming 28 Mar.
    anchor.checked_add_months(Months::new(k.checked_sub(1)?))
}

/// The first days of months `1..=months` of delay of a debt due on `due`.
pub fn month_starts(due: NaiveDate, months: u32) -> impl Iterator<Item = NaiveDate> {
    let anchor = due.succ_opt();
    (1..=months).map_while(move |k| month_start(anchor?, k))
}

/// How many months of delay have started on `as_of`: the largest `k` whose
/// start is not after `as_of`, or 0 up to and including the due date.
fn months_started(due: NaiveDate, as_of: NaiveDate) -> u32 {
    let Some(anchor) = due.succ_opt() else {
        // Due on the last day chrono knows: no later day can be late.
        return 0;
    };
    if as_of < anchor {
        return 0;
    }
    // Starts rise strictly by one calendar month each, so exactly one of them
    // lies in as_of's calendar month: number `whole + 1`. It has started
    // unless clamping or the anchor's day puts it later in that month.
    let whole = (i64::from(as_of.year()) - i64::from(anchor.year())) * 12 + i64::from(as_of.month())
        - i64::from(anchor.month());
    // as_of >= anchor, so `whole` is >= 0 and, within chrono's calendar, far
    // below u32::MAX; saturating keeps the function total without a panic.
    let whole = u32::try_from(whole).unwrap_or(u32::MAX - 1);
    match month_start(anchor, whole + 1) {
        Some(start) if start <= as_of => whole + 1,
        _ => whole,
    }
}

/// Months of delay counted on `as_of` under `rule`: `Started` counts every
/// month whose first day is not after `as_of`; `Completed` counts month `k`
/// only once month `k + 1` has started, which is always one fewer.
pub fn months_of_delay(due: NaiveDate, as_of: NaiveDate, rule: MonthRule) -> u32 {
    let started = months_started(due, as_of);
    match rule {
        MonthRule::Started => started,
        MonthRule::Completed => started.saturating_sub(1),
    }
}

/// The last day on which an amount computed on `as_of` still holds, printed on
/// bills as "amount valid until". A surcharge only changes when a month of
/// delay starts (rates are taken on month starts, and steps and caps follow
/// the month count), so this is the day before the next start; up to the due
/// date it is the due date. It ignores the month rule on purpose: under
/// `Completed` the amount may stay the same past it, never change before it.
pub fn valid_until(due: NaiveDate, as_of: NaiveDate) -> NaiveDate {
    let Some(anchor) = due.succ_opt() else {
        return due;
    };
    if as_of < anchor {
        return due;
    }
    let next = months_started(due, as_of).saturating_add(1);
    month_start(anchor, next)
        .and_then(|start| start.pred_opt())
        // Past the end of the calendar nothing will change any more.
        .unwrap_or(NaiveDate::MAX)
}

/// The monthly percent in force on `day`: the rate period containing it. If
/// periods overlap (a policy error) the one that starts latest wins, so the
/// answer does not depend on the order the admin listed them in.
fn monthly_percent_on(policy: &SurchargePolicy, day: NaiveDate) -> Result<Decimal, SurchargeError> {
    policy
        .rate_periods
        .iter()
        .filter(|r| r.from <= day && r.to.is_none_or(|to| day < to))
        .max_by_key(|r| r.from)
        .map(|r| r.monthly_percent)
        .ok_or(SurchargeError::NoRateFor(day))
}

/// The one-off step for a delay of `months`: the step with the largest
/// `after_months` not above it. Steps are not cumulative: with "5% after 1
/// month, 15% after 5", month 5 adds 15%, not 20%. No step applies before the
/// first month of delay, even one written with `after_months: 0`, so nothing
/// is charged on a debt that is not late.
fn step_for(steps: &[SurchargeStep], months: u32) -> Option<&SurchargeStep> {
    if months == 0 {
        return None;
    }
    steps.iter().filter(|s| s.after_months <= months).max_by_key(|s| s.after_months)
}

/// The surcharge on `principal` due on `due`, as of `as_of`, exact and
/// unrounded, so several of them can be summed before the one rounding.
pub fn surcharge_exact(
    principal: Cents,
    due: NaiveDate,
    as_of: NaiveDate,
    policy: &SurchargePolicy,
) -> Result<Decimal, SurchargeError> {
    if principal.is_negative() {
        return Err(SurchargeError::NegativePrincipal);
    }
    let months = months_of_delay(due, as_of, policy.month_rule);
    if months == 0 {
        return Ok(Decimal::ZERO);
    }
    // Everything is a percent of the same principal, so the percents are
    // summed first and multiplied once: the same exact value, less work.
    let mut percent = Decimal::ZERO;
    for start in month_starts(due, months) {
        percent = percent.checked_add(monthly_percent_on(policy, start)?).ok_or(SurchargeError::Overflow)?;
    }
    if let Some(step) = step_for(&policy.steps, months) {
        percent = percent.checked_add(step.percent).ok_or(SurchargeError::Overflow)?;
    }
    // The cap bounds the total (monthly charges and step together); with a
    // non-negative principal, capping the percent is capping the amount.
    if let Some(cap) = policy.cap_percent_of_principal {
        percent = percent.min(cap);
    }
    to_decimal(principal)
        .checked_mul(percent)
        .and_then(|p| p.checked_mul(Decimal::new(1, 2)))
        .ok_or(SurchargeError::Overflow)
}

/// The surcharge on `principal` due on `due`, as of `as_of`, in cents: the
/// exact value rounded once, half away from zero.
pub fn surcharge(
    principal: Cents,
    due: NaiveDate,
    as_of: NaiveDate,
    policy: &SurchargePolicy,
) -> Result<Cents, SurchargeError> {
    round_exact(surcharge_exact(principal, due, as_of, policy)?)
}

/// The surcharge still owed on `as_of` by a debt whose principal has been
/// partly paid:
/// `Σ surcharge(pᵢ, due, dᵢ) + surcharge(outstanding, due, as_of) − surcharges_paid`.
/// Each paid part stopped growing on the day it was paid; only the principal
/// still outstanding keeps accruing. Payments after `as_of` have not happened
/// yet as of that date and are left out. The terms are summed exactly and
/// rounded once, and the result is never below zero (surcharges paid at a
/// higher amount stay paid; they are not refunded here).
pub fn surcharge_owed(
    principal: Cents,
    due: NaiveDate,
    paid: &[PrincipalPayment],
    surcharges_paid: Cents,
    as_of: NaiveDate,
    policy: &SurchargePolicy,
) -> Result<Cents, SurchargeError> {
    if surcharges_paid.is_negative() {
        return Err(SurchargeError::NegativeSurchargesPaid);
    }
    // Checked for every payment, not only counted ones: a negative amount is
    // bad data whatever the date.
    if let Some(bad) = paid.iter().find(|p| p.amount.is_negative()) {
        return Err(SurchargeError::NegativePayment(bad.on));
    }
    let mut outstanding = principal;
    let mut exact = Decimal::ZERO;
    for payment in paid.iter().filter(|p| p.on <= as_of) {
        outstanding = outstanding.checked_sub(payment.amount).ok_or(SurchargeError::Overflow)?;
        let part = surcharge_exact(payment.amount, due, payment.on, policy)?;
        exact = exact.checked_add(part).ok_or(SurchargeError::Overflow)?;
    }
    if outstanding.is_negative() {
        return Err(SurchargeError::PrincipalOverpaid);
    }
    let rest = surcharge_exact(outstanding, due, as_of, policy)?;
    exact = exact.checked_add(rest).ok_or(SurchargeError::Overflow)?;
    let owed = round_exact(exact)?.checked_sub(surcharges_paid).ok_or(SurchargeError::Overflow)?;
    Ok(if owed.is_negative() { Cents::ZERO } else { owed })
}

fn round_exact(exact: Decimal) -> Result<Cents, SurchargeError> {
    // After rounding to two places the only possible failure is overflow.
    round_to_cents(exact).map_err(|_| SurchargeError::Overflow)
}

#[cfg(test)]
// Tests fail loudly on broken fixtures; that is what unwrap is for here.
mod tests {
    use super::*;
    use crate::domain::tenant::RatePeriod;
    use proptest::prelude::*;
    use std::str::FromStr;

    /// The shared vectors, read in place: they are the spec and stay one file.
    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/surcharge-vectors.json");

    #[derive(Deserialize)]
    struct VectorFile {
        rule: String,
        vectors: Vec<Vector>,
        partial_payment: PartialPayment,
    }

    #[derive(Deserialize)]
    struct Vector {
        principal: Cents,
        due: NaiveDate,
        as_of: NaiveDate,
        months: u32,
        surcharge: Cents,
    }

    #[derive(Deserialize)]
    struct PartialPayment {
        principal: Cents,
        due: NaiveDate,
        principal_paid: Vec<PrincipalPayment>,
        as_of: NaiveDate,
        surcharge: Cents,
    }

    fn vectors() -> VectorFile {
        let text = std::fs::read_to_string(VECTORS).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::from_str(s).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn eur(s: &str) -> Cents {
        Cents::parse_api(s).unwrap()
    }

    fn greek() -> SurchargePolicy {
        SurchargePolicy::greek_default()
    }

    /// 0.5% a month, 5% once a month late, 15% from the fifth month, the
    /// whole capped at 20% of the principal.
    fn cyprus_like() -> SurchargePolicy {
        SurchargePolicy {
            version: 1,
            effective_from: d("2000-01-01"),
            debt_kinds: None,
            month_rule: MonthRule::Started,
            rate_periods: vec![RatePeriod { from: d("2000-01-01"), to: None, monthly_percent: dec("0.5") }],
            steps: vec![
                SurchargeStep { after_months: 5, percent: dec("15") },
                SurchargeStep { after_months: 1, percent: dec("5") },
            ],
            cap_percent_of_principal: Some(dec("20")),
        }
    }

    #[test]
    fn the_vector_file_describes_the_greek_default() {
        let file = vectors();
        assert!(file.rule.contains("started months count"));
        assert!(file.rule.contains("half away from zero"));
        assert!(!file.vectors.is_empty());
    }

    #[test]
    fn every_shared_vector_months_and_amount() {
        let policy = greek();
        for v in vectors().vectors {
            let label = format!("{} due {} as of {}", v.principal, v.due, v.as_of);
            assert_eq!(months_of_delay(v.due, v.as_of, MonthRule::Started), v.months, "months: {label}");
            assert_eq!(surcharge(v.principal, v.due, v.as_of, &policy), Ok(v.surcharge), "surcharge: {label}");
            // With nothing paid, the amount owed is the surcharge itself.
            assert_eq!(
                surcharge_owed(v.principal, v.due, &[], Cents::ZERO, v.as_of, &policy),
                Ok(v.surcharge),
                "owed: {label}"
            );
        }
    }

    #[test]
    fn shared_partial_payment_vector() {
        let p = vectors().partial_payment;
        let policy = greek();
        assert_eq!(
            surcharge_owed(p.principal, p.due, &p.principal_paid, Cents::ZERO, p.as_of, &policy),
            Ok(p.surcharge)
        );
        // The naive charge on the full principal is more, as the note says.
        assert_eq!(surcharge(p.principal, p.due, p.as_of, &policy), Ok(eur("2.92")));
    }

    #[test]
    fn half_cents_round_away_from_zero() {
        let exact = surcharge_exact(eur("10.00"), d("2024-03-31"), d("2024-08-01"), &greek());
        assert_eq!(exact, Ok(dec("0.365")));
        assert_eq!(surcharge(eur("10.00"), d("2024-03-31"), d("2024-08-01"), &greek()), Ok(eur("0.37")));
    }

    #[test]
    fn month_starts_are_counted_from_the_anchor_and_clamped() {
        let starts: Vec<NaiveDate> = month_starts(d("2014-01-30"), 4).collect();
        assert_eq!(starts, vec![d("2014-01-31"), d("2014-02-28"), d("2014-03-31"), d("2014-04-30")]);
        let leap: Vec<NaiveDate> = month_starts(d("2024-01-30"), 2).collect();
        assert_eq!(leap, vec![d("2024-01-31"), d("2024-02-29")]);
        assert_eq!(month_starts(d("2014-01-30"), 0).count(), 0);
    }

    #[test]
    fn completed_rule_counts_a_month_once_the_next_one_starts() {
        let due = d("2024-03-31");
        let months = |as_of| months_of_delay(due, d(as_of), MonthRule::Completed);
        assert_eq!(months("2024-03-31"), 0);
        assert_eq!(months("2024-04-01"), 0);
        assert_eq!(months("2024-04-30"), 0);
        assert_eq!(months("2024-05-01"), 1);
        assert_eq!(months("2024-08-01"), 4);
        let policy = SurchargePolicy { month_rule: MonthRule::Completed, ..greek() };
        assert_eq!(surcharge(eur("100.00"), due, d("2024-04-30"), &policy), Ok(Cents::ZERO));
        assert_eq!(surcharge(eur("100.00"), due, d("2024-05-01"), &policy), Ok(eur("0.73")));
        // Across the 2014 rate change each month keeps the rate of its first
        // day: Nov and Dec 2013 at 1%, Jan 2014 at 0.73% (Feb not complete).
        assert_eq!(surcharge(eur("100.00"), d("2013-10-31"), d("2014-02-01"), &policy), Ok(eur("2.73")));
    }

    #[test]
    fn cyprus_like_steps_are_one_off_not_cumulative_and_capped() {
        let policy = cyprus_like();
        let due = d("2024-03-31");
        let at = |as_of| surcharge(eur("100.00"), due, d(as_of), &policy);
        assert_eq!(at("2024-03-31"), Ok(Cents::ZERO));
        // Month 1: 0.5% + the 5% step.
        assert_eq!(at("2024-04-01"), Ok(eur("5.50")));
        // Month 4: 2% + 5%.
        assert_eq!(at("2024-07-31"), Ok(eur("7.00")));
        // Month 5: 2.5% + 15% (the 15% step replaces the 5% one).
        assert_eq!(at("2024-08-01"), Ok(eur("17.50")));
        // Month 10: 5% + 15% reaches the cap exactly ...
        assert_eq!(at("2025-01-01"), Ok(eur("20.00")));
        // ... and months 11 and later stay at it.
        assert_eq!(at("2025-02-01"), Ok(eur("20.00")));
        assert_eq!(at("2035-02-01"), Ok(eur("20.00")));
    }

    #[test]
    fn a_step_at_zero_months_charges_nothing_before_the_delay() {
        let policy =
            SurchargePolicy { steps: vec![SurchargeStep { after_months: 0, percent: dec("10") }], ..cyprus_like() };
        let due = d("2024-03-31");
        assert_eq!(surcharge(eur("100.00"), due, due, &policy), Ok(Cents::ZERO));
        assert_eq!(surcharge(eur("100.00"), due, d("2024-04-01"), &policy), Ok(eur("10.50")));
    }

    #[test]
    fn the_policy_in_force_changes_with_its_effective_date() {
        let v2 = SurchargePolicy {
            version: 2,
            effective_from: d("2025-01-01"),
            rate_periods: vec![RatePeriod { from: d("1900-01-01"), to: None, monthly_percent: dec("0.5") }],
            ..greek()
        };
        // A correction published for the same day: the higher version wins.
        let v3 = SurchargePolicy {
            version: 3,
            rate_periods: vec![RatePeriod { from: d("1900-01-01"), to: None, monthly_percent: dec("0.6") }],
            ..v2.clone()
        };
        let water_only = SurchargePolicy {
            version: 4,
            effective_from: d("2025-06-01"),
            debt_kinds: Some(vec!["water".into()]),
            ..greek()
        };
        // Listed out of order on purpose: the choice must not depend on it.
        let policies = vec![v3, water_only, greek(), v2];
        let version = |kind, as_of| policy_in_force(&policies, kind, d(as_of)).map(|p| p.version);
        assert_eq!(version(DebtKind::Water, "1899-12-31"), None);
        assert_eq!(version(DebtKind::Water, "2024-12-31"), Some(1));
        assert_eq!(version(DebtKind::Water, "2025-01-01"), Some(3));
        assert_eq!(version(DebtKind::TrafficFine, "2025-06-01"), Some(3));
        assert_eq!(version(DebtKind::Water, "2025-06-01"), Some(4));

        // The chosen version is what the amount follows.
        let due = d("2024-03-31");
        let amount = |as_of| {
            let policy = policy_in_force(&policies, DebtKind::MunicipalFee, d(as_of)).unwrap();
            surcharge(eur("100.00"), due, d(as_of), policy)
        };
        // 9 months at 0.73% under version 1 ...
        assert_eq!(amount("2024-12-31"), Ok(eur("6.57")));
        // ... 10 months at 0.6% under version 3.
        assert_eq!(amount("2025-01-01"), Ok(eur("6.00")));
    }

    #[test]
    fn a_month_without_a_rate_is_an_error() {
        let policy = SurchargePolicy {
            rate_periods: vec![
                RatePeriod { from: d("2014-01-01"), to: Some(d("2020-01-01")), monthly_percent: dec("0.73") },
                RatePeriod { from: d("2020-03-01"), to: None, monthly_percent: dec("0.73") },
            ],
            ..greek()
        };
        // Before the first period.
        assert_eq!(
            surcharge(eur("100.00"), d("2013-10-31"), d("2014-02-01"), &policy),
            Err(SurchargeError::NoRateFor(d("2013-11-01")))
        );
        // In the gap between periods: `to` is exclusive.
        assert_eq!(
            surcharge(eur("100.00"), d("2019-11-30"), d("2020-03-01"), &policy),
            Err(SurchargeError::NoRateFor(d("2020-01-01")))
        );
        // Not late yet: no month, so no rate needed.
        assert_eq!(surcharge(eur("100.00"), d("2013-10-31"), d("2013-10-31"), &policy), Ok(Cents::ZERO));
        let none = SurchargePolicy { rate_periods: vec![], ..greek() };
        assert_eq!(
            surcharge(eur("1.00"), d("2024-03-31"), d("2024-04-01"), &none),
            Err(SurchargeError::NoRateFor(d("2024-04-01")))
        );
    }

    #[test]
    fn surcharge_owed_rounds_once_over_the_parts() {
        // Two halves of 5.00, each 0.0365 exactly: rounding each part would
        // give 0.04 + 0.04; rounding the sum gives 0.07, like the whole.
        let due = d("2024-03-31");
        let paid = [PrincipalPayment { amount: eur("5.00"), on: d("2024-04-15") }];
        let owed = surcharge_owed(eur("10.00"), due, &paid, Cents::ZERO, d("2024-04-20"), &greek());
        assert_eq!(owed, Ok(eur("0.07")));
    }

    #[test]
    fn surcharge_owed_payment_dates_and_amounts() {
        let policy = greek();
        let due = d("2024-03-31");
        let pay = |amount, on| PrincipalPayment { amount: eur(amount), on: d(on) };
        let owed = |paid: &[PrincipalPayment], surcharges_paid, as_of| {
            surcharge_owed(eur("100.00"), due, paid, eur(surcharges_paid), d(as_of), &policy)
        };
        // Paid on time: that part never accrues; the rest does (4 months).
        assert_eq!(owed(&[pay("60.00", "2024-03-01")], "0.00", "2024-07-01"), Ok(eur("1.17")));
        // A payment after as_of has not happened yet as of that date.
        assert_eq!(owed(&[pay("100.00", "2024-09-01")], "0.00", "2024-07-01"), Ok(eur("2.92")));
        // Fully paid: frozen at the payment date, whatever as_of is.
        assert_eq!(owed(&[pay("100.00", "2024-05-10")], "0.00", "2030-01-01"), Ok(eur("1.46")));
        // Surcharges already paid are taken off, never below zero.
        assert_eq!(owed(&[pay("100.00", "2024-05-10")], "1.00", "2030-01-01"), Ok(eur("0.46")));
        assert_eq!(owed(&[pay("100.00", "2024-05-10")], "5.00", "2030-01-01"), Ok(Cents::ZERO));
        assert_eq!(
            owed(&[pay("60.00", "2024-04-01"), pay("40.01", "2024-05-01")], "0.00", "2024-06-01"),
            Err(SurchargeError::PrincipalOverpaid)
        );
        let negative = PrincipalPayment { amount: Cents::new(-1), on: d("2024-09-01") };
        assert_eq!(owed(&[negative], "0.00", "2024-07-01"), Err(SurchargeError::NegativePayment(d("2024-09-01"))));
        assert_eq!(
            surcharge_owed(eur("1.00"), due, &[], Cents::new(-1), due, &policy),
            Err(SurchargeError::NegativeSurchargesPaid)
        );
        assert_eq!(surcharge(Cents::new(-1), due, d("2024-07-01"), &policy), Err(SurchargeError::NegativePrincipal));
    }

    #[test]
    fn valid_until_is_the_day_before_the_next_month_starts() {
        let due = d("2024-03-31");
        assert_eq!(valid_until(due, d("2024-01-15")), due);
        assert_eq!(valid_until(due, due), due);
        assert_eq!(valid_until(due, d("2024-04-01")), d("2024-04-30"));
        assert_eq!(valid_until(due, d("2024-04-30")), d("2024-04-30"));
        assert_eq!(valid_until(due, d("2024-05-01")), d("2024-05-31"));
        // Clamped starts: due 30 Jan, months start 31 Jan, 28 Feb, 31 Mar.
        let due = d("2014-01-30");
        assert_eq!(valid_until(due, d("2014-02-01")), d("2014-02-27"));
        assert_eq!(valid_until(due, d("2014-02-28")), d("2014-03-30"));
        assert_eq!(valid_until(NaiveDate::MAX, NaiveDate::MAX), NaiveDate::MAX);
    }

    #[test]
    fn the_end_of_the_calendar_does_not_panic() {
        assert_eq!(months_of_delay(NaiveDate::MAX, NaiveDate::MAX, MonthRule::Started), 0);
        let late = NaiveDate::MAX.pred_opt().unwrap();
        let early = NaiveDate::MIN;
        assert!(months_of_delay(early, late, MonthRule::Started) > 6_000_000);
        assert_eq!(valid_until(early, late), NaiveDate::MAX);
    }

    /// A due date in 2005..2030.
    fn due_date() -> impl Strategy<Value = NaiveDate> {
        (0u64..9131).prop_map(|days| d("2005-01-01") + chrono::Days::new(days))
    }

    proptest! {
        #[test]
        fn nothing_is_charged_up_to_and_including_the_due_date(
            principal in 0i64..1_000_000_000,
            due in due_date(),
            before in 0u64..8000,
        ) {
            let as_of = due - chrono::Days::new(before);
            for policy in [greek(), cyprus_like()] {
                prop_assert_eq!(
                    surcharge(Cents::new(principal), due, as_of, &policy),
                    Ok(Cents::ZERO)
                );
            }
            prop_assert_eq!(months_of_delay(due, as_of, MonthRule::Started), 0);
            prop_assert_eq!(valid_until(due, as_of), due);
        }

        #[test]
        fn never_decreasing_in_the_as_of_date(
            principal in 0i64..1_000_000_000,
            due in due_date(),
            first in 0u64..8000,
            later in 0u64..8000,
        ) {
            let a = due + chrono::Days::new(first);
            let b = a + chrono::Days::new(later);
            for policy in [greek(), cyprus_like()] {
                let at_a = surcharge(Cents::new(principal), due, a, &policy).unwrap();
                let at_b = surcharge(Cents::new(principal), due, b, &policy).unwrap();
                prop_assert!(at_a <= at_b, "{} > {}", at_a, at_b);
            }
        }

        #[test]
        fn owed_with_no_payments_is_the_surcharge(
            principal in 0i64..1_000_000_000,
            due in due_date(),
            after in 0u64..8000,
        ) {
            let as_of = due + chrono::Days::new(after);
            let p = Cents::new(principal);
            for policy in [greek(), cyprus_like()] {
                prop_assert_eq!(
                    surcharge_owed(p, due, &[], Cents::ZERO, as_of, &policy),
                    surcharge(p, due, as_of, &policy)
                );
            }
        }

        #[test]
        fn paying_principal_never_raises_the_surcharge(
            principal in 0i64..1_000_000_000,
            due in due_date(),
            share in 0i64..=100,
            paid_after in 0u64..8000,
            later in 0u64..8000,
        ) {
            let p = Cents::new(principal);
            let paid = [PrincipalPayment {
                amount: Cents::new(principal * share / 100),
                on: due + chrono::Days::new(paid_after),
            }];
            let as_of = paid[0].on + chrono::Days::new(later);
            let policy = greek();
            let owed = surcharge_owed(p, due, &paid, Cents::ZERO, as_of, &policy).unwrap();
            prop_assert!(owed <= surcharge(p, due, as_of, &policy).unwrap());
        }

        #[test]
        fn the_amount_holds_until_valid_until_and_no_longer(
            due in due_date(),
            after in 0u64..8000,
        ) {
            let as_of = due + chrono::Days::new(after);
            let until = valid_until(due, as_of);
            prop_assert!(until >= as_of);
            let months = |day| months_of_delay(due, day, MonthRule::Started);
            prop_assert_eq!(months(until), months(as_of));
            prop_assert_eq!(months(until.succ_opt().unwrap()), months(as_of) + 1);
            // The direct count agrees with walking the month starts.
            let n = months(as_of) as usize;
            let starts: Vec<NaiveDate> = month_starts(due, months(as_of) + 1).collect();
            prop_assert_eq!(starts.len(), n + 1);
            prop_assert!(starts.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(n == 0 || starts[n - 1] <= as_of);
            prop_assert!(starts[n] > as_of);
            prop_assert_eq!(
                months_of_delay(due, as_of, MonthRule::Completed),
                months(as_of).saturating_sub(1)
            );
        }
    }
}
