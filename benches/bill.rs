//! Rendering a three-debt notice PDF (fonts already parsed, as in a running
//! server): the cost of a notice run is this times the number of parties.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tameio::bills::{Notice, NoticeLine, render_notice};
use tameio::domain::epc::{EpcTransfer, epc_payload};
use tameio::domain::iban::Iban;
use tameio::domain::money::Cents;
use tameio::domain::rf::RfReference;

/// A minimal three-debt notice (tests/api/pdf.rs has the full builders;
/// a bench cannot import from a test crate).
fn notice() -> Notice {
    let iban = Iban::parse("GR1601101250000000012300695").unwrap();
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let due_on = date(2024, 12, 31);
    let line = |rf: &str, kind: &str, principal: i64, surcharges: i64| {
        let (rf, amount) = (RfReference::parse(rf).unwrap(), Cents::new(principal + surcharges));
        let (beneficiary, reference) = ("Δήμος Αθηναίων".to_owned(), rf.clone());
        let epc_payload =
            epc_payload(&EpcTransfer { bic: None, beneficiary, iban: iban.clone(), amount, reference }).unwrap();
        let (principal, surcharges, kind_label) = (Cents::new(principal), Cents::new(surcharges), kind.to_owned());
        NoticeLine { rf, kind_label, fiscal_year: 2024, due_on, principal, surcharges, amount, epc_payload }
    };
    let lines = vec![
        line("RF18539007547034", "Ύδρευση", 12_345, 0),
        line("RF03SW3EZRUFBK", "Τέλη κοινόχρηστων χώρων", 112_345, 617),
        line("RF2939KX5US7LX3PAN1BNWC0H", "Πρόστιμο ΚΟΚ", 212_345, 1_234),
    ];
    Notice {
        municipality_el: "Δήμος Αθηναίων".to_owned(),
        municipality_en: "Municipality of Athens".to_owned(),
        creditor_name: "Δήμος Αθηναίων".to_owned(),
        iban,
        party_name: "Παπαδοπούλου Αικατερίνη-Ελευθερία".to_owned(),
        party_address: "Λεωφόρος Βασιλίσσης Σοφίας 125, 115 21 Αθήνα".to_owned(),
        notice_date: date(2025, 3, 14),
        valid_until: date(2025, 3, 31),
        lines,
        test_mode: false,
    }
}

fn bench_notice(c: &mut Criterion) {
    let n = notice();
    // The first call parses the fonts; a server pays that once.
    render_notice(&n).unwrap();
    let mut group = c.benchmark_group("bill");
    group.throughput(Throughput::Elements(1));
    group.bench_function("render_notice_3_debts", |b| b.iter(|| render_notice(&n).unwrap().len()));
    group.finish();
}

criterion_group!(benches, bench_notice);
criterion_main!(benches);
