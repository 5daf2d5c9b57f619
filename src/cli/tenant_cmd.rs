//! `tameio tenant`, `tameio api-key` and `tameio operator-key`.

use std::process::ExitCode;

use clap::Subcommand;

use super::{CliError, DbArgs};
use crate::clock::{Clock, SystemClock};
use crate::domain::actor::Actor;
use crate::platform::{self, TenantSpec};
use crate::store::tenants;

// Built once per process: the size of the larger variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum TenantCmd {
    /// Create a tenant.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name_el: String,
        #[arg(long)]
        name_en: String,
        #[arg(long)]
        creditor_name: String,
        #[arg(long)]
        iban: String,
        #[arg(long)]
        bic: Option<String>,
        #[arg(long)]
        rf_prefix: String,
        #[arg(long, default_value = "Europe/Athens")]
        time_zone: String,
        #[arg(long, default_value = "test")]
        mode: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List tenants.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCmd {
    /// Create a tenant API key and print it once.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum OperatorKeyCmd {
    /// Create a platform operator key and print it once.
    Create {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run_tenant(cmd: TenantCmd) -> Result<ExitCode, CliError> {
    match cmd {
        TenantCmd::Create { slug, name_el, name_en, creditor_name, iban, bic, rf_prefix, time_zone, mode, db } => {
            let spec = TenantSpec {
                slug,
                name_el,
                name_en,
                creditor_name,
                iban,
                bic,
                rf_prefix,
                time_zone: Some(time_zone),
                mode: Some(mode),
                policies: None,
            };
            let new = spec.validate().map_err(|errs| {
                CliError::Usage(
                    errs.iter()
                        .map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.reason))
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            })?;
            let db = db.open().await?;
            let id = platform::create_tenant(&db, SystemClock.now(), &Actor::Cli, &new).await.map_err(|e| match e {
                crate::store::StoreError::Conflict => {
                    CliError::Usage("a tenant with this slug or RF prefix exists".into())
                }
                other => other.into(),
            })?;
            println!("tenant {} created: {id}", new.slug.as_str());
            Ok(ExitCode::SUCCESS)
        }
        TenantCmd::List { db } => {
            let db = db.open().await?;
            for t in tenants::list_all(&db).await? {
                println!("{}\t{}\t{}\t{}", t.slug.as_str(), t.mode.as_str(), t.rf_prefix.as_str(), t.name_el);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub async fn run_api_key(cmd: ApiKeyCmd) -> Result<ExitCode, CliError> {
    let ApiKeyCmd::Create { tenant, name, db } = cmd;
    let db = db.open().await?;
    let t = tenants::by_slug(&db, &tenant).await?.ok_or_else(|| CliError::Usage(format!("no tenant {tenant:?}")))?;
    let k = platform::create_api_key(&db, SystemClock.now(), &Actor::Cli, t.id, &platform::nfc(&name)).await?;
    println!("API key: {}", k.key);
    Ok(ExitCode::SUCCESS)
}

pub async fn run_operator_key(cmd: OperatorKeyCmd) -> Result<ExitCode, CliError> {
    let OperatorKeyCmd::Create { name, db } = cmd;
    let db = db.open().await?;
    let k = platform::create_operator_key(&db, SystemClock.now(), &platform::nfc(&name)).await?;
    println!("Operator key: {}", k.key);
    Ok(ExitCode::SUCCESS)
}
