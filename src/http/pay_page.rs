//! The citizen's card payment pages: the quote with its allocation preview,
//! Pay, the provider's step (the sandbox's buttons or the card element), and
//! the return page, which shows only what the server knows from the provider,
//! never what the browser's redirect claims.
//!
//! `/pay/<tenant>.<token>`: the token (256 random bits, redacted from logs)
//! names one quote.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

use super::page::{PageError, check_csrf, eur, lang_code, lang_of, render, set_cookie, t, tenant_link};
use super::rate_limit::Limit;
use crate::app::AppState;
use crate::collect::card::{self, CardError};
use crate::collect::provider::{Intent, IntentStatus};
use crate::collect::providers::CardProvider;
use crate::collect::sandbox::SandboxAction;
use crate::domain::lang::Lang;
use crate::domain::money::Cents;
use crate::domain::payment_state::{PaymentEvent, PaymentState};
use crate::domain::secret;
use crate::domain::tenant::{Tenant, TenantMode};
use crate::error::AppError;
use crate::store::card_payments::CardPayment;
use crate::store::quotes::QuoteRecord;
use crate::store::{Conn, card_payments, debts, receipts, tenants};

const CSRF_COOKIE: &str = "tameio_pay_csrf";

/// Views of one payment page per minute: far more than a person reloads.
const VIEWS_PER_MINUTE: u32 = 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pay/{link}", get(page))
        .route("/pay/{link}/return", get(page))
        .route("/pay/{link}/start", post(start))
        .route("/pay/{link}/sandbox", post(sandbox))
        .route("/static/card.js", get(card_script))
}

async fn card_script() -> Response {
    use axum::response::IntoResponse;
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/card.js"),
    )
        .into_response()
}

/// The origin (scheme, host, port) of a URL, for a CSP source.
fn origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(u.origin().ascii_serialization()).filter(|o| o != "null")
}

