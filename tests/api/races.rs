//! Issue 14: every check-then-act on shared state holds when 50 requests
//! arrive at once, on SQLite and PostgreSQL. A request refused by a throttle
//! answers 429 without its password or code being checked; any other answer
//! means it was checked. So "at most the limit were checked" is "at most
//! `limit` answers that are not 429".

use futures_util::future::join_all;

use crate::helpers::{Engine, TestApp, location, spawn_app_with, texts_by_testid};
use crate::on_both_engines;
use crate::steps::{WALLET, card, journey_app, numbered_push_form, record_of, sign_in};

const PARALLEL: usize = 50;

on_both_engines!(
    parallel_sign_ins_check_at_most_the_limit_per_login,
    parallel_sign_ins_check_at_most_the_limit_per_address,
    parallel_step_up_passwords_check_at_most_the_limit,
    parallel_codes_check_at_most_the_tries_of_one_code,
    parallel_codes_check_at_most_the_login_limit,
    a_right_code_sent_fifty_times_pushes_once,
    parallel_reviews_send_one_code,
    parallel_continues_push_at_most_the_allowed_number_of_times,
    reservations_of_a_dead_instance_are_forgotten_after_a_quiet_minute,
);

/// Attack finding: an instance killed mid-check never ends its
/// reservations. They hold the login only while attempts keep coming: after
/// a minute with none reserved, attempts under way count as none.
async fn reservations_of_a_dead_instance_are_forgotten_after_a_quiet_minute(engine: Engine) {
    use pushprov::store::{FailureScope, STALE_AFTER_SECS};
    let app = spawn_app_with(engine, |_| {}).await;
    let store = &app.store;
    let now = app.clock.now_unix();
    let window = 900;
    // Five reserved by the instance that died, a minute and more ago.
    for _ in 0..5 {
        assert!(store.reserve_attempt(FailureScope::Login, "bruno", now - STALE_AFTER_SECS - 1, window, 5).await.unwrap());
    }
    assert!(!store.reserve_attempt(FailureScope::Login, "bruno", now - STALE_AFTER_SECS, window, 5).await.unwrap(), "live: held");
    // Quiet for a minute since the last reservation: forgotten.
    assert!(store.reserve_attempt(FailureScope::Login, "bruno", now + 1, window, 5).await.unwrap());
    assert_eq!(store.attempt_counts(FailureScope::Login, "bruno").await.unwrap(), (0, 1));
    // Failures are never forgotten that way.
    store.end_attempt(FailureScope::Login, "bruno", pushprov::store::AttemptEnd::Failed).await.unwrap();
    assert_eq!(store.attempt_counts(FailureScope::Login, "bruno").await.unwrap(), (1, 0));
}

fn statuses_not_429(statuses: &[u16]) -> usize {
    statuses.iter().filter(|s| **s != 429).count()
}

/// 50 sign-ins for one login at once, the right password among them (in
/// the middle): at most 5 are checked, however they interleave.
async fn parallel_sign_ins_check_at_most_the_limit_per_login(engine: Engine) {
    let app = spawn_app_with(engine, |_| {}).await;
    let token = app.csrf_token("/login").await;
    let attempts = (0..PARALLEL).map(|i| {
        let password = if i == PARALLEL / 2 { "alice-demo-2026".to_string() } else { format!("guess-{i}") };
        let (client, url, token) = (app.client.clone(), app.url("/login"), token.clone());
        async move {
            let form = [("csrf_token", token.as_str()), ("login", "alice"), ("password", password.as_str()), ("next", "/cards")];
            client.post(url).form(&form).send().await.unwrap().status().as_u16()
        }
    });
    let statuses = join_all(attempts).await;
    let checked = statuses_not_429(&statuses);
    assert!(checked <= 5, "{checked} of {PARALLEL} checked (limit 5): {statuses:?}");
    assert!(checked >= 1, "some were checked: {statuses:?}");
    assert!(statuses.iter().all(|s| [303, 401, 429].contains(s)), "{statuses:?}");
    // Afterwards: locked, unless the right one was among those checked
    // (which clears the login's failures) — either way nothing beyond.
    let signed_in = statuses.contains(&303);
    let after = app.sign_in("alice", "guess-again").await.status().as_u16();
    assert!(if signed_in { after == 401 || after == 429 } else { after == 429 }, "{after}");
}

