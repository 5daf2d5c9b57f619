//! Spawns the real app on a fresh database (a SQLite file or a PostgreSQL
//! database of its own) and talks to it over HTTP.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use tameio::app::{AppState, Settings};
use tameio::clock::TestClock;
use tameio::store::Db;
use tokio::sync::oneshot;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `sqlite::NAME` and `postgres::NAME` tests from `async fn NAME(Backend)`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        pub mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        pub mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::helpers::postgres_admin_url().is_none() {
                        eprintln!("TAMEIO_TEST_POSTGRES_URL is not set: PostgreSQL test skipped");
                        return;
                    }
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TAMEIO_TEST_POSTGRES_URL").ok().filter(|s| !s.is_empty())
}

/// The database a test owns, removed when the test finishes.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    PgDatabase { admin_url: String, name: String },
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("tameio-test-{}", Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                TestDb { url: format!("sqlite://{}", dir.join("tameio.db").display()), cleanup: Cleanup::Dir(dir) }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url().expect("TAMEIO_TEST_POSTGRES_URL");
                let name = format!("tameio_test_{}", Uuid::new_v4().simple());
                let admin = Db::connect(&admin_url)
                    .await
                    .expect("TAMEIO_TEST_POSTGRES_URL is set but PostgreSQL does not answer");
                let Db::Postgres(pool) = &admin else { panic!("TAMEIO_TEST_POSTGRES_URL must be a postgres:// URL") };
                sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
                    .execute(pool)
                    .await
                    .expect("create test database");
                admin.close().await;
                let mut url = url::Url::parse(&admin_url).expect("url");
                url.set_path(&name);
                TestDb { url: url.to_string(), cleanup: Cleanup::PgDatabase { admin_url, name } }
            }
        }
    }

    pub async fn remove(&self) {
        match &self.cleanup {
            Cleanup::Dir(d) => {
                let _ = std::fs::remove_dir_all(d);
            }
            Cleanup::PgDatabase { admin_url, name } => {
                if let Ok(Db::Postgres(pool)) = Db::connect(admin_url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("drop database if exists {name} with (force)")))
                        .execute(&pool)
                        .await;
                    pool.close().await;
                }
            }
        }
    }
}

