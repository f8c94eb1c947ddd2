//! Security hardening (issue 8): headers, sessions, and hostile requests.

use scraper::{Html, Selector};

use crate::helpers::{Engine, TestApp, location, spawn_app, spawn_app_with, start_second_client};

fn csp(response: &reqwest::Response) -> String {
    response.headers().get("content-security-policy").unwrap().to_str().unwrap().to_string()
}

#[tokio::test]
async fn scripts_run_only_with_this_responses_nonce() {
    let app = spawn_app(Engine::Sqlite).await;
    app.sign_in_as_alice().await;
    let mut nonces = Vec::new();
    for path in ["/cards", "/cards", "/add", "/cards/where"] {
        let response = app.get(path).await;
        let policy = csp(&response);
        assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "{policy}");
        assert!(policy.contains("img-src 'self'") && policy.contains("form-action 'self'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        let nonce = policy.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("a nonce").to_string();
        let html = response.text().await.unwrap();
        let doc = Html::parse_document(&html);
        let scripts: Vec<_> = doc.select(&Selector::parse("script").unwrap()).collect();
        assert_eq!(scripts.len(), 1, "one script: the timeout warning");
        for script in scripts {
            assert_eq!(script.value().attr("nonce"), Some(nonce.as_str()));
            assert!(script.value().attr("src").unwrap().starts_with("/static/session.js"), "external, our origin");
            assert!(script.text().collect::<String>().trim().is_empty(), "no inline code");
        }
        assert!(doc.select(&Selector::parse("style, [style]").unwrap()).next().is_none(), "no inline style");
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "a fresh nonce per response");
}

#[tokio::test]
async fn hsts_only_over_https() {
    let plain = spawn_app(Engine::Sqlite).await;
    assert!(plain.get("/login").await.headers().get("strict-transport-security").is_none());
    let https = spawn_app_with(Engine::Sqlite, |s| s.server.public_url = Some("https://bank.example".into())).await;
    let response = https.get("/login").await;
    assert_eq!(response.headers().get("strict-transport-security").unwrap(), "max-age=31536000; includeSubDomains");
}

#[tokio::test]
async fn the_timeout_warning_can_keep_the_session_alive() {
    let app = spawn_app_with(Engine::Sqlite, |s| s.session.idle_timeout_secs = 2).await;
    app.sign_in_as_alice().await;
    let (_, html) = app.get_html("/cards").await;
    let doc = Html::parse_document(&html);
    let warning = doc.select(&Selector::parse("[data-testid=session-timeout]").unwrap()).next().expect("the warning");
    assert_eq!(warning.value().attr("data-idle-seconds"), Some("2"));
    let token = warning.value().attr("data-csrf").unwrap().to_string();
    // Without the CSRF header, or with another one: refused.
    let bare = app.client.post(app.url("/session/keepalive")).send().await.unwrap();
    assert_eq!(bare.status().as_u16(), 403);
    let forged = app.client.post(app.url("/session/keepalive")).header("x-csrf-token", "forged").send().await.unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    // "Stay signed in" every second for longer than the idle timeout.
    for _ in 0..3 {
        app.clock.advance(1);
        let kept = app.client.post(app.url("/session/keepalive")).header("x-csrf-token", &token).send().await.unwrap();
        assert_eq!(kept.status().as_u16(), 204);
    }
    assert_eq!(app.get("/cards").await.status().as_u16(), 200, "still signed in after 3 s with a 2 s idle timeout");
    // The script is served, and it is the one the page names.
    let script = doc.select(&Selector::parse("script").unwrap()).next().unwrap().value().attr("src").unwrap().to_string();
    let js = app.get(&script).await;
    assert_eq!(js.status().as_u16(), 200);
    assert!(js.text().await.unwrap().contains("/session/keepalive"));
}

/// Page views move the server's idle clock only every `idle / 20` seconds
/// (no session write per page), and each page tells the timeout warning the
/// time the server really leaves, so the warning never promises more.
#[tokio::test]
async fn pages_move_the_idle_clock_every_few_seconds_and_say_what_is_left() {
    let app = spawn_app_with(Engine::Sqlite, |s| s.session.idle_timeout_secs = 100).await;
    app.sign_in_as_alice().await;
    let left = |html: String| -> u64 {
        let doc = Html::parse_document(&html);
        let warning = doc.select(&Selector::parse("[data-testid=session-timeout]").unwrap()).next().expect("the warning");
        assert_eq!(warning.value().attr("data-idle-seconds"), Some("100"));
        warning.value().attr("data-idle-left").unwrap().parse().unwrap()
    };
    // 2 s after signing in, under the 5 s step: the clock stays (a write
    // would show the full 100).
    app.clock.advance(2);
    let first = left(app.get_html("/cards").await.1);
    assert_eq!(first, 98, "the clock did not move: {first} s left");
    let again = left(app.get_html("/add").await.1);
    assert!(again <= first, "a page view within the step does not reset it: {again}");
    // Past the step, a page view moves it.
    app.clock.advance(5);
    assert_eq!(left(app.get_html("/cards").await.1), 100, "moved after 7 s");
    // 3 s later (under the step again: pages would show 97), "Stay signed
    // in" moves it anyway.
    app.clock.advance(3);
    let token = app.csrf_token("/cards").await;
    let kept = app.client.post(app.url("/session/keepalive")).header("x-csrf-token", &token).send().await.unwrap();
    assert_eq!(kept.status().as_u16(), 204);
    assert_eq!(left(app.get_html("/cards").await.1), 100, "kept alive: the clock restarted");
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_device() {
    let app = spawn_app(Engine::Sqlite).await;
    let phone = start_second_client(&app);
    app.sign_in_as_alice().await;
    phone.sign_in_as_alice().await;
    assert_eq!(phone.get("/cards").await.status().as_u16(), 200);
    let token = app.csrf_token("/cards").await;
    let response = app.post_form("/logout/everywhere", &[("csrf_token", &token)]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/login?reason=signed-out");
    assert_eq!(app.get("/cards").await.status().as_u16(), 303);
    assert_eq!(phone.get("/cards").await.status().as_u16(), 303, "the other device is signed out too");
    // And it needs the CSRF token like every POST.
    phone.sign_in_as_alice().await;
    assert_eq!(phone.post_form("/logout/everywhere", &[("csrf_token", "x")]).await.status().as_u16(), 403);
    assert_eq!(phone.get("/cards").await.status().as_u16(), 200);
}

#[tokio::test]
async fn the_sign_in_page_never_sends_anyone_elsewhere() {
    let app = spawn_app(Engine::Sqlite).await;
    for next in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
        "/cards\r\nLocation: https://evil.example",
    ] {
        let token = app.csrf_token("/login").await;
        let response = app
            .post_form("/login", &[("csrf_token", &token), ("login", "alice"), ("password", "alice-demo-2026"), ("next", next)])
            .await;
        let to = location(&response);
        // Wherever the browser resolves it, it stays on this site.
        let resolved = reqwest::Url::parse(&app.address).unwrap().join(&to).unwrap();
        assert_eq!(resolved.host_str(), Some("127.0.0.1"), "{next:?} → {to:?}");
        assert!(to.starts_with('/') && !to.starts_with("//"), "{next:?} → {to:?}");
        // Sign out for the next round.
        let token = app.csrf_token("/cards").await;
        app.post_form("/logout", &[("csrf_token", &token)]).await;
    }
}

/// Row counts and a digest of the state columns of everything a callback or
/// token event could change.
async fn state_snapshot(app: &TestApp) -> String {
    let mut parts = Vec::new();
    for record in app
        .store
        .provisionings_of(app.store.credentials(&pushprov::domain::Login::parse("quinn").unwrap()).await.unwrap().unwrap().0)
        .await
        .unwrap()
    {
        parts.push(format!(
            "{} {} {:?} {:?} {:?} {}",
            record.id,
            record.state.as_str(),
            record.reported_by_tr,
            record.returned_at,
            record.accounts.iter().map(|a| (a.receipt.clone(), a.reported_status.clone())).collect::<Vec<_>>(),
            record.push_count
        ));
        let receipts: Vec<&str> = record.accounts.iter().filter_map(|a| a.receipt.as_deref()).collect();
        parts.push(format!(
            "{:?}",
            app.store.latest_token_events(&receipts).await.unwrap().iter().map(|e| e.status.clone()).collect::<Vec<_>>()
        ));
    }
    parts.join("\n")
}

#[tokio::test]
async fn a_thousand_hostile_callbacks_and_token_events_change_nothing() {
    use rand::RngExt as _;
    let app = spawn_app(Engine::Sqlite).await;
    crate::helpers::catalogue_loaded(&app.store).await;
    // A real record in the hand-off state, with a real callback token.
    let response = app.sign_in("quinn", "quinn-demo-2026").await;
    assert_eq!(response.status().as_u16(), 303);
    let quinn = app.store.credentials(&pushprov::domain::Login::parse("quinn").unwrap()).await.unwrap().unwrap().0;
    let card = app.store.funding_accounts(quinn).await.unwrap().into_iter().find(|a| a.last4 == "0105").unwrap().public_id;
    let (_, review) = app.get_html(&format!("/add/review?tr=50100000001&cards={card}")).await;
    let value = |name: &str| {
        let doc = Html::parse_document(&review);
        doc.select(&Selector::parse(&format!("input[name={name}]")).unwrap())
            .next()
            .unwrap()
            .value()
            .attr("value")
            .unwrap()
            .to_string()
    };
    let pushed = app
        .post_form(
            "/add/push",
            &[
                ("csrf_token", &value("csrf_token")),
                ("submission_id", &value("submission_id")),
                ("tr", "50100000001"),
                ("cards", &card),
                ("password", "quinn-demo-2026"),
            ],
        )
        .await;
    let record = location(&pushed);
    let handed_off = app.get(&format!("{record}/continue")).await;
    let tr_url = location(&handed_off);
    let callback = reqwest::Url::parse(&tr_url).unwrap().query_pairs().find(|(k, _)| k == "callbackURL").unwrap().1.to_string();
    let real_token = callback.rsplit('/').next().unwrap().to_string();
    let receipt = app.store.provisioning(record.trim_start_matches("/provisioning/")).await.unwrap().unwrap().accounts[0]
        .receipt
        .clone()
        .unwrap();
    let before = state_snapshot(&app).await;

    let secret = crate::helpers::token_event_key(&app.settings.data_dir);
    let attacker = start_second_client(&app);
    attacker.sign_in("alice", "alice-demo-2026").await;
    let mut rng = rand::rng();
    let mut sent = 0;
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..1100 {
        let (status, what) = match i % 11 {
            // Forged tokens of every shape.
            0 => {
                let token: String = (0..43)
                    .map(|_| {
                        char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[rng.random_range(0..64)])
                    })
                    .collect();
                (
                    app.get(&format!("/provisioning/return/{token}?pushAccountReceipts={receipt}&status=APPROVED"))
                        .await
                        .status(),
                    "forged token",
                )
            }
            1 => {
                let len = rng.random_range(0..200);
                let junk: String = (0..len).map(|_| char::from(rng.random_range(0x21u8..0x7f))).collect();
                let url = format!("{}/provisioning/return/{}", app.address, pushprov::web::error::percent_encode(&junk));
                (app.client.get(url).send().await.unwrap().status(), "junk token")
            }
            // The real token from another cardholder's session.
            2 => (attacker.client.get(&callback).send().await.unwrap().status(), "foreign session"),
            // The real token with hostile parameters, from no session at all.
            3 => {
                let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
                (
                    anonymous
                        .get(format!("{callback}?status=APPROVED&pushAccountReceipts={receipt}"))
                        .send()
                        .await
                        .unwrap()
                        .status(),
                    "no session",
                )
            }
            // Oversize query on the real token (another cardholder).
            4 => (
                attacker
                    .client
                    .get(format!("{callback}?status={}", "A".repeat(rng.random_range(600..4000))))
                    .send()
                    .await
                    .unwrap()
                    .status(),
                "oversize",
            ),
            // Token events: unsigned, wrong key, stale, replayed with a changed body, malformed, oversize.
            5 => (post_event(&app, &event_body(&receipt, "DECLINED"), None, 0).await, "unsigned event"),
            6 => (post_event(&app, &event_body(&receipt, "DECLINED"), Some(b"wrong key"), 0).await, "wrong key"),
            7 => (
                post_event(&app, &event_body(&receipt, "DECLINED"), Some(&secret), -rng.random_range(301..100_000)).await,
                "stale",
            ),
            8 => {
                let body = event_body(&receipt, "ACTIVE");
                let ts = app.clock.now_unix();
                let signature = pushprov::token_events::sign(&secret, ts, &body);
                let tampered = String::from_utf8(body).unwrap().replace("ACTIVE", "DECLINED").into_bytes();
                (raw_event(&app, tampered, Some((ts, signature))).await, "replayed signature, changed body")
            }
            9 => {
                let len = rng.random_range(0..300);
                let junk: Vec<u8> = (0..len).map(|_| rng.random::<u8>()).collect();
                (post_event(&app, &junk, Some(&secret), 0).await, "signed junk")
            }
            _ => (post_event(&app, &vec![b'{'; 20_000], Some(&secret), 0).await, "oversize event"),
        };
        let code = status.as_u16();
        assert_ne!(code, 200, "{what} was accepted");
        assert!(code < 500, "{what} gave {code}");
        *statuses.entry(format!("{what} {code}")).or_insert(0) += 1;
        sent += 1;
    }
    assert!(sent >= 1000);
    assert_eq!(state_snapshot(&app).await, before, "no hostile request changed state: {statuses:?}");
    // The real return still works afterwards.
    assert_eq!(app.client.get(&callback).send().await.unwrap().status().as_u16(), 303);
    assert!(callback.ends_with(&real_token));
}

fn event_body(receipt: &str, status: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "eventId": uuid::Uuid::new_v4().to_string(),
        "pushAccountReceipt": receipt,
        "status": status,
        "occurredAt": "2026-11-26T10:00:00Z",
    }))
    .unwrap()
}

async fn post_event(app: &TestApp, body: &[u8], key: Option<&[u8]>, skew: i64) -> reqwest::StatusCode {
    let signature = key.map(|k| {
        let ts = app.clock.now_unix() + skew;
        (ts, pushprov::token_events::sign(k, ts, body))
    });
    reqwest::StatusCode::from_u16(raw_event(app, body.to_vec(), signature).await.as_u16()).unwrap()
}

async fn raw_event(app: &TestApp, body: Vec<u8>, signature: Option<(i64, String)>) -> reqwest::StatusCode {
    let mut request = app.client.post(app.url("/token-events")).header("content-type", "application/json").body(body);
    if let Some((ts, sig)) = signature {
        request = request
            .header(pushprov::token_events::TIMESTAMP_HEADER, ts.to_string())
            .header(pushprov::token_events::SIGNATURE_HEADER, sig);
    }
    request.send().await.unwrap().status()
}
