//! Writing off a debt by an officer's decision.

use serde_json::json;

use crate::helpers::{Backend, TestApp, roll_csv, roll_row};

async fn a_written_off_debt_owes_nothing_and_is_booked_once(be: Backend) {
    let mut app = TestApp::spawn(be).await;
    let t = app.tenant("skyros", "SKY").await;
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(3)]), "").await.0, 201);
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    let debt = page["debts"][0].clone();
    let path = format!("/api/v1/debts/{}/write-off", debt["id"].as_str().unwrap());
    let body = json!({"reason": "the debtor died without heirs", "decision": "ΑΔΣ 45/2026"});
    let send = |b: serde_json::Value| {
        app.client.post(app.url(&path)).bearer_auth(&t.key).header("idempotency-key", "wo-1").json(&b).send()
    };
    let (s, w) = crate::helpers::read(send(body.clone()).await.unwrap()).await;
    assert_eq!(s, 201, "{w}");
    let written: i64 = [&w["principal"], &w["surcharge"]]
        .iter()
        .map(|v| v.as_str().unwrap().replace('.', "").parse::<i64>().unwrap())
        .sum();
    assert_eq!(written, debt["outstanding"].as_str().unwrap().replace('.', "").parse::<i64>().unwrap());
    let (s2, w2) = crate::helpers::read(send(body).await.unwrap()).await;
    assert_eq!((s2, &w2), (201, &w), "a retry with the key answers the same write-off");
    let (s, e) = app.post(&path, Some(&t.key), &json!({"reason": "again", "decision": "2"})).await;
    assert_eq!((s, e["type"].as_str().unwrap()), (409, "/problems/nothing-owed"));
    let (s, _) = app.post(&path, Some(&t.key), &json!({"reason": " ", "decision": "2"})).await;
    assert_eq!(s, 422);
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    assert_eq!(page["debts"][0]["outstanding"], "0.00");
    let (_, feed) = app.get("/api/v1/ledger/events", Some(&t.key)).await;
    let kinds: Vec<&str> = feed["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "write_off").count(), 1, "{feed}");
    let other = app.tenant("skiathos", "SKI").await;
    let (s, _) = app.post(&path, Some(&other.key), &json!({"reason": "x", "decision": "1"})).await;
    assert_eq!(s, 404, "another tenant's debt does not exist for it");
    app.finish().await;
}

crate::db_tests!(a_written_off_debt_owes_nothing_and_is_booked_once);