/// The card step loads Stripe.js, which talks to Stripe's API and shows the
/// card field in its own frame: only this page allows those origins.
fn card_csp(provider: &CardProvider) -> Option<axum::http::HeaderValue> {
    let js = origin(&provider.js_url()?)?;
    let api = provider.api_base().and_then(|a| origin(&a)).unwrap_or_else(|| "https://api.stripe.com".into());
    let csp = format!(
        "default-src 'self'; img-src 'self' data: https://*.stripe.com; style-src 'self' 'unsafe-inline'; \
         script-src 'self' {js}; frame-src {js} https://hooks.stripe.com; connect-src 'self' {api} {js}; \
         frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    );
    axum::http::HeaderValue::from_str(&csp).ok()
}

struct Texts {
    title: &'static str,
    test_mode: &'static str,
    caption: &'static str,
    due: &'static str,
    principal: &'static str,
    surcharges: &'static str,
    amount: &'static str,
    valid_until: &'static str,
    pay: &'static str,
    sandbox_heading: &'static str,
    sandbox_hint: &'static str,
    succeed: &'static str,
    decline: &'static str,
    require_3ds: &'static str,
    pass_3ds: &'static str,
    fail_3ds: &'static str,
    card_heading: &'static str,
    pending: &'static str,
    refresh: &'static str,
    paid: &'static str,
    receipt: &'static str,
    closed: &'static str,
    again: &'static str,
}

fn texts(lang: Lang) -> Texts {
    Texts {
        title: t(lang, "Πληρωμή με κάρτα", "Pay by card"),
        test_mode: t(
            lang,
            "ΔΟΚΙΜΑΣΤΙΚΗ ΛΕΙΤΟΥΡΓΙΑ: καμία πραγματική χρέωση δεν γίνεται.",
            "TEST MODE: no real card is charged.",
        ),
        caption: t(lang, "Τι πληρώνετε σε κάθε οφειλή", "What this payment covers on each debt"),
        due: t(lang, "Οφειλόμενο σήμερα", "Due today"),
        principal: t(lang, "Κεφάλαιο", "Principal"),
        surcharges: t(lang, "Προσαυξήσεις", "Surcharges"),
        amount: t(lang, "Ποσό πληρωμής", "Amount to pay"),
        valid_until: t(lang, "Τα ποσά ισχύουν έως", "These amounts hold until"),
        pay: t(lang, "Πληρωμή", "Pay"),
        sandbox_heading: t(lang, "Δοκιμαστική κάρτα", "Test card"),
        sandbox_hint: t(
            lang,
            "Επιλέξτε τι θα απαντήσει ο πάροχος πληρωμών.",
            "Choose what the payment provider answers.",
        ),
        succeed: t(lang, "Επιτυχία", "Succeed"),
        decline: t(lang, "Απόρριψη", "Decline"),
        require_3ds: t(lang, "Απαίτηση 3-D Secure", "Require 3-D Secure"),
        pass_3ds: t(lang, "Επιτυχής ταυτοποίηση 3-D Secure", "Pass 3-D Secure"),
        fail_3ds: t(lang, "Αποτυχία ταυτοποίησης 3-D Secure", "Fail 3-D Secure"),
        card_heading: t(lang, "Στοιχεία κάρτας", "Card details"),
        pending: t(
            lang,
            "Η πληρωμή δεν έχει επιβεβαιωθεί ακόμη από τον πάροχο. Η σελίδα θα δείξει το αποτέλεσμα μόλις επιβεβαιωθεί.",
            "The provider has not confirmed the payment yet. This page shows the outcome once it does.",
        ),
        refresh: t(lang, "Ανανέωση", "Refresh"),
        paid: t(lang, "Η πληρωμή ολοκληρώθηκε.", "The payment is complete."),
        receipt: t(lang, "Διπλότυπο είσπραξης", "Receipt"),
        closed: t(
            lang,
            "Η προσφορά έληξε ή ακυρώθηκε. Δεν έγινε χρέωση.",
            "This quote expired or was canceled. Nothing was charged.",
        ),
        again: t(lang, "Νέα αναζήτηση", "Look up again"),
    }
}

struct LineView {
    rf: String,
    due: String,
    principal: String,
    surcharge: String,
}

enum PayState {
    Quoted,
    Sandbox { waiting_3ds: bool },
    Card { publishable_key: String, client_secret: String, js_url: String },
    Pending,
    Paid { receipt_url: String, receipt_label: String },
    Closed,
}

#[derive(Template)]
#[template(path = "pay.html")]
struct PayPage {
    lang: &'static str,
    tx: Texts,
    test_mode: bool,
    municipality: String,
    error: Option<&'static str>,
    lines: Vec<LineView>,
    amount: String,
    expires: String,
    base: String,
    csrf: String,
    state: PayState,
}

/// The tenant and quote of a link, or the one 404.
async fn resolve(st: &AppState, link: &str) -> Result<(Tenant, QuoteRecord), AppError> {
    let (tenant, token) = tenant_link(link).ok_or(AppError::NotFound)?;
    let tenant = tenants::by_id(&st.db, tenant).await?.ok_or(AppError::NotFound)?;
    let quote = card::quote_by_token(&st.db, &tenant, token).await?;
    Ok((tenant, quote))
}

fn decline_text(lang: Lang, code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "payment_intent_authentication_failure" => t(
            lang,
            "Η ταυτοποίηση 3-D Secure απέτυχε. Δεν έγινε χρέωση· μπορείτε να δοκιμάσετε ξανά.",
            "3-D Secure authentication failed. Nothing was charged; you can try again.",
        ),
        _ => t(
            lang,
            "Η τράπεζα απέρριψε την κάρτα. Δεν έγινε χρέωση· μπορείτε να δοκιμάσετε ξανά ή με άλλη κάρτα.",
            "The bank declined the card. Nothing was charged; try again or use another card.",
        ),
    })
}

