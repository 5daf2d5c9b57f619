//! The public lookup by RF reference: enough to pay, never who owes. Unknown
//! and malformed references get the same 404; every caller is rate limited.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;

use crate::app::AppState;
use crate::debts::{initials, standings};
use crate::domain::actor::Actor;
use crate::domain::lang::Lang;
use crate::domain::rf::RfReference;
use crate::domain::secret;
use crate::domain::tenant::Tenant;
use crate::error::{AppError, AppResult};
use crate::http::extract::ApiJson;
use crate::http::rate_limit::{Limit, client_ip};
use crate::store::{Conn, audit, debts, notices, tenants};

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Municipality {
    pub el: String,
    pub en: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LookupView {
    /// The reference in print form (groups of four).
    pub rf: String,
    pub municipality: Municipality,
    pub kind: String,
    pub kind_label_el: String,
    pub kind_label_en: String,
    pub fiscal_year: i32,
    pub due_on: NaiveDate,
    pub principal: String,
    /// Surcharges accrued up to `as_of`.
    pub surcharges: String,
    pub paid: String,
    pub outstanding: String,
    /// The tenant's business date the amounts hold for.
    pub as_of: NaiveDate,
    /// The debtor's initials only.
    pub debtor: String,
}

/// Counts the call against the client's limit, before any database work, so
/// a throttled client costs nothing and every input takes the same path.
fn throttle_client(st: &AppState, peer: SocketAddr, headers: &HeaderMap) -> AppResult<()> {
    let ip = client_ip(peer.ip(), headers, &st.settings.trusted_proxies);
    let per_ip = Limit { requests: st.settings.lookups_per_ip, window_s: 60 };
    if st.limiter.allow(&format!("lookup-ip:{ip}"), per_ip, st.clock.now()) {
        Ok(())
    } else {
        Err(AppError::TooManyRequests)
    }
}

/// Counts the call against the tenant's overall limit.
fn throttle_tenant(st: &AppState, tenant: uuid::Uuid) -> AppResult<()> {
    let per_tenant = Limit { requests: st.settings.lookups_per_tenant, window_s: 60 };
    if st.limiter.allow(&format!("lookup-tenant:{tenant}"), per_tenant, st.clock.now()) {
        Ok(())
    } else {
        Err(AppError::TooManyRequests)
    }
}

/// A debt found by its reference, with its tenant.
pub struct Found {
    pub tenant: Tenant,
    pub debt: debts::DebtRecord,
}

/// The debt behind a reference, or the one 404 for malformed and unknown
/// alike. Counts one lookup against the caller's limits.
pub async fn find(st: &AppState, peer: SocketAddr, headers: &HeaderMap, rf: &str) -> AppResult<Found> {
    throttle_client(st, peer, headers)?;
    let parsed = RfReference::parse(rf).ok();
    let tenant_id = match &parsed {
        Some(r) => debts::tenant_of_rf(&st.db, r.as_str()).await?,
        None => None,
    };
    let (Some(r), Some(tid)) = (parsed, tenant_id) else { return Err(AppError::NotFound) };
    throttle_tenant(st, tid)?;
    let tenant = tenants::by_id(&st.db, tid).await?.ok_or(AppError::NotFound)?;
    let debt = debts::by_rf(&st.db, tid, r.as_str()).await?.ok_or(AppError::NotFound)?;
    Ok(Found { tenant, debt })
}

#[utoipa::path(get, path = "/api/v1/lookup/{rf}", tag = "public", params(("rf" = String, Path, description = "RF reference, with or without spaces")),
    responses((status = 200, body = LookupView), (status = 404, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
pub async fn lookup(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(rf): Path<String>,
) -> AppResult<Json<LookupView>> {
    let found = find(&st, peer, &headers, &rf).await?;
    Ok(Json(view(&st, &found).await?))
}

/// The lookup, for the API and the page alike.
pub async fn view(st: &AppState, found: &Found) -> AppResult<LookupView> {
    let (tenant, debt) = (&found.tenant, found.debt.clone());
    let party = debts::party(&st.db, tenant.id, debt.party_id).await?.ok_or(AppError::NotFound)?;
    let as_of = tenant.local_date(st.clock.now());
    let s = standings(Conn::Db(&st.db), tenant, vec![debt], as_of).await?.pop().ok_or(AppError::NotFound)?;
    let b = s.balance;
    Ok(LookupView {
        rf: RfReference::parse(&s.debt.rf).map(|r| r.to_string()).unwrap_or(s.debt.rf.clone()),
        municipality: Municipality { el: tenant.name_el.clone(), en: tenant.name_en.clone() },
        kind: s.kind.as_str().into(),
        kind_label_el: s.kind.label(Lang::El).into(),
        kind_label_en: s.kind.label(Lang::En).into(),
        fiscal_year: s.debt.fiscal_year,
        due_on: s.debt.due_on,
        principal: b.principal.to_api_string(),
        surcharges: b.surcharges.to_api_string(),
        paid: b.paid().to_api_string(),
        outstanding: b.outstanding().to_api_string(),
        as_of,
        debtor: initials(&party.name),
    })
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockRequest {
    /// The last three characters of the debtor's tax id, as printed on the notice.
    pub tax_id_last3: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UnlockView {
    /// The full notice (PDF) of the debtor's open debts; the link carries 256 random bits.
    pub notice_url: String,
    pub expires_at: DateTime<Utc>,
}

/// How long an unlocked notice link stays valid.
const NOTICE_LINK_MINUTES: i64 = 30;

/// The second factor: the last three characters of the tax id open the full
/// notice. Attempts per reference are limited.
#[utoipa::path(post, path = "/api/v1/lookup/{rf}/unlock", tag = "public", params(("rf" = String, Path)),
    request_body = UnlockRequest,
    responses((status = 201, body = UnlockView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 429, body = crate::error::Problem)))]
pub async fn unlock(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(rf): Path<String>,
    ApiJson(req): ApiJson<UnlockRequest>,
) -> AppResult<(StatusCode, Json<UnlockView>)> {
    let found = find(&st, peer, &headers, &rf).await?;
    Ok((StatusCode::CREATED, Json(open_notice(&st, &found, &req.tax_id_last3).await?)))
}

/// Checks the second factor and mints the notice link, for the API and the page.
pub async fn open_notice(st: &AppState, found: &Found, tax_id_last3: &str) -> AppResult<UnlockView> {
    let (tenant, debt) = (&found.tenant, &found.debt);
    let now = st.clock.now();
    // Guesses are counted per debtor, not per reference: a party with many
    // debts gets no more tries at the 1 000 possible digits.
    if !st.limiter.allow(&format!("unlock:{}", debt.party_id), Limit { requests: 10, window_s: 3600 }, now) {
        return Err(AppError::TooManyRequests);
    }
    let party = debts::party(&st.db, tenant.id, debt.party_id).await?.ok_or(AppError::NotFound)?;
    let given = tax_id_last3.trim().to_uppercase();
    let matches = party.tax_id.as_deref().is_some_and(|t| {
        let last3: String = t.chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
        given.chars().count() == 3 && secret::same_secret(&last3, &given)
    });
    if !matches {
        return Err(AppError::Forbidden("the digits do not match the tax id on the notice".into()));
    }
    let token = secret::random_token();
    let expires_at = now + Duration::minutes(NOTICE_LINK_MINUTES);
    let mut tx = st.db.begin_write().await?;
    notices::create_token(&mut tx, tenant.id, &secret::sha256_hex(&token), party.id, now, expires_at).await?;
    audit::append(
        &mut tx,
        tenant.id,
        now,
        &Actor::Public,
        "notice.unlocked",
        &format!("party:{}", party.id),
        json!({"rf": debt.rf}),
    )
    .await?;
    tx.commit().await?;
    Ok(UnlockView { notice_url: format!("/notices/{}.{token}", tenant.id.simple()), expires_at })
}
