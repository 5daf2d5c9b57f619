//! The citizen's lookup page: type the RF from a bill, see what is owed today,
//! and open the full notice with the last three characters of the tax id.
//! Works without JavaScript.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

use super::api::lookup::{self, LookupView};
use super::page::{PageError, check_csrf, eur, lang_code, lang_of, render, set_cookie, t};
use crate::app::AppState;
use crate::bills::format_eur;
use crate::collect::card::{self, CardError, QuoteRequest};
use crate::domain::lang::Lang;
use crate::domain::money::Cents;
use crate::domain::money::parse_decimal_amount;
use crate::domain::quote::QuoteError;
use crate::domain::secret;
use crate::error::AppError;

const CSRF_COOKIE: &str = "tameio_lookup_csrf";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { axum::response::Redirect::to("/lookup") }))
        .route("/lookup", get(page))
        .route("/lookup/unlock", post(unlock))
        .route("/lookup/pay", post(pay))
}

/// The page's texts in one language.
struct Texts {
    title: &'static str,
    rf_label: &'static str,
    rf_hint: &'static str,
    search: &'static str,
    municipality: &'static str,
    kind: &'static str,
    fiscal_year: &'static str,
    due_on: &'static str,
    principal: &'static str,
    surcharges: &'static str,
    paid: &'static str,
    outstanding: &'static str,
    as_of: &'static str,
    debtor: &'static str,
    unlock_heading: &'static str,
    last3_label: &'static str,
    last3_hint: &'static str,
    unlock: &'static str,
    download: &'static str,
    pay_heading: &'static str,
    amount_label: &'static str,
    amount_hint: &'static str,
    pay: &'static str,
}

fn texts(lang: Lang) -> Texts {
    Texts {
        title: t(lang, "Αναζήτηση οφειλής με κωδικό RF", "Look up a debt by its RF code"),
        rf_label: t(lang, "Κωδικός πληρωμής RF", "RF payment code"),
        rf_hint: t(
            lang,
            "Όπως είναι τυπωμένος στο ειδοποιητήριο, π.χ. RF18 5390 0754 7034.",
            "As printed on your bill, e.g. RF18 5390 0754 7034.",
        ),
        search: t(lang, "Αναζήτηση", "Look up"),
        municipality: t(lang, "Δήμος", "Municipality"),
        kind: t(lang, "Είδος οφειλής", "Kind of debt"),
        fiscal_year: t(lang, "Οικονομικό έτος", "Fiscal year"),
        due_on: t(lang, "Προθεσμία πληρωμής", "Due date"),
        principal: t(lang, "Κεφάλαιο", "Principal"),
        surcharges: t(lang, "Προσαυξήσεις", "Late surcharges"),
        paid: t(lang, "Έχουν πληρωθεί", "Paid so far"),
        outstanding: t(lang, "Υπόλοιπο προς πληρωμή", "Left to pay"),
        as_of: t(lang, "Ποσά στις", "Amounts as of"),
        debtor: t(lang, "Οφειλέτης (αρχικά)", "Debtor (initials)"),
        unlock_heading: t(lang, "Πλήρες ειδοποιητήριο", "Full notice"),
        last3_label: t(lang, "Τα 3 τελευταία ψηφία του ΑΦΜ", "The last 3 digits of the tax id (AFM)"),
        last3_hint: t(lang, "Για την προστασία των στοιχείων σας.", "To protect your personal data."),
        unlock: t(lang, "Άνοιγμα ειδοποιητηρίου", "Open the notice"),
        pay_heading: t(lang, "Πληρωμή με κάρτα", "Pay by card"),
        amount_label: t(lang, "Ποσό (προαιρετικά, για μερική πληρωμή)", "Amount (optional, for a partial payment)"),
        amount_hint: t(
            lang,
            "Αφήστε το κενό για να εξοφλήσετε ολόκληρο το υπόλοιπο, π.χ. 10,00.",
            "Leave it empty to pay everything left, e.g. 10.00.",
        ),
        pay: t(lang, "Συνέχεια στην πληρωμή", "Continue to payment"),
        download: t(
            lang,
            "Λήψη ειδοποιητηρίου (PDF, ισχύει 30 λεπτά)",
            "Download the notice (PDF, valid for 30 minutes)",
        ),
    }
}

