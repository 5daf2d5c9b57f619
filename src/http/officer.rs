//! Officer pages. Until personal sign-in exists an officer opens a session
//! with a tenant API key once; the session lives in a `Secure; HttpOnly;
//! SameSite=Strict` cookie and every form carries a CSRF token.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Duration;
use uuid::Uuid;

use super::page::{PageError, cookie, eur, lang_code, lang_of, render, set_cookie, t};
use crate::app::AppState;
use crate::collect::refund;
use crate::domain::lang::Lang;
use crate::domain::money::Cents;
use crate::domain::secret;
use crate::error::AppError;
use crate::http::extract::resolve_tenant_key;
use crate::store::{Conn, audit, card_payments, sessions, tenants};

const SESSION_COOKIE: &str = "tameio_session";
const LOGIN_CSRF_COOKIE: &str = "tameio_login_csrf";
const SESSION_HOURS: i64 = 8;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/officer", get(dashboard))
        .route("/officer/login", get(login_form).post(login))
        .route("/officer/logout", axum::routing::post(logout))
        .route("/officer/refunds", axum::routing::post(refund_form))
        .route("/static/app.css", get(stylesheet))
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "officer/login.html")]
struct LoginPage {
    lang: &'static str,
    title: &'static str,
    key_label: &'static str,
    key_hint: &'static str,
    submit: &'static str,
    csrf: String,
    error: Option<&'static str>,
}

fn login_page(st: &AppState, lang: Lang, status: StatusCode, error: Option<&'static str>) -> Response {
    let csrf = secret::random_token();
    let page = LoginPage {
        lang: lang_code(lang),
        title: t(lang, "Σύνδεση υπαλλήλου", "Officer sign-in"),
        key_label: t(lang, "Κλειδί πρόσβασης (API key)", "Access key (API key)"),
        key_hint: t(
            lang,
            "Το κλειδί που σας έδωσε ο διαχειριστής του Δήμου.",
            "The key your municipality's administrator gave you.",
        ),
        submit: t(lang, "Σύνδεση", "Sign in"),
        csrf: csrf.clone(),
        error,
    };
    let mut res = render(status, &page);
    res.headers_mut().append(header::SET_COOKIE, set_cookie(st, LOGIN_CSRF_COOKIE, &csrf, 3600));
    res
}

async fn login_form(State(st): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    login_page(&st, lang_of(&headers, q.as_deref()), StatusCode::OK, None)
}

#[derive(serde::Deserialize)]
struct LoginForm {
    csrf: String,
    api_key: String,
}

async fn login(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers, q.as_deref());
    let csrf_ok = cookie(&headers, LOGIN_CSRF_COOKIE).is_some_and(|c| secret::same_secret(&c, &f.csrf));
    if !csrf_ok {
        return Ok(login_page(
            &st,
            lang,
            StatusCode::FORBIDDEN,
            Some(t(lang, "Η φόρμα έληξε. Δοκιμάστε ξανά.", "The form expired. Please try again.")),
        ));
    }
    let Some((tenant, key_id)) = resolve_tenant_key(&st, f.api_key.trim()).await.map_err(|e| PageError(lang, e))?
    else {
        return Ok(login_page(
            &st,
            lang,
            StatusCode::UNAUTHORIZED,
            Some(t(lang, "Το κλειδί δεν είναι έγκυρο.", "That key is not valid.")),
        ));
    };
    let token = secret::random_token();
    let now = st.clock.now();
    let mut tx = st.db.begin_write().await.map_err(|e| PageError(lang, e.into()))?;
    sessions::create(
        &mut tx,
        tenant.id,
        &secret::sha256_hex(&token),
        key_id,
        &secret::random_token(),
        now,
        now + Duration::hours(SESSION_HOURS),
    )
    .await
    .map_err(|e| PageError(lang, e.into()))?;
    let actor = crate::domain::actor::Actor::TenantKey { tenant_id: tenant.id, key_id };
    audit::append(
        &mut tx,
        tenant.id,
        now,
        &actor,
        "officer.signed_in",
        &format!("api_key:{key_id}"),
        serde_json::json!({}),
    )
    .await
    .map_err(|e| PageError(lang, e.into()))?;
    tx.commit().await.map_err(|e| PageError(lang, e.into()))?;
    let mut res = Redirect::to("/officer").into_response();
    let value = format!("{}.{}", tenant.id.simple(), token);
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&st, SESSION_COOKIE, &value, SESSION_HOURS * 3600));
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&st, LOGIN_CSRF_COOKIE, "", 0));
    Ok(res)
}

