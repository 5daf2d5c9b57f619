//! Liveness, readiness, metrics, headers, and the problem+json fallbacks.

use crate::helpers::{Backend, TestApp};

async fn health_ready_and_metrics(b: Backend) {
    let app = TestApp::spawn(b).await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(h["referrer-policy"], "no-referrer");
    let (status, _) = app.get("/readyz", None).await;
    assert_eq!(status, 200);
    let (status, body) = app.get("/metrics", None).await;
    assert_eq!(status, 200);
    let text = body.as_str().unwrap();
    assert!(text.contains("tameio_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("tameio_db_pool_connections"));
    app.finish().await;
}

async fn unknown_routes_and_methods_are_problems(b: Backend) {
    let app = TestApp::spawn(b).await;
    let res = app.client.get(app.url("/api/v1/no-such-thing")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["type"], "/problems/no-such-route");
    assert_eq!(body["status"], 404);
    let res = app.client.delete(app.url("/api/v1/tenant")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // Pages outside the API get an HTML page in Greek by default.
    let res = app.client.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("lang=\"el\"") && html.contains("Η σελίδα δεν βρέθηκε"), "{html}");
    let html = app.client.get(app.url("/no-such-page?lang=en")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Page not found"));
    app.finish().await;
}

crate::db_tests!(health_ready_and_metrics, unknown_routes_and_methods_are_problems);
