//! Officer sign-in with a tenant key: CSRF on every form, a strict session
//! cookie, sign-out that ends the session.

use crate::helpers::{Backend, TestApp};

pub fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

pub fn cookie_value(cookies: &[String], name: &str) -> String {
    let c = cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {cookies:?}"));
    c.split(';').next().unwrap().split_once('=').unwrap().1.to_string()
}

pub fn hidden_csrf(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[i..].split('"').next().unwrap().to_string()
}

async fn officer_session_with_csrf(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("rhodes", "RHO").await;

    let res = app.client.get(app.url("/officer/login")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let login_csrf = cookie_value(&set_cookies(&res), "tameio_login_csrf");
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"el\">") && html.contains("Σύνδεση υπαλλήλου"));
    let form_csrf = hidden_csrf(&html);
    assert_eq!(form_csrf, login_csrf);

    let post = |cookie: String, body: String| {
        app.client
            .post(app.url("/officer/login"))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    // A forged form (token not matching the cookie) is refused.
    let res = post(format!("tameio_login_csrf={login_csrf}"), format!("csrf=forged&api_key={}", t.key)).await.unwrap();
    assert_eq!(res.status(), 403);
    // A wrong key is refused with a readable message.
    let res =
        post(format!("tameio_login_csrf={login_csrf}"), format!("csrf={login_csrf}&api_key=tmk_wrong")).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("Το κλειδί δεν είναι έγκυρο."));

    let res =
        post(format!("tameio_login_csrf={login_csrf}"), format!("csrf={login_csrf}&api_key={}", t.key)).await.unwrap();
    assert_eq!(res.status(), 303);
    let cookies = set_cookies(&res);
    let session_cookie = cookies.iter().find(|c| c.starts_with("tameio_session=")).unwrap();
    for attr in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session_cookie.contains(attr), "{session_cookie} lacks {attr}");
    }
    let session = format!("tameio_session={}", cookie_value(&cookies, "tameio_session"));

    let res = app.client.get(app.url("/officer?lang=en")).header("cookie", &session).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Municipality of rhodes")
            && html.contains("TEST MODE")
            && html.contains("officer.signed_in")
            && html.contains("Needs attention")
            && html.contains("Nothing pending."),
        "{html}"
    );
    let csrf = hidden_csrf(&html);

    let logout = |body: String| {
        app.client
            .post(app.url("/officer/logout"))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(logout("csrf=forged".into()).await.unwrap().status(), 403);
    assert_eq!(logout(format!("csrf={csrf}")).await.unwrap().status(), 303);
    // The old cookie no longer opens the dashboard.
    let res = app.client.get(app.url("/officer")).header("cookie", &session).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/officer/login");
    app.finish().await;
}

crate::db_tests!(officer_session_with_csrf);
