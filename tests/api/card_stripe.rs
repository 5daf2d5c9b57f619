//! Card payments against a real localstripe (a stateful fake of Stripe that
//! sends signed webhooks), the test playing the browser's Stripe.js part.
//! Skipped without `TAMEIO_TEST_LOCALSTRIPE_URL`; in CI it is always set.

use std::time::Duration;

use serde_json::{Value, json};
use tameio::clock::wall_unix;
use tameio::domain::webhook_signature::sign;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, TestTenant, outstanding_total, query_i64, roll_csv, roll_row};
use crate::stripe_js::{self, CARD_3DS, LocalStripe, PM_DECLINED, PM_VISA, PUBLISHABLE_KEY, SECRET_KEY};

fn localstripe() -> Option<LocalStripe> {
    let ls = LocalStripe::from_env();
    if ls.is_none() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI must run the localstripe tests");
        eprintln!("TAMEIO_TEST_LOCALSTRIPE_URL is not set: localstripe test skipped");
    }
    ls
}

/// A test tenant paying through localstripe, its webhook registered there.
struct StripeTenant {
    t: TestTenant,
    slug: String,
    secret: String,
}

async fn set_provider(app: &TestApp, slug: &str, api_base: &str, secret: &str) {
    let body = json!({
        "provider": "stripe",
        "api_base": api_base,
        "js_url": format!("{api_base}/js.stripe.com/v3/"),
        "publishable_key": PUBLISHABLE_KEY,
        "secret_key": SECRET_KEY,
        "webhook_secrets": [secret],
    });
    let res = app
        .client
        .put(app.url(&format!("/api/v1/platform/tenants/{slug}/card-provider")))
        .bearer_auth(&app.operator_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn stripe_tenant(app: &mut TestApp, ls: &LocalStripe, slug: &str, prefix: &str, rows: &[usize]) -> StripeTenant {
    let t = app.tenant(slug, prefix).await;
    assert_eq!(app.import_roll(&t.key, &roll_csv(rows.iter().map(|i| roll_row(*i))), "").await.0, 201);
    let secret = format!("whsec_{}", Uuid::new_v4().simple());
    set_provider(app, slug, ls.base(), &secret).await;
    let url = app.url(&format!("/webhooks/stripe/{}", t.id));
    stripe_js::register_webhook(ls.base(), &t.id.to_string(), &url, &secret).await;
    StripeTenant { t, slug: slug.into(), secret }
}

/// A quote for the tenant's first party, started: the payment as the API shows it.
async fn started(app: &TestApp, st: &StripeTenant, amount: Option<&str>) -> Value {
    let (_, page) = app.get("/api/v1/debts", Some(&st.t.key)).await;
    let mut body = json!({"party_id": page["debts"][0]["party_id"]});
    if let Some(a) = amount {
        body["amount"] = json!(a);
    }
    let (s, q) = app.post("/api/v1/quotes", Some(&st.t.key), &body).await;
    assert_eq!(s, 201, "{q}");
    let (s, p) =
        app.post(&format!("/api/v1/quotes/{}/payment", q["id"].as_str().unwrap()), Some(&st.t.key), &json!({})).await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(p["provider"], "stripe");
    let mut p = p;
    p["pay_url"] = q["pay_url"].clone();
    p
}

/// The payment's stored status, read without asking the provider (the API
/// would re-check and hide whether the webhook did the work).
async fn stored_status(app: &TestApp, payment: &Value) -> String {
    let id = Uuid::parse_str(payment["id"].as_str().unwrap()).unwrap();
    let q = "select status from payments where id = $1";
    match &app.db {
        tameio::store::Db::Sqlite(p) => sqlx::query_scalar(q).bind(id).fetch_one(p).await.unwrap(),
        tameio::store::Db::Postgres(p) => sqlx::query_scalar(q).bind(id).fetch_one(p).await.unwrap(),
    }
}

async fn allocated(app: &TestApp, payment: &Value) -> i64 {
    let id = Uuid::parse_str(payment["id"].as_str().unwrap()).unwrap();
    let q = "select cast(coalesce(sum(principal_cents + surcharge_cents), 0) as bigint) from allocations where payment_id = $1";
    query_i64(&app.db, q, id).await
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    // localstripe delivers each event to every registered test server in
    // turn: under a full parallel test run that can take a while.
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn post_event(app: &TestApp, tenant: Uuid, body: &str, signature: &str) -> u16 {
    app.client
        .post(app.url(&format!("/webhooks/stripe/{tenant}")))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn stored_event(app: &TestApp, tenant: Uuid, kind: &str, intent: &str) -> String {
    let q = "select body from provider_events where tenant_id = $1 and type = $2 and object_id = $3";
    match &app.db {
        tameio::store::Db::Sqlite(p) => {
            sqlx::query_scalar(q).bind(tenant).bind(kind).bind(intent).fetch_one(p).await.unwrap()
        }
        tameio::store::Db::Postgres(p) => {
            sqlx::query_scalar(q).bind(tenant).bind(kind).bind(intent).fetch_one(p).await.unwrap()
        }
    }
}

async fn pays_partly_after_a_decline_then_fully_with_3ds_and_refunds(be: Backend) {
    let Some(ls) = localstripe() else { return };
    let mut app = TestApp::spawn(be).await;
    let st = stripe_tenant(&mut app, &ls, "rhodes", "RHO", &[0, 1]).await;

    // Partial payment: declined first, then paid on the same intent.
    let p = started(&app, &st, Some("20.00")).await;
    let (intent, secret) = (p["intent_id"].as_str().unwrap(), p["client_secret"].as_str().unwrap());
    // The card page loads Stripe.js from the tenant's origin, allowed by this page's CSP only.
    let page = app.client.get(app.url(p["pay_url"].as_str().unwrap())).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("data-key=\"{PUBLISHABLE_KEY}\"")) && html.contains("/static/card.js"), "{html}");
    assert!(html.contains(&format!("src=\"{}/js.stripe.com/v3/\"", ls.base())), "{html}");
    assert!(csp.contains(&format!("script-src 'self' {}", ls.base())), "{csp}");
    let declined = stripe_js::pay_with(ls.base(), intent, secret, PM_DECLINED).await;
    assert_eq!(declined["error"]["code"], "card_declined", "{declined}");
    let pid = p["id"].as_str().unwrap().to_string();
    eventually("the decline webhook", || async {
        query_i64(&app.db, "select count(*) from audit_entries where action = 'card_payment.attempt_failed' and subject = 'payment:' || $1", &pid).await == 1
    })
    .await;
    assert_eq!(stored_status(&app, &p).await, "awaiting_payment");
    let paid = stripe_js::pay_with(ls.base(), intent, secret, PM_VISA).await;
    assert_eq!(paid["paymentIntent"]["status"], "succeeded", "{paid}");
    eventually("the success webhook", || async { stored_status(&app, &p).await == "succeeded" }).await;

    // Replays: the success re-signed twice, then the earlier failure: nothing moves.
    let tenant = st.t.id;
    let succeeded = stored_event(&app, tenant, "payment_intent.succeeded", intent).await;
    let failed = stored_event(&app, tenant, "payment_intent.payment_failed", intent).await;
    for body in [&succeeded, &succeeded, &failed] {
        let sig = sign(body.as_bytes(), &st.secret, wall_unix());
        assert_eq!(post_event(&app, tenant, body, &sig).await, 200);
    }
    // Forged and stale signatures: 400, nothing stored.
    let forged = succeeded.replace("\"amount\": 2000", "\"amount\": 1");
    assert_eq!(post_event(&app, tenant, &forged, &sign(succeeded.as_bytes(), &st.secret, wall_unix())).await, 400);
    let stale = sign(succeeded.as_bytes(), &st.secret, wall_unix() - 301);
    assert_eq!(post_event(&app, tenant, &succeeded, &stale).await, 400);
    let wrong_secret = sign(succeeded.as_bytes(), "whsec_not_the_tenants", wall_unix());
    assert_eq!(post_event(&app, tenant, &succeeded, &wrong_secret).await, 400);
    // A secret replaced by the operator stops verifying at once (the secrets
    // are kept in memory a few seconds, forgotten on a change), then back.
    let rotated = format!("whsec_{}", Uuid::new_v4().simple());
    set_provider(&app, &st.slug, ls.base(), &rotated).await;
    assert_eq!(post_event(&app, tenant, &succeeded, &sign(succeeded.as_bytes(), &st.secret, wall_unix())).await, 400);
    assert_eq!(post_event(&app, tenant, &succeeded, &sign(succeeded.as_bytes(), &rotated, wall_unix())).await, 200);
    set_provider(&app, &st.slug, ls.base(), &st.secret).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let allocated = allocated(&app, &p).await;
    assert_eq!(allocated, 2000, "20.00 allocated once, whatever was replayed");
    assert_eq!(stored_status(&app, &p).await, "succeeded");

    // The rest in full, with 3-D Secure.
    let rest = started(&app, &st, None).await;
    let (intent2, secret2) = (rest["intent_id"].as_str().unwrap(), rest["client_secret"].as_str().unwrap());
    let card = stripe_js::create_card(ls.base(), CARD_3DS).await;
    let challenge = stripe_js::pay_with(ls.base(), intent2, secret2, &card).await;
    assert_eq!(challenge["paymentIntent"]["status"], "requires_action", "{challenge}");
    let done = stripe_js::authenticate_3ds(ls.base(), intent2, secret2, true).await;
    assert_eq!(done["paymentIntent"]["status"], "succeeded", "{done}");
    eventually("the 3-D Secure success", || async { stored_status(&app, &rest).await == "succeeded" }).await;
    let (_, debts) = app.get("/api/v1/debts", Some(&st.t.key)).await;
    assert!(debts["debts"].as_array().unwrap().iter().all(|d| d["outstanding"] == "0.00"), "{debts}");

    // A partial refund at the provider; too much is refused before it is asked.
    let path = format!("/api/v1/payments/{pid}/refunds");
    let (s, e) = app
        .post(&path, Some(&st.t.key), &json!({"amount": "20.01", "expected_refundable": "20.00", "reason": "x"}))
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, r) = app
        .post(&path, Some(&st.t.key), &json!({"amount": "5.00", "expected_refundable": "20.00", "reason": "error"}))
        .await;
    assert_eq!((s, r["status"].as_str().unwrap()), (201, "succeeded"), "{r}");
    let charge = stripe_js::retrieve_intent(ls.base(), intent).await;
    assert_eq!(charge["latest_charge"]["amount_refunded"], 500, "{charge}");
    app.finish().await;
}

async fn a_failed_3ds_with_no_webhook_is_resolved_by_the_recheck(be: Backend) {
    let Some(ls) = localstripe() else { return };
    let mut app = TestApp::spawn(be).await;
    let st = stripe_tenant(&mut app, &ls, "kos", "KOS", &[2]).await;
    let p = started(&app, &st, None).await;
    let (intent, secret) = (p["intent_id"].as_str().unwrap(), p["client_secret"].as_str().unwrap());
    let card = stripe_js::create_card(ls.base(), CARD_3DS).await;
    stripe_js::pay_with(ls.base(), intent, secret, &card).await;
    let failed = stripe_js::authenticate_3ds(ls.base(), intent, secret, false).await;
    assert_eq!(failed["error"]["code"], "payment_intent_authentication_failure", "{failed}");
    // No event comes. Past the quote's 30 minutes and the 15 of grace, the
    // re-check cancels the intent at the provider.
    app.clock.advance(chrono::Duration::minutes(46));
    eventually("the re-check's cancel", || async { stored_status(&app, &p).await == "canceled" }).await;
    assert_eq!(stripe_js::retrieve_intent(ls.base(), intent).await["status"], "canceled");
    app.finish().await;
}

/// Events come in any order: a dispute reported before the success is booked
/// waits for it, then takes the money back once.
async fn a_dispute_before_the_success_waits_for_it(be: Backend) {
    let Some(ls) = localstripe() else { return };
    let mut app = TestApp::spawn(be).await;
    // No webhook registered at localstripe: the success is known only when asked.
    let t = app.tenant("kalymnos", "KAL").await;
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(10)]), "").await.0, 201);
    let secret = format!("whsec_{}", Uuid::new_v4().simple());
    set_provider(&app, "kalymnos", ls.base(), &secret).await;
    let st = StripeTenant { t, slug: "kalymnos".into(), secret };
    let p = started(&app, &st, None).await;
    let intent = p["intent_id"].as_str().unwrap();
    let paid = stripe_js::pay_with(ls.base(), intent, p["client_secret"].as_str().unwrap(), PM_VISA).await;
    let charge = paid["paymentIntent"]["latest_charge"]["id"].clone();
    let amount = paid["paymentIntent"]["amount"].clone();
    signed_event(
        &app,
        &st,
        "charge.dispute.created",
        json!({"id": "dp_early", "object": "dispute", "charge": charge,
        "payment_intent": intent, "amount": amount, "status": "needs_response"}),
    )
    .await;
    eventually("the dispute, kept for later", || async {
        let q = "select count(*) from provider_events where object_id = $1 and status = 'received' and attempts > 0";
        query_i64(&app.db, q, "dp_early").await == 1
    })
    .await;
    assert_eq!(stored_status(&app, &p).await, "awaiting_payment");
    // The success is learnt (a view of the payment asks Stripe), then the dispute applies.
    let (_, now) = app.get(&format!("/api/v1/payments/{}", p["id"].as_str().unwrap()), Some(&st.t.key)).await;
    assert_eq!(now["status"], "succeeded");
    app.clock.advance(chrono::Duration::minutes(10));
    eventually("the dispute", || async { stored_status(&app, &p).await == "disputed" }).await;
    assert!(outstanding_total(&app, &st.t.key).await > 0, "the debt reopened");
    app.finish().await;
}

