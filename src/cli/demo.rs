//! `tameio demo`: the demo municipality on SQLite, created once from a fixed
//! seed, served with a fresh API key each run.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use super::demo_data;
use super::{CliError, DbArgs};
use crate::app::{self, AppState, Settings};
use crate::clock::{Clock, SystemClock};
use crate::collect::apply::{Channel, IncomingPayment, apply_payment};
use crate::domain::actor::Actor;
use crate::imports::debt_roll::ParseOptions;
use crate::imports::debt_roll_store::{self, ImportOutcome};
use crate::platform::{self, TenantSpec};
use crate::store::{Db, debts as debts_store, payments as payments_store, tenants};

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

/// Creates the demo tenant and its data when absent; returns its id. Each
/// step is idempotent, so an interrupted first run completes on the next.
pub async fn ensure_demo(db: &Db, clock: &dyn Clock) -> Result<uuid::Uuid, CliError> {
    let tenant = match tenants::by_slug(db, DEMO_SLUG).await? {
        Some(t) => t,
        None => {
            let spec = demo_spec().validate().map_err(|e| CliError::Usage(format!("demo tenant: {e:?}")))?;
            let id = platform::create_tenant(db, clock.now(), &Actor::Cli, &spec).await?;
            tenants::by_id(db, id).await?.ok_or_else(|| CliError::Usage("demo tenant vanished".into()))?
        }
    };
    let now = clock.now();
    let (csv, seed_payments) = demo_data::demo_roll(tenant.local_date(now));
    let outcome = debt_roll_store::import(
        db,
        &tenant,
        now,
        &Actor::Cli,
        "demo-roll.csv",
        csv.as_bytes(),
        ParseOptions::default(),
    )
    .await?;
    if let ImportOutcome::Refused { problems, .. } = outcome {
        return Err(CliError::Usage(format!("the demo roll was refused: {problems:?}")));
    }
    if payments_store::count(db, tenant.id).await? == 0 {
        let page = debts_store::DebtFilter::default();
        let all = debts_store::list(db, tenant.id, &page, None, 1000).await?;
        for sp in seed_payments {
            let Some(debt) = all.iter().find(|d| d.source_id == sp.debt_source_id) else { continue };
            let incoming = IncomingPayment {
                party_id: debt.party_id,
                channel: Channel::BankTransfer,
                amount: sp.amount,
                received_on: sp.on,
                debts: Some(vec![debt.id]),
            };
            apply_payment(db, &tenant, now, &Actor::Cli, &incoming)
                .await
                .map_err(|e| CliError::Usage(format!("demo payment for {}: {e}", sp.party_source_id)))?;
        }
    }
    Ok(tenant.id)
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
