//! Fifty card payments for one party with three open debts succeed at once,
//! each reported twice, while ten refunds overlap them: no 5xx, no lock
//! error, the invariants hold, and what the debts and credit hold is exactly
//! what succeeded less what was refunded.

use futures_util::future::join_all;
use serde_json::{Value, json};
use tameio::collect::sandbox::{Sandbox, SandboxAction};

use crate::helpers::{Backend, TestApp, query_i64, roll_csv, roll_row};

async fn fifty_payments_and_ten_refunds_at_once(be: Backend) {
    let mut app = TestApp::spawn(be).await;
    let t = app.tenant("kythira", "KYT").await;
    // Rows 0 and 1 are party 0's; row 9 is party 4's: give party 0 a third debt.
    let third = roll_row(9)
        .replace(",P-00004,", ",P-00000,")
        .replace(&crate::helpers::afm(10_000_004), &crate::helpers::afm(10_000_000));
    let third = third.replace("Παπαδόπουλος 4", "Παπαδόπουλος 0").replace("Ερμού 4", "Ερμού 0");
    let (s, body) = app.import_roll(&t.key, &roll_csv([roll_row(0), roll_row(1), third]), "").await;
    assert_eq!(s, 201, "{body}");
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    let debts = page["debts"].as_array().unwrap();
    assert_eq!(debts.len(), 3);
    let party = debts[0]["party_id"].clone();
    assert!(debts.iter().all(|d| d["party_id"] == party), "{page}");

    // Fifty quotes of 3.00 each (150.00 in all, more than the debts hold:
    // the later successes find the debts paid and leave credit).
    let mut payments: Vec<Value> = Vec::new();
    for _ in 0..50 {
        let (s, q) = app.post("/api/v1/quotes", Some(&t.key), &json!({"party_id": party, "amount": "3.00"})).await;
        assert_eq!(s, 201, "{q}");
        let (s, p) =
            app.post(&format!("/api/v1/quotes/{}/payment", q["id"].as_str().unwrap()), Some(&t.key), &json!({})).await;
        assert_eq!(s, 201, "{p}");
        payments.push(p);
    }
    let sandbox = Sandbox::new(app.db.clone(), t.id);
    for p in &payments {
        sandbox.act(p["intent_id"].as_str().unwrap(), SandboxAction::Succeed).await.unwrap();
    }

    // Each success is reported twice at once (the page and the API both ask
    // the provider); ten refunds overlap them, two on each of five payments.
    let confirm = |p: &Value| {
        let url = app.url(&format!("/api/v1/payments/{}", p["id"].as_str().unwrap()));
        let req = app.client.get(url).bearer_auth(&t.key);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    // The first five succeed before their refunds are asked for.
    for p in &payments[..5] {
        assert_eq!(confirm(p).await, 200);
    }
    let refund = |p: &Value| {
        let url = app.url(&format!("/api/v1/payments/{}/refunds", p["id"].as_str().unwrap()));
        let body = json!({"amount": "1.50", "expected_refundable": "3.00", "reason": "duplicate"});
        let req = app.client.post(url).bearer_auth(&t.key).json(&body);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let mut confirms = Vec::new();
    for p in &payments {
        confirms.push(confirm(p));
        confirms.push(confirm(p));
    }
    let refunds: Vec<_> = payments[..5].iter().flat_map(|p| [refund(p), refund(p)]).collect();
    let (confirmed, refunded) = tokio::join!(join_all(confirms), join_all(refunds));
    assert!(confirmed.iter().all(|s| *s == 200), "{confirmed:?}");
    // Of each pair one refunds; the other saw a stale figure (412) unless it
    // came after and matched what was left.
    assert!(refunded.iter().all(|s| matches!(s, 201 | 412)), "{refunded:?}");
    let ok = refunded.iter().filter(|s| **s == 201).count();
    assert!(ok >= 5, "{refunded:?}");

    let succeeded = query_i64(
        &app.db,
        "select cast(coalesce(sum(amount_cents), 0) as bigint) from payments where tenant_id = $1 and status in ('succeeded', 'partially_refunded', 'refunded')",
        t.id,
    )
    .await;
    assert_eq!(succeeded, 50 * 300, "every payment succeeded once");
    let refunds = query_i64(
        &app.db,
        "select cast(coalesce(sum(amount_cents), 0) as bigint) from refunds where tenant_id = $1 and status = 'succeeded'",
        t.id,
    )
    .await;
    assert_eq!(refunds, ok as i64 * 150);
    let on_debts = query_i64(
        &app.db,
        "select cast(coalesce(sum(principal_cents + surcharge_cents), 0) as bigint) from allocations where tenant_id = $1",
        t.id,
    )
    .await;
    let credit = query_i64(
        &app.db,
        "select cast(coalesce(sum(amount_cents), 0) as bigint) from credit_movements where tenant_id = $1",
        t.id,
    )
    .await;
    assert_eq!(on_debts + credit, succeeded - refunds, "paid = successes - refunds");
    let receipts =
        query_i64(&app.db, "select count(*) from receipts where tenant_id = $1 and kind = 'receipt'", t.id).await;
    assert_eq!(receipts, 50);
    app.finish().await;
}

crate::db_tests!(fifty_payments_and_ten_refunds_at_once);