/// The officer's session from the cookie: (tenant id, token, session).
async fn session(st: &AppState, headers: &HeaderMap) -> Result<Option<(Uuid, String, sessions::Session)>, AppError> {
    let Some(v) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some((tenant, token)) = v.split_once('.') else {
        return Ok(None);
    };
    let Ok(tenant) = Uuid::try_parse(tenant) else {
        return Ok(None);
    };
    let s = sessions::find(&st.db, tenant, &secret::sha256_hex(token), st.clock.now()).await?;
    Ok(s.map(|s| (tenant, token.to_string(), s)))
}

/// A card payment the officer may refund.
struct PaidView {
    id: Uuid,
    at: String,
    amount: String,
    refundable: String,
    /// The same figure in the API's form, sent back to detect a stale screen.
    refundable_api: String,
}

#[derive(Template)]
#[template(path = "officer/dashboard.html")]
struct Dashboard {
    lang: &'static str,
    title: &'static str,
    tenant_name: String,
    test_mode: Option<&'static str>,
    attention_heading: &'static str,
    attention_none: &'static str,
    col_payment: &'static str,
    col_amount: &'static str,
    attention: Vec<(&'static str, String, String, String)>,
    payments_heading: &'static str,
    notice: Option<&'static str>,
    paid: Vec<PaidView>,
    col_refundable: &'static str,
    refund_heading: &'static str,
    refund_amount: &'static str,
    refund_reason: &'static str,
    refund_submit: &'static str,
    audit_heading: &'static str,
    col_seq: &'static str,
    col_when: &'static str,
    col_who: &'static str,
    col_what: &'static str,
    entries: Vec<(i64, String, String, String)>,
    logout: &'static str,
    csrf: String,
}

async fn dashboard(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers, q.as_deref());
    let Some((tenant_id, _, s)) = session(&st, &headers).await.map_err(|e| PageError(lang, e))? else {
        return Ok(Redirect::to("/officer/login").into_response());
    };
    let tenant = tenants::by_id(&st.db, tenant_id)
        .await
        .map_err(|e| PageError(lang, e.into()))?
        .ok_or(PageError(lang, AppError::NotFound))?;
    let entries = audit::recent(&st.db, tenant_id, 20).await.map_err(|e| PageError(lang, e.into()))?;
    let attention =
        card_payments::needing_attention(&st.db, tenant_id, 50).await.map_err(|e| PageError(lang, e.into()))?;
    let mut paid = Vec::new();
    for p in card_payments::recent_paid(&st.db, tenant_id, 20).await.map_err(|e| PageError(lang, e.into()))? {
        let left = refund::refundable(Conn::Db(&st.db), tenant_id, &p).await.map_err(|e| PageError(lang, e.into()))?;
        paid.push(PaidView {
            id: p.id,
            at: crate::domain::audit::format_at(p.created_at),
            amount: eur(Cents::new(p.amount_cents)),
            refundable: eur(left),
            refundable_api: left.to_api_string(),
        });
    }
    let notice = match q.as_deref().unwrap_or_default().split('&').any(|kv| kv == "done=refund") {
        true => Some(t(lang, "Η επιστροφή καταχωρίστηκε.", "The refund was recorded.")),
        false => None,
    };
    let what = |status: &str| match status {
        "anomaly" => {
            t(lang, "Άλλο ποσό από τον πάροχο (δεν καταχωρίστηκε)", "Provider reported another amount (not booked)")
        }
        "disputed" => t(lang, "Αμφισβήτηση χρέωσης", "Card dispute"),
        _ => t(lang, "Επιστροφή χωρίς επιβεβαίωση παρόχου", "Refund not yet confirmed by the provider"),
    };
    let page = Dashboard {
        lang: lang_code(lang),
        title: t(lang, "Ταμείο — υπηρεσία οικονομικών", "Cash office — finance department"),
        tenant_name: if lang == Lang::En { tenant.name_en.clone() } else { tenant.name_el.clone() },
        test_mode: (tenant.mode == crate::domain::tenant::TenantMode::Test)
            .then(|| t(lang, "ΔΟΚΙΜΑΣΤΙΚΗ ΛΕΙΤΟΥΡΓΙΑ", "TEST MODE")),
        attention_heading: t(lang, "Χρειάζονται έλεγχο", "Needs attention"),
        attention_none: t(lang, "Τίποτα εκκρεμές.", "Nothing pending."),
        col_payment: t(lang, "Πληρωμή", "Payment"),
        col_amount: t(lang, "Ποσό", "Amount"),
        attention: attention
            .into_iter()
            .map(|(status, id, cents, at)| {
                let amount = eur(Cents::new(cents));
                (what(&status), id.to_string(), amount, crate::domain::audit::format_at(at))
            })
            .collect(),
        payments_heading: t(lang, "Πληρωμές με κάρτα", "Card payments"),
        notice,
        paid,
        col_refundable: t(lang, "Προς επιστροφή έως", "Refundable"),
        refund_heading: t(lang, "Επιστροφή χρημάτων", "Refund"),
        refund_amount: t(lang, "Ποσό", "Amount"),
        refund_reason: t(lang, "Αιτιολογία", "Reason"),
        refund_submit: t(lang, "Επιστροφή", "Refund"),
        audit_heading: t(lang, "Τελευταίες ενέργειες", "Recent actions"),
        col_seq: t(lang, "Α/Α", "No."),
        col_when: t(lang, "Πότε (UTC)", "When (UTC)"),
        col_who: t(lang, "Ποιος", "Who"),
        col_what: t(lang, "Τι", "What"),
        entries: entries
            .into_iter()
            .map(|e| (e.record.seq, crate::domain::audit::format_at(e.record.at), e.record.actor, e.record.action))
            .collect(),
        logout: t(lang, "Αποσύνδεση", "Sign out"),
        csrf: s.csrf_token,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers, q.as_deref());
    let Some((tenant_id, token, s)) = session(&st, &headers).await.map_err(|e| PageError(lang, e))? else {
        return Ok(Redirect::to("/officer/login").into_response());
    };
    if !secret::same_secret(&s.csrf_token, &f.csrf) {
        return Err(PageError(lang, AppError::Forbidden("CSRF token mismatch".into())));
    }
    let now = st.clock.now();
    let mut tx = st.db.begin_write().await.map_err(|e| PageError(lang, e.into()))?;
    sessions::end(&mut tx, tenant_id, &secret::sha256_hex(&token), now).await.map_err(|e| PageError(lang, e.into()))?;
    let actor = crate::domain::actor::Actor::TenantKey { tenant_id, key_id: s.api_key_id };
    audit::append(
        &mut tx,
        tenant_id,
        now,
        &actor,
        "officer.signed_out",
        &format!("api_key:{}", s.api_key_id),
        serde_json::json!({}),
    )
    .await
    .map_err(|e| PageError(lang, e.into()))?;
    tx.commit().await.map_err(|e| PageError(lang, e.into()))?;
    let mut res = Redirect::to("/officer/login").into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&st, SESSION_COOKIE, "", 0));
    Ok(res)
}

