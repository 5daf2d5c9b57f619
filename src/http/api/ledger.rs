//! The journal feed: a finance ledger pulls events after a cursor.

use axum::Json;
use axum::extract::State;

use crate::http::extract::ApiQuery;

use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::http::extract::TenantAuth;
use crate::store::journal::{self, FeedEvent};

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct FeedQuery {
    /// Return events with a sequence number above this (default 0).
    pub after: Option<i64>,
    /// At most this many events (1 to 1000, default 100).
    pub limit: Option<i64>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FeedPage {
    pub events: Vec<FeedEvent>,
    /// Pass as `after` to read on; equals `after` when there is nothing new.
    pub next_after: i64,
}

#[utoipa::path(get, path = "/api/v1/ledger/events", tag = "ledger", params(FeedQuery),
    responses((status = 200, body = FeedPage), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn feed(
    State(st): State<AppState>,
    auth: TenantAuth,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> AppResult<Json<FeedPage>> {
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(100);
    if after < 0 {
        return Err(AppError::invalid("after", "must not be negative"));
    }
    if !(1..=1000).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 1000"));
    }
    let events = journal::feed(&st.db, auth.tenant.id, after, limit).await?;
    let next_after = events.last().map_or(after, |e| e.seq);
    Ok(Json(FeedPage { events, next_after }))
}
