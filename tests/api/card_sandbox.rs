//! Card payments through the sandbox provider, as a citizen does them on the
//! pages without JavaScript: look up, quote, pay, decline, succeed, receipt.

use chrono::Duration;
use serde_json::Value;
use tameio::clock::Clock;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, TestTenant, query_i64, roll_csv, roll_row};

/// A browser without JavaScript: keeps the cookies of one site, follows
/// nothing by itself.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser { app, cookies: vec![] }
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            self.cookies.push((k.into(), v.into()));
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn get(&mut self, path: &str) -> (u16, String) {
        let res = self.app.client.get(self.app.url(path)).header("cookie", self.cookie_header()).send().await.unwrap();
        self.keep(&res);
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Posts a form; answers the status and the redirect target or the page.
    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let res = self
            .app
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(&res);
        let status = res.status().as_u16();
        match res.headers().get("location") {
            Some(l) => (status, l.to_str().unwrap().to_string()),
            None => (status, res.text().await.unwrap()),
        }
    }
}

pub fn csrf_of(html: &str) -> String {
    let Some(i) = html.find("name=\"csrf\" value=\"") else { panic!("no csrf field in {html}") };
    let i = i + "name=\"csrf\" value=\"".len();
    html[i..].split('"').next().unwrap().to_string()
}

/// The first debt of a fresh tenant: its RF and what is outstanding on it.
async fn first_debt(app: &TestApp, t: &TestTenant) -> (String, String, Value) {
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    let d = page["debts"][0].clone();
    (d["rf"].as_str().unwrap().to_string(), d["outstanding"].as_str().unwrap().to_string(), d)
}

/// Looks the RF up and asks to pay `amount` ("" for everything): the link of
/// the payment page.
async fn quote_page(b: &mut Browser<'_>, rf: &str, amount: &str) -> String {
    let (status, html) = b.get(&format!("/lookup?rf={rf}")).await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&html);
    let (status, to) = b.post("/lookup/pay", &[("csrf", &csrf), ("rf", rf), ("amount", amount)]).await;
    assert_eq!(status, 303, "{to}");
    assert!(to.starts_with("/pay/"), "{to}");
    to.split('?').next().unwrap().to_string()
}

async fn press(b: &mut Browser<'_>, link: &str, action: &str) -> (u16, String) {
    let (_, html) = b.get(link).await;
    let csrf = csrf_of(&html);
    b.post(&format!("{link}/sandbox"), &[("csrf", &csrf), ("action", action)]).await
}

async fn start(b: &mut Browser<'_>, link: &str) {
    let (status, html) = b.get(link).await;
    assert_eq!(status, 200);
    assert!(html.contains("ΔΟΚΙΜΑΣΤΙΚΗ ΛΕΙΤΟΥΡΓΙΑ"), "test mode is marked: {html}");
    let csrf = csrf_of(&html);
    let (status, to) = b.post(&format!("{link}/start"), &[("csrf", &csrf)]).await;
    assert_eq!((status, to.split('?').next().unwrap()), (303, link));
}

