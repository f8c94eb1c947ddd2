//! Issue 14, items 2–10: each test reproduces what an attacker did and
//! fails without its fix. (Item 1 and the parallel halves of 3 and 4 are in
//! `races.rs`.)

use crate::helpers::{Engine, TestApp, attrs_by_testid, location, spawn_app, start_second_client, texts_by_testid};
use crate::on_both_engines;
use crate::steps::*;

/// The review form for `card` at `WALLET` with `secret` in `field`, sent
/// with an `X-Forwarded-For` header.
async fn push_from(app: &TestApp, card: &str, field: &str, secret: &str, forwarded_for: &str) -> reqwest::Response {
    let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await;
    let form = push_form(&html, WALLET, card, field, secret);
    app.client.post(app.url("/add/push")).header("x-forwarded-for", forwarded_for).form(&form).send().await.unwrap()
}

/// Item 2: behind a proxy, step-up failures count for the client's
/// address, not the proxy's (which every cardholder shares), and a
/// client-written first `X-Forwarded-For` entry does not move them.
#[tokio::test]
async fn step_up_throttles_the_client_behind_the_proxy_not_the_proxy() {
    let app = journey_app(Engine::Sqlite, |s| {
        s.server.trust_forwarded_for = true;
        s.security.max_failures_per_address = 3;
        s.security.max_failures_per_login = 100;
    })
    .await;
    sign_in(&app, "alice").await;
    let alice_card = card(&app, "alice", "4792").await;
    for _ in 0..3 {
        let response = push_from(&app, &alice_card, "password", "wrong", "203.0.113.7").await;
        assert_eq!(response.status().as_u16(), 401);
    }
    // Alice's address is paused, whatever she writes first in the header.
    let again = push_from(&app, &alice_card, "password", "alice-demo-2026", "198.51.100.1, 203.0.113.7").await;
    assert_eq!(again.status().as_u16(), 429);
    assert!(again.headers().get("retry-after").is_some());
    // Quinn, another client behind the same proxy, is not.
    let quinn = start_second_client(&app);
    sign_in(&quinn, "quinn").await;
    let quinn_card = card(&quinn, "quinn", "0105").await;
    let response = push_from(&quinn, &quinn_card, "password", "quinn-demo-2026", "203.0.113.99").await;
    assert_eq!(response.status().as_u16(), 303, "one cardholder's failures must not block every push");
}

/// Item 3: wrong codes one after another. Showing the review again does
/// not reset the tries; the login is paused after 5; the code on the page
/// is then refused too, and no push happens.
#[tokio::test]
async fn thirty_wrong_codes_in_a_row_are_not_all_checked() {
    let app = journey_app(Engine::Sqlite, |s| s.provisioning.step_up = pushprov::provisioning::StepUp::Otp).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "0105").await;
    let mut statuses = Vec::new();
    let mut last_code = String::new();
    for _ in 0..30 {
        let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await;
        if let Some(shown) = texts_by_testid(&html, "demo-code").first() {
            last_code = shown.chars().filter(char::is_ascii_digit).collect();
        }
        let wrong = format!("{:06}", (last_code.parse::<u32>().unwrap_or(0) + 1) % 1_000_000);
        statuses.push(push_from(&app, &card, "code", &wrong, "").await.status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 25, "{statuses:?}");
    let shown = push_from(&app, &card, "code", &last_code, "").await;
    assert_eq!(shown.status().as_u16(), 429, "the code on the page does not get through either");
    let quinn = app.store.credentials(&pushprov::domain::Login::parse("quinn").unwrap()).await.unwrap().unwrap().0;
    assert!(app.store.provisionings_of(quinn).await.unwrap().is_empty());
}

