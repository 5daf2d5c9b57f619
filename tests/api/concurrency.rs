//! Many writers on one tenant at once: no 5xx, no lock errors, numbers gapless.

use serde_json::json;
use tameio::domain::journal::postings;
use tameio::domain::money::Cents;
use tameio::store::journal::{self, NewEvent};

use crate::helpers::{Backend, TestApp, start_time};

const WRITERS: usize = 50;

async fn fifty_concurrent_writers_keep_numbers_gapless(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("heraklion", "HER").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..WRITERS {
        // Half go through the API (audit chain), half append journal events
        // through the store (journal counter and outbox), all at once.
        let client = app.client.clone();
        let url = app.url("/api/v1/api-keys");
        let key = t.key.clone();
        tasks.spawn(async move {
            let res =
                client.post(url).bearer_auth(key).json(&json!({"name": format!("writer {i}")})).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        });
        let db = app.db.clone();
        let tenant = t.id;
        tasks.spawn(async move {
            let entry = postings::card_payment_succeeded(Cents::new(100 + i as i64)).unwrap();
            let mut tx = db.begin_write().await.unwrap();
            let ev = NewEvent {
                entry: &entry,
                occurred_at: start_time(),
                business_date: start_time().date_naive(),
                livemode: false,
                subject: format!("payment:{i}"),
            };
            journal::append(&mut tx, tenant, &ev).await.unwrap();
            tx.commit().await.unwrap();
            (201, String::new())
        });
    }
    while let Some(r) = tasks.join_next().await {
        let (status, body) = r.expect("writer panicked");
        assert_eq!(status, 201, "{body}");
        assert!(!body.contains("locked"), "{body}");
    }
    let (_, audit) = app.get("/api/v1/audit/entries?limit=500", Some(&t.key)).await;
    let seqs: Vec<i64> = audit.as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = (1..=(WRITERS as i64 + 2)).rev().collect();
    assert_eq!(seqs, expected, "audit numbers must be exactly 1..=52");
    let (_, feed) = app.get("/api/v1/ledger/events?limit=1000", Some(&t.key)).await;
    let seqs: Vec<i64> = feed["events"].as_array().unwrap().iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=WRITERS as i64).collect::<Vec<_>>());
    app.finish().await;
}

crate::db_tests!(fifty_concurrent_writers_keep_numbers_gapless);