async fn citizen_pays_part_of_a_debt_after_a_decline(be: Backend) {
    let mut app = TestApp::spawn(be).await;
    let t = app.tenant("naxos", "NAX").await;
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(7)]), "").await.0, 201);
    let (rf, before, _) = first_debt(&app, &t).await;
    let mut b = Browser::new(&app);

    // Too little, or an amount leaving a few cents: refused on the lookup page.
    let (_, html) = b.get(&format!("/lookup?rf={rf}")).await;
    let (status, html) = b.post("/lookup/pay", &[("csrf", &csrf_of(&html)), ("rf", &rf), ("amount", "0,50")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("Η μικρότερη πληρωμή με κάρτα είναι 1,00"), "{html}");

    let link = quote_page(&mut b, &rf, "10,00").await;
    let (_, html) = b.get(&link).await;
    assert!(html.contains("10,00\u{a0}€") && html.contains(&rf), "{html}");
    start(&mut b, &link).await;

    // The redirect's claim is not believed: only the provider's word counts.
    let (_, html) = b.get(&format!("{link}/return?redirect_status=succeeded")).await;
    assert!(!html.contains("Η πληρωμή ολοκληρώθηκε"), "{html}");
    assert!(html.contains("value=\"succeed\""), "the sandbox buttons are offered: {html}");

    let (status, to) = press(&mut b, &link, "decline").await;
    assert_eq!((status, to.split('?').next().unwrap()), (303, format!("{link}/return").as_str()));
    let (_, html) = b.get(&to).await;
    assert!(html.contains("Η τράπεζα απέρριψε την κάρτα"), "{html}");
    assert!(html.contains("value=\"succeed\""), "a declined attempt may be retried on the same intent");

    // 3-D Secure, then success on the same intent.
    press(&mut b, &link, "require_3ds").await;
    let (_, html) = b.get(&link).await;
    assert!(html.contains("value=\"pass_3ds\""), "{html}");
    let (_, to) = press(&mut b, &link, "pass_3ds").await;
    let (_, html) = b.get(&to).await;
    assert!(html.contains("Η πληρωμή ολοκληρώθηκε"), "{html}");
    assert!(html.contains("TEST-2026/000001"), "the receipt number of a test tenant: {html}");
    let i = html.find("href=\"/receipts/").expect("receipt link") + "href=\"".len();
    let receipt = html[i..].split('"').next().unwrap().to_string();
    let res = app.client.get(app.url(&receipt)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    if let Some(scan) = crate::pdf::scan(&pdf, "receipt") {
        let text = scan.text;
        assert!(text.contains("TEST-2026/000001") && text.contains("ΔΙΠΛΟΤΥΠΟ ΕΙΣΠΡΑΞΗΣ"), "{text}");
        assert!(text.contains("10,00"), "the total: {text}");
        assert!(text.contains(&rf), "the debt's RF: {text}");
    }
    let forged = app.client.get(app.url(&format!("{}x", receipt))).send().await.unwrap();
    assert_eq!(forged.status(), 404);

    // Viewing again asks the provider again and changes nothing; the debt is
    // down by exactly 10.00.
    b.get(&to).await;
    b.get(&link).await;
    let (_, after, _) = first_debt(&app, &t).await;
    let cents = |s: &str| s.replace('.', "").parse::<i64>().unwrap();
    assert_eq!(cents(&before) - cents(&after), 1000, "{before} -> {after}");
    let payments =
        query_i64(&app.db, "select count(*) from payments where tenant_id = $1 and status = 'succeeded'", t.id).await;
    assert_eq!(payments, 1);
    let declines = query_i64(
        &app.db,
        "select count(*) from audit_entries where tenant_id = $1 and action = 'card_payment.attempt_failed'",
        t.id,
    )
    .await;
    assert_eq!(declines, 1, "the decline is recorded once, however often the page is viewed");
    app.finish().await;
}

async fn an_expired_quote_cannot_be_paid(be: Backend) {
    let mut app = TestApp::spawn(be).await;
    let t = app.tenant("ios", "IOS").await;
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(3)]), "").await.0, 201);
    let (rf, _, _) = first_debt(&app, &t).await;
    let mut b = Browser::new(&app);
    let link = quote_page(&mut b, &rf, "").await;
    let (_, html) = b.get(&link).await;
    app.clock.advance(Duration::minutes(31));
    let (status, _) = b.post(&format!("{link}/start"), &[("csrf", &csrf_of(&html))]).await;
    assert_eq!(status, 303);
    let (_, html) = b.get(&link).await;
    assert!(html.contains("Η προσφορά έληξε"), "{html}");
    assert_eq!(query_i64(&app.db, "select count(*) from payments where tenant_id = $1", t.id).await, 0);
    app.finish().await;
}

/// A bank transfer of 5.00 to the debt `rf`, booked at once; its party.
async fn transfer_5_euros(app: &TestApp, t: &TestTenant, rf: &str) -> Uuid {
    let tenant = tameio::store::tenants::by_id(&app.db, t.id).await.unwrap().unwrap();
    let debt = tameio::store::debts::by_rf(&app.db, t.id, rf).await.unwrap().unwrap();
    let transfer = tameio::collect::apply::IncomingPayment {
        party_id: debt.party_id,
        channel: tameio::collect::apply::Channel::BankTransfer,
        amount: tameio::domain::money::Cents::new(500),
        received_on: tenant.local_date(app.clock.now()),
        debts: Some(vec![debt.id]),
    };
    let actor = tameio::domain::actor::Actor::Cli;
    tameio::collect::apply::apply_payment(&app.db, &tenant, app.clock.now(), &actor, &transfer).await.unwrap();
    debt.party_id
}