/// Item 3: issuing codes is rate-limited (each is an SMS): showing the
/// page again keeps the live code; a new code per review of other cards
/// stops after `security.max_codes_per_window`.
#[tokio::test]
async fn issuing_codes_is_rate_limited() {
    let app = journey_app(Engine::Sqlite, |s| {
        s.provisioning.step_up = pushprov::provisioning::StepUp::Otp;
        s.security.max_codes_per_window = 3;
    })
    .await;
    sign_in(&app, "alice").await;
    let cards = [card(&app, "alice", "4792").await, card(&app, "alice", "4175").await];
    let code_on = |html: &str| texts_by_testid(html, "demo-code").first().cloned();
    let (_, first) = app.get_html(&format!("/add/review?tr={WALLET}&cards={}", cards[0])).await;
    let (_, again) = app.get_html(&format!("/add/review?tr={WALLET}&cards={}", cards[0])).await;
    assert_eq!(code_on(&first), code_on(&again), "the page shown again sends no new code");
    // Alternating reviews need a new code each time: 2 more, then paused.
    let (status, _) = app.get_html(&format!("/add/review?tr={WALLET}&cards={}", cards[1])).await;
    assert_eq!(status, 200);
    let (status, _) = app.get_html(&format!("/add/review?tr={WALLET}&cards={}", cards[0])).await;
    assert_eq!(status, 200);
    let (status, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={}", cards[1])).await;
    assert_eq!(status, 429, "a fourth code in the window is not sent");
    assert!(code_on(&html).is_none());
    assert_eq!(texts_by_testid(&html, "codes-paused").len(), 1);
    assert!(texts_by_testid(&html, "push-submit").is_empty(), "nothing to confirm with");
}

on_both_engines!(a_new_session_must_step_up_again_to_push_a_record_again);

/// Item 4: "Continue" on a handed-off record pushes again only in the
/// session that stepped up; any other session goes back to the review
/// page (step-up) and nothing is pushed.
async fn a_new_session_must_step_up_again_to_push_a_record_again(engine: Engine) {
    let app = journey_app(engine, |_| {}).await;
    let (record, _tr_url) = quinn_handed_off(&app).await;
    let other = start_second_client(&app);
    sign_in(&other, "quinn").await;
    for _ in 0..5 {
        let response = other.get(&format!("{record}/continue")).await;
        assert_eq!(response.status().as_u16(), 303);
        assert!(location(&response).starts_with(&format!("/add/review?tr={WALLET}&cards=")), "{}", location(&response));
    }
    assert_eq!(record_of(&app, &record).await.push_count, 1, "no push without a step-up");
    // The session that stepped up may (fresh receipts).
    let tr_url = continue_to_tr(&app, &record).await;
    assert!(tr_url.contains("pushAccountReceipts="));
    assert_eq!(record_of(&app, &record).await.push_count, 2);
}

/// Item 4: …only for a while after the step-up, and a bounded number of times.
#[tokio::test]
async fn re_pushes_end_after_a_while_and_after_a_count() {
    let app = journey_app(Engine::Sqlite, |s| s.provisioning.max_pushes_per_record = 3).await;
    let (record, _) = quinn_handed_off(&app).await;
    continue_to_tr(&app, &record).await;
    continue_to_tr(&app, &record).await;
    assert_eq!(record_of(&app, &record).await.push_count, 3);
    let response = app.get(&format!("{record}/continue")).await;
    assert!(location(&response).starts_with("/add/review?"), "the fourth push needs a new step-up");
    assert_eq!(record_of(&app, &record).await.push_count, 3);

    let app = journey_app(Engine::Sqlite, |s| s.provisioning.repush_window_secs = 1).await;
    let (record, _) = quinn_handed_off(&app).await;
    app.clock.advance(2);
    let response = app.get(&format!("{record}/continue")).await;
    assert!(location(&response).starts_with("/add/review?"), "the step-up is too old: {}", location(&response));
    assert_eq!(record_of(&app, &record).await.push_count, 1);
}

on_both_engines!(an_earlier_receipt_used_at_the_tr_counts, the_tab_with_the_earlier_receipts_comes_back_to_the_record);

/// The tab still at the TR with the earlier receipts finishes there after
/// a re-push: it comes back to the record (one return link per record, not
/// "Page not found") and the page says what happened.
async fn the_tab_with_the_earlier_receipts_comes_back_to_the_record(engine: Engine) {
    let app = journey_app(engine, |_| {}).await;
    let (record, with_a) = quinn_handed_off(&app).await;
    continue_to_tr(&app, &record).await;
    let back = come_back(&app, &at_tr(&app, &with_a, "accept").await).await;
    assert_eq!(back, record);
    let (codes, html) = outcomes_until(&app, &back, |codes| codes.iter().any(|c| c != "pending")).await;
    assert_eq!((codes, view(&html)), (vec!["added".to_string()], "confirmation".to_string()));
}

/// Item 5: receipts A handed off, then a re-push gave B. The cardholder
/// accepted at the TR with A and cancelled with B: a token is active, so
/// the page says added — never "cancelled".
async fn an_earlier_receipt_used_at_the_tr_counts(engine: Engine) {
    let app = journey_app(engine, |_| {}).await;
    let (record, with_a) = quinn_handed_off(&app).await;
    let with_b = continue_to_tr(&app, &record).await;
    assert_eq!(callback_of(&with_a), callback_of(&with_b), "one return link per record");
    // Accept with A, in a tab that never comes back (the token event is
    // what counts).
    at_tr(&app, &with_a, "accept").await;
    let back = come_back(&app, &at_tr(&app, &with_b, "cancel").await).await;
    let (codes, _) = outcomes_until(&app, &back, |codes| codes.iter().any(|c| c != "pending")).await;
    assert_eq!(codes, ["added"]);
    let issued = &record_of(&app, &record).await.accounts[0].issued;
    assert_eq!(issued.len(), 2, "both receipts are kept");
}

/// Item 6: control characters and backslashes in `next`.
#[tokio::test]
async fn next_with_control_characters_goes_nowhere_else() {
    let app = spawn_app(Engine::Sqlite).await;
    for hostile in ["/%09/evil.example", "/%0B", "/%0D%0A/evil.example", "/%7F", "/%5C%5Cevil.example", "/%C2%85/evil.example"] {
        let (status, html) = app.get_html(&format!("/login?next={hostile}")).await;
        assert_eq!(status, 200, "{hostile}");
        assert!(html.contains(r#"name="next" value="/cards""#), "{hostile}");
        let token = app.csrf_token("/login").await;
        let next = percent_decode(hostile);
        let response = app
            .post_form("/login", &[("csrf_token", &token), ("login", "alice"), ("password", "alice-demo-2026"), ("next", &next)])
            .await;
        assert_eq!(response.status().as_u16(), 303, "{hostile}: {}", response.text().await.unwrap_or_default());
        assert_eq!(location(&response), "/cards", "{hostile}");
    }
}

fn percent_decode(s: &str) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("x={s}")).unwrap();
    pairs[0].1.clone()
}

/// Item 7: an extreme timestamp is refused as stale, before the signature
/// is checked; never a panic or a 500.
#[tokio::test]
async fn extreme_token_event_timestamps_are_refused_cleanly() {
    let app = spawn_app(Engine::Sqlite).await;
    for ts in ["-9223372036854775808", "9223372036854775807", "-1", "99999999999999999999"] {
        let response = app
            .client
            .post(app.url("/token-events"))
            .header("content-type", "application/json")
            .header(pushprov::token_events::TIMESTAMP_HEADER, ts)
            .header(pushprov::token_events::SIGNATURE_HEADER, format!("v1={}", "00".repeat(32)))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{ts}");
    }
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200, "still serving");
}

