//! What a payer's browser does with Stripe.js, done against localstripe, so
//! that tests can pay the intents Tameio creates.
//!
//! Start localstripe with `scripts/localstripe.py PORT` (127.0.0.1 only, empty
//! store) and set `TAMEIO_TEST_LOCALSTRIPE_URL=http://127.0.0.1:PORT`; tests
//! that need it skip without it. Any `sk_...` key is accepted: point Tameio
//! at the same URL with [`SECRET_KEY`].
//!
//! How localstripe 1.15.10 behaves, found by experiment (curl):
//!
//! - Paying, (a): real Stripe.js confirms with the publishable key and the
//!   client secret, but localstripe answers 401 to that (only
//!   `/_authenticate` takes `key=pk_...`), answers 400 "Unexpected
//!   client_secret" to a `client_secret` parameter, and 500 "Not implemented"
//!   to `confirm` with `payment_method`. So the browser's part is played with
//!   the secret key: `POST /v1/payment_intents/{id}` with
//!   `payment_method=pm_card_visa` (status becomes `requires_confirmation`),
//!   then `POST /v1/payment_intents/{id}/confirm` with no parameters
//!   (`succeeded` at once; `latest_charge` comes back expanded).
//! - Decline, (b): the same with `pm_card_chargeCustomerFail` (card
//!   4000000000000341): `confirm` answers 402 `{"error": {"code":
//!   "card_declined", "charge": "ch_..", ...}}` (no `decline_code`), the intent
//!   is `requires_payment_method` with `last_payment_error.code =
//!   card_declined`, and a `payment_intent.payment_failed` event follows.
//!   `pm_card_visa_chargeDeclined` is NOT declined by localstripe on a
//!   PaymentIntent (only when attached to a customer). Retrying the same
//!   intent: on Stripe a new payment method and confirm is enough; localstripe
//!   derives the status from the failed `latest_charge` and keeps answering
//!   `requires_payment_method`, then 400 to `confirm`. The update therefore
//!   also sets `latest_charge` to null, which only a JSON body can say
//!   (localstripe reads JSON bodies as well as forms). See [`pay_with`].
//! - 3-D Secure, (c): localstripe has no `pm_card_threeDSecure*` ids; create a
//!   card payment method with number 4000002500003155 ([`CARD_3DS`]), also
//!   4000000000003220, 4000002760003184, 4000000000003063
//!   (`POST /v1/payment_methods` `type=card&card[number]=..&card[exp_month]=12&
//!   card[exp_year]=2030&card[cvc]=123`). Confirm then gives `requires_action`
//!   (`next_action.type = use_stripe_sdk`). The browser's answer is
//!   `POST /v1/payment_intents/{id}/_authenticate?success=true|false` with form
//!   `key=pk_...&client_secret=...` (401 without `key` or with a wrong secret;
//!   400 unless `requires_action`). Success: charged, `succeeded`. Failure:
//!   `requires_payment_method`, `payment_method` null, `last_payment_error.code
//!   = payment_intent_authentication_failure`, no event; the same intent can
//!   then be paid with another card. 4000008260003178 authenticates, then is
//!   declined (402).
//! - Webhooks, (d): `POST /_config/webhooks/{id}` with form `url`, `secret`
//!   and optionally `events[]=type` (repeat), no key needed; 400 unless `url`
//!   starts with `http`. Registrations are global to the server, replaced by
//!   id, never removed (flushing `DELETE /_config/data` keeps them): give each
//!   test a fixed id of its own, so a re-run replaces its old registration. About one second after the event, localstripe POSTs the event
//!   JSON (indented, keys sorted, no trailing newline) with headers
//!   `Content-Type: application/json; charset=utf-8` and `Stripe-Signature:
//!   t=<event.created>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, User-Agent
//!   `Python/3.x aiohttp/3.x`. The event has `api_version: 2017-08-15`,
//!   `data.object` is the whole intent, and no `pending_webhooks`/`request`.
//!   Events come for `payment_intent.succeeded` and `.payment_failed`; none for
//!   creation, cancel, refunds or 3-D Secure failure. No retries on failure.
//! - Refunds, (e): `POST /v1/refunds` with `payment_intent` and optional
//!   `amount` (default: the whole charge). Answer: `{"id": "re_..", "object":
//!   "refund", "amount": 300, "currency": "eur", "status": "succeeded",
//!   "payment_intent": "pi_..", "charge": "ch_..", "balance_transaction":
//!   "txn_..", "metadata": {}, "created": .., "date": ..}`, always
//!   `succeeded` at once. Over-refunds are accepted (Stripe refuses them).
//!   Refunding an intent in `requires_payment_method` (declined, or never
//!   paid): 400 "Cannot refund a failed payment."; one with a payment method
//!   but no charge (`requires_confirmation`, or canceled before paying): 500.
//!   The charge's `amount_refunded`/`refunded` follow. `Idempotency-Key` is
//!   ignored everywhere: the same key twice makes two refunds (or intents).
//! - Cancel, (f): `POST /v1/payment_intents/{id}/cancel` (no parameters;
//!   `cancellation_reason` is refused with 400) from `requires_payment_method`,
//!   `requires_confirmation`, `requires_action` or `requires_capture`; a
//!   canceled or succeeded intent answers 400 `{"error": {"message": "Bad
//!   request", "type": "invalid_request_error"}}` without a code; unknown id
//!   404. No `payment_intent.canceled` event.
//! - Errors are `{"error": {"message", "type": "invalid_request_error"}}`
//!   (plus `code`, `charge` for declines); unknown parameters answer 400
//!   "Unexpected <name>".

