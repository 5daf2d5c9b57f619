//! Refunds by an officer through the API, on the sandbox provider.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, TestTenant, outstanding_total, roll_csv, roll_row};
use tameio::collect::sandbox::{Sandbox, SandboxAction};

/// A succeeded card payment of `amount` ("" for everything) on the party of
/// rows 0 and 1: the payment as the API shows it.
pub async fn paid(app: &TestApp, t: &TestTenant, amount: Option<&str>) -> Value {
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    let party = page["debts"][0]["party_id"].as_str().unwrap().to_string();
    let mut body = json!({"party_id": party});
    if let Some(a) = amount {
        body["amount"] = json!(a);
    }
    let (s, q) = app.post("/api/v1/quotes", Some(&t.key), &body).await;
    assert_eq!(s, 201, "{q}");
    let (s, p) =
        app.post(&format!("/api/v1/quotes/{}/payment", q["id"].as_str().unwrap()), Some(&t.key), &json!({})).await;
    assert_eq!(s, 201, "{p}");
    Sandbox::new(app.db.clone(), t.id).act(p["intent_id"].as_str().unwrap(), SandboxAction::Succeed).await.unwrap();
    let (s, p) = app.get(&format!("/api/v1/payments/{}", p["id"].as_str().unwrap()), Some(&t.key)).await;
    assert_eq!((s, p["status"].as_str().unwrap()), (200, "succeeded"), "{p}");
    p
}

async fn refund(app: &TestApp, t: &TestTenant, payment: &Value, amount: &str, expected: &str) -> (u16, Value) {
    let path = format!("/api/v1/payments/{}/refunds", payment["id"].as_str().unwrap());
    let body = json!({"amount": amount, "expected_refundable": expected, "reason": "paid twice by mistake"});
    app.post(&path, Some(&t.key), &body).await
}

async fn partial_refunds_reopen_debts_and_never_exceed_the_payment(be: Backend) {
    let mut app = TestApp::spawn(be).await;
    let t = app.tenant("tinos", "TIN").await;
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(0), roll_row(1)]), "").await.0, 201);
    let before = outstanding_total(&app, &t.key).await;
    // Rows 0 and 1: 12.48 and 58.33 due on the test date; pay 20.00.
    let p = paid(&app, &t, Some("20.00")).await;
    assert_eq!(p["refundable"], "20.00");
    assert_eq!(outstanding_total(&app, &t.key).await, before - 2000);

    // The officer's screen is stale: 412, nothing changes.
    let (s, e) = refund(&app, &t, &p, "4.00", "19.00").await;
    assert_eq!((s, e["type"].as_str().unwrap()), (412, "/problems/stale"), "{e}");

    let (s, r) = refund(&app, &t, &p, "4.00", "20.00").await;
    assert_eq!((s, r["status"].as_str().unwrap()), (201, "succeeded"), "{r}");
    assert_eq!(outstanding_total(&app, &t.key).await, before - 1600, "the refunded 4.00 is owed again");

    // More than is left is refused before the provider hears of it.
    let (s, e) = refund(&app, &t, &p, "16.01", "16.00").await;
    assert_eq!(s, 422, "{e}");
    let (s, r) = refund(&app, &t, &p, "16.00", "16.00").await;
    assert_eq!((s, r["status"].as_str().unwrap()), (201, "succeeded"));
    let (_, now) = app.get(&format!("/api/v1/payments/{}", p["id"].as_str().unwrap()), Some(&t.key)).await;
    assert_eq!((now["status"].as_str().unwrap(), now["refundable"].as_str().unwrap()), ("refunded", "0.00"));
    let numbers: Vec<(&str, &str)> = now["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["number"].as_str().unwrap()))
        .collect();
    assert_eq!(
        numbers,
        [("receipt", "TEST-2026/000001"), ("cancellation", "TEST-2026/000002"), ("cancellation", "TEST-2026/000003")],
        "each refund gets its own cancellation number; the receipt keeps its own"
    );
    assert_eq!(outstanding_total(&app, &t.key).await, before);
    let (s, _) = refund(&app, &t, &p, "1.00", "0.00").await;
    assert_eq!(s, 409, "a refunded payment has nothing left to refund");
    app.finish().await;
}

