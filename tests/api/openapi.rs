//! The served OpenAPI document lists exactly the router's API routes.

use std::collections::BTreeSet;

use crate::helpers::{Backend, TestApp};

const METHODS: [&str; 4] = ["get", "post", "put", "delete"];

async fn openapi_lists_exactly_the_routes(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("chania", "CHA").await;
    let (status, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, item)| item.as_object().unwrap().keys().map(move |m| (p.clone(), m.clone())))
        .collect();
    let paths: BTreeSet<String> = documented.iter().map(|(p, _)| p.clone()).collect();
    for path in &paths {
        let concrete = path.replace("{id}", &uuid::Uuid::nil().to_string()).replace("{slug}", "chania");
        for m in METHODS {
            let req = app.client.request(m.to_uppercase().parse().unwrap(), app.url(&concrete));
            let res =
                req.bearer_auth(&t.key).header("content-type", "application/json").body("{}").send().await.unwrap();
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            let routed = status != 405 && body["type"] != "/problems/no-such-route";
            let is_documented = documented.contains(&(path.clone(), m.to_string()));
            assert_eq!(routed, is_documented, "{m} {path}: status {status}, body {body}");
        }
    }
    // Nothing answers under /api/v1 that the document does not list (beyond the
    // document itself): a sample of plausible neighbours.
    for p in ["/api/v1", "/api/v1/tenants", "/api/v1/ledger", "/api/v1/platform", "/api/v1/audit"] {
        let (status, body) = app.get(p, Some(&t.key)).await;
        assert_eq!((status, body["type"].as_str()), (404, Some("/problems/no-such-route")), "{p}");
    }
    app.finish().await;
}

crate::db_tests!(openapi_lists_exactly_the_routes);
