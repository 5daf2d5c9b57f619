//! Stripe as the card provider: PaymentIntents and Refunds.
//!
//! The HTTP side (TLS, the `Authorization` and `Stripe-Version` headers,
//! `Idempotency-Key`, timeouts) is async-stripe's client. The typed models of
//! async-stripe are not used: they require every field Stripe documents for
//! its pinned API version, so a response that lacks one (localstripe answers
//! in API version 2017-08-15; Stripe itself adds and moves fields between
//! versions) fails to parse as a whole. Requests are therefore built with
//! async-stripe's generic `RequestBuilder` and answers read into the small
//! private `Wire*` structs below, which hold only what `provider.rs` asks for.
//! Fields missing from an answer are an error only if we need them; extra
//! fields are ignored.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use miniserde::json::Value;
use serde::Serialize;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError};
use stripe_client_core::{RequestBuilder, StripeMethod};
use uuid::Uuid;

use crate::collect::provider::{Intent, IntentStatus, NewIntent, ProviderError, Refund, RefundStatus};
use crate::domain::money::Cents;

/// One HTTP attempt, answer included. async-stripe has no timeout by default,
/// and a request that hangs would hold a payment (and its caller) forever.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// The payment method types Tameio offers: cards only.
const CARD_ONLY: [&str; 1] = ["card"];

/// What async-stripe says when a non-2xx answer is not a Stripe error object
/// (its `StripeError::JSONDeserialize` then carries no status code).
const NOT_A_STRIPE_ERROR: &str = "error deserializing Stripe error";

/// Where Stripe is and how to sign in. `api_base` is `https://api.stripe.com`
/// in production, or a local fake in tests.
#[derive(Clone)]
pub struct StripeConfig {
    pub api_base: String,
    pub secret_key: String,
}

// By hand, so that the secret key never reaches a log.
impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig").field("api_base", &self.api_base).finish_non_exhaustive()
    }
}

/// A Stripe client. Cheap to clone: clones share one connection setup.
#[derive(Clone)]
pub struct StripeClient {
    http: Client,
    api_base: String,
}

// By hand: the inner client holds the secret key (async-stripe marks it
// sensitive, but what we print should not depend on that).
impl fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeClient").field("api_base", &self.api_base).finish_non_exhaustive()
    }
}

impl StripeClient {
    pub fn new(cfg: &StripeConfig) -> Result<StripeClient, ProviderError> {
        let api_base = checked_api_base(&cfg.api_base)?;
        if cfg.secret_key.trim().is_empty() {
            return Err(config_error("the Stripe secret key is empty"));
        }
        install_crypto_provider();
        let http = ClientBuilder::new(cfg.secret_key.clone())
            .url(api_base.clone())
            .timeout(ATTEMPT_TIMEOUT)
            .app_info("tameio", Some(env!("CARGO_PKG_VERSION").to_owned()), None)
            .build()
            // async-stripe's configuration errors name the setting, never its value.
            .map_err(|e| config_error(&e.to_string()))?;
        Ok(StripeClient { http, api_base })
    }

    /// Creates a card-only PaymentIntent. The payment id is the idempotency
    /// key, so a retry after a lost answer returns the same intent.
    pub async fn create_intent(&self, req: &NewIntent) -> Result<Intent, ProviderError> {
        let form = CreateIntentForm {
            amount: req.amount.get(),
            currency: req.currency.to_ascii_lowercase(),
            allowed_payment_method_types: CARD_ONLY,
            metadata: IntentMetadata {
                tameio_tenant: req.tenant_id.to_string(),
                tameio_payment: req.payment_id.to_string(),
            },
        };
        let request = RequestBuilder::new(StripeMethod::Post, "/payment_intents").form(&form);
        self.send_intent(request, idempotent(req.payment_id)).await
    }

    pub async fn retrieve_intent(&self, id: &str) -> Result<Intent, ProviderError> {
        let path = format!("/payment_intents/{}", checked_id(id)?);
        self.send_intent(RequestBuilder::new(StripeMethod::Get, path), RequestStrategy::Once).await
    }