async fn a_refund_retried_with_its_key_happens_once(be: Backend) {
    let mut app = TestApp::spawn(be).await;
    let t = app.tenant("andros", "AND").await;
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(0)]), "").await.0, 201);
    let p = paid(&app, &t, None).await;
    let path = format!("/api/v1/payments/{}/refunds", p["id"].as_str().unwrap());
    let body = json!({"amount": "1.00", "expected_refundable": p["refundable"], "reason": "goodwill"});
    let send =
        || app.client.post(app.url(&path)).bearer_auth(&t.key).header("idempotency-key", "refund-7").json(&body).send();
    let first = crate::helpers::read(send().await.unwrap()).await;
    let second = crate::helpers::read(send().await.unwrap()).await;
    assert_eq!(first.0, 201);
    assert_eq!(second.0, 201);
    assert_eq!(first.1, second.1, "the retry answers the same refund, as it was settled");
    assert_eq!(second.1["status"], "succeeded");
    let id = Uuid::parse_str(p["id"].as_str().unwrap()).unwrap();
    let n: i64 = match &app.db {
        tameio::store::Db::Sqlite(pool) => sqlx::query_scalar("select count(*) from refunds where payment_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap(),
        tameio::store::Db::Postgres(pool) => sqlx::query_scalar("select count(*) from refunds where payment_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    assert_eq!(n, 1);
    app.finish().await;
}

/// An officer signed in with the tenant's key refunds from the dashboard.
async fn an_officer_refunds_from_the_dashboard(be: Backend) {
    use crate::officer::{cookie_value, hidden_csrf, set_cookies};
    let mut app = TestApp::spawn(be).await;
    let t = app.tenant("hydra", "HYD").await;
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(0), roll_row(1)]), "").await.0, 201);
    let p = paid(&app, &t, Some("20.00")).await;

    let res = app.client.get(app.url("/officer/login")).send().await.unwrap();
    let login_csrf = cookie_value(&set_cookies(&res), "tameio_login_csrf");
    let res = app
        .client
        .post(app.url("/officer/login"))
        .header("cookie", format!("tameio_login_csrf={login_csrf}"))
        .form(&[("csrf", login_csrf.as_str()), ("api_key", t.key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = format!("tameio_session={}", cookie_value(&set_cookies(&res), "tameio_session"));
    let html = app.client.get(app.url("/officer?lang=en")).header("cookie", &session).send().await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains("Card payments") && html.contains(p["id"].as_str().unwrap()), "{html}");
    let csrf = hidden_csrf(&html);
    let form = [
        ("csrf", csrf.as_str()),
        ("payment", p["id"].as_str().unwrap()),
        ("expected_refundable", "20.00"),
        ("amount", "2,50"),
        ("reason", "charged twice"),
    ];
    let res = app
        .client
        .post(app.url("/officer/refunds?lang=en"))
        .header("cookie", &session)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (res.status().as_u16(), res.headers()["location"].to_str().unwrap()),
        (303, "/officer?lang=en&done=refund")
    );
    let (_, now) = app.get(&format!("/api/v1/payments/{}", p["id"].as_str().unwrap()), Some(&t.key)).await;
    assert_eq!(now["refundable"], "17.50");
    // The same form again is stale: nothing more is refunded.
    let res = app
        .client
        .post(app.url("/officer/refunds?lang=en"))
        .header("cookie", &session)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 412);
    let (_, now) = app.get(&format!("/api/v1/payments/{}", p["id"].as_str().unwrap()), Some(&t.key)).await;
    assert_eq!(now["refundable"], "17.50");
    app.finish().await;
}

crate::db_tests!(
    partial_refunds_reopen_debts_and_never_exceed_the_payment,
    a_refund_retried_with_its_key_happens_once,
    an_officer_refunds_from_the_dashboard
);
