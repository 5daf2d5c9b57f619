//! Public pages and downloads that need no account: the notice opened by the
//! lookup's second factor.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::page::{PageError, lang_of, tenant_link};
use crate::app::AppState;
use crate::bills::receipt_compose::{ReceiptError, receipt_pdf};
use crate::domain::secret;
use crate::error::{AppError, InternalError};
use crate::store::{notices, tenants};

pub fn router() -> Router<AppState> {
    Router::new().route("/notices/{link}", get(notice)).route("/receipts/{link}", get(receipt))
}

/// `/notices/<tenant>.<token>`: the token carries 256 random bits and is
/// redacted from access logs; it expires after half an hour.
async fn notice(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(link): Path<String>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers, None);
    let not_found = || PageError(lang, AppError::NotFound);
    let (tenant, token) = tenant_link(&link).ok_or_else(not_found)?;
    let now = st.clock.now();
    let party = notices::party_of_token(&st.db, tenant, &secret::sha256_hex(token), now)
        .await
        .map_err(|e| PageError(lang, e.into()))?
        .ok_or_else(not_found)?;
    let pdf =
        crate::bills::compose::notice_for(&st.db, tenant, party, now).await.map_err(|e| PageError(lang, e.into()))?;
    Ok(super::api::debts::pdf_response(pdf, "notice.pdf").into_response())
}

/// `/receipts/<tenant>.<token>`: a receipt or cancellation PDF, by the
/// unguessable link shown on the return page and in the API.
async fn receipt(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Path(link): Path<String>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers, raw.as_deref());
    let not_found = || PageError(lang, AppError::NotFound);
    let (tenant, token) = tenant_link(&link).ok_or_else(not_found)?;
    let tenant = tenants::by_id(&st.db, tenant).await.map_err(|e| PageError(lang, e.into()))?.ok_or_else(not_found)?;
    let pdf = match receipt_pdf(&st.db, &tenant, token, lang).await {
        Ok(pdf) => pdf,
        Err(ReceiptError::NotFound) => return Err(not_found()),
        Err(ReceiptError::Store(e)) => return Err(PageError(lang, e.into())),
        Err(ReceiptError::Render(e)) => return Err(PageError(lang, AppError::Internal(InternalError::Other(e)))),
    };
    Ok(super::api::debts::pdf_response(pdf, "receipt.pdf").into_response())
}
