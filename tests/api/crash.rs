//! The real server is killed (SIGKILL) in a burst of webhook processing and
//! started again: every intent Stripe (localstripe) took ends applied
//! exactly once: one success, one receipt, its amount allocated once.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{Value, json};
use tameio::clock::wall_unix;
use tameio::domain::webhook_signature::sign;
use tameio::store::Db;
use uuid::Uuid;

use crate::helpers::{Backend, TestDb, query_i64, read, roll_csv, roll_row, tenant_spec};
use crate::stripe_js::{self, LocalStripe, PM_VISA, PUBLISHABLE_KEY, SECRET_KEY};

/// A running `tameio serve`, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tameio() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tameio"))
}

/// Starts the server on `addr` and waits for its banner: the address it serves.
fn serve(url: &str, addr: &str) -> (Server, String) {
    let mut child = tameio()
        .args(["serve", "--insecure-cookies", "--event-lease-seconds", "2", "--addr", addr, "--database-url", url])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tameio serve");
    let out = child.stdout.take().expect("stdout");
    let server = Server(child);
    for line in BufReader::new(out).lines() {
        let line = line.expect("line");
        if let Some(base) = line.strip_prefix("Tameio listening on ") {
            return (server, base.trim().to_string());
        }
    }
    panic!("tameio serve exited before listening");
}

const N: usize = 24;

async fn a_killed_server_applies_every_success_exactly_once(be: Backend) {
    let Some(ls) = LocalStripe::from_env() else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI must run the localstripe tests");
        return;
    };
    let test_db = TestDb::new(be).await;
    let out =
        tameio().args(["operator-key", "create", "--name", "crash", "--database-url", &test_db.url]).output().unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    let operator = out.trim().strip_prefix("Operator key: ").expect("operator key").to_string();
    let (server, base) = serve(&test_db.url, "127.0.0.1:0");
    let addr = base.trim_start_matches("http://").to_string();
    let http = reqwest::Client::new();
    let post =
        |path: &str, key: &str, body: Value| http.post(format!("{base}{path}")).bearer_auth(key).json(&body).send();

    let (s, t) = read(post("/api/v1/platform/tenants", &operator, tenant_spec("crete", "CRE")).await.unwrap()).await;
    assert_eq!(s, 201, "{t}");
    let tenant = Uuid::parse_str(t["id"].as_str().unwrap()).unwrap();
    let (_, k) =
        read(post("/api/v1/platform/tenants/crete/api-keys", &operator, json!({"name": "x"})).await.unwrap()).await;
    let key = k["key"].as_str().unwrap().to_string();
    let secret = format!("whsec_{}", Uuid::new_v4().simple());
    let provider = json!({"provider": "stripe", "api_base": ls.base(), "publishable_key": PUBLISHABLE_KEY,
        "secret_key": SECRET_KEY, "webhook_secrets": [secret]});
    let res = http
        .put(format!("{base}/api/v1/platform/tenants/crete/card-provider"))
        .bearer_auth(&operator)
        .json(&provider)
        .send();
    assert_eq!(res.await.unwrap().status(), 200);
    stripe_js::register_webhook(ls.base(), &tenant.to_string(), &format!("{base}/webhooks/stripe/{tenant}"), &secret)
        .await;
    let roll = roll_csv((0..2 * N).map(roll_row));
    let res =
        http.post(format!("{base}/api/v1/debt-rolls")).bearer_auth(&key).header("content-type", "text/csv").body(roll);
    assert_eq!(res.send().await.unwrap().status(), 201);

    // One full payment per party.
    let (_, page) =
        read(http.get(format!("{base}/api/v1/debts?limit=500")).bearer_auth(&key).send().await.unwrap()).await;
    let mut parties: Vec<String> =
        page["debts"].as_array().unwrap().iter().map(|d| d["party_id"].as_str().unwrap().to_string()).collect();
    parties.sort();
    parties.dedup();
    assert_eq!(parties.len(), N);
    let mut payments = Vec::new();
    for party in &parties {
        let (s, q) = read(post("/api/v1/quotes", &key, json!({"party_id": party})).await.unwrap()).await;
        assert_eq!(s, 201, "{q}");
        let path = format!("/api/v1/quotes/{}/payment", q["id"].as_str().unwrap());
        let (s, p) = read(post(&path, &key, json!({})).await.unwrap()).await;
        assert_eq!(s, 201, "{p}");
        payments.push(p);
    }

    // The payers pay; localstripe delivers the successes; the server dies
    // while it works through them.
    let db = Db::connect(&test_db.url).await.unwrap();
    join_all(payments.iter().map(|p| {
        stripe_js::pay_with(ls.base(), p["intent_id"].as_str().unwrap(), p["client_secret"].as_str().unwrap(), PM_VISA)
    }))
    .await;
    let applied = "select count(*) from provider_events where tenant_id = $1 and status = 'applied'";
    for _ in 0..100 {
        if query_i64(&db, applied, tenant).await >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Replays of what arrived, in a burst, while it dies.
    let stored: Vec<String> = match &db {
        Db::Sqlite(p) => sqlx::query_scalar("select body from provider_events where tenant_id = $1")
            .bind(tenant)
            .fetch_all(p)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar("select body from provider_events where tenant_id = $1")
            .bind(tenant)
            .fetch_all(p)
            .await
            .unwrap(),
    };
    let burst = join_all(stored.iter().map(|body| {
        let sig = sign(body.as_bytes(), &secret, wall_unix());
        http.post(format!("{base}/webhooks/stripe/{tenant}")).header("stripe-signature", sig).body(body.clone()).send()
    }));
    let kill = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        drop(server);
    };
    let _ = tokio::join!(burst, kill);
    let before_restart = query_i64(&db, applied, tenant).await;

    // Started again on the same address (localstripe still points there).
    let (_server, base) = serve(&test_db.url, &addr);
    // Deliveries lost while it was down are found by the page's re-check.
    for p in &payments {
        let url = format!("{base}/api/v1/payments/{}", p["id"].as_str().unwrap());
        let (s, got) = read(http.get(url).bearer_auth(&key).send().await.unwrap()).await;
        assert_eq!((s, got["status"].as_str().unwrap()), (200, "succeeded"), "{got}");
    }
    // Events the dead server had claimed are taken again once their lease ends.
    let received = "select count(*) from provider_events where tenant_id = $1 and status = 'received'";
    for _ in 0..100 {
        if query_i64(&db, received, tenant).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(query_i64(&db, received, tenant).await, 0, "every stored event is done after the restart");
    let succeeded = "select count(*) from payments where tenant_id = $1 and status = 'succeeded'";
    assert_eq!(query_i64(&db, succeeded, tenant).await, N as i64);
    let receipts = "select count(*) from receipts where tenant_id = $1 and kind = 'receipt'";
    assert_eq!(
        query_i64(&db, receipts, tenant).await,
        N as i64,
        "one receipt each (applied {before_restart} before the kill)"
    );
    let findings = tameio::store::invariants::check(&db, tenant).await.unwrap();
    assert!(findings.is_empty(), "{findings:#?}");
    db.close().await;
    drop(_server);
    test_db.remove().await;
}

crate::db_tests!(a_killed_server_applies_every_success_exactly_once);