/// A bank transfer lands between Pay and the card's success: the card money
/// goes to what is still due, by policy, and the rest becomes credit.
async fn a_debt_paid_meanwhile_leaves_the_card_money_as_credit(be: Backend) {
    let mut app = TestApp::spawn(be).await;
    let t = app.tenant("kea", "KEA").await;
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(5)]), "").await.0, 201);
    let (rf, outstanding, _) = first_debt(&app, &t).await;
    let mut b = Browser::new(&app);
    let link = quote_page(&mut b, &rf, "").await;
    start(&mut b, &link).await;

    let party = transfer_5_euros(&app, &t, &rf).await;

    let (_, to) = press(&mut b, &link, "succeed").await;
    let (_, html) = b.get(&to).await;
    assert!(html.contains("Η πληρωμή ολοκληρώθηκε"), "{html}");
    let (_, after, _) = first_debt(&app, &t).await;
    assert_eq!(after, "0.00", "the debt is paid in full (was {outstanding})");
    let credit = query_i64(
        &app.db,
        "select cast(coalesce(sum(amount_cents), 0) as bigint) from credit_movements where tenant_id = $1",
        t.id,
    )
    .await;
    assert_eq!(credit, 500, "what the transfer already paid is kept as credit");

    // Nothing is due: nothing to apply. A new debt of the party: an officer applies the credit.
    let path = format!("/api/v1/parties/{party}/apply-credit");
    let (s, e) = app.post(&path, Some(&t.key), &serde_json::json!({})).await;
    assert_eq!((s, e["type"].as_str().unwrap()), (409, "/problems/nothing-to-apply"), "{e}");
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(4)]), "").await.0, 201);
    let before = crate::helpers::outstanding_total(&app, &t.key).await;
    let (s, applied) = app.post(&path, Some(&t.key), &serde_json::json!({})).await;
    assert_eq!((s, applied["applied"].as_str().unwrap()), (201, "5.00"), "{applied}");
    assert_eq!(crate::helpers::outstanding_total(&app, &t.key).await, before - 500);
    app.finish().await;
}

/// With `auto_apply_credit`, a party's credit pays its next imported debt.
async fn credit_pays_the_next_imported_debt_when_the_tenant_says_so(be: Backend) {
    let mut app = TestApp::spawn(be).await;
    let mut spec = crate::helpers::tenant_spec("thira", "THI");
    spec["policies"] = serde_json::json!({"allocation": {"auto_apply_credit": true}});
    let (s, body) = app.post("/api/v1/platform/tenants", Some(&app.operator_key.clone()), &spec).await;
    assert_eq!(s, 201, "{body}");
    let t = app.tenant_key("thira", uuid::Uuid::parse_str(body["id"].as_str().unwrap()).unwrap()).await;
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(5)]), "").await.0, 201);
    let (rf, _, _) = first_debt(&app, &t).await;
    let mut b = Browser::new(&app);
    let link = quote_page(&mut b, &rf, "").await;
    start(&mut b, &link).await;
    // A transfer pays 5.00 first, so the card leaves 5.00 of credit.
    transfer_5_euros(&app, &t, &rf).await;
    let (_, to) = press(&mut b, &link, "succeed").await;
    b.get(&to).await;
    assert_eq!(crate::helpers::outstanding_total(&app, &t.key).await, 0);
    let (s, summary) = app.import_roll(&t.key, &roll_csv([roll_row(4)]), "").await;
    assert_eq!(s, 201, "{summary}");
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    let new = page["debts"].as_array().unwrap().iter().find(|d| d["source_id"] == "D-000004").unwrap().clone();
    assert_eq!(new["paid"], "5.00", "the credit paid the new debt on import: {new}");
    app.finish().await;
}

crate::db_tests!(
    citizen_pays_part_of_a_debt_after_a_decline,
    an_expired_quote_cannot_be_paid,
    a_debt_paid_meanwhile_leaves_the_card_money_as_credit,
    credit_pays_the_next_imported_debt_when_the_tenant_says_so
);
