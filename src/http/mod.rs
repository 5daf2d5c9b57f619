//! HTTP: the router, the middleware every response passes (security headers,
//! access log with tokens redacted, metrics) and the fallbacks.

pub mod api;
pub mod extract;
pub mod idempotency;
pub mod lookup_page;
pub mod officer;
pub mod ops;
pub mod page;
pub mod pay_page;
pub mod public;
pub mod rate_limit;
pub mod webhooks;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::error::AppError;

/// Bodies above this are refused with 413 before they are read.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi = std::sync::Arc::new(openapi);
    Router::new()
        .merge(api)
        .merge(ops::router(openapi))
        .merge(officer::router())
        .merge(public::router())
        .merge(lookup_page::router())
        .merge(pay_page::router())
        .merge(webhooks::router())
        .fallback(fallback)
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

async fn fallback(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        AppError::NoRoute.into_response()
    } else {
        page::not_found(page::lang_of(req.headers(), req.uri().query())).into_response()
    }
}

/// Strict headers on every response. Pages load only our own scripts and
/// styles; nothing may frame us.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    // A page that needs more (the card step, for Stripe.js) sets its own.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(
            h,
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        );
    }
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    set(h, "strict-transport-security", "max-age=63072000; includeSubDomains");
    set(h, "permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()");
    set(h, "cross-origin-opener-policy", "same-origin");
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    res
}

/// Access log and metrics. The route template is logged, not the concrete
/// path, so tokens in URLs never reach a log; without a template the path is
/// logged with long segments redacted.
async fn observe(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = match req.extensions().get::<MatchedPath>() {
        Some(m) => m.as_str().to_string(),
        None => redact_path(req.uri().path()),
    };
    let res = next.run(req).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    let metric_route = if res.status() == axum::http::StatusCode::NOT_FOUND && !route.contains('{') {
        "unmatched".to_string()
    } else {
        route.clone()
    };
    st.metrics.observe(method.as_str(), &metric_route, status, elapsed);
    tracing::info!(target: "access", method = %method, route = %route, status, elapsed_ms = elapsed.as_millis() as u64, "request");
    res
}

/// Replaces every path segment that could be a secret (16 or more characters
/// of token alphabet) with `{redacted}`.
pub fn redact_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let tokenish = seg.len() >= 16
                && seg.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'.'));
            if tokenish { "{redacted}" } else { seg }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_path_segments_are_redacted() {
        assert_eq!(super::redact_path("/V/ABCDEFGHIJKLMNOPQRSTUVWX"), "/V/{redacted}");
        assert_eq!(super::redact_path("/api/v1/lookup/RF18539007547034"), "/api/v1/lookup/{redacted}");
        assert_eq!(super::redact_path("/officer/login"), "/officer/login");
    }
}
