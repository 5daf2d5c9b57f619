//! A tenant's API keys: listed without secrets, created (shown once), revoked.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use uuid::Uuid;

use super::platform::{IssuedKeyView, NewKeyRequest, key_name};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, TenantAuth};
use crate::store::keys::{self, ApiKeyInfo};

/// Path ids that do not parse are simply not found, like ids of other tenants.
fn parse_id(s: &str) -> AppResult<Uuid> {
    Uuid::try_parse(s).map_err(|_| AppError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/api-keys", tag = "keys",
    responses((status = 200, body = Vec<ApiKeyInfo>)), security(("bearer" = [])))]
pub async fn list_keys(State(st): State<AppState>, auth: TenantAuth) -> AppResult<Json<Vec<ApiKeyInfo>>> {
    Ok(Json(keys::list_api_keys(&st.db, auth.tenant.id).await?))
}

#[utoipa::path(post, path = "/api/v1/api-keys", tag = "keys", request_body = NewKeyRequest,
    responses((status = 201, body = IssuedKeyView)), security(("bearer" = [])))]
pub async fn create_key(
    State(st): State<AppState>,
    auth: TenantAuth,
    ApiJson(req): ApiJson<NewKeyRequest>,
) -> AppResult<(StatusCode, Json<IssuedKeyView>)> {
    let name = key_name(&req)?;
    let k = crate::platform::create_api_key(&st.db, st.clock.now(), &auth.actor, auth.tenant.id, &name).await?;
    Ok((StatusCode::CREATED, Json(IssuedKeyView { id: k.id, name, key: k.key })))
}

#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "keys", params(("id" = String, Path)),
    responses((status = 200, body = ApiKeyInfo), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_key(
    State(st): State<AppState>,
    auth: TenantAuth,
    Path(id): Path<String>,
) -> AppResult<Json<ApiKeyInfo>> {
    let id = parse_id(&id)?;
    Ok(Json(keys::get_api_key(&st.db, auth.tenant.id, id).await?.ok_or(AppError::NotFound)?))
}

#[utoipa::path(post, path = "/api/v1/api-keys/{id}/revoke", tag = "keys", params(("id" = String, Path)),
    responses((status = 200, body = ApiKeyInfo), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn revoke_key(
    State(st): State<AppState>,
    auth: TenantAuth,
    Path(id): Path<String>,
) -> AppResult<Json<ApiKeyInfo>> {
    let id = parse_id(&id)?;
    crate::platform::revoke_api_key(&st.db, st.clock.now(), &auth.actor, auth.tenant.id, id).await?;
    Ok(Json(keys::get_api_key(&st.db, auth.tenant.id, id).await?.ok_or(AppError::NotFound)?))
}