/// Item 8: one card more than once in a choice or a push is refused, and
/// nothing reaches MDES.
#[tokio::test]
async fn the_same_card_twice_is_refused() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "alice").await;
    let x = card(&app, "alice", "4792").await;
    let y = card(&app, "alice", "4175").await;
    for query in [
        format!("tr={WALLET}&cards={x},{x},{x},{x},{x}"),
        format!("tr={WALLET}&cards={x},{y},{x}"),
        format!("tr={WALLET}&cards={x}&cards={x}"),
    ] {
        for page in ["/add/review", "/add/requestors", "/add/cards/chosen"] {
            let (status, html) = app.get_html(&format!("{page}?{query}")).await;
            assert_eq!(status, 400, "{page}?{query}");
            assert_eq!(attrs_by_testid(&html, "error-message", "data-reason"), ["same-card-twice"], "{page}?{query}");
        }
    }
    let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={x}")).await;
    let five = [x.as_str(); 5].join(",");
    let form = push_form(&html, WALLET, &five, "password", "alice-demo-2026");
    let response = app.client.post(app.url("/add/push")).form(&form).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let alice = app.store.credentials(&pushprov::domain::Login::parse("alice").unwrap()).await.unwrap().unwrap().0;
    assert!(app.store.provisionings_of(alice).await.unwrap().is_empty(), "nothing pushed");
}

