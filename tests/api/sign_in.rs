use crate::helpers::{Engine, attrs_by_testid, location, spawn_app, spawn_app_with, texts_by_testid};
use crate::on_both_engines;

on_both_engines!(
    demo_cardholder_signs_in_and_lands_on_cards,
    wrong_password_and_unknown_login_get_the_same_message,
    failed_sign_ins_are_throttled_per_login,
    sign_in_renews_the_session_key,
    sign_out_ends_the_session_on_the_server,
);

async fn demo_cardholder_signs_in_and_lands_on_cards(engine: Engine) {
    let app = spawn_app(engine).await;
    let response = app.sign_in("alice", "alice-demo-2026").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/cards");
    let (status, html) = app.get_html("/cards").await;
    assert_eq!(status, 200);
    let signed_in_as = texts_by_testid(&html, "signed-in-as");
    assert!(signed_in_as.len() == 1 && signed_in_as[0].ends_with("Alice Martin"), "{signed_in_as:?}");
}

async fn wrong_password_and_unknown_login_get_the_same_message(engine: Engine) {
    let app = spawn_app(engine).await;
    let wrong = app.sign_in("alice", "not-her-password").await;
    assert_eq!(wrong.status().as_u16(), 401);
    let wrong_html = wrong.text().await.unwrap();
    let unknown = app.sign_in("nobody-here", "whatever").await;
    assert_eq!(unknown.status().as_u16(), 401);
    let unknown_html = unknown.text().await.unwrap();
    assert_eq!(attrs_by_testid(&wrong_html, "sign-in-error", "data-error"), ["wrong-credentials"]);
    assert_eq!(attrs_by_testid(&unknown_html, "sign-in-error", "data-error"), ["wrong-credentials"]);
    assert_eq!(texts_by_testid(&wrong_html, "sign-in-error"), texts_by_testid(&unknown_html, "sign-in-error"));
    // Still not signed in.
    assert_eq!(app.get("/cards").await.status().as_u16(), 303);
}

