//! Webhook ingestion load, end to end, against a running `tameio serve`:
//! signed `payment_intent.succeeded` deliveries are verified, stored and
//! applied (allocations, receipt, journal, audit), and the rate is compared
//! with one-row insert-and-commit transactions on the same database in the
//! same run.
//!
//! ```sh
//! target/release/examples/webhook_load BASE_URL DATABASE_URL OPERATOR_KEY [EVENTS] [CONCURRENCY]
//! ```
//!
//! The provider is a fake Stripe API served from this process (only
//! `POST /v1/payment_intents` and `GET /v1/payment_intents/{id}`, in memory),
//! so the figures are Tameio's and the database's, not a network's.
//! Untimed setup: a fresh tenant, its key, the card provider pointing at the
//! fake, a debt roll of EVENTS parties with one debt each, a quote and a
//! started payment for each. Timed: (1) one-row insert-and-commit on one
//! connection for three seconds, before and again after (2), the higher rate
//! counting; (2) EVENTS signed deliveries sent with
//! CONCURRENCY requests in flight, until all are answered and none is left
//! `received` in `provider_events` (polled in the database every 10 ms: the
//! payment API would apply payments itself by asking the provider); then
//! every event must be `applied`. See scripts/bench-webhooks.sh.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use sqlx::Connection;
use tameio::domain::webhook_signature::sign;
use tameio::store::Db;
use uuid::Uuid;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Res<T> = Result<T, BoxError>;

/// How long the commit baseline runs.
const BASELINE: Duration = Duration::from_secs(3);
/// How often the applied count is read while events are being applied.
const POLL: Duration = Duration::from_millis(10);
/// No new applied event for this long: the run has stalled.
const STALL: Duration = Duration::from_secs(60);

/// Runs `$body` with `$p` bound to either driver's pool.
macro_rules! on_pool {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            Db::Sqlite($p) => $body,
            Db::Postgres($p) => $body,
        }
    };
}

struct Args {
    base: String,
    database_url: String,
    operator_key: String,
    events: usize,
    concurrency: usize,
}

fn args() -> Res<Args> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 3 || a.len() > 5 || a.iter().any(|s| s == "-h" || s == "--help") {
        return Err("usage: webhook_load BASE_URL DATABASE_URL OPERATOR_KEY [EVENTS=2000] [CONCURRENCY=16]".into());
    }
    let number = |i: usize, default: usize| -> Res<usize> {
        match a.get(i) {
            None => Ok(default),
            Some(s) => match s.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{s:?} is not a positive number").into()),
            },
        }
    };
    Ok(Args {
        base: a[0].trim_end_matches('/').to_owned(),
        database_url: a[1].clone(),
        operator_key: a[2].clone(),
        events: number(3, 2000)?,
        concurrency: number(4, 16)?,
    })
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("webhook_load: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Res<()> {
    let args = args()?;
    let n = args.events;
    let db = Db::connect(&args.database_url).await?;
    let fake = FakeStripe::start().await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency * 2).build()?;

    let setup_started = Instant::now();
    let bench = setup(&client, &args, &fake).await?;
    let setup_s = setup_started.elapsed().as_secs_f64();
    eprintln!("setup: tenant {} with {n} started payments in {setup_s:.1} s", bench.slug);

    let (commits, commit_s) = commit_baseline(&db).await?;
    let commit_before = commits as f64 / commit_s;
    eprintln!("baseline: {commits} commits in {commit_s:.2} s");

    let run = deliver(&client, &args, &db, &fake, &bench).await?;

    // The commit rate moves between runs (SQLite's checkpoints, the disk's
    // syncs): it is measured again after the webhooks and the higher of the
    // two is the baseline, so the ratio errs low, never high.
    let (commits, commit_s) = commit_baseline(&db).await?;
    let commit_after = commits as f64 / commit_s;
    eprintln!("baseline again: {commits} commits in {commit_s:.2} s");
    let commit_rate = commit_before.max(commit_after);
    let ingest_rate = n as f64 / run.ingest_s;
    let applied_rate = n as f64 / run.applied_s;
    let ratio = applied_rate / commit_rate;

    let succeeded: i64 = on_pool!(&db, |p| sqlx::query_scalar(
        "select count(*) from payments where tenant_id = $1 and channel = 'card' and status = 'succeeded'"
    )
    .bind(bench.tenant)
    .fetch_one(p)
    .await)?;
    let receipts: i64 = on_pool!(&db, |p| sqlx::query_scalar(
        "select count(*) from receipts where tenant_id = $1 and kind = 'receipt'"
    )
    .bind(bench.tenant)
    .fetch_one(p)
    .await)?;
    db.close().await;
    if usize::try_from(succeeded).ok() != Some(n) || usize::try_from(receipts).ok() != Some(n) {
        return Err(format!("{n} events applied but {succeeded} payments succeeded and {receipts} receipts").into());
    }

    let dialect = db.dialect();
    println!();
    println!("webhook ingestion, {dialect}: {n} events, {} in flight", args.concurrency);
    println!("  {:<44} {:>10}", "", "per second");
    println!(
        "  {:<44} {:>10.0}   (before {commit_before:.0}, after {commit_after:.0}: the higher)",
        "one-row insert-and-commit (1 connection)", commit_rate
    );
    println!("  {:<44} {:>10.0}   ({:.2} s)", "webhooks answered 200 (verified, stored)", ingest_rate, run.ingest_s);
    println!("  {:<44} {:>10.0}   ({:.2} s)", "events applied (end to end)", applied_rate, run.applied_s);
    println!("  end to end / commit: {ratio:.2} (target >= 0.50: {})", if ratio >= 0.5 { "met" } else { "NOT met" });
    println!("  checked: {succeeded} card payments succeeded, {receipts} receipts issued");
    let summary = json!({
        "database": dialect,
        "events": n,
        "concurrency": args.concurrency,
        "commit_per_s": round1(commit_rate),
        "commit_before_per_s": round1(commit_before),
        "commit_after_per_s": round1(commit_after),
        "ingest_per_s": round1(ingest_rate),
        "applied_per_s": round1(applied_rate),
        "ingest_s": round3(run.ingest_s),
        "applied_s": round3(run.applied_s),
        "ratio": round3(ratio),
        "target_met": ratio >= 0.5,
        "setup_s": round1(setup_s),
    });
    println!("{summary}");
    Ok(())
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

