//! Benchmarks for allocating a payment: a citizen paying a few debts (the
//! common case) and an officer applying one bank credit across a party with a
//! long history (200 debts), under each split rule. The amount stops short of
//! the last debt so the partial split runs too.

use chrono::{Days, NaiveDate};
use criterion::{BenchmarkId, Criterion, black_box, criterion_group, criterion_main};
use tameio::domain::allocation::{OpenDebt, allocate};
use tameio::domain::money::Cents;
use tameio::domain::quote::quote;
use tameio::domain::tenant::SplitRule;
use uuid::Uuid;

/// `n` debts in an order that is not the allocation order, with repeated due
/// dates so the tie-break by id is exercised.
fn debts(n: u32) -> Vec<OpenDebt> {
    let Some(start) = NaiveDate::from_ymd_opt(2020, 1, 1) else {
        return Vec::new();
    };
    (0..n)
        .map(|i| {
            let scrambled = u64::from(i.wrapping_mul(2_654_435_761) % 97);
            OpenDebt {
                debt_id: Uuid::from_u128(u128::from(i.wrapping_mul(40_503)) << 64 | u128::from(i)),
                due_on: start + Days::new(scrambled * 30),
                principal_due: Cents::new(10_000 + i64::from(i % 13) * 1_237),
                surcharge_due: Cents::new(i64::from(i % 7) * 311),
            }
        })
        .collect()
}

fn allocation(c: &mut Criterion) {
    let mut group = c.benchmark_group("allocate");
    for n in [3u32, 200] {
        let debts = debts(n);
        let total: i64 = debts.iter().map(|d| d.principal_due.get() + d.surcharge_due.get()).sum();
        let amount = Cents::new(total - 1_501);
        for (name, rule) in [
            ("surcharges_first", SplitRule::SurchargesFirst),
            ("principal_first", SplitRule::PrincipalFirst),
            ("proportional", SplitRule::Proportional),
        ] {
            group.bench_with_input(BenchmarkId::new(name, n), &debts, |b, debts| {
                b.iter(|| allocate(black_box(amount), black_box(debts), rule))
            });
        }
    }
    group.finish();
}

/// A card quote: the allocation preview plus the minimum-left check.
fn quoting(c: &mut Criterion) {
    let mut group = c.benchmark_group("quote");
    for n in [3u32, 200] {
        let debts = debts(n);
        group.bench_with_input(BenchmarkId::new("everything_due", n), &debts, |b, debts| {
            b.iter(|| quote(black_box(debts), None, Cents::new(100), SplitRule::SurchargesFirst))
        });
    }
    group.finish();
}

criterion_group!(benches, allocation, quoting);
criterion_main!(benches);