/// 50 sign-ins from one address for 50 different logins: the address limit.
async fn parallel_sign_ins_check_at_most_the_limit_per_address(engine: Engine) {
    let app = spawn_app_with(engine, |s| {
        s.security.max_failures_per_address = 7;
        s.security.max_failures_per_login = 100;
    })
    .await;
    let token = app.csrf_token("/login").await;
    let attempts = (0..PARALLEL).map(|i| {
        let (client, url, token) = (app.client.clone(), app.url("/login"), token.clone());
        async move {
            let login = format!("nobody{i}");
            let form = [("csrf_token", token.as_str()), ("login", login.as_str()), ("password", "guess"), ("next", "/cards")];
            client.post(url).form(&form).send().await.unwrap().status().as_u16()
        }
    });
    let statuses = join_all(attempts).await;
    let checked = statuses_not_429(&statuses);
    assert!((1..=7).contains(&checked), "{checked} of {PARALLEL} checked (address limit 7): {statuses:?}");
}

async fn post_all(app: &TestApp, forms: Vec<Vec<(String, String)>>) -> Vec<u16> {
    let posts = forms.into_iter().map(|form| {
        let (client, url) = (app.client.clone(), app.url("/add/push"));
        async move { client.post(url).form(&form).send().await.unwrap().status().as_u16() }
    });
    join_all(posts).await
}

async fn provisionings_of(app: &TestApp, login: &str) -> usize {
    let id = app.store.credentials(&pushprov::domain::Login::parse(login).unwrap()).await.unwrap().unwrap().0;
    app.store.provisionings_of(id).await.unwrap().len()
}

/// Step-up by password: 50 wrong passwords at once on the review form.
async fn parallel_step_up_passwords_check_at_most_the_limit(engine: Engine) {
    let app = journey_app(engine, |_| {}).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "0105").await;
    let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await;
    let forms = (0..PARALLEL).map(|i| numbered_push_form(&html, "password", &format!("wrong-{i}"), i)).collect();
    let statuses = post_all(&app, forms).await;
    let checked = statuses_not_429(&statuses);
    assert!((1..=5).contains(&checked), "{checked} of {PARALLEL} step-up passwords checked (limit 5): {statuses:?}");
    assert!(statuses.iter().all(|s| [401, 429].contains(s)), "{statuses:?}");
    // The right password is refused too now, and nothing was pushed.
    let right = post_all(&app, vec![numbered_push_form(&html, "password", "quinn-demo-2026", 99)]).await;
    assert_eq!(right, [429]);
    assert_eq!(provisionings_of(&app, "quinn").await, 0);
}

async fn otp_app(engine: Engine) -> TestApp {
    journey_app(engine, |s| s.provisioning.step_up = pushprov::provisioning::StepUp::Otp).await
}

fn shown_code(html: &str) -> String {
    texts_by_testid(html, "demo-code").first().expect("the demo shows the code").chars().filter(char::is_ascii_digit).collect()
}

