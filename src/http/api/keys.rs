//! A tenant's API keys: listed without secrets, created (shown once), revoked.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::platform::{IssuedKeyView, NewKeyRequest, key_name};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::http::extract::TenantAuth;
use crate::http::idempotency::{self, IdemJson};
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

/// Creates a key, shown once. Honours `Idempotency-Key`: a retry gets the
/// same key, never a second one.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "keys", request_body = NewKeyRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "retries with the same key and body create one key")),
    responses((status = 201, body = IssuedKeyView)), security(("bearer" = [])))]
pub async fn create_key(
    State(st): State<AppState>,
    auth: TenantAuth,
    req: IdemJson<NewKeyRequest>,
) -> AppResult<Response> {
    let name = key_name(&req.body)?;
    let (actor, tenant, now) = (auth.actor.clone(), auth.tenant.id, st.clock.now());
    idempotency::run(
        &st,
        &auth.actor,
        req.key,
        Box::new(move |tx| {
            Box::pin(async move {
                let k = crate::platform::create_api_key_in(tx, now, &actor, tenant, &name).await?;
                let view = serde_json::json!(IssuedKeyView { id: k.id, name, key: k.key });
                Ok((StatusCode::CREATED, view))
            })
        }),
    )
    .await
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
