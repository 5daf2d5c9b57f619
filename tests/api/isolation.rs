//! Tenant isolation: tenant A's key, walking every route of the served
//! OpenAPI document with tenant B's ids, finds nothing of B.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

async fn every_route_hides_other_tenants(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let a = app.tenant("alpha", "ALP").await;
    let bt = app.tenant("bravo", "BRV").await;
    // Give B data of every kind that exists so far.
    let (_, b_key2) = app.post("/api/v1/api-keys", Some(&bt.key), &json!({"name": "bravo-secret-name"})).await;
    let rc = json!({"debt_kind": "water", "year_class": "current", "component": "principal", "effective_from_year": 2026, "code": "BRAVO-KAE"});
    assert_eq!(app.post("/api/v1/tenant/revenue-codes", Some(&bt.key), &rc).await.0, 201);

    let roll = crate::helpers::roll_csv((0..4).map(crate::helpers::roll_row));
    assert_eq!(app.import_roll(&bt.key, &roll, "").await.0, 201);
    let (_, b_debts) = app.get("/api/v1/debts", Some(&bt.key)).await;
    let b_rf = b_debts["debts"][0]["rf"].as_str().unwrap().to_string();
    let b_debt = b_debts["debts"][0]["id"].as_str().unwrap().to_string();
    let b_party = b_debts["debts"][0]["party_id"].as_str().unwrap().to_string();
    // And a card payment, paid.
    let (_, b_quote) = app.post("/api/v1/quotes", Some(&bt.key), &json!({"party_id": b_party})).await;
    let b_quote = b_quote["id"].as_str().unwrap().to_string();
    let (_, b_payment) = app.post(&format!("/api/v1/quotes/{b_quote}/payment"), Some(&bt.key), &json!({})).await;
    tameio::collect::sandbox::Sandbox::new(app.db.clone(), bt.id)
        .act(b_payment["intent_id"].as_str().unwrap(), tameio::collect::sandbox::SandboxAction::Succeed)
        .await
        .unwrap();
    let b_payment = b_payment["id"].as_str().unwrap().to_string();
    // What a public lookup must never show, of any tenant.
    let personal = [
        "Γεώργιος Παπαδόπουλος".to_string(),
        crate::helpers::afm(10_000_000),
        "Οδός Ερμού".to_string(),
        "Οφειλή 0".to_string(),
    ];

    let b_markers = [
        bt.id.to_string(),
        bt.key_id.to_string(),
        b_key2["id"].as_str().unwrap().to_string(),
        "bravo".to_string(),
        "BRV".to_string(),
        "BRAVO-KAE".to_string(),
    ];
    let (_, doc) = app.get("/api/v1/openapi.json", None).await;
    let paths = doc["paths"].as_object().unwrap();
    let mut walked = 0;
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            // B's own resource of the kind the route takes, and a body the route accepts.
            let (id, body) = match path.as_str() {
                "/api/v1/quotes/{id}/payment" => (&b_quote, json!({})),
                "/api/v1/payments/{id}" => (&b_payment, json!({})),
                "/api/v1/payments/{id}/refunds" => {
                    (&b_payment, json!({"amount": "1.00", "expected_refundable": "1.00", "reason": "x"}))
                }
                "/api/v1/debts/{id}/write-off" => (&b_debt, json!({"reason": "x", "decision": "1"})),
                "/api/v1/parties/{id}/apply-credit" => (&b_party, json!({})),
                "/api/v1/quotes" => (&b_debt, json!({"party_id": b_party})),
                _ => (&b_markers[2], json!({"name": "x"})),
            };
            let concrete = path.replace("{id}", id).replace("{slug}", "bravo").replace("{rf}", &b_rf);
            assert!(!concrete.contains('{'), "the walk does not know a parameter of {path}");
            let req = match method.as_str() {
                "get" => app.client.get(app.url(&concrete)),
                "post" => app.client.post(app.url(&concrete)).json(&body),
                "put" => app.client.put(app.url(&concrete)).json(&json!({})),
                "delete" => app.client.delete(app.url(&concrete)),
                other => panic!("unexpected method {other}"),
            };
            let res = req.bearer_auth(&a.key).send().await.unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            for m in &personal {
                assert!(!body.contains(m.as_str()), "{method} {concrete} shows personal data {m}: {body}");
            }
            if path.starts_with("/api/v1/lookup/") {
                // Public by design: anyone with the RF sees the debt, never the debtor.
                assert!(status < 500, "{method} {concrete}: {status} {body}");
                walked += 1;
                continue;
            }
            let with_ids = path.contains('{') || path.starts_with("/api/v1/platform/");
            if with_ids {
                assert_eq!(status, 404, "{method} {concrete} with A's key: {body}");
            } else {
                assert!(status < 500, "{method} {concrete}: {status} {body}");
            }
            for m in &b_markers {
                assert!(!body.contains(m.as_str()), "{method} {concrete} leaks {m}: {body}");
            }
            walked += 1;
        }
    }
    assert!(walked >= 10, "walked only {walked} routes");
    // B's data is untouched: its second key still works and was not revoked by A.
    let (status, key) = app.get(&format!("/api/v1/api-keys/{}", b_markers[2]), Some(&bt.key)).await;
    assert_eq!(status, 200);
    assert_eq!(key["revoked_at"], Value::Null);
    app.finish().await;
}

crate::db_tests!(every_route_hides_other_tenants);