async fn failed_sign_ins_are_throttled_per_login(engine: Engine) {
    let app = spawn_app(engine).await;
    for _ in 0..5 {
        assert_eq!(app.sign_in("alice", "guess").await.status().as_u16(), 401);
    }
    // Locked now: even the right password is refused, without a hint.
    let locked = app.sign_in("alice", "alice-demo-2026").await;
    assert_eq!(locked.status().as_u16(), 429);
    assert!(locked.headers().get("retry-after").is_some());
    assert_eq!(app.get("/cards").await.status().as_u16(), 303, "not signed in");
    // Another cardholder (from another address in real life) is not locked by it.
    let other = spawn_app(engine).await;
    assert_eq!(other.sign_in("bruno", "bruno-demo-2026").await.status().as_u16(), 303);
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_address() {
    let app = spawn_app_with(Engine::Sqlite, |s| s.security.max_failures_per_address = 3).await;
    for login in ["a1", "a2", "a3"] {
        assert_eq!(app.sign_in(login, "guess").await.status().as_u16(), 401);
    }
    assert_eq!(app.sign_in("bruno", "bruno-demo-2026").await.status().as_u16(), 429);
}

#[tokio::test]
async fn a_lock_ends_when_the_window_passes() {
    let app = spawn_app_with(Engine::Sqlite, |s| {
        s.security.max_failures_per_login = 2;
        s.security.failure_window_secs = 2;
    })
    .await;
    for _ in 0..2 {
        app.sign_in("alice", "guess").await;
    }
    assert_eq!(app.sign_in("alice", "alice-demo-2026").await.status().as_u16(), 429);
    app.clock.advance(3);
    assert_eq!(app.sign_in("alice", "alice-demo-2026").await.status().as_u16(), 303);
}

async fn sign_in_renews_the_session_key(engine: Engine) {
    let app = spawn_app(engine).await;
    // A session key planted in the browser before sign-in (fixation): an
    // attacker's own signed-in session, so the key exists on the server.
    let attacker_session = crate::helpers::start_second_client(&app);
    attacker_session.sign_in("bruno", "bruno-demo-2026").await;
    let before = attacker_session.session_cookie().expect("bruno's session");
    let url: reqwest::Url = app.address.parse().unwrap();
    app.cookies.add_cookie_str(&format!("{}={before}; Path=/", app.settings.session.cookie_name), &url);
    app.sign_in_as_alice().await;
    let after = app.session_cookie().expect("signed-in session");
    assert_ne!(before, after, "session key must change at sign-in (no fixation)");
    // The pre-sign-in cookie does not open the signed-in session.
    let attacker = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookie = format!("{}={before}", app.settings.session.cookie_name);
    let response = attacker.get(app.url("/cards")).header("cookie", cookie).send().await.unwrap();
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    assert!(status == 303 || !html.contains("Alice"), "the planted key must not open Alice's session: {status}");
}

async fn sign_out_ends_the_session_on_the_server(engine: Engine) {
    let app = spawn_app(engine).await;
    app.sign_in_as_alice().await;
    let signed_in_cookie = app.session_cookie().unwrap();
    let token = app.csrf_token("/cards").await;
    let response = app.post_form("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/login?reason=signed-out");
    assert_eq!(app.get("/cards").await.status().as_u16(), 303);
    // Replaying the old cookie gets nothing: the state is gone from the store.
    let replay = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookie = format!("{}={signed_in_cookie}", app.settings.session.cookie_name);
    let response = replay.get(app.url("/cards")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303, "a signed-out cookie must not work");
}

#[tokio::test]
async fn sign_in_returns_to_the_page_asked_for() {
    let app = spawn_app(Engine::Sqlite).await;
    let response = app.get("/cards").await;
    assert_eq!(location(&response), "/login?next=/cards");
    let (_, html) = app.get_html("/login?next=/cards").await;
    assert!(html.contains(r#"name="next" value="/cards""#));
    // An off-site `next` is ignored.
    let token = app.csrf_token("/login").await;
    let response = app
        .post_form(
            "/login",
            &[("csrf_token", &token), ("login", "alice"), ("password", "alice-demo-2026"), ("next", "//evil.example/x")],
        )
        .await;
    assert_eq!(location(&response), "/cards");
}

#[tokio::test]
async fn post_without_or_with_a_wrong_csrf_token_is_refused() {
    let app = spawn_app(Engine::Sqlite).await;
    app.get("/login").await;
    let missing = app.post_form("/login", &[("login", "alice"), ("password", "alice-demo-2026")]).await;
    assert_eq!(missing.status().as_u16(), 403);
    let html = missing.text().await.unwrap();
    assert_eq!(texts_by_testid(&html, "error-page").len(), 1, "an HTML error page");
    let wrong = app.post_form("/login", &[("csrf_token", "forged"), ("login", "alice"), ("password", "alice-demo-2026")]).await;
    assert_eq!(wrong.status().as_u16(), 403);
    assert_eq!(app.get("/cards").await.status().as_u16(), 303, "not signed in");

    // Sign-out too: a cross-site POST cannot sign the cardholder out.
    app.sign_in_as_alice().await;
    assert_eq!(app.post_form("/logout", &[("csrf_token", "forged")]).await.status().as_u16(), 403);
    assert_eq!(app.get("/cards").await.status().as_u16(), 200, "still signed in");
}

#[tokio::test]
async fn odd_input_never_breaks_sign_in() {
    let app = spawn_app(Engine::Sqlite).await;
    let long_unicode = "é😀\u{202e}\u{0}".repeat(200);
    for (login, password) in [
        ("' OR 1=1 --", "x"),
        ("alice'; DROP TABLE cardholders; --", "x"),
        (long_unicode.as_str(), "x"),
        ("alice", long_unicode.as_str()),
        ("", ""),
        ("   ", "x"),
    ] {
        let status = app.sign_in(login, password).await.status().as_u16();
        assert!(status == 401 || status == 429, "{login:?} gave {status}");
    }
    // The table survived the SQL-looking input.
    assert_eq!(app.store.count_cardholders().await.unwrap(), pushprov::demo::CARDHOLDERS.len() as i64);
}

/// The session cookie (set at sign-in) and the sign-in form's cookie (set
/// by the sign-in page, which stores no session).
#[tokio::test]
async fn cookie_flags() {
    async fn cookies_of(app: &crate::helpers::TestApp) -> (String, String) {
        let form_cookie = app.get("/login").await.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
        let signed_in = app.sign_in("alice", "alice-demo-2026").await;
        assert_eq!(signed_in.status().as_u16(), 303);
        let session = signed_in
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with(&format!("{}=", app.settings.session.cookie_name)));
        (form_cookie, session.expect("the session cookie is set at sign-in"))
    }
    let app = spawn_app(Engine::Sqlite).await;
    let (form, session) = cookies_of(&app).await;
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    assert!(!session.contains("Secure"), "plain-http loopback demo: {session}");
    assert!(form.starts_with(&format!("{}_signin=", app.settings.session.cookie_name)), "{form}");
    assert!(form.contains("HttpOnly") && form.contains("SameSite=Strict") && form.contains("Path=/login"), "{form}");

    // Secure cookies: the test client (plain http) would not send them back,
    // so the form's cookie goes back by hand.
    let secure = spawn_app_with(Engine::Sqlite, |s| s.server.secure_cookies = Some(true)).await;
    let page = secure.get("/login").await;
    let form = page.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(form.contains("Secure"), "{form}");
    let token = crate::helpers::csrf_in(&page.text().await.unwrap()).unwrap();
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let fields = [("csrf_token", token.as_str()), ("login", "alice"), ("password", "alice-demo-2026"), ("next", "/cards")];
    let signed_in =
        plain.post(secure.url("/login")).header("cookie", form.split(';').next().unwrap()).form(&fields).send().await.unwrap();
    assert_eq!(signed_in.status().as_u16(), 303);
    let session = signed_in.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(session.contains("Secure"), "{session}");
}
