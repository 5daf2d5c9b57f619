//! The platform operator's API: tenants and their first keys.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use uuid::Uuid;

use super::tenant::TenantView;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, OperatorAuth};
use crate::platform::{self, TenantSpec};
use crate::store::tenants;

#[utoipa::path(post, path = "/api/v1/platform/tenants", tag = "platform",
    request_body = TenantSpec,
    responses((status = 201, body = TenantView), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create_tenant(
    State(st): State<AppState>,
    op: OperatorAuth,
    ApiJson(spec): ApiJson<TenantSpec>,
) -> AppResult<(StatusCode, Json<TenantView>)> {
    let new = spec.validate().map_err(AppError::Invalid)?;
    let id = platform::create_tenant(&st.db, st.clock.now(), &op.actor, &new).await.map_err(|e| match e {
        crate::store::StoreError::Conflict => {
            AppError::Conflict { kind: "tenant-exists", detail: "a tenant with this slug or RF prefix exists".into() }
        }
        other => other.into(),
    })?;
    let tenant = tenants::by_id(&st.db, id).await?.ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(TenantView::load(&st, tenant).await?)))
}

#[utoipa::path(get, path = "/api/v1/platform/tenants", tag = "platform",
    responses((status = 200, body = Vec<TenantView>)), security(("bearer" = [])))]
pub async fn list_tenants(State(st): State<AppState>, _op: OperatorAuth) -> AppResult<Json<Vec<TenantView>>> {
    let mut out = Vec::new();
    for t in tenants::list_all(&st.db).await? {
        out.push(TenantView::load(&st, t).await?);
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/platform/tenants/{slug}", tag = "platform",
    params(("slug" = String, Path)),
    responses((status = 200, body = TenantView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_tenant(
    State(st): State<AppState>,
    _op: OperatorAuth,
    Path(slug): Path<String>,
) -> AppResult<Json<TenantView>> {
    let t = tenants::by_slug(&st.db, &slug).await?.ok_or(AppError::NotFound)?;
    Ok(Json(TenantView::load(&st, t).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyRequest {
    /// What the key is for, e.g. "finance office".
    pub name: String,
}

/// The key in plain text is in this response only.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct IssuedKeyView {
    pub id: Uuid,
    pub name: String,
    pub key: String,
}

pub fn key_name(req: &NewKeyRequest) -> AppResult<String> {
    let name = platform::nfc(&req.name);
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "must have 1 to 100 characters"));
    }
    Ok(name)
}

#[utoipa::path(post, path = "/api/v1/platform/tenants/{slug}/api-keys", tag = "platform",
    params(("slug" = String, Path)), request_body = NewKeyRequest,
    responses((status = 201, body = IssuedKeyView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create_tenant_key(
    State(st): State<AppState>,
    op: OperatorAuth,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<NewKeyRequest>,
) -> AppResult<(StatusCode, Json<IssuedKeyView>)> {
    let t = tenants::by_slug(&st.db, &slug).await?.ok_or(AppError::NotFound)?;
    let name = key_name(&req)?;
    let k = platform::create_api_key(&st.db, st.clock.now(), &op.actor, t.id, &name).await?;
    Ok((StatusCode::CREATED, Json(IssuedKeyView { id: k.id, name, key: k.key })))
}

/// A tenant's card provider. Keys and secrets are write-only: they are
/// never shown again.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardProviderRequest {
    /// `sandbox` (test tenants only) or `stripe`.
    pub provider: String,
    /// Stripe's API base URL; default `https://api.stripe.com`.
    pub api_base: Option<String>,
    /// Where the card page loads Stripe.js from; default `https://js.stripe.com/v3/`.
    pub js_url: Option<String>,
    pub publishable_key: Option<String>,
    pub secret_key: Option<String>,
    /// Every secret a webhook may be signed with (two while rotating).
    #[serde(default)]
    pub webhook_secrets: Vec<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CardProviderView {
    pub provider: String,
    pub api_base: Option<String>,
    /// Where the provider must send webhooks.
    pub webhook_path: String,
    pub webhook_secrets: usize,
}

#[utoipa::path(put, path = "/api/v1/platform/tenants/{slug}/card-provider", tag = "platform",
    params(("slug" = String, Path)), request_body = CardProviderRequest,
    responses((status = 200, body = CardProviderView), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_card_provider(
    State(st): State<AppState>,
    op: OperatorAuth,
    Path(slug): Path<String>,
    ApiJson(req): ApiJson<CardProviderRequest>,
) -> AppResult<Json<CardProviderView>> {
    let t = tenants::by_slug(&st.db, &slug).await?.ok_or(AppError::NotFound)?;
    let settings = platform::card_provider_settings(
        &t,
        req.provider,
        req.api_base,
        req.js_url,
        req.publishable_key,
        req.secret_key,
        req.webhook_secrets,
    )
    .map_err(AppError::Invalid)?;
    platform::set_card_provider(&st.db, st.clock.now(), &op.actor, t.id, &settings).await?;
    st.webhook_secrets.forget(t.id);
    Ok(Json(CardProviderView {
        provider: settings.provider,
        api_base: settings.api_base,
        webhook_path: format!("/webhooks/stripe/{}", t.id),
        webhook_secrets: settings.webhook_secrets.len(),
    }))
}
