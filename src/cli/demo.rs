//! `tameio demo`: the demo municipality on SQLite, created once from a fixed
//! seed, served with a fresh API key each run.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use super::{CliError, DbArgs};
use crate::app::{self, AppState, Settings};
use crate::clock::{Clock, SystemClock};
use crate::domain::actor::Actor;
use crate::platform::{self, TenantSpec};
use crate::store::{Db, tenants};

pub const DEMO_SLUG: &str = "demo";

/// The demo tenant as a spec: a test-mode municipality, so only the sandbox
/// provider may take its payments and its receipts are a TEST- series.
fn demo_spec() -> TenantSpec {
    TenantSpec {
        slug: DEMO_SLUG.into(),
        name_el: "Δήμος Δοκιμών (επίδειξη)".into(),
        name_en: "Demo Municipality".into(),
        creditor_name: "DIMOS DOKIMON".into(),
        iban: "GR1601101250000000012300695".into(),
        bic: Some("ETHNGRAA".into()),
        rf_prefix: "DEMO".into(),
        time_zone: Some("Europe/Athens".into()),
        mode: Some("test".into()),
        policies: None,
    }
}

/// Creates the demo tenant when absent; returns its id.
pub async fn ensure_demo(db: &Db, clock: &dyn Clock) -> Result<uuid::Uuid, CliError> {
    if let Some(t) = tenants::by_slug(db, DEMO_SLUG).await? {
        return Ok(t.id);
    }
    let spec = demo_spec().validate().map_err(|e| CliError::Usage(format!("demo tenant: {e:?}")))?;
    Ok(platform::create_tenant(db, clock.now(), &Actor::Cli, &spec).await?)
}

pub async fn run(addr: SocketAddr, db_args: DbArgs) -> Result<ExitCode, CliError> {
    let db_args = DbArgs { data: db_args.data.or_else(|| Some("tameio-data".into())), ..db_args };
    let db = db_args.open().await?;
    let clock = Arc::new(SystemClock);
    let tenant = ensure_demo(&db, clock.as_ref()).await?;
    let key = platform::create_api_key(&db, clock.now(), &Actor::Cli, tenant, "demo").await?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("Tameio demo municipality (test mode, sandbox payments) at {base}");
    println!("  officer sign-in: {base}/officer/login");
    println!("  API document:    {base}/api/v1/openapi.json");
    println!("  health:          {base}/healthz");
    println!("API key: {}", key.key);
    let state = AppState::new(db.clone(), clock, Settings::default());
    app::serve(listener, state, app::shutdown_signal()).await?;
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
