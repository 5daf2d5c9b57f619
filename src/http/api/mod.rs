//! The JSON API under `/api/v1`. Every route is registered through
//! `utoipa_axum`, so the served OpenAPI document lists exactly these routes.

pub mod debts;
pub mod keys;
pub mod ledger;
pub mod lookup;
pub mod payments;
pub mod platform;
pub mod tenant;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tameio API", version = "1", description = "Payments and clearance certificates for municipalities. Errors are application/problem+json (RFC 9457)."),
    modifiers(&BearerAuth),
    components(schemas(crate::error::Problem))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes (paths relative to the server root) and their document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(platform::create_tenant, platform::list_tenants))
        .routes(routes!(platform::get_tenant))
        .routes(routes!(platform::create_tenant_key))
        .routes(routes!(platform::set_card_provider))
        .routes(routes!(tenant::get_own_tenant))
        .routes(routes!(tenant::list_revenue_codes, tenant::set_revenue_code))
        .routes(routes!(tenant::recent_audit))
        .routes(routes!(keys::list_keys, keys::create_key))
        .routes(routes!(keys::get_key))
        .routes(routes!(keys::revoke_key))
        .routes(routes!(ledger::feed))
        .routes(routes!(debts::list_debts))
        .routes(routes!(debts::party_notice))
        .routes(routes!(lookup::lookup))
        .routes(routes!(lookup::unlock))
        .routes(routes!(payments::create_quote))
        .routes(routes!(payments::start_payment))
        .routes(routes!(payments::get_payment))
        .routes(routes!(payments::create_refund))
        .routes(routes!(payments::write_off_debt))
        .routes(routes!(payments::apply_credit))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(debts::import_roll))
                .layer(axum::extract::DefaultBodyLimit::max(debts::ROLL_LIMIT_BYTES)),
        )
}
