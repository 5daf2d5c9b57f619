//! Benchmarks for the hot domain code: issuing RF references for a debt roll,
//! checking the RF references found in bank statements, and hashing an audit
//! entry (every state change pays for one).

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tameio::domain::rf::{RfPrefix, RfReference};

fn rf_generation(c: &mut Criterion) {
    let Ok(prefix) = RfPrefix::parse("ATH123") else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(42);
    c.bench_function("rf_generate", |b| b.iter(|| RfReference::generate(black_box(&prefix), &mut rng)));
}

fn rf_validation(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(42);
    let Ok(prefix) = RfPrefix::parse("ATH123") else {
        return;
    };
    // The print form, as a citizen types it from a notice.
    let printed = RfReference::generate(&prefix, &mut rng).to_string();
    c.bench_function("rf_parse_print_form", |b| b.iter(|| RfReference::parse(black_box(&printed))));
}

fn audit_hash(c: &mut Criterion) {
    use tameio::domain::audit::{AuditRecord, GENESIS_HASH};
    let record = AuditRecord {
        seq: 123_456,
        tenant: uuid::Uuid::nil(),
        at: chrono::DateTime::UNIX_EPOCH,
        actor: "api_key:00000000-0000-0000-0000-000000000000".into(),
        action: "payment.succeeded".into(),
        subject: "payment:0b7c4c1e-9d6f-4d3a-8a57-2f3f1c1f4e2a".into(),
        details: serde_json::json!({"amount": "123.45", "debts": ["RF18539007547034"], "payer": "Παπαδόπουλος Γ."}),
    };
    c.bench_function("audit_hash", |b| b.iter(|| black_box(&record).hash(&GENESIS_HASH)));
}

criterion_group!(benches, rf_generation, rf_validation, audit_hash);
criterion_main!(benches);