/// One found debt, formatted for reading.
struct Shown {
    rf: String,
    municipality: String,
    kind: String,
    fiscal_year: i32,
    due_on: String,
    principal: String,
    surcharges: String,
    paid: String,
    outstanding: String,
    as_of: String,
    debtor: String,
}

fn shown(v: &LookupView, lang: Lang) -> Shown {
    let amount = |s: &str| Cents::parse_signed(s).map(eur).unwrap_or_else(|_| s.to_string());
    let date = |d: chrono::NaiveDate| d.format("%d/%m/%Y").to_string();
    Shown {
        rf: v.rf.clone(),
        municipality: if lang == Lang::En { v.municipality.en.clone() } else { v.municipality.el.clone() },
        kind: if lang == Lang::En { v.kind_label_en.clone() } else { v.kind_label_el.clone() },
        fiscal_year: v.fiscal_year,
        due_on: date(v.due_on),
        principal: amount(&v.principal),
        surcharges: amount(&v.surcharges),
        paid: amount(&v.paid),
        outstanding: amount(&v.outstanding),
        as_of: date(v.as_of),
        debtor: v.debtor.clone(),
    }
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupPage {
    lang: &'static str,
    tx: Texts,
    rf: String,
    /// The reference without spaces or symbols, safe in the language link.
    rf_compact: String,
    error: Option<&'static str>,
    found: Option<Shown>,
    csrf: String,
    notice_url: Option<String>,
    pay_error: Option<String>,
}

impl LookupPage {
    fn new(lang: Lang, rf: String) -> LookupPage {
        LookupPage {
            lang: lang_code(lang),
            tx: texts(lang),
            rf,
            rf_compact: String::new(),
            error: None,
            found: None,
            csrf: String::new(),
            notice_url: None,
            pay_error: None,
        }
    }
}

fn respond(st: &AppState, status: StatusCode, mut page: LookupPage) -> Response {
    page.rf_compact = page.rf.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect();
    let csrf = secret::random_token();
    page.csrf = csrf.clone();
    let mut res = render(status, &page);
    res.headers_mut().append(header::SET_COOKIE, set_cookie(st, CSRF_COOKIE, &csrf, 3600));
    res
}

fn error_text(lang: Lang, e: &AppError) -> Option<&'static str> {
    match e {
        AppError::NotFound => Some(t(
            lang,
            "Δεν βρέθηκε οφειλή με αυτόν τον κωδικό. Ελέγξτε τον και δοκιμάστε ξανά.",
            "No debt has this code. Check it and try again.",
        )),
        AppError::TooManyRequests => Some(t(
            lang,
            "Πολλές αναζητήσεις σε λίγο χρόνο. Δοκιμάστε ξανά σε ένα λεπτό.",
            "Too many lookups in a short time. Try again in a minute.",
        )),
        AppError::Forbidden(_) => Some(t(
            lang,
            "Τα ψηφία δεν ταιριάζουν με τον ΑΦΜ του ειδοποιητηρίου.",
            "The digits do not match the tax id on the notice.",
        )),
        _ => None,
    }
}

#[derive(serde::Deserialize)]
struct LookupQuery {
    rf: Option<String>,
}

async fn page(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(q): Query<LookupQuery>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers, raw.as_deref());
    let rf = q.rf.unwrap_or_default().trim().to_string();
    let mut page = LookupPage::new(lang, rf.clone());
    if rf.is_empty() {
        return Ok(respond(&st, StatusCode::OK, page));
    }
    let viewed = match lookup::find(&st, peer, &headers, &rf).await {
        Ok(found) => lookup::view(&st, &found).await,
        Err(e) => Err(e),
    };
    match viewed {
        Ok(v) => {
            page.found = Some(shown(&v, lang));
            Ok(respond(&st, StatusCode::OK, page))
        }
        Err(e) => fail(&st, lang, page, e),
    }
}

#[derive(serde::Deserialize)]
struct UnlockForm {
    csrf: String,
    rf: String,
    last3: String,
}