    /// Cancels an intent. One that is already canceled or has succeeded is
    /// returned as it is (Stripe answers 400 to canceling it): the caller
    /// reads the status to know which.
    pub async fn cancel_intent(&self, id: &str) -> Result<Intent, ProviderError> {
        let path = format!("/payment_intents/{}/cancel", checked_id(id)?);
        let request = RequestBuilder::new(StripeMethod::Post, path);
        match self.send_intent(request, RequestStrategy::Once).await {
            Ok(intent) => Ok(intent),
            Err(ProviderError::NotFound) => Err(ProviderError::NotFound),
            Err(other) => self.settled_or(id, other).await,
        }
    }

    /// Refunds `amount` of an intent's charge. `idempotency_key` is the
    /// caller's id for this refund, so a retry does not refund twice.
    pub async fn create_refund(
        &self,
        idempotency_key: Uuid,
        intent_id: &str,
        amount: Cents,
    ) -> Result<Refund, ProviderError> {
        let form = CreateRefundForm { payment_intent: checked_id(intent_id)?, amount: amount.get() };
        let request = RequestBuilder::new(StripeMethod::Post, "/refunds").form(&form);
        self.send_refund(request, idempotent(idempotency_key)).await
    }

    /// After a failed cancel: the intent if it is already canceled or
    /// succeeded, else the cancel's own error. The error is not trusted to say
    /// which (localstripe answers a bare 400; a Stripe error that embeds an
    /// intent async-stripe cannot parse arrives without its status).
    async fn settled_or(&self, id: &str, cancel_error: ProviderError) -> Result<Intent, ProviderError> {
        match self.retrieve_intent(id).await {
            Ok(intent) if matches!(intent.status, IntentStatus::Canceled | IntentStatus::Succeeded) => Ok(intent),
            _ => Err(cancel_error),
        }
    }

    async fn send_intent(&self, request: RequestBuilder, strategy: RequestStrategy) -> Result<Intent, ProviderError> {
        let wire: WireIntent =
            request.customize().request_strategy(strategy).send(&self.http).await.map_err(provider_error)?;
        wire.into_intent()
    }

    async fn send_refund(&self, request: RequestBuilder, strategy: RequestStrategy) -> Result<Refund, ProviderError> {
        let wire: WireRefund =
            request.customize().request_strategy(strategy).send(&self.http).await.map_err(provider_error)?;
        wire.into_refund()
    }
}

fn idempotent(key: Uuid) -> RequestStrategy {
    RequestStrategy::Idempotent(IdempotencyKey::from(key))
}

/// The API base as async-stripe wants it: it appends `v1/...` to the URL as
/// written, so the URL must end in a slash. Plain http is accepted for
/// loopback only: anywhere else it would send the secret key in clear text.
/// No `user@` part, which would make the host something else than it seems.
fn checked_api_base(raw: &str) -> Result<String, ProviderError> {
    let base = if raw.ends_with('/') { raw.to_owned() } else { format!("{raw}/") };
    let loopback = [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
        "http://localhost/",
        "http://[::1]:",
        "http://[::1]/",
    ];
    let allowed_scheme = base.starts_with("https://") || loopback.iter().any(|p| base.starts_with(p));
    if allowed_scheme && !base.contains('@') {
        Ok(base)
    } else {
        Err(config_error("the Stripe API base must be an https URL (or http on loopback)"))
    }
}

/// Object ids go into the URL path: anything but Stripe's id alphabet could
/// change which resource is addressed, and cannot name an object anyway.
fn checked_id(id: &str) -> Result<&str, ProviderError> {
    let well_formed = !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if well_formed { Ok(id) } else { Err(ProviderError::NotFound) }
}

fn config_error(why: &str) -> ProviderError {
    ProviderError::Unavailable(format!("the Stripe client could not be set up: {why}"))
}

/// rustls panics when building a TLS config if the dependency tree enables
/// two crypto providers and none was chosen; choose ring (the one our
/// async-stripe features select) unless the process already chose one.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An error here means another thread installed one first: fine too.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Sorts a failed request into what the payment flow can act on.
fn provider_error(err: StripeError) -> ProviderError {
    match err {
        StripeError::Stripe(api, status) => {
            let code = api.code.map(|c| c.as_str().to_owned()).unwrap_or_else(|| api.type_.as_str().to_owned());
            from_status(status, code, api.message.unwrap_or_default())
        }
        StripeError::ClientError(why) => ProviderError::Unavailable(why),
        StripeError::Timeout => ProviderError::Unavailable(format!("no answer within {}s", ATTEMPT_TIMEOUT.as_secs())),
        // A failed answer that is not a Stripe error object comes from
        // something between us and Stripe (a proxy's 502 page): retry later.
        StripeError::JSONDeserialize(why) if why == NOT_A_STRIPE_ERROR => {
            ProviderError::Unavailable("an error answer that is not Stripe's".to_owned())
        }
        StripeError::JSONDeserialize(why) => ProviderError::BadResponse(why),
        StripeError::ConfigError(why) => config_error(&why),
    }
}

