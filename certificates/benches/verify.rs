//! Verification throughput: base32 text in, verdict out, on one core.
#![allow(clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use certificates::{Token, verify};
use common::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench_verify(c: &mut Criterion) {
    let keys = keyring();
    let text = signed(&worst_case(), &key_a1()).to_base32();
    let now = date(2025, 4, 1);
    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_and_verify_worst_case", |b| {
        b.iter(|| {
            let token = Token::parse(std::hint::black_box(&text)).unwrap();
            verify(&token, &keys, None, now).verdict
        })
    });
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
