//! The citizen's card payment in a real browser: Debian's Chromium, driven by
//! `tests/browser/pay-demo-fine.mjs` (playwright-core, axe-core for WCAG 2.1 AA),
//! pays 10,00 € of an overdue demo fine with the sandbox and downloads the receipt,
//! which `pdftotext` must show with its number, the amount and the split.

// Test code states its expectations with unwrap and expect: a failure is the report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/demo.rs"]
mod demo;
use demo::start_demo;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const CHROMIUM: &str = "/usr/bin/chromium";
const HOW_TO_INSTALL: &str =
    "install them with: apt-get install chromium poppler-utils; npm ci --prefix tests/browser (Node 20 or newer)";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What the browser test needs besides our binary; `None` when something is missing.
fn peers_or_skip() -> Option<()> {
    let mut missing = Vec::new();
    if !Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success()) {
        missing.push("node".to_string());
    }
    if !Path::new(CHROMIUM).exists() {
        missing.push(CHROMIUM.to_string());
    }
    for module in ["playwright-core", "@axe-core/playwright"] {
        if !root().join("tests/browser/node_modules").join(module).join("package.json").exists() {
            missing.push(format!("tests/browser/node_modules/{module}"));
        }
    }
    if !Command::new("pdftotext").arg("-v").output().is_ok_and(|o| o.status.success()) {
        missing.push("pdftotext".to_string());
    }
    if missing.is_empty() {
        return Some(());
    }
    let note = format!("browser test: missing {}; {HOW_TO_INSTALL}", missing.join(", "));
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{note} (CI=true: the browser test may not be skipped)");
    }
    eprintln!("{note}: skipped");
    None
}

/// An overdue traffic fine (so it carries surcharges) with at least 11,00 € open, so that
/// paying 10,00 € leaves the 1,00 € minimum. An unpaid one whose surcharges are under
/// 10,00 € is preferred: the payment then covers both surcharges and principal.
fn pick_fine(base: &str, key: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let page: serde_json::Value = rt.block_on(async {
        let res = reqwest::Client::new()
            .get(format!("{base}/api/v1/debts?kind=traffic_fine&status=open&limit=500"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        res.json().await.unwrap()
    });
    let today = page["as_of"].as_str().expect("as_of").to_string();
    let cents = |d: &serde_json::Value, field: &str| parse_cents(d[field].as_str().expect(field), '.');
    let mut fines: Vec<&serde_json::Value> = page["debts"]
        .as_array()
        .expect("debts")
        .iter()
        .filter(|d| d["due_on"].as_str().is_some_and(|due| due < today.as_str()) && cents(d, "outstanding") >= 1100)
        .collect();
    fines.sort_by_key(|d| (cents(d, "paid") != 0, !(1..1000).contains(&cents(d, "surcharges"))));
    let fine = fines.first().expect("the demo has an overdue traffic fine with at least 11,00 € open");
    fine["rf"].as_str().unwrap().to_string()
}

/// "1.234,56" (sep ',') or "1234.56" (sep '.') in cents.
fn parse_cents(amount: &str, sep: char) -> i64 {
    let (euros, cents) = amount.split_once(sep).unwrap_or_else(|| panic!("not an amount: {amount:?}"));
    let euros: String = euros.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(cents.len(), 2, "not an amount: {amount:?}");
    euros.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

#[test]
fn citizen_pays_ten_euros_of_a_fine_in_chromium() {
    if peers_or_skip().is_none() {
        return;
    }
    let started = std::time::Instant::now();
    let work = std::env::temp_dir().join(format!("tameio-browser-{}", uuid::Uuid::new_v4().simple()));
    let (data, out) = (work.join("data"), work.join("out"));
    std::fs::create_dir_all(&out).unwrap();
    let (demo, base, key) = start_demo(&data, Some(&work.join("demo.log")));
    let rf = pick_fine(&base, &key);

    let node = Command::new("node")
        .arg(root().join("tests/browser/pay-demo-fine.mjs"))
        .args([&base, &rf])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&node.stdout).into_owned();
    assert!(
        node.status.success(),
        "the browser flow failed for {rf} ({}); demo log and screenshots in {}:\n{}",
        node.status,
        work.display(),
        String::from_utf8_lossy(&node.stderr)
    );
    drop(demo);

    let line = stdout.lines().rev().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("no JSON line: {stdout}"));
    let result: serde_json::Value = serde_json::from_str(line).unwrap();
    let field = |name: &str| result[name].as_str().unwrap_or_else(|| panic!("no {name} in {line}")).to_string();
    let (receipt, principal, surcharge, pdf) = (field("receipt"), field("principal"), field("surcharge"), field("pdf"));
    assert_eq!(parse_cents(&principal, ',') + parse_cents(&surcharge, ','), 1000, "the split adds up to 10,00: {line}");

    let text = Command::new("pdftotext").args(["-enc", "UTF-8", &pdf, "-"]).output().expect("run pdftotext");
    assert!(text.status.success(), "pdftotext {pdf}: {}", String::from_utf8_lossy(&text.stderr));
    let text = String::from_utf8(text.stdout).unwrap();
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains(&receipt), "the receipt shows its number {receipt}:\n{text}");
    assert!(compact.contains(&rf), "the receipt shows the RF {rf}:\n{text}");
    assert!(text.contains("10,00"), "the receipt shows 10,00:\n{text}");
    for part in [&principal, &surcharge].into_iter().filter(|a| a.as_str() != "0,00") {
        assert!(text.contains(part.as_str()), "the receipt shows the split amount {part}:\n{text}");
    }
    eprintln!(
        "browser test: paid 10,00 € of {rf} (principal {principal}, surcharges {surcharge}), receipt {receipt}, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&work);
}
