//! A tenant's own configuration, read with its API key.

use axum::Json;
use axum::extract::State;

use crate::http::extract::ApiQuery;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::app::AppState;
use crate::domain::debt_kind::DebtKind;
use crate::domain::tenant::{Policies, RevenueCode, Tenant, TenantMode};
use crate::error::{AppError, AppResult};
use crate::http::extract::TenantAuth;
use crate::http::idempotency::{self, IdemJson};
use crate::store::audit;
use crate::store::tenants::{self, CollectionAccount};

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TenantView {
    pub id: Uuid,
    pub slug: String,
    pub name_el: String,
    pub name_en: String,
    pub creditor_name: String,
    pub rf_prefix: String,
    pub time_zone: String,
    pub mode: TenantMode,
    pub accounts: Vec<CollectionAccount>,
    pub revenue_codes: Vec<RevenueCode>,
    pub policies: Policies,
    pub created_at: DateTime<Utc>,
}

impl TenantView {
    pub async fn load(st: &AppState, t: Tenant) -> AppResult<TenantView> {
        Ok(TenantView {
            accounts: tenants::accounts(&st.db, t.id).await?,
            revenue_codes: tenants::revenue_codes(&st.db, t.id).await?,
            id: t.id,
            slug: t.slug.as_str().into(),
            name_el: t.name_el,
            name_en: t.name_en,
            creditor_name: t.creditor_name,
            rf_prefix: t.rf_prefix.as_str().into(),
            time_zone: t.time_zone.name().into(),
            mode: t.mode,
            policies: t.policies,
            created_at: t.created_at,
        })
    }
}

#[utoipa::path(get, path = "/api/v1/tenant", tag = "tenant",
    responses((status = 200, body = TenantView), (status = 401, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_own_tenant(State(st): State<AppState>, auth: TenantAuth) -> AppResult<Json<TenantView>> {
    Ok(Json(TenantView::load(&st, auth.tenant).await?))
}

#[utoipa::path(get, path = "/api/v1/tenant/revenue-codes", tag = "tenant",
    responses((status = 200, body = Vec<RevenueCode>)), security(("bearer" = [])))]
pub async fn list_revenue_codes(State(st): State<AppState>, auth: TenantAuth) -> AppResult<Json<Vec<RevenueCode>>> {
    Ok(Json(tenants::revenue_codes(&st.db, auth.tenant.id).await?))
}

/// Sets the code for (debt kind, year class, component) from a fiscal year on.
#[utoipa::path(post, path = "/api/v1/tenant/revenue-codes", tag = "tenant",
    request_body = RevenueCode,
    params(("Idempotency-Key" = Option<String>, Header, description = "retries with the same key and body set it once")),
    responses((status = 201, body = RevenueCode), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn set_revenue_code(
    State(st): State<AppState>,
    auth: TenantAuth,
    req: IdemJson<RevenueCode>,
) -> AppResult<axum::response::Response> {
    let rc = req.body;
    let mut errors = Vec::new();
    if rc.debt_kind.parse::<DebtKind>().is_err() {
        errors.push(crate::error::FieldError::new("debt_kind", "unknown debt kind"));
    }
    if !(1990..=2200).contains(&rc.effective_from_year) {
        errors.push(crate::error::FieldError::new("effective_from_year", "must be a fiscal year"));
    }
    let code_ok =
        (1..=20).contains(&rc.code.len()) && rc.code.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !code_ok {
        errors.push(crate::error::FieldError::new("code", "1 to 20 letters, digits, dots or hyphens"));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let (actor, tenant, now) = (auth.actor.clone(), auth.tenant.id, st.clock.now());
    idempotency::run(
        &st,
        &auth.actor,
        req.key,
        Box::new(move |tx| {
            Box::pin(async move {
                crate::platform::set_revenue_code_in(tx, now, &actor, tenant, &rc).await?;
                Ok((StatusCode::CREATED, serde_json::json!(rc)))
            })
        }),
    )
    .await
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// At most this many entries, newest first (1 to 500, default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub hash: String,
}

#[utoipa::path(get, path = "/api/v1/audit/entries", tag = "tenant", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntryView>)), security(("bearer" = [])))]
pub async fn recent_audit(
    State(st): State<AppState>,
    auth: TenantAuth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> AppResult<Json<Vec<AuditEntryView>>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 500"));
    }
    let entries = audit::recent(&st.db, auth.tenant.id, limit).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditEntryView {
                seq: e.record.seq,
                at: e.record.at,
                actor: e.record.actor,
                action: e.record.action,
                subject: e.record.subject,
                details: e.record.details,
                hash: e.hash,
            })
            .collect(),
    ))
}
