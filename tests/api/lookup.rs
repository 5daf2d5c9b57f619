//! The public lookup by RF reference: amounts without the debtor, one 404 for
//! unknown and malformed references, limits per client and per tenant, the
//! second factor that opens the notice, and the officer's notice by party.

use rand::Rng;
use serde_json::{Value, json};
use tameio::app::Settings;
use tameio::domain::rf::{RfPrefix, RfReference};

use crate::helpers::{Backend, TestApp, TestTenant, afm, roll_csv};

/// The name `roll_row` gives party 0, and the one the tests below give every party.
const NAME: &str = "Γεώργιος Παπαδόπουλος";

/// A debt-roll row: debt `i` of party `p`, of `kind`, `principal` due on `due`.
fn row(i: usize, p: usize, kind: &str, principal: &str, due: &str) -> String {
    format!(
        "D-{i:06},P-{p:05},person,{},GR,{NAME} {p},Οδός Ερμού {p},,{kind},2024,,,Οφειλή {i},{principal},2024-01-15,{due},",
        afm(10_000_000 + p as u32),
    )
}

/// The tenant's debts as the officer's API lists them.
async fn debts(app: &TestApp, t: &TestTenant) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/debts?limit=500", Some(&t.key)).await;
    assert_eq!(status, 200, "{page}");
    page["debts"].as_array().unwrap().clone()
}

/// A response kept as bytes, for PDFs and byte-for-byte comparisons.
struct Raw {
    status: u16,
    content_type: String,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
}

async fn fetch(app: &TestApp, path: &str, key: Option<&str>, forwarded_for: Option<&str>) -> Raw {
    let mut req = app.client.get(app.url(path));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = res.bytes().await.expect("body").to_vec();
    Raw { status, content_type, headers, body }
}

async fn lookup(app: &TestApp, rf: &str) -> Raw {
    fetch(app, &format!("/api/v1/lookup/{rf}"), None, None).await
}

/// An API amount ("154.20") as the EPC payload writes it ("EUR154.2"):
/// the cents without trailing zeros, none at all for whole euros.
fn epc_amount(api: &str) -> String {
    let (euros, cents) = api.split_once('.').unwrap();
    match cents.trim_end_matches('0') {
        "" => format!("EUR{euros}"),
        c => format!("EUR{euros}.{c}"),
    }
}

/// The EPC069-12 payload for one debt, written out field by field.
fn expected_payload(creditor: &str, outstanding: &str, rf: &str) -> Vec<u8> {
    let amount = epc_amount(outstanding);
    format!("BCD\n002\n1\nSCT\nETHNGRAA\n{creditor}\nGR1601101250000000012300695\n{amount}\n\n{rf}").into_bytes()
}

/// The decoded QR codes are exactly the expected payloads, one each, byte for
/// byte (compared as text first for a readable failure).
fn assert_same_payloads(mut decoded: Vec<Vec<u8>>, mut expected: Vec<Vec<u8>>) {
    decoded.sort();
    expected.sort();
    let text = |v: &[Vec<u8>]| v.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect::<Vec<_>>();
    assert_eq!(text(&decoded), text(&expected), "one QR code per open debt, for what it owes today");
    assert_eq!(decoded, expected);
}

