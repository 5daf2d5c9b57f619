//! Extractors that turn a request into valid values or a precise problem:
//! JSON bodies, tenant keys and operator keys.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::app::AppState;
use crate::domain::actor::Actor;
use crate::domain::secret;
use crate::domain::tenant::Tenant;
use crate::error::AppError;
use crate::store::{keys, tenants};

/// `axum::Json` whose rejections are problems: bad syntax 400, wrong shape
/// 422, wrong content type 415, too large 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(AppError::invalid("body", e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(AppError::BadRequest(e.body_text())),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::UnsupportedMediaType),
            Err(JsonRejection::BytesRejection(_)) => Err(AppError::TooLarge(crate::http::BODY_LIMIT_BYTES)),
            Err(other) => Err(AppError::BadRequest(other.body_text())),
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// A request made with a live tenant API key.
#[derive(Debug, Clone)]
pub struct TenantAuth {
    pub tenant: Tenant,
    pub actor: Actor,
}

/// Resolves a tenant key to its tenant and key id, or `None`.
pub async fn resolve_tenant_key(state: &AppState, key: &str) -> Result<Option<(Tenant, Uuid)>, AppError> {
    let Some(tenant_id) = secret::tenant_of_key(key) else {
        return Ok(None);
    };
    let Some(key_id) = keys::find_api_key(&state.db, tenant_id, &secret::sha256_hex(key)).await? else {
        return Ok(None);
    };
    Ok(tenants::by_id(&state.db, tenant_id).await?.map(|t| (t, key_id)))
}

impl FromRequestParts<AppState> for TenantAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = bearer(parts).ok_or(AppError::Unauthenticated)?;
        let (tenant, key_id) = resolve_tenant_key(state, key).await?.ok_or(AppError::Unauthenticated)?;
        let actor = Actor::TenantKey { tenant_id: tenant.id, key_id };
        Ok(TenantAuth { tenant, actor })
    }
}

/// A request made with a platform operator key. Anything else gets the same
/// 404 as an unknown route: the operator API is not advertised to tenants.
#[derive(Debug, Clone)]
pub struct OperatorAuth {
    pub actor: Actor,
}

impl FromRequestParts<AppState> for OperatorAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = bearer(parts).filter(|k| secret::is_operator_key(k)).ok_or(AppError::NotFound)?;
        let key_id = keys::find_operator_key(&state.db, &secret::sha256_hex(key)).await?.ok_or(AppError::NotFound)?;
        Ok(OperatorAuth { actor: Actor::Operator { key_id } })
    }
}

/// `axum::extract::Query` whose rejection is a 422 problem.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| AppError::invalid("query", e.body_text()))
    }
}
