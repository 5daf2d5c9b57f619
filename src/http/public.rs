//! Public pages and downloads that need no account: the notice opened by the
//! lookup's second factor.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use uuid::Uuid;

use super::page::{PageError, lang_of};
use crate::app::AppState;
use crate::domain::secret;
use crate::error::AppError;
use crate::store::notices;

pub fn router() -> Router<AppState> {
    Router::new().route("/notices/{link}", get(notice))
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
    let (tenant, token) = link.split_once('.').ok_or_else(not_found)?;
    let tenant = Uuid::try_parse(tenant).map_err(|_| not_found())?;
    let now = st.clock.now();
    let party = notices::party_of_token(&st.db, tenant, &secret::sha256_hex(token), now)
        .await
        .map_err(|e| PageError(lang, e.into()))?
        .ok_or_else(not_found)?;
    let pdf =
        crate::bills::compose::notice_for(&st.db, tenant, party, now).await.map_err(|e| PageError(lang, e.into()))?;
    Ok(super::api::debts::pdf_response(pdf, "notice.pdf").into_response())
}
