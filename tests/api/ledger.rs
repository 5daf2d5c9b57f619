//! The journal feed: balanced events, in sequence, paged by cursor.

use serde_json::json;
use tameio::domain::journal::{DebtPortion, postings};
use tameio::domain::money::Cents;
use tameio::store::journal::{self, NewEvent};

use crate::helpers::{Backend, TestApp, start_time};

async fn feed_pages_balanced_events_in_order(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("kavala", "KAV").await;
    let other = app.tenant("drama", "DRA").await;
    let entries = [
        postings::card_payment_succeeded(Cents::new(10_73)).unwrap(),
        postings::allocation(&[DebtPortion {
            debt_rf: "RF18539007547034".into(),
            principal: Cents::new(10_00),
            principal_code: "0311".into(),
            surcharge: Cents::new(73),
            surcharge_code: "1511".into(),
        }])
        .unwrap(),
        postings::write_off("RF18539007547034", Cents::new(5_00), "8511").unwrap(),
    ];
    let mut tx = app.db.begin_write().await.unwrap();
    for (i, e) in entries.iter().enumerate() {
        let ev = NewEvent {
            entry: e,
            occurred_at: start_time(),
            business_date: start_time().date_naive(),
            livemode: false,
            subject: format!("payment:{i}"),
        };
        assert_eq!(journal::append(&mut tx, t.id, &ev).await.unwrap(), i as i64 + 1);
    }
    tx.commit().await.unwrap();

    let (status, page) = app.get("/api/v1/ledger/events?after=0&limit=2", Some(&t.key)).await;
    assert_eq!(status, 200);
    assert_eq!(page["next_after"], 2);
    let evs = page["events"].as_array().unwrap();
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[0]["kind"], "card_payment_succeeded");
    assert_eq!(evs[0]["livemode"], false);
    assert_eq!(
        evs[1]["lines"],
        json!([
            {"account": "unapplied_cash", "debit": "10.73", "credit": "0.00", "revenue_code": null, "debt_rf": null},
            {"account": "receivable", "debit": "0.00", "credit": "10.00", "revenue_code": "0311", "debt_rf": "RF18539007547034"},
            {"account": "surcharge_revenue", "debit": "0.00", "credit": "0.73", "revenue_code": "1511", "debt_rf": "RF18539007547034"},
        ])
    );
    let (_, page) = app.get("/api/v1/ledger/events?after=2", Some(&t.key)).await;
    assert_eq!(page["events"][0]["kind"], "write_off");
    assert_eq!(page["next_after"], 3);
    let (_, page) = app.get("/api/v1/ledger/events?after=3", Some(&t.key)).await;
    assert_eq!(page, json!({"events": [], "next_after": 3}));
    // Another tenant's feed is its own.
    let (_, page) = app.get("/api/v1/ledger/events", Some(&other.key)).await;
    assert_eq!(page["events"], json!([]));

    for bad in ["?limit=0", "?limit=1001", "?after=-1", "?after=abc"] {
        let (status, body) = app.get(&format!("/api/v1/ledger/events{bad}"), Some(&t.key)).await;
        assert_eq!((status, body["type"].as_str()), (422, Some("/problems/validation")), "{bad}");
    }
    app.finish().await;
}

crate::db_tests!(feed_pages_balanced_events_in_order);
