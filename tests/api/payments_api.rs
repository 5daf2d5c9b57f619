//! Quotes and card payments through the API, with Idempotency-Key.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, TestTenant, roll_csv, roll_row};

async fn party_and_debts(app: &TestApp, t: &TestTenant) -> (String, Vec<Value>) {
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    let debts = page["debts"].as_array().unwrap().clone();
    (debts[0]["party_id"].as_str().unwrap().to_string(), debts)
}

async fn post_keyed(app: &TestApp, key: &str, idem: Option<&str>, path: &str, body: &Value) -> (u16, Value, bool) {
    let mut req = app.client.post(app.url(path)).bearer_auth(key).json(body);
    if let Some(k) = idem {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.unwrap();
    let replayed = res.headers().get("idempotent-replayed").is_some();
    let (status, body) = crate::helpers::read(res).await;
    (status, body, replayed)
}

async fn quotes_honour_idempotency_keys(be: Backend) {
    let mut app = TestApp::spawn(be).await;
    let t = app.tenant("milos", "MIL").await;
    // Rows 0 and 1 belong to the same party.
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(0), roll_row(1)]), "").await.0, 201);
    let (party, debts) = party_and_debts(&app, &t).await;
    let body = json!({"party_id": party, "amount": "5.00"});

    let (s1, q1, r1) = post_keyed(&app, &t.key, Some("order-1"), "/api/v1/quotes", &body).await;
    assert_eq!((s1, r1), (201, false), "{q1}");
    assert_eq!(q1["amount"], "5.00");
    assert_eq!(q1["lines"].as_array().unwrap().len(), debts.len());
    assert!(q1["pay_url"].as_str().unwrap().starts_with("/pay/"));
    let (s2, q2, r2) = post_keyed(&app, &t.key, Some("order-1"), "/api/v1/quotes", &body).await;
    assert_eq!((s2, r2), (201, true));
    assert_eq!(q1, q2, "a retry gets the same quote, not a second one");

    let other = json!({"party_id": party, "amount": "6.00"});
    let (s3, p3, _) = post_keyed(&app, &t.key, Some("order-1"), "/api/v1/quotes", &other).await;
    assert_eq!((s3, p3["type"].as_str().unwrap()), (409, "/problems/idempotency-mismatch"));
    let (s4, q4, _) = post_keyed(&app, &t.key, None, "/api/v1/quotes", &body).await;
    assert_eq!(s4, 201);
    assert_ne!(q4["id"], q1["id"], "without a key every request is new");

    // Refused before anything is stored.
    for (bad, field) in [
        (json!({"party_id": party, "amount": "-1.00"}), "body"),
        (json!({"party_id": party, "amount": "0.10"}), "amount"),
        (json!({"party_id": party, "amount": "99999.00"}), "amount"),
        (json!({"party_id": party, "debts": [uuid::Uuid::new_v4()]}), "debts"),
    ] {
        let (s, p, _) = post_keyed(&app, &t.key, Some("bad"), "/api/v1/quotes", &bad).await;
        assert_eq!(s, 422, "{bad}: {p}");
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let (s, _, _) = post_keyed(&app, &t.key, None, "/api/v1/quotes", &json!({"party_id": uuid::Uuid::new_v4()})).await;
    assert_eq!(s, 404, "no such party");

    // Another tenant cannot quote this party.
    let other_tenant = app.tenant("paros", "PAR").await;
    let (s, _, _) = post_keyed(&app, &other_tenant.key, None, "/api/v1/quotes", &json!({"party_id": party})).await;
    assert_eq!(s, 404, "another tenant's party does not exist for it");
    app.finish().await;
}

async fn starting_a_payment_twice_gives_the_same_intent(be: Backend) {
    let mut app = TestApp::spawn(be).await;
    let t = app.tenant("sifnos", "SIF").await;
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(2)]), "").await.0, 201);
    let (party, _) = party_and_debts(&app, &t).await;
    let (_, q, _) = post_keyed(&app, &t.key, None, "/api/v1/quotes", &json!({"party_id": party})).await;
    let path = format!("/api/v1/quotes/{}/payment", q["id"].as_str().unwrap());
    let (s1, p1) = app.post(&path, Some(&t.key), &json!({})).await;
    assert_eq!(s1, 201, "{p1}");
    assert_eq!(p1["status"], "awaiting_payment");
    assert_eq!(p1["provider"], "sandbox");
    assert!(p1["client_secret"].as_str().unwrap().starts_with(p1["intent_id"].as_str().unwrap()));
    let (s2, p2) = app.post(&path, Some(&t.key), &json!({})).await;
    assert_eq!(s2, 201);
    assert_eq!((&p1["id"], &p1["intent_id"]), (&p2["id"], &p2["intent_id"]));
    let (s, got) = app.get(&format!("/api/v1/payments/{}", p1["id"].as_str().unwrap()), Some(&t.key)).await;
    assert_eq!((s, got["status"].as_str().unwrap()), (200, "awaiting_payment"));
    assert!(got.get("client_secret").is_none(), "the secret is only handed out when starting");
    let other = app.tenant("serifos", "SER").await;
    let (s, _) = app.get(&format!("/api/v1/payments/{}", p1["id"].as_str().unwrap()), Some(&other.key)).await;
    assert_eq!(s, 404, "tenants never see each other's payments");
    app.finish().await;
}

async fn a_retried_key_creation_creates_one_key(be: Backend) {
    let mut app = TestApp::spawn(be).await;
    let t = app.tenant("amorgos", "AMO").await;
    let body = json!({"name": "portal"});
    let (s1, k1, r1) = post_keyed(&app, &t.key, Some("k-1"), "/api/v1/api-keys", &body).await;
    let (s2, k2, r2) = post_keyed(&app, &t.key, Some("k-1"), "/api/v1/api-keys", &body).await;
    assert_eq!((s1, r1, s2, r2), (201, false, 201, true));
    assert_eq!(k1, k2, "the retry answers the key created the first time");
    let (_, keys) = app.get("/api/v1/api-keys", Some(&t.key)).await;
    assert_eq!(keys.as_array().unwrap().iter().filter(|k| k["name"] == "portal").count(), 1);
    // The same key under another path is a mismatch, not a replay.
    let rc = json!({"debt_kind": "water", "year_class": "current", "component": "principal", "effective_from_year": 2026, "code": "0311"});
    let (s, p, _) = post_keyed(&app, &t.key, Some("k-1"), "/api/v1/tenant/revenue-codes", &rc).await;
    assert_eq!((s, p["type"].as_str().unwrap()), (409, "/problems/idempotency-mismatch"));
    app.finish().await;
}

crate::db_tests!(
    quotes_honour_idempotency_keys,
    starting_a_payment_twice_gives_the_same_intent,
    a_retried_key_creation_creates_one_key
);