on_both_engines!(the_sign_in_page_writes_no_session_row);

/// Item 9: showing the sign-in form (and failing to sign in) stores no
/// session; its form is still protected against cross-site posts.
async fn the_sign_in_page_writes_no_session_row(engine: Engine) {
    let app = crate::helpers::spawn_app_with(engine, |s| s.security.max_failures_per_address = 1000).await;
    let visitors: Vec<TestApp> = (0..20).map(|_| start_second_client(&app)).collect();
    for (i, visitor) in visitors.iter().enumerate() {
        assert_eq!(visitor.get("/login").await.status().as_u16(), 200);
        assert_eq!(visitor.sign_in(&format!("visitor{i}"), "wrong").await.status().as_u16(), 401);
    }
    assert_eq!(app.store.session_rows().await.unwrap(), 0, "no session row for anonymous visitors");
    // Without the form's cookie, or with another browser's token: refused.
    let token = app.csrf_token("/login").await;
    let stranger = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = [("csrf_token", token.as_str()), ("login", "alice"), ("password", "alice-demo-2026"), ("next", "/cards")];
    assert_eq!(stranger.post(app.url("/login")).form(&form).send().await.unwrap().status().as_u16(), 403);
    let other = start_second_client(&app);
    other.get("/login").await;
    assert_eq!(other.post_form("/login", &form).await.status().as_u16(), 403, "a token is good for its own browser only");
    let forged = [("csrf_token", "x"), ("login", "alice"), ("password", "alice-demo-2026"), ("next", "/cards")];
    assert_eq!(app.post_form("/login", &forged).await.status().as_u16(), 403);
    // The real form signs in, and only then is there a session.
    assert_eq!(app.sign_in("alice", "alice-demo-2026").await.status().as_u16(), 303);
    assert_eq!(app.store.session_rows().await.unwrap(), 1);
}

on_both_engines!(dropped_connections_leave_no_attempt_held, a_double_click_with_the_right_code_confirms_once_without_a_failure);

/// Attack finding: sign-ins whose client hangs up mid-check used to keep
/// their reservation until the window ended (the account locked with no
/// failure recorded). The accounting runs to its end whatever the client does.
async fn dropped_connections_leave_no_attempt_held(engine: Engine) {
    let app = crate::helpers::spawn_app_with(engine, |_| {}).await;
    let token = app.csrf_token("/login").await;
    let hasty = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(app.cookies.clone())
        .timeout(std::time::Duration::from_millis(15))
        .build()
        .unwrap();
    let attempts = (0..20).map(|i| {
        let (client, url, token) = (hasty.clone(), app.url("/login"), token.clone());
        async move {
            let form = [("csrf_token", token.as_str()), ("login", "bruno"), ("password", "right-or-wrong"), ("next", "/cards")];
            let _ = i;
            client.post(url).form(&form).send().await.is_err()
        }
    });
    let dropped = futures_util::future::join_all(attempts).await.iter().filter(|d| **d).count();
    assert!(dropped > 0, "some requests were cut off mid-check");
    // Every reservation is ended shortly after (the checks run to the end).
    crate::wait::until_ok("no attempt left under way", async || {
        let held = (
            app.store.attempt_counts(pushprov::store::FailureScope::Login, "bruno").await.unwrap().1,
            app.store.attempt_counts(pushprov::store::FailureScope::Address, "127.0.0.1").await.unwrap().1,
        );
        if held == (0, 0) { Ok(()) } else { Err(held) }
    })
    .await;
}