// ---------------------------------------------------------------- fake Stripe

struct FakeIntent {
    n: u64,
    amount: i64,
    currency: String,
    tenant: String,
    payment: String,
    paid: bool,
}

#[derive(Default)]
struct FakeState {
    next: u64,
    intents: HashMap<String, FakeIntent>,
    /// Idempotency-Key to intent id: a retried create answers the same intent.
    by_key: HashMap<String, String>,
}

type Shared = Arc<Mutex<FakeState>>;

#[derive(Clone)]
struct FakeStripe {
    base: String,
    state: Shared,
}

impl FakeStripe {
    async fn start() -> Res<FakeStripe> {
        let state = Shared::default();
        let app = Router::new()
            .route("/v1/payment_intents", post(create_intent))
            .route("/v1/payment_intents/{id}", get(retrieve_intent))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("fake Stripe stopped: {e}");
            }
        });
        Ok(FakeStripe { base, state })
    }

    /// Every intent succeeds from now on.
    fn pay_all(&self) -> Res<usize> {
        let mut s = self.state.lock().map_err(|_| "fake Stripe state poisoned")?;
        s.intents.values_mut().for_each(|i| i.paid = true);
        Ok(s.intents.len())
    }
}

fn intent_json(id: &str, i: &FakeIntent) -> Value {
    json!({
        "id": id,
        "object": "payment_intent",
        "status": if i.paid { "succeeded" } else { "requires_payment_method" },
        "amount": i.amount,
        "amount_received": if i.paid { i.amount } else { 0 },
        "currency": i.currency,
        "client_secret": format!("{id}_secret_x"),
        "metadata": { "tameio_tenant": i.tenant, "tameio_payment": i.payment },
        "last_payment_error": null,
        "latest_charge": if i.paid { json!(format!("ch_{}", i.n)) } else { Value::Null },
        "livemode": false,
    })
}

fn stripe_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"type": "invalid_request_error", "code": code, "message": message}});
    (status, Json(body)).into_response()
}