fn from_status(status: u16, code: String, message: String) -> ProviderError {
    match status {
        404 => ProviderError::NotFound,
        // 409: a request with the same idempotency key is still running; 429:
        // rate limited. Stripe documents both as "retry later".
        409 | 429 | 500..=599 => ProviderError::Unavailable(format!("HTTP {status}: {code}: {message}")),
        400..=499 => ProviderError::Refused { status, code, message },
        _ => ProviderError::BadResponse(format!("HTTP {status}: {code}: {message}")),
    }
}

#[derive(Serialize)]
struct CreateIntentForm {
    amount: i64,
    currency: String,
    /// Card only. Not `payment_method_types`: async-stripe 1.0.0-rc.10 pins
    /// API version 2026-09-30.endive, where Stripe answers that parameter with
    /// 400 `payment_method_types_no_longer_supported`.
    allowed_payment_method_types: [&'static str; 1],
    metadata: IntentMetadata,
}

#[derive(Serialize)]
struct IntentMetadata {
    tameio_tenant: String,
    tameio_payment: String,
}

#[derive(Serialize)]
struct CreateRefundForm<'a> {
    payment_intent: &'a str,
    amount: i64,
}

/// The fields of a PaymentIntent that Tameio reads. No `Debug`: it holds the
/// client secret.
#[derive(miniserde::Deserialize)]
struct WireIntent {
    id: String,
    status: String,
    amount: i64,
    currency: String,
    client_secret: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    last_payment_error: Option<WireLastError>,
    /// An id, or the expanded Charge (localstripe always expands it).
    latest_charge: Option<Value>,
}

#[derive(miniserde::Deserialize)]
struct WireLastError {
    code: Option<String>,
    decline_code: Option<String>,
}

#[derive(miniserde::Deserialize)]
struct WireRefund {
    id: String,
    status: Option<String>,
    amount: i64,
    payment_intent: Option<String>,
}

impl WireIntent {
    fn into_intent(self) -> Result<Intent, ProviderError> {
        let status = IntentStatus::parse(&self.status)
            .ok_or_else(|| ProviderError::BadResponse(format!("unknown PaymentIntent status {:?}", self.status)))?;
        Ok(Intent {
            latest_charge: charge_id(self.latest_charge)?,
            id: self.id,
            status,
            amount: Cents::new(self.amount),
            currency: self.currency,
            client_secret: self.client_secret,
            metadata: self.metadata.unwrap_or_default(),
            // The issuer's reason where there is one, else Stripe's own code.
            last_error_code: self.last_payment_error.and_then(|e| e.decline_code.or(e.code)),
        })
    }
}

impl WireRefund {
    fn into_refund(self) -> Result<Refund, ProviderError> {
        // Stripe documents `status` as nullable: a refund without one has no
        // outcome yet.
        let status = match self.status.as_deref() {
            None => RefundStatus::Pending,
            Some(s) => RefundStatus::parse(s)
                .ok_or_else(|| ProviderError::BadResponse(format!("unknown Refund status {s:?}")))?,
        };
        Ok(Refund { id: self.id, status, amount: Cents::new(self.amount), payment_intent: self.payment_intent })
    }
}