/// Attack finding: the same review form sent twice at once with the right
/// code (a double click) showed "wrong code" for one and counted a failure;
/// 20 at once then made a new code that the others failed against.
async fn a_double_click_with_the_right_code_confirms_once_without_a_failure(engine: Engine) {
    let app = journey_app(engine, |s| s.provisioning.step_up = pushprov::provisioning::StepUp::Otp).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "0105").await;
    let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await;
    let code: String = texts_by_testid(&html, "demo-code")[0].chars().filter(char::is_ascii_digit).collect();
    let form = push_form(&html, WALLET, &card, "code", &code);
    let clicks = (0..20).map(|_| {
        let (client, url, form) = (app.client.clone(), app.url("/add/push"), form.clone());
        async move {
            let response = client.post(url).form(&form).send().await.unwrap();
            (response.status().as_u16(), location(&response))
        }
    });
    let answers = futures_util::future::join_all(clicks).await;
    assert!(answers[..2].iter().chain(&answers[2..]).all(|(s, _)| [303, 429].contains(s)), "never 'wrong code': {answers:?}");
    let records: std::collections::BTreeSet<&String> = answers.iter().filter(|(s, _)| *s == 303).map(|(_, l)| l).collect();
    assert_eq!(records.len(), 1, "one record: {answers:?}");
    let quinn = app.store.credentials(&pushprov::domain::Login::parse("quinn").unwrap()).await.unwrap().unwrap().0;
    assert_eq!(app.store.provisionings_of(quinn).await.unwrap().len(), 1);
    assert_eq!(
        app.store.attempt_counts(pushprov::store::FailureScope::Code, "quinn").await.unwrap(),
        (0, 0),
        "no failure counted"
    );
}

/// Attack finding: a right password (signing in again) forgave wrong
/// one-time codes, tripling the guesses of someone without the phone.
#[tokio::test]
async fn a_right_password_forgives_no_wrong_codes() {
    let app = journey_app(Engine::Sqlite, |s| s.provisioning.step_up = pushprov::provisioning::StepUp::Otp).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "0105").await;
    let wrong = |html: &str| {
        let code: String = texts_by_testid(html, "demo-code")[0].chars().filter(char::is_ascii_digit).collect();
        format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
    };
    let mut statuses = Vec::new();
    for round in 0..3 {
        for _ in 0..2 {
            let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await;
            if texts_by_testid(&html, "demo-code").is_empty() {
                statuses.push(0);
                continue;
            }
            statuses.push(push_from(&app, &card, "code", &wrong(&html), "").await.status().as_u16());
        }
        if round < 2 {
            // Signed in again with the right password in between.
            sign_in(&app, "quinn").await;
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
    assert_eq!(*statuses.last().unwrap(), 429, "{statuses:?}");
}

/// Attack finding (issue 15 round): the tab with the earlier receipts came
/// back while a later push was still running (or after it failed) and got
/// "Page not found". It comes back to the record, which says what is known.
#[tokio::test]
async fn the_earlier_tab_comes_back_while_a_later_push_runs() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    // The slow-MDES card: every push takes 3 s.
    let record = quinn_pushed(&app, "0605").await;
    let with_a = continue_to_tr(&app, &record).await;
    let callback = at_tr(&app, &with_a, "accept").await;
    // "Continue" again in another tab: a second push, in flight for 3 s.
    let again = {
        let (client, url) = (app.client.clone(), app.url(&format!("{record}/continue")));
        tokio::spawn(async move { client.get(url).send().await.unwrap().status().as_u16() })
    };
    crate::wait::until("the second push to start", async || {
        record_of(&app, &record).await.state == pushprov::domain::ProvisioningState::Created
    })
    .await;
    let back = come_back(&app, &callback).await;
    assert_eq!(back, record, "back to the record, not 'Page not found'");
    let (codes, html) = outcomes_until(&app, &back, |codes| codes.iter().any(|c| c == "added")).await;
    assert_eq!((codes, view(&html)), (vec!["added".to_string()], "confirmation".to_string()));
    let _ = again.await;
}