async fn page(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Path(link): Path<String>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers, raw.as_deref());
    let fail = |e: AppError| PageError(lang, e);
    // Each view asks the provider: a link reloaded in a loop must not spend
    // the municipality's quota at Stripe.
    let views = Limit { requests: VIEWS_PER_MINUTE, window_s: 60 };
    if !st.limiter.allow(&format!("pay-link:{}", &secret::sha256_hex(&link)[..16]), views, st.clock.now()) {
        return Err(fail(AppError::TooManyRequests));
    }
    let (tenant, quote) = resolve(&st, &link).await.map_err(fail)?;
    let now = st.clock.now();
    let payment = card_payments::by_quote(&st.db, tenant.id, quote.id).await.map_err(|e| fail(e.into()))?;
    let provider = CardProvider::for_tenant(&st.db, &tenant).await.map_err(|e| fail(CardError::from(e).into()))?;
    // Every view asks the provider: the page shows what it confirms, whatever
    // the redirect's query says.
    let payment = match payment {
        Some(p) => Some(sync_for_page(&st, &provider, &tenant, p).await.map_err(fail)?),
        None => None,
    };
    let mut error = None;
    let state = match &payment {
        None if now > quote.expires_at => PayState::Closed,
        None => PayState::Quoted,
        Some((p, intent)) => {
            let (state, code) = payment_state(&st, &provider, &tenant, p, intent.as_ref()).await.map_err(fail)?;
            error = decline_text(lang, code.as_deref());
            state
        }
    };
    let lines = quote_lines(&st, &tenant, &quote).await.map_err(fail)?;
    let csp = if matches!(state, PayState::Card { .. }) { card_csp(&provider) } else { None };
    let csrf = secret::random_token();
    let body = PayPage {
        lang: lang_code(lang),
        tx: texts(lang),
        test_mode: tenant.mode == TenantMode::Test,
        municipality: if lang == Lang::En { tenant.name_en.clone() } else { tenant.name_el.clone() },
        error,
        lines,
        amount: eur(Cents::new(quote.amount_cents)),
        expires: quote.expires_at.with_timezone(&tenant.time_zone).format("%H:%M").to_string(),
        base: format!("/pay/{link}"),
        csrf: csrf.clone(),
        state,
    };
    let mut res = render(StatusCode::OK, &body);
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&st, CSRF_COOKIE, &csrf, 3600));
    if let Some(csp) = csp {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(res)
}

/// A provider that cannot be reached leaves the page on the stored state.
async fn sync_for_page(
    st: &AppState,
    provider: &CardProvider,
    tenant: &Tenant,
    p: CardPayment,
) -> Result<(CardPayment, Option<Intent>), AppError> {
    match card::sync_with_intent(&st.db, provider, tenant, st.clock.now(), p.id).await {
        Ok(synced) => Ok(synced),
        Err(CardError::Provider(e)) => {
            tracing::warn!(payment = %p.id, error = %e, "provider not reachable from the payment page");
            Ok((p, None))
        }
        Err(e) => Err(e.into()),
    }
}

/// What the page offers for a payment, and the last decline to explain.
async fn payment_state(
    st: &AppState,
    provider: &CardProvider,
    tenant: &Tenant,
    p: &CardPayment,
    intent: Option<&Intent>,
) -> Result<(PayState, Option<String>), AppError> {
    let state = PaymentState::parse(&p.status).unwrap_or(PaymentState::Anomaly);
    if state.has_succeeded() {
        let found = receipts::of_payment(Conn::Db(&st.db), tenant.id, p.id).await?;
        let Some(r) = found.into_iter().find(|r| r.kind == "receipt") else { return Ok((PayState::Pending, None)) };
        let receipt_url = format!("/receipts/{}.{}", tenant.id, r.token);
        return Ok((PayState::Paid { receipt_url, receipt_label: r.label() }, None));
    }
    if !state.is_pending() {
        return Ok((PayState::Closed, None));
    }
    // The intent the page's re-check just read: no second call to the provider.
    let Some(intent) = intent else { return Ok((PayState::Pending, None)) };
    let waiting_3ds = intent.status == IntentStatus::RequiresAction;
    let payable = matches!(intent.status, IntentStatus::RequiresPaymentMethod | IntentStatus::RequiresAction);
    if !payable {
        return Ok((PayState::Pending, None));
    }
    let code = intent.last_error_code.clone().filter(|_| !waiting_3ds);
    let state = match provider {
        CardProvider::Sandbox(_) => PayState::Sandbox { waiting_3ds },
        other => match (other.publishable_key(), intent.client_secret.clone(), other.js_url()) {
            (Some(publishable_key), Some(client_secret), Some(js_url)) => {
                PayState::Card { publishable_key, client_secret, js_url }
            }
            _ => PayState::Pending,
        },
    };
    Ok((state, code))
}