// Each test uses a different part of this module.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Any `sk_` key opens localstripe; this one names the tests in its logs.
pub const SECRET_KEY: &str = "sk_test_tameio_localstripe";
/// What the browser would hold; localstripe only checks the `pk_` prefix.
pub const PUBLISHABLE_KEY: &str = "pk_test_tameio_localstripe";

/// Paid at once.
pub const PM_VISA: &str = "pm_card_visa";
/// Declined when charged (card 4000000000000341).
pub const PM_DECLINED: &str = "pm_card_chargeCustomerFail";
/// Asks for 3-D Secure; make a payment method of it with [`create_card`].
pub const CARD_3DS: &str = "4000002500003155";
/// Asks for 3-D Secure, then is declined after a successful authentication.
pub const CARD_3DS_THEN_DECLINED: &str = "4000008260003178";

/// A running localstripe, if the environment names one.
pub struct LocalStripe {
    base: String,
}

impl LocalStripe {
    /// `TAMEIO_TEST_LOCALSTRIPE_URL`, e.g. `http://127.0.0.1:8420`; `None` if
    /// unset or empty, and the test should skip.
    pub fn from_env() -> Option<LocalStripe> {
        let base = std::env::var("TAMEIO_TEST_LOCALSTRIPE_URL").ok()?;
        let base = base.trim().trim_end_matches('/');
        (!base.is_empty()).then(|| LocalStripe { base: base.to_owned() })
    }

    pub fn base(&self) -> &str {
        &self.base
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("an HTTP client")
}

async fn json_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("a localstripe answer");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("localstripe answered {status} with non-JSON: {text}"));
    (status, body)
}

/// The intent as Stripe has it (read with the secret key).
pub async fn retrieve_intent(base: &str, intent_id: &str) -> Value {
    let resp = http()
        .get(format!("{base}/v1/payment_intents/{intent_id}"))
        .bearer_auth(SECRET_KEY)
        .send()
        .await
        .expect("localstripe reachable");
    let (status, body) = json_of(resp).await;
    assert_eq!(status, 200, "retrieve {intent_id}: {body}");
    body
}

/// Stripe.js's `confirmCardPayment(client_secret, {payment_method})`, with
/// its result: `{"paymentIntent": intent}` when confirmed (`succeeded`, or
/// `requires_action` for 3-D Secure: then call [`authenticate_3ds`]), or
/// `{"error": {"code", "message", "type", "payment_intent": intent}}` when
/// declined or when the intent cannot be paid in its state.
pub async fn pay_with(base: &str, intent_id: &str, client_secret: &str, payment_method: &str) -> Value {
    let intent = retrieve_intent(base, intent_id).await;
    assert_eq!(intent["client_secret"].as_str(), Some(client_secret), "the client secret is not {intent_id}'s");
    let status = intent["status"].as_str().unwrap_or_default();
    if !matches!(status, "requires_payment_method" | "requires_confirmation") {
        return unexpected_state(intent);
    }
    set_payment_method(base, intent_id, payment_method, &intent).await;
    let resp = http()
        .post(format!("{base}/v1/payment_intents/{intent_id}/confirm"))
        .bearer_auth(SECRET_KEY)
        .send()
        .await
        .expect("localstripe reachable");
    stripe_js_result(base, intent_id, resp).await
}

/// Sets the payment method for the next attempt. After a failed charge,
/// localstripe also needs `latest_charge` cleared to accept a new attempt
/// (see the module notes, (b)); Stripe does that by itself.
async fn set_payment_method(base: &str, intent_id: &str, payment_method: &str, intent: &Value) {
    let mut update = json!({ "payment_method": payment_method });
    if intent["latest_charge"]["status"] == "failed" {
        update["latest_charge"] = Value::Null;
    }
    let resp = http()
        .post(format!("{base}/v1/payment_intents/{intent_id}"))
        .bearer_auth(SECRET_KEY)
        .json(&update)
        .send()
        .await
        .expect("localstripe reachable");
    let (status, body) = json_of(resp).await;
    assert_eq!(status, 200, "update {intent_id} with {payment_method}: {body}");
}

