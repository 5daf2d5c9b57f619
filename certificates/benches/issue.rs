//! Issuing throughput: sign, QR and PDF for the worst-case certificate, on one core.
#![allow(clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use certificates::{CertificateDocument, PdfRenderer, sign};
use chrono::DateTime;
use common::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench_issue(c: &mut Criterion) {
    let renderer = PdfRenderer::new().unwrap();
    let cert = worst_case();
    let key = key_a1();
    let created_at = DateTime::parse_from_rfc3339("2025-03-14T10:42:07+02:00").unwrap();
    let mut group = c.benchmark_group("issue");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sign_qr_pdf_worst_case", |b| {
        b.iter(|| {
            let token = sign(&cert, &key).unwrap();
            let doc = CertificateDocument {
                certificate: &cert,
                token: &token,
                host: "verify.dimos-neas-filadelfeia.gr",
                municipality_el: "Δήμος Νέας Φιλαδέλφειας - Νέας Χαλκηδόνας",
                municipality_en: "Municipality of Nea Filadelfeia - Nea Chalkidona",
                legal_basis: "Άρθρο 285 του Κώδικα Δήμων και Κοινοτήτων (ν. 3463/2006). Article 285 of the Code of Municipalities and Communities (Law 3463/2006).",
                created_at,
            };
            renderer.render(&doc).unwrap().len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_issue);
criterion_main!(benches);
