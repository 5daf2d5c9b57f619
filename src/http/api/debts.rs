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
    let opts = ParseOptions {
        decimal_comma: q.decimal_comma.unwrap_or(false),
        date_format,
    };
    let name = q.file_name.unwrap_or_else(|| "upload.csv".into());
    match debt_roll_store::import(
        &st.db,
        &auth.tenant,
        st.clock.now(),
        &auth.actor,
        &name,
        &body,
        opts,
    )
    .await?
    {
        ImportOutcome::Imported(s) if s.debts_new == 0 => Ok((StatusCode::OK, Json(s))),
        ImportOutcome::Imported(s) => Ok((StatusCode::CREATED, Json(s))),
        ImportOutcome::Refused { problems, total } => {
            Err(AppError::InvalidFile { problems, total })
        }
    }
}