async fn unlock(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Form(f): Form<UnlockForm>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers, raw.as_deref());
    check_csrf(&headers, CSRF_COOKIE, lang, &f.csrf)?;
    let mut page = LookupPage::new(lang, f.rf.clone());
    // One lookup, counted once: the page shows the debt and opens its notice.
    let outcome = match lookup::find(&st, peer, &headers, &f.rf).await {
        Ok(found) => match lookup::view(&st, &found).await {
            Ok(v) => {
                page.found = Some(shown(&v, lang));
                lookup::open_notice(&st, &found, &f.last3).await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(link) => {
            page.notice_url = Some(link.notice_url);
            Ok(respond(&st, StatusCode::CREATED, page))
        }
        Err(e) => fail(&st, lang, page, e),
    }
}

/// Known failures are shown on the page itself; anything else is an error page.
fn fail(st: &AppState, lang: Lang, mut page: LookupPage, e: AppError) -> Result<Response, PageError> {
    match error_text(lang, &e) {
        Some(msg) => {
            page.error = Some(msg);
            Ok(respond(st, e.status(), page))
        }
        None => Err(PageError(lang, e)),
    }
}

#[derive(serde::Deserialize)]
struct PayForm {
    csrf: String,
    rf: String,
    #[serde(default)]
    amount: String,
}

/// Quotes the found debt (all of it, or the amount typed) and opens its
/// payment page. Anyone holding the bill may pay it, as at a bank.
async fn pay(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Form(f): Form<PayForm>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers, raw.as_deref());
    check_csrf(&headers, CSRF_COOKIE, lang, &f.csrf)?;
    let mut page = LookupPage::new(lang, f.rf.clone());
    let found = match lookup::find(&st, peer, &headers, &f.rf).await {
        Ok(found) => found,
        Err(e) => return fail(&st, lang, page, e),
    };
    let amount = match f.amount.trim() {
        "" => Ok(None),
        typed => parse_decimal_amount(typed, lang == Lang::El || typed.contains(',')).map(Some),
    };
    let outcome = match amount {
        Ok(amount) => {
            let req = QuoteRequest { party_id: found.debt.party_id, debts: Some(vec![found.debt.id]), amount };
            card::create_quote(&st.db, &found.tenant, st.clock.now(), &req).await.map_err(|e| pay_error_text(lang, &e))
        }
        Err(_) => Err(t(lang, "Το ποσό δεν είναι έγκυρο, π.χ. 10,00.", "The amount is not valid, e.g. 10.00.").into()),
    };
    match outcome {
        Ok(q) => {
            let to = format!("/pay/{}.{}?lang={}", found.tenant.id, q.token, lang_code(lang));
            Ok(Redirect::to(&to).into_response())
        }
        Err(msg) => {
            let shown_debt = lookup::view(&st, &found).await.map_err(|e| PageError(lang, e))?;
            page.found = Some(shown(&shown_debt, lang));
            page.pay_error = Some(msg);
            Ok(respond(&st, StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

fn pay_error_text(lang: Lang, e: &CardError) -> String {
    match e {
        CardError::Quote(QuoteError::BelowMinimum { minimum }) => match lang {
            Lang::En => format!("The smallest card payment is {}.", format_eur(*minimum)),
            _ => format!("Η μικρότερη πληρωμή με κάρτα είναι {}.", format_eur(*minimum)),
        },
        CardError::Quote(QuoteError::AboveOutstanding { outstanding }) => match lang {
            Lang::En => format!("The amount is more than the {} left to pay.", format_eur(*outstanding)),
            _ => format!("Το ποσό είναι μεγαλύτερο από το υπόλοιπο {}.", format_eur(*outstanding)),
        },
        CardError::Quote(QuoteError::LeavesBelowMinimum { left, pay_in_full, .. }) => match lang {
            Lang::En => format!(
                "That would leave {} on the debt, too little to pay by card later. Pay {} to settle it in full.",
                format_eur(*left),
                format_eur(*pay_in_full)
            ),
            _ => format!(
                "Θα έμεναν {} στην οφειλή, ποσό πολύ μικρό για πληρωμή με κάρτα. Πληρώστε {} για πλήρη εξόφληση.",
                format_eur(*left),
                format_eur(*pay_in_full)
            ),
        },
        CardError::Quote(QuoteError::NothingDue) => {
            t(lang, "Η οφειλή έχει εξοφληθεί.", "This debt is already paid.").into()
        }
        CardError::Setup(_) => t(
            lang,
            "Ο Δήμος δεν δέχεται ακόμη πληρωμές με κάρτα. Πληρώστε με μεταφορά χρησιμοποιώντας τον κωδικό RF.",
            "The municipality does not take card payments yet. Pay by bank transfer with the RF code.",
        )
        .into(),
        _ => t(lang, "Κάτι πήγε στραβά. Δοκιμάστε ξανά σε λίγο.", "Something went wrong. Try again shortly.").into(),
    }
}
