//! Server-rendered pages: language choice, the shared layout data, and the
//! HTML error pages that stand in for problem+json outside `/api`.

use askama::Template;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::domain::lang::Lang;
use crate::error::AppError;

/// Greek unless the query says `lang=en` or the `lang` cookie does.
pub fn lang_of(headers: &HeaderMap, query: Option<&str>) -> Lang {
    let from_query = query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")));
    let from_cookie = || cookie(headers, "lang");
    match from_query.map(str::to_string).or_else(from_cookie).as_deref() {
        Some("en") => Lang::En,
        _ => Lang::El,
    }
}

pub fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        _ => "el",
    }
}

/// An amount as pages show it, "12,30 €", with a no-break space so the euro
/// sign stays on the amount's line on a narrow phone.
pub fn eur(c: crate::domain::money::Cents) -> String {
    crate::bills::format_eur(c).replace(' ', "\u{a0}")
}

/// Picks the text of the page's language.
pub fn t(lang: Lang, el: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::En { en } else { el }
}

/// `<tenant>.<token>`, the form of every public link to one tenant's
/// document (notice, quote, receipt): the tenant's id and the token.
pub fn tenant_link(link: &str) -> Option<(uuid::Uuid, &str)> {
    let (tenant, token) = link.split_once('.')?;
    Some((uuid::Uuid::try_parse(tenant).ok()?, token))
}

/// The double-submit check of a form: the token sent must be the one in the
/// page's cookie.
pub fn check_csrf(headers: &HeaderMap, cookie_name: &str, lang: Lang, sent: &str) -> Result<(), PageError> {
    if cookie(headers, cookie_name).is_some_and(|c| crate::domain::secret::same_secret(&c, sent)) {
        Ok(())
    } else {
        Err(PageError(lang, AppError::Forbidden("CSRF token mismatch".into())))
    }
}

/// The value of one cookie of the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, whole site, `Secure`
/// unless the operator turned that off.
pub fn set_cookie(st: &crate::app::AppState, name: &str, value: &str, max_age_s: i64) -> axum::http::HeaderValue {
    let secure = if st.settings.secure_cookies { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}");
    axum::http::HeaderValue::from_str(&v).unwrap_or_else(|_| axum::http::HeaderValue::from_static(""))
}

/// Renders a template, or a plain 500 when the template itself fails.
pub fn render(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub lang: &'static str,
    pub title: &'static str,
    pub message: &'static str,
    pub home: &'static str,
}

pub fn not_found(lang: Lang) -> Response {
    error_page(lang, StatusCode::NOT_FOUND)
}

pub fn error_page(lang: Lang, status: StatusCode) -> Response {
    let (title, message) = match status {
        StatusCode::NOT_FOUND => (
            t(lang, "Η σελίδα δεν βρέθηκε", "Page not found"),
            t(
                lang,
                "Ελέγξτε τη διεύθυνση ή επιστρέψτε στην αρχική σελίδα.",
                "Check the address or go back to the start page.",
            ),
        ),
        StatusCode::FORBIDDEN => (
            t(lang, "Η φόρμα έληξε", "The form has expired"),
            t(lang, "Ανανεώστε τη σελίδα και δοκιμάστε ξανά.", "Reload the page and try again."),
        ),
        s if s.is_client_error() => (
            t(lang, "Το αίτημα δεν είναι έγκυρο", "The request is not valid"),
            t(lang, "Ελέγξτε τα στοιχεία και δοκιμάστε ξανά.", "Check what you entered and try again."),
        ),
        _ => (
            t(lang, "Κάτι πήγε στραβά", "Something went wrong"),
            t(lang, "Δοκιμάστε ξανά σε λίγο. Δεν έγινε καμία χρέωση.", "Try again shortly. Nothing was charged."),
        ),
    };
    let page =
        ErrorPage { lang: lang_code(lang), title, message, home: t(lang, "Αρχική σελίδα", "Start page") };
    render(status, &page)
}

/// An error on a page: logged like an API error, shown as an HTML page.
pub struct PageError(pub Lang, pub AppError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self.1 {
            tracing::error!(error = %cause, "internal error");
        }
        error_page(self.0, self.1.status())
    }
}