async fn create_intent(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Ok(mut s) = state.lock() else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(id) = key.as_ref().and_then(|k| s.by_key.get(k))
        && let Some(intent) = s.intents.get(id)
    {
        return Json(intent_json(id, intent)).into_response();
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let Ok(amount) = field("amount").parse::<i64>() else {
        return stripe_error(StatusCode::BAD_REQUEST, "parameter_missing", "amount");
    };
    s.next += 1;
    let n = s.next;
    let id = format!("pi_{n}");
    let intent = FakeIntent {
        n,
        amount,
        currency: field("currency"),
        tenant: field("metadata[tameio_tenant]"),
        payment: field("metadata[tameio_payment]"),
        paid: false,
    };
    let body = intent_json(&id, &intent);
    s.intents.insert(id.clone(), intent);
    if let Some(k) = key {
        s.by_key.insert(k, id);
    }
    Json(body).into_response()
}

async fn retrieve_intent(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let Ok(s) = state.lock() else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    match s.intents.get(&id) {
        Some(intent) => Json(intent_json(&id, intent)).into_response(),
        None => stripe_error(StatusCode::NOT_FOUND, "resource_missing", "No such payment_intent"),
    }
}

// ---------------------------------------------------------------- setup

struct Bench {
    slug: String,
    tenant: Uuid,
    secret: String,
    /// (payment id, intent id), one per event.
    payments: Vec<(String, String)>,
}

async fn send_json(req: reqwest::RequestBuilder, what: &str) -> Res<Value> {
    let res = req.send().await?;
    let status = res.status();
    let text = res.text().await?;
    if !status.is_success() {
        return Err(format!("{what}: HTTP {status}: {text}").into());
    }
    Ok(serde_json::from_str(&text)?)
}

/// A valid Greek AFM from an 8-digit body (as tests/api/helpers.rs).
fn afm(body: usize) -> String {
    let digits = format!("{:08}", body % 100_000_000);
    let sum: u32 = digits.bytes().enumerate().map(|(i, b)| u32::from(b - b'0') << (8 - i)).sum();
    format!("{digits}{}", sum % 11 % 10)
}

/// A debt roll of `n` parties with one debt each, due in two months.
fn roll(n: usize) -> String {
    let today = chrono::Utc::now().date_naive();
    let assessed = today - chrono::Duration::days(30);
    let due = today + chrono::Duration::days(60);
    let year = chrono::Datelike::year(&assessed);
    let mut csv = String::from(
        "source_id,party_source_id,party_kind,tax_id,tax_country,name,address,email,kind,fiscal_year,\
         revenue_code,property_id,description,principal,assessed_on,due_on,rf\n",
    );
    for i in 0..n {
        csv.push_str(&format!(
            "D-{i:07},P-{i:07},person,{},GR,Γεώργιος Παπαδόπουλος {i},Οδός Ερμού {i},,municipal_fee,{year},,,\
             Τέλος {i},{}.{:02},{assessed},{due},\n",
            afm(10_000_000 + i),
            10 + (i * 37) % 990,
            i % 100,
        ));
    }
    csv
}

/// Runs `job(i)` for every `i < n` with `concurrency` in flight; results in order.
async fn parallel<T, F, Fut>(n: usize, concurrency: usize, job: F) -> Res<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Res<T>> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.min(n) {
        let (job, next) = (job.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, BoxError>(done);
                }
                done.push((i, job(i).await?));
            }
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, t)| t).collect())
}

