//! Tenants and keys through the operator API and the tenant API.

use serde_json::json;

use crate::helpers::{Backend, TestApp, tenant_spec};

async fn operator_creates_tenant_and_key(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("athens", "ATH").await;
    let (status, body) = app.get("/api/v1/tenant", Some(&t.key)).await;
    assert_eq!(status, 200);
    assert_eq!(body["slug"], "athens");
    assert_eq!(body["name_el"], "Δήμος athens");
    assert_eq!(body["time_zone"], "Europe/Athens");
    assert_eq!(body["mode"], "test");
    assert_eq!(body["accounts"][0]["iban"], "GR1601101250000000012300695");
    assert_eq!(body["policies"]["surcharge"][0]["rate_periods"][1]["monthly_percent"], "0.73");

    // Same slug or same RF prefix again: 409, nothing written.
    let op = app.operator_key.clone();
    let (status, body) = app.post("/api/v1/platform/tenants", Some(&op), &tenant_spec("athens", "ATX")).await;
    assert_eq!((status, body["type"].as_str()), (409, Some("/problems/tenant-exists")));
    let (status, _) = app.post("/api/v1/platform/tenants", Some(&op), &tenant_spec("other", "ATH")).await;
    assert_eq!(status, 409);
    let (_, list) = app.get("/api/v1/platform/tenants", Some(&op)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.finish().await;
}

async fn invalid_tenant_names_every_bad_field(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let op = app.operator_key.clone();
    let mut spec = tenant_spec("Bad Slug", "1AB");
    spec["iban"] = json!("DE89370400440532013000");
    spec["time_zone"] = json!("Mars/Olympus");
    spec["mode"] = json!("production");
    let (status, body) = app.post("/api/v1/platform/tenants", Some(&op), &spec).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["type"], "/problems/validation");
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["slug", "iban", "rf_prefix", "time_zone", "mode"]);

    let (status, body) = app.post("/api/v1/platform/tenants", Some(&op), &json!({"slug": "x", "unknown": 1})).await;
    assert_eq!(status, 422, "{body}");

    let raw = |body: &'static str, ctype: &'static str| {
        app.client
            .post(app.url("/api/v1/platform/tenants"))
            .bearer_auth(&op)
            .header("content-type", ctype)
            .body(body)
            .send()
    };
    let res = raw("{not json", "application/json").await.unwrap();
    assert_eq!(res.status(), 400);
    let res = raw("{}", "text/plain").await.unwrap();
    assert_eq!(res.status(), 415);
    let big = "x".repeat(2 * 1024 * 1024);
    let res = app
        .client
        .post(app.url("/api/v1/platform/tenants"))
        .bearer_auth(&op)
        .header("content-type", "application/json")
        .body(format!("{{\"slug\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let (_, list) = app.get("/api/v1/platform/tenants", Some(&op)).await;
    assert_eq!(list, json!([]), "nothing may be written by a refused request");
    let _ = app.tenant("ok", "OKA").await;
    app.finish().await;
}

async fn keys_authenticate_until_revoked(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("patras", "PAT").await;
    let (status, body) = app.get("/api/v1/tenant", None).await;
    assert_eq!((status, body["type"].as_str()), (401, Some("/problems/unauthenticated")));
    let (status, _) = app.get("/api/v1/tenant", Some("tmk_nonsense")).await;
    assert_eq!(status, 401);
    // A tenant key is not an operator key: the operator API does not exist for it.
    let (status, body) = app.get("/api/v1/platform/tenants", Some(&t.key)).await;
    assert_eq!((status, body["type"].as_str()), (404, Some("/problems/not-found")));
    let (status, _) = app.get("/api/v1/platform/tenants", None).await;
    assert_eq!(status, 404);

    let (status, second) = app.post("/api/v1/api-keys", Some(&t.key), &json!({"name": "ταμείο"})).await;
    assert_eq!(status, 201);
    let second_key = second["key"].as_str().unwrap().to_string();
    let (_, list) = app.get("/api/v1/api-keys", Some(&second_key)).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains(&second_key), "a key is shown once, never listed");
    let id = second["id"].as_str().unwrap();
    let (status, revoked) = app.post(&format!("/api/v1/api-keys/{id}/revoke"), Some(&t.key), &json!({})).await;
    assert_eq!(status, 200);
    assert!(revoked["revoked_at"].is_string());
    let (status, _) = app.get("/api/v1/tenant", Some(&second_key)).await;
    assert_eq!(status, 401);
    // Revoking twice changes nothing and writes no second audit entry.
    let (status, _) = app.post(&format!("/api/v1/api-keys/{id}/revoke"), Some(&t.key), &json!({})).await;
    assert_eq!(status, 200);
    let (_, audit) = app.get("/api/v1/audit/entries", Some(&t.key)).await;
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["api_key.revoked", "api_key.created", "api_key.created", "tenant.created"]);
    app.finish().await;
}

async fn revenue_codes_are_set_and_audited(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("volos", "VOL").await;
    let rc = json!({"debt_kind": "water", "year_class": "current", "component": "principal", "effective_from_year": 2026, "code": "0311"});
    let (status, _) = app.post("/api/v1/tenant/revenue-codes", Some(&t.key), &rc).await;
    assert_eq!(status, 201);
    let bad = json!({"debt_kind": "beer", "year_class": "current", "component": "principal", "effective_from_year": 26, "code": ""});
    let (status, body) = app.post("/api/v1/tenant/revenue-codes", Some(&t.key), &bad).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"].as_array().unwrap().len(), 3);
    let (_, codes) = app.get("/api/v1/tenant/revenue-codes", Some(&t.key)).await;
    assert_eq!(codes, json!([rc]));
    let (_, audit) = app.get("/api/v1/audit/entries?limit=1", Some(&t.key)).await;
    assert_eq!(audit[0]["action"], "revenue_code.set");
    assert_eq!(audit[0]["at"], "2026-11-23T10:00:00Z", "audit time comes from the injected clock");
    app.clock.advance(chrono::Duration::minutes(90));
    let (status, _) = app.post("/api/v1/tenant/revenue-codes", Some(&t.key), &rc).await;
    assert_eq!(status, 201);
    let (_, audit) = app.get("/api/v1/audit/entries?limit=1", Some(&t.key)).await;
    assert_eq!(audit[0]["at"], "2026-11-23T11:30:00Z");
    app.finish().await;
}

crate::db_tests!(
    operator_creates_tenant_and_key,
    invalid_tenant_names_every_bad_field,
    keys_authenticate_until_revoked,
    revenue_codes_are_set_and_audited,
);