async fn lookup_shows_amounts_but_never_the_debtor(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("patra", "PAT").await;
    let csv = roll_csv([row(0, 0, "water", "100.00", "2024-03-31")]);
    let (status, body) = app.import_roll(&t.key, &csv, "").await;
    assert_eq!(status, 201, "{body}");
    let rf = debts(&app, &t).await[0]["rf"].as_str().unwrap().to_string();
    let print = RfReference::parse(&rf).unwrap().to_string();
    assert_eq!(print.len(), rf.len() + 4, "{print}: RF, check digits, PAT and 12 digits in groups of four");

    for asked in [rf.clone(), print.clone(), print.to_lowercase()] {
        let res = lookup(&app, &asked).await;
        assert_eq!(res.status, 200, "{asked}: {}", String::from_utf8_lossy(&res.body));
        assert_eq!(res.content_type, "application/json");
        // The whole object: nothing else may ride along.
        assert_eq!(
            res.json(),
            json!({
                "rf": print,
                "municipality": {"el": "Δήμος patra", "en": "Municipality of patra"},
                "kind": "water",
                "kind_label_el": "Ύδρευση",
                "kind_label_en": "Water",
                "fiscal_year": 2024,
                "due_on": "2024-03-31",
                "principal": "100.00",
                // 32 months started since 2024-04-01, at 0.73% each.
                "surcharges": "23.36",
                "paid": "0.00",
                "outstanding": "123.36",
                "as_of": "2026-11-23",
                "debtor": "Γ. Π.",
            }),
            "{asked}"
        );
        let text = String::from_utf8(res.body).unwrap();
        for secret in
            [afm(10_000_000).as_str(), "Οδός Ερμού", "Οφειλή 0", "Γεώργιος", "Παπαδόπουλος", "P-00000", "D-000000"]
        {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
    app.finish().await;
}

/// A random prefix other than `not`: a letter, then 2 to 5 letters or digits.
fn random_prefix(rng: &mut impl Rng, not: &str) -> RfPrefix {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    loop {
        let mut s = String::from(char::from(ALNUM[rng.random_range(0..26)]));
        for _ in 0..rng.random_range(2..=5) {
            s.push(char::from(ALNUM[rng.random_range(0..ALNUM.len())]));
        }
        if s != not {
            return RfPrefix::parse(&s).unwrap();
        }
    }
}

async fn unknown_and_malformed_references_get_the_same_404(b: Backend) {
    let mut app = TestApp::spawn_with(b, Settings { lookups_per_ip: 100_000, ..Settings::default() }).await;
    let t = app.tenant("volos", "VOL").await;
    let (status, body) = app.import_roll(&t.key, &roll_csv((0..5).map(crate::helpers::roll_row)), "").await;
    assert_eq!(status, 201, "{body}");
    let known: Vec<String> = debts(&app, &t).await.iter().map(|d| d["rf"].as_str().unwrap().to_string()).collect();
    assert_eq!(known.len(), 5);

    let mut asked: Vec<String> = {
        let mut rng = rand::rng();
        let mut rfs: Vec<String> = (0..1_000)
            .map(|_| RfReference::generate(&random_prefix(&mut rng, "VOL"), &mut rng).as_str().to_string())
            .collect();
        // The tenant's own prefix, numbers it never issued.
        let own = RfPrefix::parse("VOL").unwrap();
        rfs.extend(
            (0..20)
                .map(|_| RfReference::generate(&own, &mut rng).as_str().to_string())
                .filter(|rf| !known.contains(rf))
                .take(10),
        );
        rfs
    };
    assert!(asked.iter().all(|rf| RfReference::parse(rf).is_ok()), "the unknown ones are well-formed");
    // A real reference with its last digit changed fails its check.
    let mut typo = known[0].clone();
    let last = typo.pop().unwrap();
    typo.push(if last == '9' { '0' } else { char::from(last as u8 + 1) });
    let long = "RF1".repeat(100);
    for malformed in
        ["RF00", "hello", "RF18 5390 0754 7035", long.as_str(), typo.as_str(), "ΡΦ18539007547034", "RF18539007547034XX"]
    {
        asked.push(malformed.to_string());
    }

    let first = lookup(&app, &asked[0]).await;
    assert_eq!(first.status, 404);
    assert_eq!(first.content_type, "application/problem+json");
    assert_eq!(
        first.json(),
        json!({"type": "/problems/not-found", "title": "Not Found", "status": 404, "detail": "not found"})
    );
    for rf in &asked {
        let res = lookup(&app, rf).await;
        assert_eq!(res.status, 404, "{rf}");
        assert_eq!(res.content_type, first.content_type, "{rf}");
        assert!(res.body == first.body, "{rf}: {}", String::from_utf8_lossy(&res.body));
    }
    // And the lookup does answer for the references that exist.
    for rf in &known {
        assert_eq!(lookup(&app, rf).await.status, 200, "{rf}");
    }
    app.finish().await;
}

async fn lookups_are_rate_limited_per_client(b: Backend) {
    // Per client: the peer is not a trusted proxy, so X-Forwarded-For is ignored.
    let mut app = TestApp::spawn_with(b, Settings { lookups_per_ip: 5, ..Settings::default() }).await;
    let t = app.tenant("chania", "CHA").await;
    let (status, body) = app.import_roll(&t.key, &roll_csv((0..3).map(crate::helpers::roll_row)), "").await;
    assert_eq!(status, 201, "{body}");
    let rfs: Vec<String> = debts(&app, &t).await.iter().map(|d| d["rf"].as_str().unwrap().to_string()).collect();
    for i in 0..5 {
        let res = fetch(&app, &format!("/api/v1/lookup/{}", rfs[i % 3]), None, Some(&format!("203.0.113.{i}"))).await;
        assert_eq!(res.status, 200, "lookup {}", i + 1);
    }
    for (rf, ip) in [(rfs[0].as_str(), "198.51.100.77"), ("RF18539007547034", "192.0.2.1"), ("hello", "192.0.2.2")] {
        let res = fetch(&app, &format!("/api/v1/lookup/{rf}"), None, Some(ip)).await;
        assert_eq!(res.status, 429, "{rf} from {ip}");
        assert_eq!(res.content_type, "application/problem+json");
        let problem = res.json();
        assert_eq!((problem["type"].as_str(), problem["status"].as_u64()), (Some("/problems/rate-limited"), Some(429)));
    }
    app.finish().await;

    // Per tenant: all clients together.
    let settings = Settings { lookups_per_ip: 1_000, lookups_per_tenant: 3, ..Settings::default() };
    let mut app = TestApp::spawn_with(b, settings).await;
    let busy = app.tenant("rethymno", "RET").await;
    let quiet = app.tenant("sitia", "SIT").await;
    for t in [&busy, &quiet] {
        let (status, body) = app.import_roll(&t.key, &roll_csv((0..3).map(crate::helpers::roll_row)), "").await;
        assert_eq!(status, 201, "{body}");
    }
    let busy_rfs: Vec<String> =
        debts(&app, &busy).await.iter().map(|d| d["rf"].as_str().unwrap().to_string()).collect();
    assert_eq!(busy_rfs.len(), 3);
    for (i, rf) in busy_rfs.iter().enumerate() {
        assert_eq!(lookup(&app, rf).await.status, 200, "lookup {}", i + 1);
    }
    let res = lookup(&app, &busy_rfs[0]).await;
    assert_eq!(res.status, 429);
    assert_eq!(res.json()["type"], "/problems/rate-limited");
    // Another tenant keeps its own budget; unknown references count against none.
    let quiet_rf = debts(&app, &quiet).await[0]["rf"].as_str().unwrap().to_string();
    assert_eq!(lookup(&app, &quiet_rf).await.status, 200);
    assert_eq!(lookup(&app, "RF18539007547034").await.status, 404);
    app.finish().await;
}

async fn the_second_factor_opens_the_notice(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("larisa", "LAR").await;
    let other = app.tenant("trikala", "TRI").await;
    let rows = [
        row(0, 0, "water", "100.00", "2024-03-31"),
        row(1, 0, "municipal_fee", "125.00", "2024-03-31"),
        row(2, 0, "traffic_fine", "625.00", "2024-03-31"),
        row(3, 0, "public_space_fee", "500.00", "2024-05-15"),
        row(4, 1, "water", "80.00", "2024-03-31"),
    ];
    let (status, body) = app.import_roll(&t.key, &roll_csv(rows), "").await;
    assert_eq!(status, 201, "{body}");
    let all = debts(&app, &t).await;
    let rf_of = |source: &str| -> String {
        all.iter().find(|d| d["source_id"] == source).unwrap()["rf"].as_str().unwrap().to_string()
    };
    let mine: Vec<String> = (0..4).map(|i| rf_of(&format!("D-{i:06}"))).collect();
    let not_mine = rf_of("D-000004");

    // What the lookup says today, debt by debt.
    let mut outstanding = Vec::new();
    for rf in &mine {
        let res = lookup(&app, rf).await;
        assert_eq!(res.status, 200);
        outstanding.push(res.json()["outstanding"].as_str().unwrap().to_string());
    }
    // 32 months at 0.73% for the March debts, 31 for the May one.
    assert_eq!(outstanding, ["123.36", "154.20", "771.00", "613.15"]);
    assert_eq!(
        outstanding.iter().map(|o| epc_amount(o)).collect::<Vec<_>>(),
        ["EUR123.36", "EUR154.2", "EUR771", "EUR613.15"]
    );

    let tax_id = afm(10_000_000);
    let right = &tax_id[6..];
    let wrong: String =
        right.chars().map(|c| char::from(b'0' + (c.to_digit(10).unwrap() as u8 + 1) % 10)).collect::<String>();
    let unlock = |rf: &str| format!("/api/v1/lookup/{rf}/unlock");
    for bad in [wrong.as_str(), &tax_id[5..], &tax_id[7..], ""] {
        let (status, body) = app.post(&unlock(&mine[1]), None, &json!({"tax_id_last3": bad})).await;
        assert_eq!(status, 403, "{bad}: {body}");
        assert_eq!(body["type"], "/problems/forbidden");
    }
    // The right digits against another party's reference open nothing either.
    let (status, _) = app.post(&unlock(&not_mine), None, &json!({"tax_id_last3": right})).await;
    assert_eq!(status, 403);

    // Any of the party's references, in print form, opens the whole notice.
    let print = RfReference::parse(&mine[1]).unwrap().to_string().to_lowercase();
    let (status, body) = app.post(&unlock(&print), None, &json!({"tax_id_last3": right})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["expires_at"], "2026-11-23T10:30:00Z");
    let url = body["notice_url"].as_str().unwrap().to_string();
    let (tenant_part, token) = url.strip_prefix("/notices/").unwrap().split_once('.').unwrap();
    assert_eq!(tenant_part, t.id.simple().to_string());
    assert_eq!(token.len(), 43, "256 random bits, base64url: {token}");

    let res = fetch(&app, &url, None, None).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.content_type, "application/pdf");
    assert_eq!(res.headers["cache-control"], "no-store");
    if let Some(scan) = crate::pdf::scan(&res.body, "unlocked") {
        assert!(scan.text.contains(&format!("{NAME} 0")), "the party's name:\n{}", scan.text);
        for rf in &mine {
            let printed = RfReference::parse(rf).unwrap().to_string();
            assert!(scan.text.contains(&printed), "{printed} missing:\n{}", scan.text);
        }
        let other_printed = RfReference::parse(&not_mine).unwrap().to_string();
        assert!(!scan.text.contains(&other_printed), "another party's debt on the notice");
        // Valid until the day before the next month of delay starts.
        for needle in ["23/11/2026", "30/11/2026", "1.661,71 €"] {
            assert!(scan.text.contains(needle), "{needle} missing:\n{}", scan.text);
        }
        let expected = mine.iter().zip(&outstanding).map(|(rf, o)| expected_payload("DIMOS LARISA", o, rf)).collect();
        assert_same_payloads(scan.qr_payloads, expected);
    }

    // Forged links open nothing.
    let mut flipped = token.to_string();
    let c = flipped.pop().unwrap();
    flipped.push(if c == 'A' { 'B' } else { 'A' });
    let forged = [
        format!("/notices/{tenant_part}.{flipped}"),
        format!("/notices/{tenant_part}.{}", "A".repeat(43)),
        format!("/notices/{}.{token}", other.id.simple()),
        format!("/notices/{tenant_part}{token}"),
        format!("/notices/{tenant_part}."),
        format!("/notices/nonsense.{token}"),
    ];
    for path in &forged {
        assert_eq!(fetch(&app, path, None, None).await.status, 404, "{path}");
    }

    // The link lives half an hour.
    app.clock.advance(chrono::Duration::minutes(29));
    assert_eq!(fetch(&app, &url, None, None).await.status, 200, "still open after 29 minutes");
    app.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(fetch(&app, &url, None, None).await.status, 404, "dead after 31 minutes");
    app.finish().await;
}

async fn officer_gets_the_notice_by_party(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("kavala", "KAV").await;
    let stranger = app.tenant("drama", "DRA").await;
    let rows = [
        row(0, 0, "water", "100.00", "2024-03-31"),
        row(1, 0, "municipal_fee", "19.99", "2025-06-30"),
        row(2, 0, "traffic_fine", "40.00", "2026-10-31"),
        row(3, 0, "other", "1234.56", "2024-01-31"),
        row(4, 0, "public_space_fee", "7.50", "2026-12-31"),
        row(5, 1, "water", "80.00", "2024-03-31"),
    ];
    let (status, body) = app.import_roll(&t.key, &roll_csv(rows), "").await;
    assert_eq!(status, 201, "{body}");
    let all = debts(&app, &t).await;
    let party = all.iter().find(|d| d["source_id"] == "D-000000").unwrap()["party_id"].as_str().unwrap().to_string();
    let mut owed: Vec<&Value> = all.iter().filter(|d| d["party_id"] == party.as_str()).collect();
    owed.sort_by_key(|d| d["source_id"].as_str().unwrap().to_string());
    // Today's amounts: 32, 17, 1, 34 and no months of delay at 0.73%.
    let amounts: Vec<&str> = owed.iter().map(|d| d["outstanding"].as_str().unwrap()).collect();
    assert_eq!(amounts, ["123.36", "22.47", "40.29", "1540.98", "7.50"]);

    let path = format!("/api/v1/parties/{party}/notice");
    let res = fetch(&app, &path, Some(&t.key), None).await;
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.content_type, "application/pdf");
    assert_eq!(res.headers["content-disposition"], "inline; filename=\"notice-2026-11-23.pdf\"");
    if let Some(scan) = crate::pdf::scan(&res.body, "officer") {
        assert_eq!(scan.pages, 2, "five debts, four a page");
        let expected = owed
            .iter()
            .map(|d| expected_payload("DIMOS KAVALA", d["outstanding"].as_str().unwrap(), d["rf"].as_str().unwrap()))
            .collect();
        assert_same_payloads(scan.qr_payloads, expected);
        assert_eq!(scan.text.matches(&format!("{NAME} 0")).count(), 2, "the header on both pages");
        // The next month of delay of the overdue debts starts on 1 December.
        assert!(scan.text.contains("30/11/2026"), "{}", scan.text);
    }

    // Another tenant's key, an unknown party, a malformed id, no key.
    let (status, body) = app.get(&path, Some(&stranger.key)).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["type"], "/problems/not-found");
    let unknown = format!("/api/v1/parties/{}/notice", uuid::Uuid::new_v4());
    assert_eq!(app.get(&unknown, Some(&t.key)).await.0, 404);
    assert_eq!(app.get("/api/v1/parties/not-a-uuid/notice", Some(&t.key)).await.0, 404);
    assert_eq!(app.get(&path, None).await.0, 401);
    app.finish().await;
}

crate::db_tests!(
    lookup_shows_amounts_but_never_the_debtor,
    unknown_and_malformed_references_get_the_same_404,
    lookups_are_rate_limited_per_client,
    the_second_factor_opens_the_notice,
    officer_gets_the_notice_by_party,
);