#[derive(serde::Deserialize)]
struct RefundForm {
    csrf: String,
    payment: Uuid,
    expected_refundable: String,
    amount: String,
    reason: String,
}

/// An officer's refund from the dashboard: the same three steps as the API.
async fn refund_form(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Form(f): Form<RefundForm>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers, q.as_deref());
    let fail = |e: AppError| PageError(lang, e);
    let Some((tenant_id, _, s)) = session(&st, &headers).await.map_err(fail)? else {
        return Ok(Redirect::to("/officer/login").into_response());
    };
    if !secret::same_secret(&s.csrf_token, &f.csrf) {
        return Err(fail(AppError::Forbidden("CSRF token mismatch".into())));
    }
    let tenant =
        tenants::by_id(&st.db, tenant_id).await.map_err(|e| fail(e.into()))?.ok_or(fail(AppError::NotFound))?;
    let amount = crate::domain::money::parse_decimal_amount(&f.amount, f.amount.contains(','))
        .map_err(|e| fail(AppError::invalid("amount", e)))?;
    let expected =
        Cents::parse_api(&f.expected_refundable).map_err(|e| fail(AppError::invalid("expected_refundable", e)))?;
    let reason = crate::platform::nfc(f.reason.trim());
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(fail(AppError::invalid("reason", "give a reason of 1 to 500 characters")));
    }
    let req = refund::RefundRequest { payment_id: f.payment, amount, expected_refundable: expected, reason };
    let actor = crate::domain::actor::Actor::TenantKey { tenant_id, key_id: s.api_key_id };
    let now = st.clock.now();
    let mut tx = st.db.begin_write().await.map_err(|e| fail(e.into()))?;
    let reserved = refund::reserve(&mut tx, &tenant, now, &actor, &req).await.map_err(|e| fail(e.into()))?;
    tx.commit().await.map_err(|e| fail(e.into()))?;
    refund::execute_now(&st.db, &tenant, now, reserved).await.map_err(|e| fail(e.into()))?;
    Ok(Redirect::to(&format!("/officer?lang={}&done=refund", lang_code(lang))).into_response())
}
