//! `POST /webhooks/stripe/{tenant}`: Stripe's signed events. The raw body is
//! checked against each of the tenant's secrets (300 s on the wall clock, no
//! fallback secret); a bad or stale signature is a 400 and nothing is kept.
//! A verified event is stored by id and acknowledged at once; the worker
//! acts on it. A redelivered id changes nothing.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use uuid::Uuid;

use crate::app::AppState;
use crate::clock::wall_unix;
use crate::collect::events::Envelope;
use crate::collect::intake::VerifiedEvent;
use crate::domain::webhook_signature::{self, DEFAULT_TOLERANCE_S};
use crate::error::{AppError, AppResult};
use crate::store::card_providers;

/// Stripe's events are a few kilobytes; 1 MiB is far above any of them.
pub const WEBHOOK_LIMIT_BYTES: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/stripe/{tenant}", post(stripe)).layer(DefaultBodyLimit::max(WEBHOOK_LIMIT_BYTES))
}

async fn stripe(
    State(st): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<StatusCode> {
    let body = body.map_err(|_| AppError::TooLarge(WEBHOOK_LIMIT_BYTES))?;
    let tenant = Uuid::try_parse(&tenant).map_err(|_| AppError::NotFound)?;
    let secrets = st.webhook_secrets.get(&st.db, tenant).await?.ok_or(AppError::NotFound)?;
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Err(e) = webhook_signature::verify(header, &body, &secrets, wall_unix(), DEFAULT_TOLERANCE_S) {
        tracing::warn!(tenant = %tenant, error = %e, "webhook refused");
        return Err(AppError::BadRequest(format!("the Stripe-Signature does not verify: {e}")));
    }
    let text = std::str::from_utf8(&body).map_err(|_| AppError::BadRequest("the body is not UTF-8".into()))?;
    let envelope = Envelope::parse(text).map_err(|e| AppError::BadRequest(format!("not a Stripe event: {e}")))?;
    let event = VerifiedEvent {
        tenant,
        id: envelope.id,
        kind: envelope.kind,
        object_id: envelope.object_id,
        body: text.to_owned(),
    };
    // The writer wakes the worker when the event is new.
    st.intake.store(event).await?;
    Ok(StatusCode::OK)
}

/// How long a tenant's webhook secrets are used without reading them again.
/// A secret removed on another node stops verifying this much later at
/// most (Stripe itself keeps a rolled secret valid for up to a day); on this
/// node a change takes effect at once (`forget`).
const SECRETS_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// Tenants remembered at most; past that the cache starts over.
const SECRETS_KEPT: usize = 10_000;

/// The webhook secrets of the tenants that receive webhooks, kept for
/// [`SECRETS_TTL`] so that a burst of deliveries does not read them for each.
/// Unknown tenants are not kept: random ids cannot fill it.
#[derive(Default)]
pub struct SecretsCache {
    kept: std::sync::Mutex<std::collections::HashMap<Uuid, Kept>>,
}

/// A tenant's secrets and when they were read.
type Kept = (std::time::Instant, std::sync::Arc<Vec<String>>);

impl SecretsCache {
    /// The tenant's secrets; `None` when there is no such tenant.
    pub async fn get(&self, db: &crate::store::Db, tenant: Uuid) -> AppResult<Option<std::sync::Arc<Vec<String>>>> {
        if let Ok(kept) = self.kept.lock()
            && let Some((at, secrets)) = kept.get(&tenant)
            && at.elapsed() < SECRETS_TTL
        {
            return Ok(Some(secrets.clone()));
        }
        let Some(secrets) = card_providers::webhook_secrets(db, tenant).await? else { return Ok(None) };
        let secrets = std::sync::Arc::new(secrets);
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() >= SECRETS_KEPT {
                kept.clear();
            }
            kept.insert(tenant, (std::time::Instant::now(), secrets.clone()));
        }
        Ok(Some(secrets))
    }

    /// The tenant's settings changed: read them again next time.
    pub fn forget(&self, tenant: Uuid) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.remove(&tenant);
        }
    }
}