/// Canceled at Stripe (its dashboard): localstripe sends no event, so the
/// test signs `payment_intent.canceled` itself; the retrieve confirms it.
async fn an_intent_canceled_at_stripe_cancels_the_payment(be: Backend) {
    let Some(ls) = localstripe() else { return };
    let mut app = TestApp::spawn(be).await;
    let st = stripe_tenant(&mut app, &ls, "lipsi", "LIP", &[8]).await;
    let p = started(&app, &st, None).await;
    let intent = p["intent_id"].as_str().unwrap();
    let res = reqwest::Client::new()
        .post(format!("{}/v1/payment_intents/{intent}/cancel", ls.base()))
        .bearer_auth(SECRET_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    signed_event(&app, &st, "payment_intent.canceled", json!({"id": intent, "object": "payment_intent"})).await;
    eventually("the cancel", || async { stored_status(&app, &p).await == "canceled" }).await;
    // A forged "succeeded" for it, correctly signed, changes nothing: Stripe says canceled.
    signed_event(&app, &st, "payment_intent.succeeded", json!({"id": intent, "object": "payment_intent"})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(stored_status(&app, &p).await, "canceled");
    app.finish().await;
}

async fn events_wait_for_an_unreachable_stripe_and_others_intents_are_ignored(be: Backend) {
    let Some(ls) = localstripe() else { return };
    let mut app = TestApp::spawn(be).await;
    let st = stripe_tenant(&mut app, &ls, "leros", "LER", &[4]).await;
    let other = stripe_tenant(&mut app, &ls, "patmos", "PAT", &[6]).await;
    let p = started(&app, &st, None).await;
    let (intent, secret) = (p["intent_id"].as_str().unwrap(), p["client_secret"].as_str().unwrap());

    // Stripe goes away (a closed port) before the success is delivered.
    set_provider(&app, &st.slug, "http://127.0.0.1:9", &st.secret).await;
    stripe_js::pay_with(ls.base(), intent, secret, PM_VISA).await;
    let intent_owned = intent.to_string();
    eventually("the event, kept for a retry", || async {
        query_i64(
            &app.db,
            "select count(*) from provider_events where object_id = $1 and status = 'received' and attempts > 0",
            &intent_owned,
        )
        .await
            >= 1
    })
    .await;
    assert_eq!(stored_status(&app, &p).await, "awaiting_payment");

    // Another tenant, with its own valid signature, reports this intent: ignored.
    let body = stored_event(&app, st.t.id, "payment_intent.succeeded", intent).await;
    let forwarded = body.replace("\"id\": \"evt_", "\"id\": \"evt_other_");
    let sig = sign(forwarded.as_bytes(), &other.secret, wall_unix());
    assert_eq!(post_event(&app, other.t.id, &forwarded, &sig).await, 200);

    // Stripe is back: the retry applies the success once.
    set_provider(&app, &st.slug, ls.base(), &st.secret).await;
    app.clock.advance(chrono::Duration::minutes(10));
    eventually("the retried event", || async { stored_status(&app, &p).await == "succeeded" }).await;
    eventually("the other tenant's copy, ignored", || async {
        query_i64(&app.db, "select count(*) from provider_events where status = 'ignored' and id like 'evt_other_%' and object_id = $1", &intent_owned).await == 1
    })
    .await;
    app.finish().await;
}

/// Pays the tenant's started payment with a good card and waits for the webhook.
async fn pay_visa(app: &TestApp, ls: &LocalStripe, p: &Value) -> String {
    let intent = p["intent_id"].as_str().unwrap();
    let paid = stripe_js::pay_with(ls.base(), intent, p["client_secret"].as_str().unwrap(), PM_VISA).await;
    assert_eq!(paid["paymentIntent"]["status"], "succeeded", "{paid}");
    eventually("the success webhook", || async { stored_status(app, p).await == "succeeded" }).await;
    stripe_js::retrieve_intent(ls.base(), intent).await["latest_charge"]["id"].as_str().unwrap().to_string()
}

/// Sends an event localstripe cannot produce, signed as Stripe would.
async fn signed_event(app: &TestApp, st: &StripeTenant, kind: &str, object: Value) {
    let body = json!({
        "id": format!("evt_{}", Uuid::new_v4().simple()),
        "object": "event",
        "type": kind,
        "created": wall_unix(),
        "data": {"object": object},
    })
    .to_string();
    let sig = sign(body.as_bytes(), &st.secret, wall_unix());
    assert_eq!(post_event(app, st.t.id, &body, &sig).await, 200);
}

async fn refunds_at_stripe_and_disputes_come_from_signed_events(be: Backend) {
    let Some(ls) = localstripe() else { return };
    let mut app = TestApp::spawn(be).await;
    let st = stripe_tenant(&mut app, &ls, "syme", "SYM", &[0, 1]).await;
    let total = outstanding_total(&app, &st.t.key).await;
    let a = started(&app, &st, Some("20.00")).await;
    let charge_a = pay_visa(&app, &ls, &a).await;
    let b = started(&app, &st, None).await;
    let charge_b = pay_visa(&app, &ls, &b).await;
    assert_eq!(outstanding_total(&app, &st.t.key).await, 0);
    let (ia, ib) = (a["intent_id"].clone(), b["intent_id"].clone());
    let b_amount: i64 = total - 2000;

    // Refunded 3.00 from Stripe's dashboard: Tameio follows.
    signed_event(
        &app,
        &st,
        "charge.refunded",
        json!({"id": charge_b, "object": "charge", "payment_intent": ib,
        "amount": b_amount, "amount_refunded": 300}),
    )
    .await;
    eventually("the external refund", || async { outstanding_total(&app, &st.t.key).await == 300 }).await;
    assert_eq!(stored_status(&app, &b).await, "partially_refunded");

    // A dispute on b takes what b still holds back off the debts; won, it comes back.
    let dispute_b = json!({"id": "dp_b", "object": "dispute", "charge": charge_b, "payment_intent": ib,
        "amount": b_amount, "status": "needs_response"});
    signed_event(&app, &st, "charge.dispute.created", dispute_b.clone()).await;
    eventually("the dispute", || async { stored_status(&app, &b).await == "disputed" }).await;
    assert_eq!(outstanding_total(&app, &st.t.key).await, b_amount);
    let mut won = dispute_b.clone();
    won["status"] = json!("won");
    signed_event(&app, &st, "charge.dispute.closed", won).await;
    eventually("the dispute won", || async { stored_status(&app, &b).await == "dispute_won" }).await;
    assert_eq!(outstanding_total(&app, &st.t.key).await, 300);

    // A dispute on a, lost: the debts stay reopened.
    let dispute_a = json!({"id": "dp_a", "object": "dispute", "charge": charge_a, "payment_intent": ia,
        "amount": 2000, "status": "needs_response"});
    signed_event(&app, &st, "charge.dispute.created", dispute_a.clone()).await;
    eventually("the dispute on a", || async { stored_status(&app, &a).await == "disputed" }).await;
    let attention = tameio::store::card_payments::needing_attention(&app.db, st.t.id, 10).await.unwrap();
    assert!(
        attention.iter().any(|(what, id, _, _)| what == "disputed" && id.to_string() == a["id"].as_str().unwrap()),
        "officers see the dispute: {attention:?}"
    );
    let mut lost = dispute_a;
    lost["status"] = json!("lost");
    signed_event(&app, &st, "charge.dispute.closed", lost).await;
    eventually("the dispute lost", || async { stored_status(&app, &a).await == "dispute_lost" }).await;
    assert_eq!(outstanding_total(&app, &st.t.key).await, 2300);
    app.finish().await;
}

crate::db_tests!(
    refunds_at_stripe_and_disputes_come_from_signed_events,
    pays_partly_after_a_decline_then_fully_with_3ds_and_refunds,
    a_failed_3ds_with_no_webhook_is_resolved_by_the_recheck,
    an_intent_canceled_at_stripe_cancels_the_payment,
    a_dispute_before_the_success_waits_for_it,
    events_wait_for_an_unreachable_stripe_and_others_intents_are_ignored
);