/// 50 wrong codes at once, with the login and address limits out of the
/// way and one code allowed per window (so no new code replaces it): the
/// code gets at most its 3 comparisons, so afterwards even the right code
/// is refused (spent).
async fn parallel_codes_check_at_most_the_tries_of_one_code(engine: Engine) {
    let app = journey_app(engine, |s| {
        s.provisioning.step_up = pushprov::provisioning::StepUp::Otp;
        s.security.max_failures_per_login = 1000;
        s.security.max_failures_per_address = 1000;
        s.security.max_codes_per_window = 1;
    })
    .await;
    let (card, html, code, statuses) = fifty_wrong_codes_for_quinn(&app).await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let right = post_all(&app, vec![numbered_push_form(&html, "code", &code, 99)]).await;
    assert_eq!(right, [401], "a code that had its 3 tries is spent, even for the right code");
    assert_eq!(provisionings_of(&app, "quinn").await, 0);
    let (status, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await;
    assert_eq!((status, texts_by_testid(&html, "codes-paused").len()), (429, 1), "and no second code in the window");
}

/// The same with the default limits: at most 5 attempts are counted for
/// the login, codes or passwords alike.
async fn parallel_codes_check_at_most_the_login_limit(engine: Engine) {
    let app = otp_app(engine).await;
    let (_, _, _, statuses) = fifty_wrong_codes_for_quinn(&app).await;
    let checked = statuses_not_429(&statuses);
    assert!((1..=5).contains(&checked), "{checked} of {PARALLEL} codes checked (limit 5): {statuses:?}");
    assert_eq!(provisionings_of(&app, "quinn").await, 0);
}

/// Quinn at the review page with a code shown, then 50 wrong codes sent at
/// once: the card, the page, the right code and the statuses.
async fn fifty_wrong_codes_for_quinn(app: &TestApp) -> (String, String, String, Vec<u16>) {
    sign_in(app, "quinn").await;
    let card = card(app, "quinn", "0105").await;
    let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await;
    let code = shown_code(&html);
    let wrong = |i: usize| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i as u32) % 1_000_000);
    let forms = (0..PARALLEL).map(|i| numbered_push_form(&html, "code", &wrong(i), i)).collect();
    let statuses = post_all(app, forms).await;
    (card, html, code, statuses)
}

/// The right code, 50 times at once: one push, never more.
async fn a_right_code_sent_fifty_times_pushes_once(engine: Engine) {
    let app = otp_app(engine).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "0105").await;
    let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await;
    let code = shown_code(&html);
    let forms = (0..PARALLEL).map(|i| numbered_push_form(&html, "code", &code, i)).collect();
    let statuses = post_all(&app, forms).await;
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
    assert_eq!(provisionings_of(&app, "quinn").await, 1, "one record, one push");
}

/// 50 review pages at once: one code issued (one SMS), all show the same.
async fn parallel_reviews_send_one_code(engine: Engine) {
    let app = otp_app(engine).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "0105").await;
    let path = format!("/add/review?tr={WALLET}&cards={card}");
    let pages = join_all((0..PARALLEL).map(|_| app.get_html(&path))).await;
    let mut codes: Vec<String> = pages
        .iter()
        .map(|(status, html)| {
            assert_eq!(*status, 200);
            shown_code(html)
        })
        .collect();
    codes.dedup();
    assert_eq!(codes.len(), 1, "one code for all: {codes:?}");
}

/// 50 "Continue" on a handed-off record in the session that pushed it: the
/// record is pushed again at most up to its limit (4 pushes in all).
async fn parallel_continues_push_at_most_the_allowed_number_of_times(engine: Engine) {
    let app = journey_app(engine, |_| {}).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "0105").await;
    let record = crate::steps::pushed(&app, "quinn", WALLET, &[&card]).await;
    crate::steps::continue_to_tr(&app, &record).await;
    let path = format!("{record}/continue");
    let responses = join_all((0..PARALLEL).map(|_| app.get(&path))).await;
    let statuses: Vec<(u16, String)> = responses.iter().map(|r| (r.status().as_u16(), location(r))).collect();
    let pushes = record_of(&app, &record).await.push_count;
    assert!(pushes <= 4, "{pushes} pushes (limit 4): {statuses:?}");
    assert!(statuses.iter().all(|(s, _)| [303, 409].contains(s)), "{statuses:?}");
}
