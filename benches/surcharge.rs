//! Benchmarks for late surcharges, computed for every debt on every bill,
//! lookup and allocation: a 14-year-old debt (174 months of delay, across the
//! 2014 rate change) and the same debt with three partial principal payments.

use std::hint::black_box;
use std::str::FromStr;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use tameio::domain::money::Cents;
use tameio::domain::surcharge::{PrincipalPayment, surcharge, surcharge_owed};
use tameio::domain::tenant::SurchargePolicy;

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::from_str(s).ok()
}

fn old_debt(c: &mut Criterion) {
    let policy = SurchargePolicy::greek_default();
    let (Some(due), Some(as_of)) = (date("2012-06-15"), date("2026-11-23")) else {
        return;
    };
    let principal = Cents::new(123_456);
    c.bench_function("surcharge_174_months", |b| {
        b.iter(|| surcharge(black_box(principal), black_box(due), black_box(as_of), &policy))
    });
}

fn partly_paid_debt(c: &mut Criterion) {
    let policy = SurchargePolicy::greek_default();
    let (Some(due), Some(as_of)) = (date("2012-06-15"), date("2026-11-23")) else {
        return;
    };
    let paid: Vec<PrincipalPayment> = [("2013-02-01", 20_000), ("2018-07-20", 30_000), ("2023-11-05", 40_000)]
        .into_iter()
        .filter_map(|(on, cents)| Some(PrincipalPayment { amount: Cents::new(cents), on: date(on)? }))
        .collect();
    let principal = Cents::new(123_456);
    c.bench_function("surcharge_owed_3_payments", |b| {
        b.iter(|| {
            surcharge_owed(
                black_box(principal),
                black_box(due),
                black_box(&paid),
                Cents::ZERO,
                black_box(as_of),
                &policy,
            )
        })
    });
}

criterion_group!(benches, old_debt, partly_paid_debt);
criterion_main!(benches);