/// A tenant made through the operator API, with its first key.
#[derive(Debug, Clone)]
pub struct TestTenant {
    pub id: Uuid,
    pub key: String,
    pub key_id: Uuid,
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: Db,
    pub test_db: TestDb,
    pub clock: TestClock,
    pub client: reqwest::Client,
    pub operator_key: String,
    tenants: Vec<Uuid>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// 2026-11-23 10:00 UTC: the business clock every test starts from.
pub fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).single().expect("time")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, Settings::default()).await
    }

    pub async fn spawn_with(backend: Backend, settings: Settings) -> TestApp {
        let test_db = TestDb::new(backend).await;
        let db = Db::connect(&test_db.url).await.expect("connect");
        db.migrate().await.expect("migrate");
        let clock = TestClock::at(start_time());
        let state = AppState::new(db.clone(), Arc::new(clock.clone()), settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(tameio::app::serve(listener, state, async {
            let _ = rx.await;
        }));
        let operator_key =
            tameio::platform::create_operator_key(&db, start_time(), "tests").await.expect("operator key").key;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        TestApp {
            addr,
            db,
            test_db,
            clock,
            client,
            operator_key,
            tenants: vec![],
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str, key: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        read(req.send().await.expect("request")).await
    }

    pub async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        read(req.send().await.expect("request")).await
    }

    /// Creates a tenant through the operator API.
    pub async fn tenant(&mut self, slug: &str, rf_prefix: &str) -> TestTenant {
        let (status, body) = self
            .post("/api/v1/platform/tenants", Some(&self.operator_key.clone()), &tenant_spec(slug, rf_prefix))
            .await;
        assert_eq!(status, 201, "create tenant: {body}");
        let id = Uuid::parse_str(body["id"].as_str().expect("id")).expect("uuid");
        self.tenant_key(slug, id).await
    }

    /// A key for a tenant the test created itself through the operator API.
    pub async fn tenant_key(&mut self, slug: &str, id: Uuid) -> TestTenant {
        let (status, key) = self
            .post(
                &format!("/api/v1/platform/tenants/{slug}/api-keys"),
                Some(&self.operator_key.clone()),
                &json!({"name": "finance office"}),
            )
            .await;
        assert_eq!(status, 201, "create key: {key}");
        self.tenants.push(id);
        TestTenant {
            id,
            key: key["key"].as_str().expect("key").into(),
            key_id: Uuid::parse_str(key["id"].as_str().expect("key id")).expect("uuid"),
        }
    }

    /// Leaves a tenant out of the final invariant check (tests that tamper on purpose).
    pub fn forget_tenant(&mut self, id: Uuid) {
        self.tenants.retain(|t| *t != id);
    }

    /// Runs one statement binding the tenant id as `$1`, on either database.
    pub async fn exec(&self, sql: &'static str, tenant: Uuid) -> u64 {
        match &self.db {
            Db::Sqlite(p) => sqlx::query(sql).bind(tenant).execute(p).await.expect(sql).rows_affected(),
            Db::Postgres(p) => sqlx::query(sql).bind(tenant).execute(p).await.expect(sql).rows_affected(),
        }
    }

    /// Checks every tenant's invariants, stops the server and removes the database.
    pub async fn finish(mut self) {
        for t in self.tenants.clone() {
            assert_invariants(&self.db, t).await;
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
        self.db.close().await;
        self.test_db.remove().await;
    }
}

pub async fn read(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

/// DESIGN.md's invariants, checked in SQL; every test ends with them.
pub async fn assert_invariants(db: &Db, tenant: Uuid) {
    let findings = tameio::store::invariants::check(db, tenant).await.expect("invariant queries");
    assert!(findings.is_empty(), "invariants violated for tenant {tenant}: {findings:#?}");
}

pub fn tenant_spec(slug: &str, rf_prefix: &str) -> Value {
    json!({
        "slug": slug,
        "name_el": format!("Δήμος {slug}"),
        "name_en": format!("Municipality of {slug}"),
        "creditor_name": format!("DIMOS {}", slug.to_uppercase()),
        "iban": "GR16 0110 1250 0000 0001 2300 695",
        "bic": "ETHNGRAA",
        "rf_prefix": rf_prefix,
    })
}

/// A valid Greek AFM built from an 8-digit body.
pub fn afm(body: u32) -> String {
    let digits = format!("{:08}", body % 100_000_000);
    let sum: u32 = digits.bytes().enumerate().map(|(i, b)| u32::from(b - b'0') << (8 - i)).sum();
    format!("{digits}{}", sum % 11 % 10)
}

pub const ROLL_HEADER: &str = "source_id,party_source_id,party_kind,tax_id,tax_country,name,address,email,kind,fiscal_year,revenue_code,property_id,description,principal,assessed_on,due_on,rf";

/// One debt-roll row: debt `i` of party `i / 2`, Greek names, every kind.
pub fn roll_row(i: usize) -> String {
    const KINDS: [&str; 6] = ["municipal_fee", "traffic_fine", "public_space_fee", "water", "property_duty", "other"];
    const NAMES: [&str; 4] =
        ["Γεώργιος Παπαδόπουλος", "Αικατερίνη Ιωάννου", "ΑΡΤΟΠΟΙΕΙΟ ΜΙΧΑΗΛΙΔΗΣ ΙΚΕ", "Ελένη Κωνσταντίνου"];
    let p = i / 2;
    let kind = KINDS[i % KINDS.len()];
    let property = if kind == "property_duty" { format!("KAEK-{p:06}") } else { String::new() };
    let party_kind = if p % 4 == 2 { "company" } else { "person" };
    format!(
        "D-{i:06},P-{p:05},{party_kind},{},GR,{} {p},Οδός Ερμού {p},,{kind},{},,{property},Οφειλή {i},{}.{:02},2024-01-15,2024-0{}-28,",
        afm(10_000_000 + p as u32),
        NAMES[p % NAMES.len()],
        2020 + (i % 6),
        10 + (i * 37) % 990,
        i % 100,
        1 + i % 9,
    )
}

pub fn roll_csv(rows: impl IntoIterator<Item = String>) -> String {
    let mut s = String::from(ROLL_HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(&r);
    }
    s
}

impl TestApp {
    /// Posts a debt roll with a tenant key.
    pub async fn import_roll(&self, key: &str, csv: &str, query: &str) -> (u16, Value) {
        let res = self
            .client
            .post(self.url(&format!("/api/v1/debt-rolls{query}")))
            .bearer_auth(key)
            .header("content-type", "text/csv; charset=utf-8")
            .body(csv.to_string())
            .send()
            .await
            .expect("request");
        read(res).await
    }
}

/// One number from SQL binding `arg` as `$1`, on either database.
pub async fn query_i64<T>(db: &Db, sql: &'static str, arg: T) -> i64
where
    T: for<'q> sqlx::Encode<'q, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'q> sqlx::Encode<'q, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + Send,
{
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql).bind(arg).fetch_one(p).await.expect(sql),
        Db::Postgres(p) => sqlx::query_scalar(sql).bind(arg).fetch_one(p).await.expect(sql),
    }
}

/// What the tenant's debts have outstanding in all, in cents.
pub async fn outstanding_total(app: &TestApp, key: &str) -> i64 {
    let (_, page) = app.get("/api/v1/debts?limit=500", Some(key)).await;
    page["debts"]
        .as_array()
        .expect("debts")
        .iter()
        .map(|d| d["outstanding"].as_str().expect("outstanding").replace('.', "").parse::<i64>().expect("cents"))
        .sum()
}
