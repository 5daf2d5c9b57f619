//! One error type for the HTTP layer and its one `IntoResponse`: RFC 9457
//! problem+json with a stable `type`. A 5xx never carries internal text; the
//! cause is logged once, here.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    BadRequest(String),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("{detail}")]
    Conflict { kind: &'static str, detail: String },
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("unsupported media type: send application/json")]
    UnsupportedMediaType,
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A file was refused whole; every problem found is listed (up to a cap).
    #[error("the file was refused: {total} problems, nothing was written")]
    InvalidFile { problems: Vec<crate::imports::debt_roll::Problem>, total: usize },
    #[error("too many requests; try again in a minute")]
    TooManyRequests,
    /// What the client saw has changed since (412).
    #[error("{0}")]
    Stale(String),
    /// A service we depend on (the card provider) did not answer; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// The card provider refused or garbled a request we made.
    #[error("{0}")]
    BadGateway(String),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// Anything that is our fault. Its text goes to the log only.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error(transparent)]
    Store(StoreError),
    #[error("{0}")]
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON pointer-ish name of the field, e.g. `iban`.
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        FieldError { field: field.into(), reason: reason.to_string() }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict => {
                AppError::Conflict { kind: "conflict", detail: "a resource with the same key already exists".into() }
            }
            other => AppError::Internal(InternalError::Store(other)),
        }
    }
}

/// The RFC 9457 body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable identifier of the problem kind, e.g. `/problems/not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a refused file: each problem with its row and column.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<crate::imports::debt_roll::Problem>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::NoRoute => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::InvalidFile { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Stale(_) => StatusCode::PRECONDITION_FAILED,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable `type` slug.
    pub fn slug(&self) -> &'static str {
        match self {
            AppError::NotFound => "not-found",
            AppError::NoRoute => "no-such-route",
            AppError::MethodNotAllowed => "method-not-allowed",
            AppError::Unauthenticated => "unauthenticated",
            AppError::BadRequest(_) => "bad-request",
            AppError::Invalid(_) => "validation",
            AppError::Conflict { kind, .. } => kind,
            AppError::TooLarge(_) => "payload-too-large",
            AppError::UnsupportedMediaType => "unsupported-media-type",
            AppError::Forbidden(_) => "forbidden",
            AppError::InvalidFile { .. } => "invalid-file",
            AppError::TooManyRequests => "rate-limited",
            AppError::Stale(_) => "stale",
            AppError::Unavailable(_) => "provider-unavailable",
            AppError::BadGateway(_) => "provider-error",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, reason)])
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            AppError::Internal(_) => None,
            AppError::Invalid(_) => Some("the request has invalid fields".to_string()),
            other => Some(other.to_string()),
        };
        Problem {
            kind: format!("/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            detail,
            errors: match self {
                AppError::Invalid(v) => v.clone(),
                _ => vec![],
            },
            problems: match self {
                AppError::InvalidFile { problems, .. } => problems.clone(),
                _ => vec![],
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = %cause, "internal error");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        (self.status(), [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<crate::bills::compose::NoticeError> for AppError {
    fn from(e: crate::bills::compose::NoticeError) -> Self {
        use crate::bills::compose::NoticeError;
        match e {
            NoticeError::NoParty => AppError::NotFound,
            NoticeError::NothingOwed => {
                AppError::Conflict { kind: "nothing-owed", detail: "the party has no open debts".into() }
            }
            NoticeError::Store(s) => s.into(),
            NoticeError::Render(r) => AppError::Internal(InternalError::Other(r)),
        }
    }
}

impl From<crate::collect::card::CardError> for AppError {
    fn from(e: crate::collect::card::CardError) -> Self {
        use crate::collect::card::CardError;
        use crate::collect::provider::ProviderError;
        use crate::collect::providers::SetupError;
        use crate::domain::quote::QuoteError;
        match e {
            CardError::Quote(QuoteError::NothingDue) => {
                AppError::Conflict { kind: "nothing-owed", detail: "nothing is due on the chosen debts".into() }
            }
            CardError::Quote(q @ (QuoteError::Allocation(_) | QuoteError::Overflow)) => {
                AppError::Internal(InternalError::Other(q.to_string()))
            }
            CardError::Quote(q) => AppError::invalid("amount", q),
            CardError::UnknownDebt => AppError::invalid("debts", "no such debt for this party"),
            CardError::NotFound => AppError::NotFound,
            CardError::QuoteExpired => {
                AppError::Conflict { kind: "quote-expired", detail: "the quote expired; ask for a new one".into() }
            }
            CardError::Setup(s @ (SetupError::NoCardPayments | SetupError::SandboxForLiveTenant)) => {
                AppError::Conflict { kind: "card-payments-unavailable", detail: s.to_string() }
            }
            CardError::Setup(SetupError::Store(s)) | CardError::Store(s) => s.into(),
            CardError::Setup(s) => AppError::Internal(InternalError::Other(s.to_string())),
            CardError::Provider(p @ ProviderError::Unavailable(_)) => AppError::Unavailable(p.to_string()),
            CardError::Provider(p) => AppError::BadGateway(p.to_string()),
            CardError::Apply(a) => AppError::Internal(InternalError::Other(a.to_string())),
        }
    }
}

impl From<crate::collect::refund::RefundFailure> for AppError {
    fn from(e: crate::collect::refund::RefundFailure) -> Self {
        use crate::collect::refund::RefundFailure;
        match e {
            s @ RefundFailure::Stale { .. } => AppError::Stale(s.to_string()),
            r @ RefundFailure::OutOfRange { .. } => AppError::invalid("amount", r),
            n @ RefundFailure::NotRefundable { .. } => {
                AppError::Conflict { kind: "not-refundable", detail: n.to_string() }
            }
            RefundFailure::Card(c) => c.into(),
            RefundFailure::Plan(p) => AppError::Internal(InternalError::Other(p.to_string())),
        }
    }
}

impl From<crate::collect::write_off::WriteOffError> for AppError {
    fn from(e: crate::collect::write_off::WriteOffError) -> Self {
        use crate::collect::write_off::WriteOffError;
        match e {
            WriteOffError::NotFound => AppError::NotFound,
            n @ WriteOffError::NothingOutstanding => AppError::Conflict { kind: "nothing-owed", detail: n.to_string() },
            WriteOffError::Store(s) => s.into(),
        }
    }
}