async fn setup(client: &reqwest::Client, args: &Args, fake: &FakeStripe) -> Res<Bench> {
    let base = &args.base;
    let op = &args.operator_key;
    let run = Uuid::new_v4().simple().to_string();
    let slug = format!("bench-{}", &run[..10]);
    let rf_prefix = format!("B{}", run[..5].to_ascii_uppercase());
    let spec = json!({
        "slug": slug,
        "name_el": "Δήμος Μετρήσεων",
        "name_en": "Municipality of Benchmarks",
        "creditor_name": "DIMOS METRISEON",
        "iban": "GR16 0110 1250 0000 0001 2300 695",
        "bic": "ETHNGRAA",
        "rf_prefix": rf_prefix,
    });
    let tenant =
        send_json(client.post(format!("{base}/api/v1/platform/tenants")).bearer_auth(op).json(&spec), "tenant").await?;
    let tenant = Uuid::try_parse(tenant["id"].as_str().ok_or("tenant without id")?)?;
    let key = send_json(
        client
            .post(format!("{base}/api/v1/platform/tenants/{slug}/api-keys"))
            .bearer_auth(op)
            .json(&json!({"name": "webhook load"})),
        "api key",
    )
    .await?;
    let key = key["key"].as_str().ok_or("api key missing")?.to_owned();
    let secret = format!("whsec_{}", Uuid::new_v4().simple());
    let provider = json!({
        "provider": "stripe",
        "api_base": fake.base,
        "js_url": format!("{}/js.stripe.com/v3/", fake.base),
        "publishable_key": "pk_test_webhookload",
        "secret_key": "sk_test_webhookload",
        "webhook_secrets": [secret],
    });
    send_json(
        client.put(format!("{base}/api/v1/platform/tenants/{slug}/card-provider")).bearer_auth(op).json(&provider),
        "card provider",
    )
    .await?;

    let n = args.events;
    send_json(
        client
            .post(format!("{base}/api/v1/debt-rolls?file_name=webhook-load.csv"))
            .bearer_auth(&key)
            .header("content-type", "text/csv; charset=utf-8")
            .body(roll(n)),
        "debt roll",
    )
    .await?;
    let parties = party_ids(client, base, &key).await?;
    if parties.len() != n {
        return Err(format!("the roll gave {} parties, not {n}", parties.len()).into());
    }

    let parties = Arc::new(parties);
    let (client2, base2, key2) = (client.clone(), base.clone(), key.clone());
    let payments = parallel(n, args.concurrency, move |i| {
        let (client, base, key, parties) = (client2.clone(), base2.clone(), key2.clone(), parties.clone());
        async move {
            let quote = send_json(
                client.post(format!("{base}/api/v1/quotes")).bearer_auth(&key).json(&json!({"party_id": parties[i]})),
                "quote",
            )
            .await?;
            let quote = quote["id"].as_str().ok_or("quote without id")?;
            let payment =
                send_json(client.post(format!("{base}/api/v1/quotes/{quote}/payment")).bearer_auth(&key), "payment")
                    .await?;
            let id = payment["id"].as_str().ok_or("payment without id")?.to_owned();
            let intent = payment["intent_id"].as_str().ok_or("payment without intent")?.to_owned();
            Ok((id, intent))
        }
    })
    .await?;
    Ok(Bench { slug, tenant, secret, payments })
}

/// Every party with a debt, through `GET /api/v1/debts`.
async fn party_ids(client: &reqwest::Client, base: &str, key: &str) -> Res<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut after: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/debts?limit=500");
        if let Some(a) = &after {
            url.push_str(&format!("&after={a}"));
        }
        let page = send_json(client.get(url).bearer_auth(key), "debts").await?;
        for d in page["debts"].as_array().ok_or("debts page without debts")? {
            let party = d["party_id"].as_str().ok_or("debt without party")?.to_owned();
            if seen.insert(party.clone()) {
                out.push(party);
            }
        }
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return Ok(out),
        }
    }
}

// ---------------------------------------------------------------- phase 1: commits

/// One-row insert-and-commit transactions on one connection of a pool opened
/// like the server's (SQLite: WAL, synchronous NORMAL; writes `BEGIN IMMEDIATE`).
async fn commit_baseline(db: &Db) -> Res<(u64, f64)> {
    const CREATE: &str = "create table if not exists bench_commit (id bigint primary key, v text not null)";
    const CLEAR: &str = "delete from bench_commit";
    const INSERT: &str = "insert into bench_commit (id, v) values ($1, $2)";
    const DROP: &str = "drop table bench_commit";
    let mut commits: i64 = 0;
    let started;
    match db {
        Db::Sqlite(pool) => {
            let mut conn = pool.acquire().await?;
            sqlx::query(CREATE).execute(&mut *conn).await?;
            sqlx::query(CLEAR).execute(&mut *conn).await?;
            started = Instant::now();
            while started.elapsed() < BASELINE {
                let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::query(INSERT).bind(commits).bind("x").execute(&mut *tx).await?;
                tx.commit().await?;
                commits += 1;
            }
        }
        Db::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            sqlx::query(CREATE).execute(&mut *conn).await?;
            sqlx::query(CLEAR).execute(&mut *conn).await?;
            started = Instant::now();
            while started.elapsed() < BASELINE {
                let mut tx = conn.begin().await?;
                sqlx::query(INSERT).bind(commits).bind("x").execute(&mut *tx).await?;
                tx.commit().await?;
                commits += 1;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    on_pool!(db, |p| sqlx::query(DROP).execute(p).await.map(|r| r.rows_affected()))?;
    Ok((u64::try_from(commits)?, elapsed))
}

// ---------------------------------------------------------------- phase 2: webhooks

struct Delivered {
    /// First request sent to last 200 received.
    ingest_s: f64,
    /// First request sent to the last event applied.
    applied_s: f64,
}

fn event_body(intent: &str, payment: &str, tenant: Uuid, created: i64) -> String {
    let n = intent.strip_prefix("pi_").unwrap_or(intent);
    json!({
        "id": format!("evt_{n}"),
        "object": "event",
        "api_version": "2026-09-30.endive",
        "created": created,
        "livemode": false,
        "pending_webhooks": 1,
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": intent,
                "object": "payment_intent",
                "status": "succeeded",
                "latest_charge": format!("ch_{n}"),
                "metadata": { "tameio_tenant": tenant.to_string(), "tameio_payment": payment },
            }
        }
    })
    .to_string()
}

