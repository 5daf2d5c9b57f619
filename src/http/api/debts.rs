//! Debt rolls in, debts out: the finance department's API.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;

use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiQuery, TenantAuth};
use crate::imports::debt_roll::{DateFormat, ParseOptions};
use crate::imports::debt_roll_store::{self, ImportOutcome, ImportSummary};

/// Debt rolls may be large: 100 000 rows are about 15 MB.
pub const ROLL_LIMIT_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct RollQuery {
    /// Amounts are written `1234,56`.
    pub decimal_comma: Option<bool>,
    /// `iso` (YYYY-MM-DD, default) or `dmy` (DD/MM/YYYY).
    pub date_format: Option<String>,
    /// The file's name, kept with the roll.
    pub file_name: Option<String>,
}

/// Imports a debt roll (CSV, UTF-8). The whole file is validated first: any
/// invalid or conflicting row refuses it whole with every problem listed.
/// Rows already stored identically are skipped, so sending a file twice
/// changes nothing.
#[utoipa::path(post, path = "/api/v1/debt-rolls", tag = "debts", params(RollQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportSummary), (status = 200, body = ImportSummary, description = "nothing new"),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn import_roll(
    State(st): State<AppState>,
    auth: TenantAuth,
    ApiQuery(q): ApiQuery<RollQuery>,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<(StatusCode, Json<ImportSummary>)> {
    let body = body.map_err(|_| AppError::TooLarge(ROLL_LIMIT_BYTES))?;

    let date_format = match q.date_format.as_deref() {
        None | Some("iso") => DateFormat::Iso,
        Some("dmy") => DateFormat::Dmy,
        Some(_) => return Err(AppError::invalid("date_format", "must be iso or dmy")),
    };
    let opts = ParseOptions { decimal_comma: q.decimal_comma.unwrap_or(false), date_format };
    let name = q.file_name.unwrap_or_else(|| "upload.csv".into());
    match debt_roll_store::import(&st.db, &auth.tenant, st.clock.now(), &auth.actor, &name, &body, opts).await? {
        ImportOutcome::Imported(s) if s.debts_new == 0 => Ok((StatusCode::OK, Json(s))),
        ImportOutcome::Imported(s) => Ok((StatusCode::CREATED, Json(s))),
        ImportOutcome::Refused { problems, total } => Err(AppError::InvalidFile { problems, total }),
    }
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct DebtQuery {
    /// Only the debts of the party with this tax id.
    pub tax_id: Option<String>,
    /// Only debts of this kind (e.g. `water`).
    pub kind: Option<String>,
    /// `open` (principal not fully paid) or `paid`.
    pub status: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// 1 to 500, default 100.
    pub limit: Option<i64>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DebtView {
    pub id: uuid::Uuid,
    pub source_id: String,
    pub party_id: uuid::Uuid,
    pub rf: String,
    pub kind: String,
    pub fiscal_year: i32,
    pub revenue_code: Option<String>,
    pub property_id: Option<String>,
    pub description: String,
    pub assessed_on: chrono::NaiveDate,
    pub due_on: chrono::NaiveDate,
    pub principal: String,
    pub surcharges: String,
    pub paid: String,
    pub outstanding: String,
    pub status: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DebtPage {
    pub debts: Vec<DebtView>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<String>,
    /// The business date the amounts hold for.
    pub as_of: chrono::NaiveDate,
}

fn parse_cursor(s: &str) -> Option<(chrono::NaiveDate, uuid::Uuid)> {
    let (d, id) = s.split_once('_')?;
    Some((d.parse().ok()?, uuid::Uuid::try_parse(id).ok()?))
}

/// The tenant's debts, oldest due first, with their balances as of today.
#[utoipa::path(get, path = "/api/v1/debts", tag = "debts", params(DebtQuery),
    responses((status = 200, body = DebtPage), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn list_debts(
    State(st): State<AppState>,
    auth: TenantAuth,
    ApiQuery(q): ApiQuery<DebtQuery>,
) -> AppResult<Json<DebtPage>> {
    use crate::domain::debt_kind::DebtKind;
    use crate::store::debts::{self, DebtFilter};
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 500"));
    }
    if let Some(k) = &q.kind
        && k.parse::<DebtKind>().is_err()
    {
        return Err(AppError::invalid("kind", "unknown debt kind"));
    }
    let open = match q.status.as_deref() {
        None => None,
        Some("open") => Some(true),
        Some("paid") => Some(false),
        Some(_) => return Err(AppError::invalid("status", "must be open or paid")),
    };
    let after = match q.after.as_deref() {
        None => None,
        Some(c) => Some(parse_cursor(c).ok_or_else(|| AppError::invalid("after", "not a cursor from this list"))?),
    };
    let tax_id = q.tax_id.map(|t| t.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase());
    let filter = DebtFilter { tax_id, kind: q.kind, open };
    let records = debts::list(&st.db, auth.tenant.id, &filter, after, limit).await?;
    let full_page = i64::try_from(records.len()).unwrap_or(0) == limit;
    let as_of = auth.tenant.local_date(st.clock.now());
    let rows = crate::debts::standings(crate::store::Conn::Db(&st.db), &auth.tenant, records, as_of).await?;
    let next = rows.last().filter(|_| full_page).map(|s| format!("{}_{}", s.debt.due_on, s.debt.id));
    let debts = rows
        .into_iter()
        .map(|s| {
            let b = s.balance;
            DebtView {
                status: if b.principal_due().is_positive() { "open" } else { "paid" }.into(),
                id: s.debt.id,
                source_id: s.debt.source_id,
                party_id: s.debt.party_id,
                rf: s.debt.rf,
                kind: s.debt.kind,
                fiscal_year: s.debt.fiscal_year,
                revenue_code: s.debt.revenue_code,
                property_id: s.debt.property_id,
                description: s.debt.description,
                assessed_on: s.debt.assessed_on,
                due_on: s.debt.due_on,
                principal: b.principal.to_api_string(),
                surcharges: b.surcharges.to_api_string(),
                paid: b.paid().to_api_string(),
                outstanding: b.outstanding().to_api_string(),
            }
        })
        .collect();
    Ok(Json(DebtPage { debts, next, as_of }))
}

/// The party's notice (ειδοποιητήριο): every open debt with its RF, amount and
/// EPC QR code, as a PDF.
#[utoipa::path(get, path = "/api/v1/parties/{id}/notice", tag = "debts", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn party_notice(
    State(st): State<AppState>,
    auth: TenantAuth,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> AppResult<axum::response::Response> {
    let id = uuid::Uuid::try_parse(&id).map_err(|_| AppError::NotFound)?;
    let today = auth.tenant.local_date(st.clock.now());
    let pdf = crate::bills::compose::party_notice(&st.db, &auth.tenant, id, today).await?;
    Ok(pdf_response(pdf, &format!("notice-{today}.pdf")))
}

/// A PDF download that no cache keeps.
pub fn pdf_response(pdf: Vec<u8>, file_name: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let disposition = format!("inline; filename=\"{file_name}\"");
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        pdf,
    )
        .into_response()
}
