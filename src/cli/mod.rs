//! The `tameio` command line: one binary, one subcommand per job.

mod audit_cmd;
pub mod demo;
mod demo_data;
mod import_cmd;
mod statement_cmd;
mod tenant_cmd;
mod verify_cmd;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::app::{self, AppState, Settings};
use crate::clock::SystemClock;
use crate::store::{DEFAULT_DATABASE_URL, Db};

#[derive(Debug, Parser)]
#[command(name = "tameio", version, about = "Payments and clearance certificates for municipalities")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives: a URL, or a folder for the embedded SQLite file.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// `sqlite://PATH` or `postgres://...`.
    #[arg(long, env = "TAMEIO_DATABASE_URL", conflicts_with = "data", global = true)]
    pub database_url: Option<String>,
    /// A folder holding the SQLite database (`DIR/tameio.db`).
    #[arg(long, global = true)]
    pub data: Option<std::path::PathBuf>,
}

impl DbArgs {
    pub fn url(&self) -> String {
        match (&self.database_url, &self.data) {
            (Some(u), _) => u.clone(),
            (None, Some(dir)) => format!("sqlite://{}", dir.join("tameio.db").display()),
            (None, None) => DEFAULT_DATABASE_URL.to_string(),
        }
    }

    /// Connects and brings the schema up to date.
    pub async fn open(&self) -> Result<Db, CliError> {
        let db = Db::connect(&self.url()).await?;
        db.migrate().await?;
        Ok(db)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web pages and the API.
    Serve {
        #[arg(long, env = "TAMEIO_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[command(flatten)]
        db: DbArgs,
        /// Send cookies without `Secure` (only behind plain HTTP on a private network).
        #[arg(long, env = "TAMEIO_INSECURE_COOKIES")]
        insecure_cookies: bool,
        /// A proxy whose X-Forwarded-For header is believed (repeatable).
        #[arg(long = "trusted-proxy", env = "TAMEIO_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Seconds a node holds a provider event it took before another node
        /// (or this one, restarted) takes it again.
        #[arg(long, env = "TAMEIO_EVENT_LEASE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=3600))]
        event_lease_seconds: u32,
    },
    /// Serve the demo municipality (test mode, sandbox payments) on SQLite.
    Demo {
        #[arg(long, env = "TAMEIO_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Bring the database schema up to date and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Import a debt roll (CSV) for a tenant: all rows or none.
    ImportDebts(import_cmd::ImportDebts),
    /// Verify a clearance certificate offline (PDF, token or QR URL).
    Verify(verify_cmd::Verify),
    /// Bank statements.
    Statement {
        #[command(subcommand)]
        cmd: statement_cmd::StatementCmd,
    },
    /// Tenants (municipalities).
    Tenant {
        #[command(subcommand)]
        cmd: tenant_cmd::TenantCmd,
    },
    /// Tenant API keys.
    ApiKey {
        #[command(subcommand)]
        cmd: tenant_cmd::ApiKeyCmd,
    },
    /// Platform operator keys.
    OperatorKey {
        #[command(subcommand)]
        cmd: tenant_cmd::OperatorKeyCmd,
    },
    /// The audit chain.
    Audit {
        #[command(subcommand)]
        cmd: audit_cmd::AuditCmd,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cmd: Command) -> Result<ExitCode, CliError> {
    match cmd {
        Command::Serve { addr, db, insecure_cookies, trusted_proxies, event_lease_seconds } => {
            let db = db.open().await?;
            let listener = tokio::net::TcpListener::bind(addr).await?;
            let state = AppState::new(
                db.clone(),
                Arc::new(SystemClock),
                Settings {
                    secure_cookies: !insecure_cookies,
                    trusted_proxies,
                    event_lease_s: event_lease_seconds,
                    ..Settings::default()
                },
            );
            tracing::info!(addr = %listener.local_addr()?, database = db.dialect(), "serving");
            println!("Tameio listening on http://{}", listener.local_addr()?);
            app::serve(listener, state, app::shutdown_signal()).await?;
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { addr, db } => demo::run(addr, db).await,
        Command::Migrate { db } => {
            db.open().await?;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportDebts(a) => import_cmd::run(a).await,
        Command::Verify(v) => verify_cmd::run(v),
        Command::Statement { cmd } => statement_cmd::run(cmd),
        Command::Tenant { cmd } => tenant_cmd::run_tenant(cmd).await,
        Command::ApiKey { cmd } => tenant_cmd::run_api_key(cmd).await,
        Command::OperatorKey { cmd } => tenant_cmd::run_operator_key(cmd).await,
        Command::Audit { cmd } => audit_cmd::run(cmd).await,
    }
}