/// Events stored and not yet applied or ignored.
async fn still_received(db: &Db, tenant: Uuid) -> Res<i64> {
    const Q: &str = "select count(*) from provider_events where status = 'received' and tenant_id = $1";
    Ok(on_pool!(db, |p| sqlx::query_scalar(Q).bind(tenant).fetch_one(p).await)?)
}

async fn applied(db: &Db, tenant: Uuid) -> Res<i64> {
    const Q: &str = "select count(*) from provider_events where tenant_id = $1 and status = 'applied'";
    Ok(on_pool!(db, |p| sqlx::query_scalar(Q).bind(tenant).fetch_one(p).await)?)
}

/// Why the events are not all applied: counts per status, the last error.
async fn diagnosis(db: &Db, tenant: Uuid) -> Res<String> {
    const Q: &str =
        "select status, count(*), max(last_error) from provider_events where tenant_id = $1 group by status";
    let rows: Vec<(String, i64, Option<String>)> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).fetch_all(p).await)?;
    Ok(rows
        .iter()
        .map(|(s, c, e)| format!("{s}: {c}{}", e.as_ref().map(|e| format!(" (last error: {e})")).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(", "))
}

async fn deliver(client: &reqwest::Client, args: &Args, db: &Db, fake: &FakeStripe, bench: &Bench) -> Res<Delivered> {
    let n = args.events;
    let paid = fake.pay_all()?;
    if paid != n || bench.payments.len() != n {
        return Err(format!("the fake holds {paid} intents for {} payments, not {n}", bench.payments.len()).into());
    }
    let url = format!("{}/webhooks/stripe/{}", args.base, bench.tenant);
    let payments = Arc::new(bench.payments.clone());
    let (client, secret, tenant) = (client.clone(), bench.secret.clone(), bench.tenant);
    let started = Instant::now();
    let mut sender = Some(tokio::spawn(parallel(n, args.concurrency, move |i| {
        let (client, url, secret, payments) = (client.clone(), url.clone(), secret.clone(), payments.clone());
        async move {
            let (payment, intent) = &payments[i];
            // Signed at the current wall-clock second, as Stripe does per attempt.
            let now = tameio::clock::wall_unix();
            let body = event_body(intent, payment, tenant, now);
            let signature = sign(body.as_bytes(), &secret, now);
            let res = client
                .post(&url)
                .header("content-type", "application/json; charset=utf-8")
                .header("stripe-signature", signature)
                .body(body)
                .send()
                .await?;
            let status = res.status();
            if status != StatusCode::OK {
                let text = res.text().await.unwrap_or_default();
                return Err::<Instant, BoxError>(format!("webhook {i}: HTTP {status}: {text}").into());
            }
            Ok(Instant::now())
        }
    })));

    // Every event is stored before its 200; so once all are answered, the
    // run is over when none is left `received`. That probe reads only the
    // few rows still due (an index), where counting the applied ones would
    // scan a growing set a hundred times a second and load the database.
    let mut ingest_s = None;
    let mut last = (usize::MAX, Instant::now());
    loop {
        if let Some(task) = sender.take_if(|t| t.is_finished()) {
            let answered = task.await??;
            let last_200 = answered.into_iter().max().ok_or("no webhook sent")?;
            ingest_s = Some(last_200.duration_since(started).as_secs_f64());
        }
        let waiting = usize::try_from(still_received(db, tenant).await?)?;
        if let Some(ingest_s) = ingest_s
            && waiting == 0
        {
            let applied_s = started.elapsed().as_secs_f64();
            let count = applied(db, tenant).await?;
            if usize::try_from(count)? != n {
                return Err(format!("{count} of {n} events applied: {}", diagnosis(db, tenant).await?).into());
            }
            return Ok(Delivered { ingest_s, applied_s });
        }
        if waiting != last.0 {
            last = (waiting, Instant::now());
        } else if last.1.elapsed() > STALL {
            let why = diagnosis(db, tenant).await?;
            return Err(format!("stalled with {waiting} events received for {} s: {why}", STALL.as_secs()).into());
        }
        tokio::time::sleep(POLL).await;
    }
}
