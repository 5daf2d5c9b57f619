//! The one storage layer for SQLite and PostgreSQL: a `Db` pool and a `Tx`
//! transaction, each an enum over the two drivers, and one file per aggregate.
//!
//! SQL is written once (both dialects accept `$1` placeholders); where the
//! dialects differ the branch is named (`begin_write`, `lock_party`).

pub mod audit;
pub mod batch;
pub mod card_payments;
pub mod card_providers;
pub mod counters;
pub mod debts;
mod debts_unnest;
pub mod idempotency;
pub mod invariants;
pub mod journal;
pub mod keys;
pub mod notices;
pub mod payments;
pub mod provider_events;
pub mod quotes;
pub mod receipts;
pub mod refunds;
pub mod sessions;
pub mod tenants;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// Runs `$body` with `$pool` bound to the concrete pool of either driver.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the concrete transaction's connection.
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
/// Runs `$body` with `$c` bound to a pool or a transaction's connection, for
/// reads that serve both inside and outside a transaction.
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::Conn::Db($crate::store::Db::Sqlite($c)) => $body,
            $crate::store::Conn::Db($crate::store::Db::Postgres($c)) => $body,
            $crate::store::Conn::Tx($crate::store::Tx::Sqlite(t)) => {
                let $c = &mut **t;
                $body
            }
            $crate::store::Conn::Tx($crate::store::Tx::Postgres(t)) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use {on_conn, on_pool, on_tx};

/// Where a read runs: on the pool, or inside a transaction that holds locks
/// (reading there avoids needing a second connection while holding the first).
pub enum Conn<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
}

/// What can go wrong in storage. Callers map `Conflict` and `NotFound` to
/// 4xx; everything else is a 5xx whose text never reaches a client.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL scheme in {0:?}: use sqlite:// or postgres://")]
    UnsupportedUrl(String),
    #[error("a row with the same key already exists")]
    Conflict,
    #[error("not found")]
    NotFound,
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the data folder: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Turns a unique violation into `Conflict`, recognized by its kind and not by
    /// a constraint name (SQLite gives none).
    pub fn from_insert(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Sqlx(e),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

pub enum Tx {
    Sqlite(SqliteTx),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// A SQLite write transaction with its turn at the database's one writer.
pub struct SqliteTx {
    // Dropped first: a transaction dropped uncommitted is rolled back
    // before the next writer's turn begins.
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl std::ops::Deref for SqliteTx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &sqlx::SqliteConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.tx
    }
}

/// SQLite has one writer. This process's writers of one database file wait
/// for their turn here, each woken the moment the one before ends, rather
/// than in SQLite's busy handler, which retries after sleeps of up to 100 ms.
fn write_turns(pool: &SqlitePool) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    type Turns =
        std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, std::sync::Arc<tokio::sync::Mutex<()>>>>;
    static TURNS: std::sync::LazyLock<Turns> = std::sync::LazyLock::new(Default::default);
    let file = pool.connect_options().get_filename().to_owned();
    // A poisoned map only costs the queueing: SQLite still serializes writers.
    TURNS.lock().map(|mut t| t.entry(file).or_default().clone()).unwrap_or_default()
}

/// The default database when none is configured: a file under `./tameio-data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./tameio-data/tameio.db";

impl Db {
    /// Opens a pool for a `sqlite://` or `postgres://` URL. A SQLite file and its
    /// folder are created when missing.
    pub async fn connect(url: &str) -> StoreResult<Db> {
        if let Some(rest) = url.strip_prefix("sqlite://") {
            let path = rest.split('?').next().unwrap_or(rest);
            if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
                // 64 MiB of page cache per connection: a debt roll touches every
                // index page many times, and the default 2 MiB thrashes.
                .pragma("cache_size", "-65536")
                // Larger pages mean fewer writes for bulk imports; only takes
                // effect when the file is created.
                .page_size(16384);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Starts a transaction that may write. SQLite takes the write lock up front
    /// (`BEGIN IMMEDIATE`) so that two writers never deadlock upgrading a read
    /// lock; PostgreSQL serializes on the row locks each operation takes.
    pub async fn begin_write(&self) -> StoreResult<Tx> {
        Ok(match self {
            Db::Sqlite(p) => {
                let turn = write_turns(p).lock_owned().await;
                Tx::Sqlite(SqliteTx { tx: p.begin_with("BEGIN IMMEDIATE").await?, _turn: turn })
            }
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub async fn ping(&self) -> StoreResult<()> {
        on_pool!(self, |p| sqlx::query("select 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub fn dialect(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
    }
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(t) => t.tx.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// A URL without its password, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => url.split('@').next_back().unwrap_or_default().to_string(),
    }
}

/// Timestamps are stored with microsecond precision on both databases
/// (PostgreSQL keeps no more), so values read back compare equal.
pub fn truncate_micros(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}