async fn quote_lines(st: &AppState, tenant: &Tenant, quote: &QuoteRecord) -> Result<Vec<LineView>, AppError> {
    let records = debts::by_party(Conn::Db(&st.db), tenant.id, quote.party_id).await?;
    Ok(quote
        .lines
        .iter()
        .map(|l| LineView {
            rf: records.iter().find(|d| d.id == l.debt_id).map(|d| d.rf.clone()).unwrap_or_default(),
            due: eur(Cents::new(l.principal_due_cents + l.surcharge_due_cents)),
            principal: eur(Cents::new(l.principal_pay_cents)),
            surcharge: eur(Cents::new(l.surcharge_pay_cents)),
        })
        .collect())
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: String,
}

fn back(link: &str, suffix: &str, lang: Lang) -> Redirect {
    Redirect::to(&format!("/pay/{link}{suffix}?lang={}", lang_code(lang)))
}

async fn start(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Path(link): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Redirect, PageError> {
    let lang = lang_of(&headers, raw.as_deref());
    check_csrf(&headers, CSRF_COOKIE, lang, &f.csrf)?;
    let fail = |e: AppError| PageError(lang, e);
    let (tenant, quote) = resolve(&st, &link).await.map_err(fail)?;
    let provider = CardProvider::for_tenant(&st.db, &tenant).await.map_err(|e| fail(CardError::from(e).into()))?;
    match card::start_payment(&st.db, &provider, &tenant, st.clock.now(), &quote).await {
        // An expired quote shows as closed on the page.
        Ok(_) | Err(CardError::QuoteExpired) => Ok(back(&link, "", lang)),
        Err(e) => Err(fail(e.into())),
    }
}

#[derive(serde::Deserialize)]
struct SandboxForm {
    csrf: String,
    action: String,
}

/// The sandbox plays the provider: it changes its own intent, and reports a
/// failed attempt as Stripe's `payment_failed` event would.
async fn sandbox(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Path(link): Path<String>,
    Form(f): Form<SandboxForm>,
) -> Result<Redirect, PageError> {
    let lang = lang_of(&headers, raw.as_deref());
    check_csrf(&headers, CSRF_COOKIE, lang, &f.csrf)?;
    let fail = |e: AppError| PageError(lang, e);
    let action = SandboxAction::parse(&f.action).ok_or_else(|| fail(AppError::invalid("action", "unknown action")))?;
    let (tenant, quote) = resolve(&st, &link).await.map_err(fail)?;
    let CardProvider::Sandbox(sb) =
        CardProvider::for_tenant(&st.db, &tenant).await.map_err(|e| fail(CardError::from(e).into()))?
    else {
        return Err(fail(AppError::NotFound));
    };
    let payment = card_payments::by_quote(&st.db, tenant.id, quote.id)
        .await
        .map_err(|e| fail(e.into()))?
        .ok_or_else(|| fail(AppError::NotFound))?;
    let intent_id = payment.provider_ref.as_deref().ok_or_else(|| fail(AppError::NotFound))?;
    let intent = sb.act(intent_id, action).await.map_err(|e| fail(CardError::from(e).into()))?;
    if let (IntentStatus::RequiresPaymentMethod, Some(code)) = (intent.status, &intent.last_error_code) {
        let event = PaymentEvent::AttemptFailed { decline_code: code.clone() };
        card::apply_event(&st.db, &tenant, st.clock.now(), payment.id, &event, None)
            .await
            .map_err(|e| fail(e.into()))?;
    }
    Ok(back(&link, "/return", lang))
}
