//! Benchmarks for the hot domain parsers: issuing RF references for a debt
//! roll and checking the RF references found in bank statements.

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tameio::domain::rf::{RfPrefix, RfReference};

fn rf_generation(c: &mut Criterion) {
    let Ok(prefix) = RfPrefix::parse("ATH123") else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(42);
    c.bench_function("rf_generate", |b| {
        b.iter(|| RfReference::generate(black_box(&prefix), &mut rng))
    });
}

fn rf_validation(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(42);
    let Ok(prefix) = RfPrefix::parse("ATH123") else {
        return;
    };
    // The print form, as a citizen types it from a notice.
    let printed = RfReference::generate(&prefix, &mut rng).to_string();
    c.bench_function("rf_parse_print_form", |b| {
        b.iter(|| RfReference::parse(black_box(&printed)))
    });
}

criterion_group!(benches, rf_generation, rf_validation);
criterion_main!(benches);
