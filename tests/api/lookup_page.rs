//! The citizen's lookup page, without JavaScript: find a debt by RF, then open
//! the notice with the last three digits of the tax id.

use crate::helpers::{Backend, TestApp, afm, roll_csv, roll_row};

fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[i..].split('"').next().unwrap().to_string()
}

async fn citizen_finds_a_debt_and_opens_the_notice(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("syros", "SYR").await;
    assert_eq!(app.import_roll(&t.key, &roll_csv([roll_row(0)]), "").await.0, 201);
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    let rf = page["debts"][0]["rf"].as_str().unwrap().to_string();
    let outstanding = page["debts"][0]["outstanding"].as_str().unwrap().replace('.', ",");

    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.headers()["location"].to_str().unwrap()), (303, "/lookup"));
    let res = app.client.get(app.url(&format!("/lookup?rf={}", rf.to_lowercase()))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"el\">") && html.contains("Υπόλοιπο προς πληρωμή"), "{html}");
    assert!(html.contains(&format!("{outstanding}\u{a0}€")), "amount in Greek format {outstanding}: {html}");
    assert!(html.contains("<dd>Γ. Π.</dd>") && !html.contains("Παπαδόπουλος") && !html.contains(&afm(10_000_000)));

    assert!(html.contains(&format!("href=\"?rf={rf}&amp;lang=en\"")), "switching language keeps the reference");
    let unknown = app.client.get(app.url("/lookup?rf=RF18539007547034&lang=en")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.unwrap().contains("No debt has this code."));

    let post = |body: String, cookie: String| {
        app.client
            .post(app.url("/lookup/unlock"))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let csrf = csrf_of(&html);
    let forged = post(format!("csrf=forged&rf={rf}&last3=000"), cookie.clone()).await.unwrap();
    assert_eq!(forged.status(), 403);
    let wrong = post(format!("csrf={csrf}&rf={rf}&last3=000"), cookie.clone()).await.unwrap();
    assert_eq!(wrong.status(), 403);
    assert!(wrong.text().await.unwrap().contains("Τα ψηφία δεν ταιριάζουν"));
    let last3 = &afm(10_000_000)[6..];
    let ok = post(format!("csrf={csrf}&rf={rf}&last3={last3}"), cookie).await.unwrap();
    assert_eq!(ok.status(), 201);
    let html = ok.text().await.unwrap();
    let i = html.find("href=\"/notices/").expect("notice link") + "href=\"".len();
    let link = html[i..].split('"').next().unwrap();
    let pdf = app.client.get(app.url(link)).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    app.finish().await;
}

crate::db_tests!(citizen_finds_a_debt_and_opens_the_notice);