/// The payer's answer to the 3-D Secure challenge, as Stripe.js sends it:
/// publishable key and client secret only. Result shaped as [`pay_with`]'s; a
/// failed authentication is an error with code
/// `payment_intent_authentication_failure`.
pub async fn authenticate_3ds(base: &str, intent_id: &str, client_secret: &str, success: bool) -> Value {
    let resp = http()
        .post(format!("{base}/v1/payment_intents/{intent_id}/_authenticate"))
        .query(&[("success", if success { "true" } else { "false" })])
        .form(&[("key", PUBLISHABLE_KEY), ("client_secret", client_secret)])
        .send()
        .await
        .expect("localstripe reachable");
    let result = stripe_js_result(base, intent_id, resp).await;
    let failure = &result["paymentIntent"]["last_payment_error"];
    if failure["code"] == "payment_intent_authentication_failure" {
        // localstripe answers 200; Stripe.js reports it as an error.
        let mut error = failure.clone();
        error["type"] = json!("card_error");
        error["payment_intent"] = result["paymentIntent"].clone();
        return json!({ "error": error });
    }
    result
}

async fn stripe_js_result(base: &str, intent_id: &str, resp: reqwest::Response) -> Value {
    let (status, body) = json_of(resp).await;
    if status == 200 {
        return json!({ "paymentIntent": body });
    }
    let mut error = body["error"].clone();
    assert!(error.is_object(), "localstripe answered {status}: {body}");
    error["payment_intent"] = retrieve_intent(base, intent_id).await;
    json!({ "error": error })
}

fn unexpected_state(intent: Value) -> Value {
    let message = format!(
        "This PaymentIntent's status is {}: it cannot be confirmed.",
        intent["status"].as_str().unwrap_or("unknown")
    );
    json!({ "error": {
        "type": "invalid_request_error",
        "code": "payment_intent_unexpected_state",
        "message": message,
        "payment_intent": intent,
    }})
}

/// A card payment method (what Stripe.js makes from the card form); for the
/// test cards localstripe has no `pm_card_*` id for, such as [`CARD_3DS`].
pub async fn create_card(base: &str, number: &str) -> String {
    let resp = http()
        .post(format!("{base}/v1/payment_methods"))
        .bearer_auth(SECRET_KEY)
        .form(&[
            ("type", "card"),
            ("card[number]", number),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2030"),
            ("card[cvc]", "123"),
        ])
        .send()
        .await
        .expect("localstripe reachable");
    let (status, body) = json_of(resp).await;
    assert_eq!(status, 200, "card {number}: {body}");
    body["id"].as_str().expect("a payment method id").to_owned()
}

/// Sends every event to `url`, signed with `secret` (localstripe's own
/// configuration endpoint; Stripe's `/v1/webhook_endpoints` does not exist
/// there). Registering the same `id` again replaces it.
pub async fn register_webhook(base: &str, id: &str, url: &str, secret: &str) {
    register_webhook_for(base, id, url, secret, &[]).await
}

/// As [`register_webhook`], for the given event types only (all if empty).
pub async fn register_webhook_for(base: &str, id: &str, url: &str, secret: &str, events: &[&str]) {
    let mut form = vec![("url", url), ("secret", secret)];
    form.extend(events.iter().map(|e| ("events[]", *e)));
    let resp =
        http().post(format!("{base}/_config/webhooks/{id}")).form(&form).send().await.expect("localstripe reachable");
    assert!(resp.status().is_success(), "webhook {id}: {}", resp.status());
}

/// One webhook delivery as it arrived.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Delivery {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON event")
    }
}

/// A listener on 127.0.0.1 that answers 200 to every POST and keeps what
/// came, for tests that check what localstripe sends. Stops when dropped.
pub struct WebhookSink {
    url: String,
    received: mpsc::UnboundedReceiver<Delivery>,
    server: JoinHandle<()>,
}

impl WebhookSink {
    pub async fn start() -> WebhookSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a local port");
        let url = format!("http://{}/webhook", listener.local_addr().expect("its address"));
        let (tx, received) = mpsc::unbounded_channel();
        let server = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                if let Some(delivery) = read_delivery(conn).await {
                    let _ = tx.send(delivery);
                }
            }
        });
        WebhookSink { url, received, server }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The next delivery of type `event_type`, skipping others; `None` if
    /// none came within `wait` (localstripe sends about a second after).
    pub async fn next_of_type(&mut self, event_type: &str, wait: Duration) -> Option<Delivery> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let delivery = tokio::time::timeout_at(deadline, self.received.recv()).await.ok()??;
            if delivery.json()["type"] == event_type {
                return Some(delivery);
            }
        }
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Reads one HTTP/1.1 request (headers, then Content-Length bytes) and
/// answers 200. Enough for localstripe's aiohttp client, nothing more.
async fn read_delivery(mut conn: tokio::net::TcpStream) -> Option<Delivery> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 1 << 20 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[header_end + 4..].to_vec();
    while body.len() < length {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let _ = conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
    Some(Delivery { headers, body: String::from_utf8(body).ok()? })
}
