//! `Idempotency-Key` on API POSTs that create something. The key is claimed
//! in the transaction of the effect and holds the response, so a retry with
//! the same key and body gets the same answer and the effect happens once;
//! another body or path under the key is a 409 `idempotency-mismatch`; a
//! request still running under the key is a 409 `idempotency-in-progress`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::domain::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::store::Tx;
use crate::store::idempotency::{self, ClaimError, Earlier, IdemRequest};

/// Longest key accepted (Stripe's limit).
const MAX_KEY_LEN: usize = 255;

/// A JSON body with the request's idempotency key, if it has one.
pub struct IdemJson<T> {
    pub body: T,
    pub key: Option<PartialKey>,
}

/// The key and what identifies the request under it, without the API key.
#[derive(Debug, Clone)]
pub struct PartialKey {
    key: String,
    method: String,
    path: String,
    body_sha256: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for IdemJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(AppError::UnsupportedMediaType);
        }
        let key = match req.headers().get("idempotency-key") {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN)
                    .ok_or_else(|| AppError::invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters"))?
                    .to_string(),
            ),
        };
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        let bytes: Result<Bytes, BytesRejection> = Bytes::from_request(req, state).await;
        let bytes = bytes.map_err(|_| AppError::TooLarge(crate::http::BODY_LIMIT_BYTES))?;
        let body: T = serde_json::from_slice(&bytes).map_err(|e| {
            if e.is_data() { AppError::invalid("body", e) } else { AppError::BadRequest(e.to_string()) }
        })?;
        let key = key.map(|key| PartialKey { key, method, path, body_sha256: hex::encode(Sha256::digest(&bytes)) });
        Ok(IdemJson { body, key })
    }
}

fn json_response(status: u16, body: String, replayed: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

fn in_progress() -> AppError {
    AppError::Conflict {
        kind: "idempotency-in-progress",
        detail: "a request with this Idempotency-Key is still being processed; retry shortly".into(),
    }
}

fn mismatch() -> AppError {
    AppError::Conflict {
        kind: "idempotency-mismatch",
        detail: "this Idempotency-Key was used with another body, method or path".into(),
    }
}

/// The answer to a request whose key was used before.
fn replay(e: Earlier) -> AppResult<Response> {
    match e {
        Earlier::Same { status: 0, .. } => Err(in_progress()),
        Earlier::Same { status, response } => Ok(json_response(status, response, true)),
        Earlier::Mismatch => Err(mismatch()),
    }
}

/// The effect of a request, run inside the write transaction; it answers the
/// status and JSON body of the response.
pub type Effect<'a> = Box<dyn for<'t> FnOnce(&'t mut Tx) -> EffectFuture<'t> + Send + 'a>;

pub type EffectFuture<'t> =
    std::pin::Pin<Box<dyn std::future::Future<Output = AppResult<(StatusCode, serde_json::Value)>> + Send + 't>>;

fn request_of(actor: &Actor, key: Option<PartialKey>) -> Option<(uuid::Uuid, IdemRequest)> {
    match (key, actor) {
        (Some(k), Actor::TenantKey { tenant_id, key_id }) => Some((
            *tenant_id,
            IdemRequest { key_id: *key_id, key: k.key, method: k.method, path: k.path, body_sha256: k.body_sha256 },
        )),
        _ => None,
    }
}

/// Replaces the response stored under a key, for an effect that finishes
/// after its transaction (a refund the provider settles): a retry then gets
/// the final answer, not the first one.
pub async fn restore(
    st: &AppState,
    actor: &Actor,
    key: Option<PartialKey>,
    status: StatusCode,
    body: &serde_json::Value,
) -> AppResult<()> {
    let Some((tenant, request)) = request_of(actor, key) else { return Ok(()) };
    let text = serde_json::to_string(body)
        .map_err(|e| AppError::Internal(crate::error::InternalError::Other(e.to_string())))?;
    let mut tx = st.db.begin_write().await?;
    idempotency::complete(&mut tx, tenant, &request, status.as_u16(), &text).await?;
    tx.commit().await?;
    Ok(())
}

/// Runs `effect` once per key: in one write transaction with the key's claim
/// and its stored response. Without a key the effect simply runs.
pub async fn run(st: &AppState, actor: &Actor, key: Option<PartialKey>, effect: Effect<'_>) -> AppResult<Response> {
    let (tenant, request) = match request_of(actor, key) {
        Some((t, r)) => (Some(t), Some(r)),
        None => (None, None),
    };
    if let (Some(r), Some(t)) = (&request, tenant)
        && let Some(e) = idempotency::earlier(&st.db, t, r).await?
    {
        return replay(e);
    }
    let mut tx = st.db.begin_write().await?;
    if let (Some(r), Some(t)) = (&request, tenant) {
        match idempotency::claim(&mut tx, t, r, st.clock.now()).await {
            Ok(()) => {}
            Err(ClaimError::Taken) => {
                drop(tx);
                return match idempotency::earlier(&st.db, t, r).await? {
                    Some(e) => replay(e),
                    None => Err(in_progress()),
                };
            }
            Err(ClaimError::Store(e)) => return Err(e.into()),
        }
    }
    let (status, body) = effect(&mut tx).await?;
    let text = serde_json::to_string(&body)
        .map_err(|e| AppError::Internal(crate::error::InternalError::Other(e.to_string())))?;
    if let (Some(r), Some(t)) = (&request, tenant) {
        idempotency::complete(&mut tx, t, r, status.as_u16(), &text).await?;
    }
    tx.commit().await?;
    Ok(json_response(status.as_u16(), text, false))
}