/// `latest_charge` is a charge id, or the Charge itself when expanded.
fn charge_id(latest_charge: Option<Value>) -> Result<Option<String>, ProviderError> {
    match latest_charge {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(id)) => Ok(Some(id)),
        Some(Value::Object(charge)) => match charge.get("id") {
            Some(Value::String(id)) => Ok(Some(id.clone())),
            _ => Err(ProviderError::BadResponse("latest_charge has no id".to_owned())),
        },
        Some(_) => Err(ProviderError::BadResponse("latest_charge is neither an id nor a Charge".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    fn intent_json(latest_charge: &str) -> String {
        format!(
            r#"{{"id":"pi_1","object":"payment_intent","status":"requires_payment_method",
            "amount":1250,"currency":"eur","client_secret":"pi_1_secret_x",
            "metadata":{{"tameio_payment":"p"}},"latest_charge":{latest_charge},
            "last_payment_error":{{"code":"card_declined","decline_code":"insufficient_funds"}},
            "some_new_field":{{"nested":[1,2,3]}}}}"#
        )
    }

    fn parse_intent(json: &str) -> Intent {
        miniserde::json::from_str::<WireIntent>(json).unwrap().into_intent().unwrap()
    }

    #[test]
    fn latest_charge_as_id_expanded_or_absent() {
        assert_eq!(parse_intent(&intent_json(r#""ch_1""#)).latest_charge.as_deref(), Some("ch_1"));
        let expanded = intent_json(r#"{"id":"ch_2","object":"charge","billing_details":{}}"#);
        assert_eq!(parse_intent(&expanded).latest_charge.as_deref(), Some("ch_2"));
        assert_eq!(parse_intent(&intent_json("null")).latest_charge, None);
    }

    #[test]
    fn reads_only_what_tameio_needs() {
        let intent = parse_intent(&intent_json("null"));
        assert_eq!(intent.status, IntentStatus::RequiresPaymentMethod);
        assert_eq!(intent.amount, Cents::new(1250));
        assert_eq!(intent.last_error_code.as_deref(), Some("insufficient_funds"));
        assert_eq!(intent.metadata.get("tameio_payment").map(String::as_str), Some("p"));
        // Absent optional fields are fine.
        let bare = r#"{"id":"pi_2","status":"succeeded","amount":1,"currency":"eur"}"#;
        assert_eq!(parse_intent(bare).client_secret, None);
    }

    #[test]
    fn unknown_status_is_a_bad_response() {
        let json = r#"{"id":"pi_2","status":"exploded","amount":1,"currency":"eur"}"#;
        let wire = miniserde::json::from_str::<WireIntent>(json).unwrap();
        assert!(matches!(wire.into_intent(), Err(ProviderError::BadResponse(_))));
    }

    #[test]
    fn form_is_what_stripe_expects() {
        let form = CreateIntentForm {
            amount: 1250,
            currency: "eur".to_owned(),
            allowed_payment_method_types: CARD_ONLY,
            metadata: IntentMetadata { tameio_tenant: "t".to_owned(), tameio_payment: "p".to_owned() },
        };
        let body = RequestBuilder::new(StripeMethod::Post, "/x").form(&form).body.unwrap();
        assert_eq!(
            body,
            "amount=1250&currency=eur&allowed_payment_method_types[0]=card\
             &metadata[tameio_tenant]=t&metadata[tameio_payment]=p"
        );
    }

    #[test]
    fn api_base_and_ids_are_checked() {
        assert_eq!(checked_api_base("https://api.stripe.com").unwrap(), "https://api.stripe.com/");
        assert_eq!(checked_api_base("http://127.0.0.1:8420").unwrap(), "http://127.0.0.1:8420/");
        assert!(checked_api_base("http://stripe.example.com").is_err());
        assert!(checked_api_base("http://127.0.0.1.evil.example").is_err());
        assert!(checked_api_base("http://127.0.0.1:80@evil.example").is_err());
        assert!(checked_id("pi_3Abc").is_ok());
        for bad in ["", "pi_1/cancel", "../refunds", "pi 1", "pi_1?x=1"] {
            assert!(matches!(checked_id(bad), Err(ProviderError::NotFound)), "{bad}");
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let cfg =
            StripeConfig { api_base: "http://127.0.0.1:9".to_owned(), secret_key: "sk_test_do_not_print".to_owned() };
        let client = StripeClient::new(&cfg).unwrap();
        assert!(!format!("{cfg:?}{client:?}").contains("do_not_print"));
        fn shareable<T: Clone + Send + Sync>(_: &T) {}
        shareable(&client);
    }

    /// Serves one canned HTTP answer per connection, forever; hands over
    /// the start of each request it got.
    async fn canned_with_requests(
        status: u16,
        content_type: &str,
        body: &'static str,
    ) -> (StripeClient, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let _ = tx.send(read_request(&mut conn).await);
                let _ = conn.write_all(head.as_bytes()).await;
                let _ = conn.write_all(body.as_bytes()).await;
            }
        });
        let client = StripeClient::new(&StripeConfig { api_base: base, secret_key: "sk_test_x".to_owned() }).unwrap();
        (client, rx)
    }

    /// The request's head and its Content-Length bytes of body.
    async fn read_request(conn: &mut tokio::net::TcpStream) -> String {
        let mut got = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    return text;
                }
            }
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return String::from_utf8_lossy(&got).into_owned(),
                Ok(n) => got.extend_from_slice(&chunk[..n]),
            }
        }
    }

    async fn canned(status: u16, content_type: &str, body: &'static str) -> StripeClient {
        canned_with_requests(status, content_type, body).await.0
    }

    const NOT_FOUND: &str =
        r#"{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such payment_intent"}}"#;
    const REFUSED: &str = r#"{"error":{"type":"invalid_request_error","code":"parameter_unknown","message":"Received unknown parameter: x"}}"#;

    #[tokio::test]
    async fn http_errors_are_sorted() {
        let err = canned(404, "application/json", NOT_FOUND).await.retrieve_intent("pi_1").await;
        assert!(matches!(err, Err(ProviderError::NotFound)), "{err:?}");

        let err = canned(400, "application/json", REFUSED).await.retrieve_intent("pi_1").await;
        match err {
            Err(ProviderError::Refused { status: 400, code, .. }) => assert_eq!(code, "parameter_unknown"),
            other => panic!("{other:?}"),
        }

        for status in [429, 500, 503] {
            let err = canned(status, "application/json", REFUSED).await.retrieve_intent("pi_1").await;
            assert!(matches!(err, Err(ProviderError::Unavailable(_))), "{status}: {err:?}");
        }

        let proxy_page = canned(502, "text/html", "<html>Bad Gateway</html>").await;
        let err = proxy_page.retrieve_intent("pi_1").await;
        assert!(matches!(err, Err(ProviderError::Unavailable(_))), "{err:?}");

        let garbage = canned(200, "application/json", r#"{"id":"pi_1"}"#).await;
        let err = garbage.retrieve_intent("pi_1").await;
        assert!(matches!(err, Err(ProviderError::BadResponse(_))), "{err:?}");
    }

    #[tokio::test]
    async fn nobody_listening_is_unavailable() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let client = StripeClient::new(&StripeConfig { api_base: base, secret_key: "sk_test_x".to_owned() }).unwrap();
        let err = client.retrieve_intent("pi_1").await;
        assert!(matches!(err, Err(ProviderError::Unavailable(_))), "{err:?}");
    }

    #[tokio::test]
    async fn create_sends_the_idempotency_key_and_a_form() {
        let answer = r#"{"id":"pi_1","status":"requires_payment_method","amount":1250,"currency":"eur"}"#;
        let (client, mut requests) = canned_with_requests(200, "application/json", answer).await;
        let req = NewIntent {
            tenant_id: Uuid::new_v4(),
            payment_id: Uuid::new_v4(),
            amount: Cents::new(1250),
            currency: "EUR".to_owned(),
        };
        client.create_intent(&req).await.unwrap();
        let sent = requests.recv().await.unwrap().to_ascii_lowercase();
        assert!(sent.starts_with("post /v1/payment_intents http/1.1\r\n"), "{sent}");
        assert!(sent.contains(&format!("\r\nidempotency-key: {}\r\n", req.payment_id)), "{sent}");
        assert!(sent.contains("\r\nauthorization: bearer sk_test_x\r\n"), "{sent}");
        assert!(sent.contains("\r\ncontent-type: application/x-www-form-urlencoded\r\n"), "{sent}");
        assert!(sent.contains("\r\nstripe-version: "), "{sent}");
        assert!(sent.ends_with(&format!(
            "amount=1250&currency=eur&allowed_payment_method_types[0]=card&metadata[tameio_tenant]={}&metadata[tameio_payment]={}",
            req.tenant_id, req.payment_id
        )), "{sent}");

        client.retrieve_intent("pi_1").await.unwrap();
        let sent = requests.recv().await.unwrap().to_ascii_lowercase();
        assert!(sent.starts_with("get /v1/payment_intents/pi_1 http/1.1\r\n"), "{sent}");
        assert!(!sent.contains("idempotency-key"), "{sent}");
    }
}
