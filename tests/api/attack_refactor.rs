//! Attack on the issue 16 refactor (codes in Rust, words in templates, one
//! `push_again` route, step-up in `auth::step_up`): what cardholders get must
//! not have changed. Each test guards one promise of the old code.

use futures_util::future::join_all;
use scraper::{Html, Selector};

use crate::helpers::{Engine, attrs_by_testid, csrf_in, demo_numbers, location, texts_by_testid};
use crate::on_both_engines;
use crate::steps::*;

const HOSTILE: &str = "50100000005";
const PARALLEL: usize = 50;

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

/// A page must never carry the hostile TR's markup as markup.
fn assert_escaped(page: &str, html: &str) {
    for raw in ["<script>alert(1)", "<b>Bold</b>", "<i>Data</i>", "onerror=", "onload="] {
        assert!(!html.contains(raw), "{page}: unescaped {raw}");
    }
    let doc = Html::parse_document(html);
    let scripts = select(&doc, "script");
    assert!(
        scripts.iter().all(|s| s.value().attr("nonce").is_some() && s.inner_html().is_empty()),
        "{page}: only our own script"
    );
}

/// The hostile token requestor's name (markup, quotes, 100 characters)
/// through every page that now prints it through a macro: review (TR logo
/// alt, kind), hand-off, handed-off, confirmation (outcome words), where.
#[tokio::test]
async fn the_hostile_trs_name_is_escaped_in_every_macro() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "8017").await;
    let (status, review) = app.get_html(&format!("/add/review?tr={HOSTILE}&cards={card}")).await;
    assert_eq!(status, 200, "{review}");
    assert_escaped("review", &review);
    let doc = Html::parse_document(&review);
    let alts: Vec<String> =
        select(&doc, "img.tr-logo").iter().filter_map(|i| i.value().attr("alt")).map(str::to_string).collect();
    assert!(alts.iter().any(|a| a.starts_with("<b>Bold</b> <script>")), "the alt text is the name, as text: {alts:?}");
    assert_eq!(attrs_by_testid(&review, "review-tr-name", "data-testid").len(), 1);
    let record = pushed(&app, "quinn", HOSTILE, &[&card]).await;
    let (_, hand_off) = app.get_html(&record).await;
    assert_eq!(view(&hand_off), "hand-off");
    assert_escaped("hand-off", &hand_off);
    let tr_url = continue_to_tr(&app, &record).await;
    let (_, handed_off) = app.get_html(&record).await;
    assert_escaped("handed-off", &handed_off);
    let callback = at_tr(&app, &tr_url, "accept").await;
    // The TR's return may carry anything: it never reaches the page.
    let tampered = format!("{callback}&status=%3Cscript%3Ealert(2)%3C/script%3E&x=%22%3E%3Cimg%20src=x%3E");
    come_back(&app, &tampered).await;
    let (codes, confirmation) = outcomes_until(&app, &record, |c| c == ["added"]).await;
    assert_eq!(codes, ["added"]);
    assert_escaped("confirmation", &confirmation);
    assert!(!confirmation.contains("alert(2)") && !confirmation.contains("<img src=x"), "nothing of the return's query");
    let label = texts_by_testid(&confirmation, "outcome-label").concat();
    assert!(label.contains("<script>alert(1)</script>"), "the outcome names the TR, as text: {label}");
    let (_, where_page) = app.get_html("/cards/where").await;
    assert_escaped("where", &where_page);
    assert!(texts_by_testid(&where_page, "where-place").concat().contains("<b>Bold</b>"));
}

/// Default words: the sentences the old Rust code wrote, now the templates'
/// (the rule of issue 16: same default words). Per-card problem, whole-push
/// failure, error-page refusals, sign-in and step-up errors, idle notice.
#[tokio::test]
async fn the_default_words_are_the_old_ones() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let wrong = app.sign_in("quinn", "nope").await;
    let html = wrong.text().await.unwrap();
    assert_eq!(texts_by_testid(&html, "sign-in-error"), ["Wrong login or password."]);
    sign_in(&app, "quinn").await;
    let (_, cards) = app.get_html("/cards").await;
    assert_eq!(
        texts_by_testid(&cards, "idle-notice"),
        ["For your security you are signed out after 5 minutes without activity."]
    );
    let ok = card(&app, "quinn", "0105").await;
    let declined = card(&app, "quinn", "0203").await;
    let recoverable = card(&app, "quinn", "0409").await;
    let fatal = card(&app, "quinn", "0507").await;
    let response = push(&app, WALLET, &[&ok], "wrong").await;
    let html = response.text().await.unwrap();
    assert_eq!(texts_by_testid(&html, "step-up-error"), ["That password is not right. Please try again."]);
    let record = pushed(&app, "quinn", WALLET, &[&ok, &declined, &recoverable]).await;
    let (_, html) = app.get_html(&record).await;
    assert_eq!(
        texts_by_testid(&html, "outcome-problem"),
        ["Mastercard couldn't process this just now. Please try again in a moment."]
    );
    assert!(texts_by_testid(&html, "outcome-label").contains(&"Sent to Sandbox Wallet — finish there".to_string()));
    let record = pushed(&app, "quinn", WALLET, &[&fatal]).await;
    let (status, html) = app.get_html(&record).await;
    assert_eq!(status, 502);
    assert_eq!(texts_by_testid(&html, "failure-message"), ["This couldn't be completed. Please contact us if you need help."]);
    let record = pushed(&app, "quinn", WALLET, &[&recoverable]).await;
    let (_, html) = app.get_html(&record).await;
    assert_eq!(
        texts_by_testid(&html, "failure-message"),
        ["Mastercard couldn't process this just now. Please try again in a moment."]
    );
    assert_eq!(texts_by_testid(&html, "retry").len(), 1, "try again offered after a recoverable failure");
    for (path, words) in [
        (
            format!("/add/review?tr={WALLET}&cards={ok},{ok}"),
            "The same card was chosen more than once. Please choose again from your cards.",
        ),
        (format!("/add/review?cards={ok}"), "Choose a wallet or merchant first."),
        (format!("/add/review?tr=99999999999&cards={ok}"), "That wallet or merchant is not available. Please choose again."),
        (
            format!(
                "/add/requestors?cards={ok},{declined},{recoverable},{fatal},{},{}",
                card(&app, "quinn", "0703").await,
                card(&app, "quinn", "8017").await
            ),
            "You can add up to 5 cards at a time. Please choose fewer.",
        ),
        (
            format!("/add/review?tr={MERCHANT}&cards={ok},{declined}"),
            "This wallet or merchant takes one card at a time. Please choose one card.",
        ),
        (
            format!("/add/review?cards={}", (0..21).map(|i| format!("x{i}")).collect::<Vec<_>>().join(",")),
            "Too many cards were chosen. You can add up to 5 at a time.",
        ),
    ] {
        let (status, html) = app.get_html(&path).await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(texts_by_testid(&html, "error-message"), [words], "{path}");
    }
}

/// The route is now `/provisioning/{id}/{again:retry|resend}`: the two old
/// URLs work as before, nothing else does, GET is still not allowed, and
/// the CSRF token is still required.
#[tokio::test]
async fn the_push_again_route_takes_only_the_old_two_urls() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "quinn").await;
    let recoverable = card(&app, "quinn", "0409").await;
    let record = pushed(&app, "quinn", WALLET, &[&recoverable]).await;
    let (_, html) = app.get_html(&record).await;
    let token = csrf_in(&html).unwrap();
    let form = [("csrf_token", token.as_str())];
    for odd in ["RETRY", "Retry", "retryx", "retry/", "resend/", "retry%2F", "again", "retry|resend", "continue/retry"] {
        let status = app.post_form(&format!("{record}/{odd}"), &form).await.status().as_u16();
        assert!([404, 405].contains(&status), "{odd}: {status}");
    }
    for again in ["retry", "resend"] {
        assert_eq!(app.get(&format!("{record}/{again}")).await.status().as_u16(), 405, "GET {again}");
        assert_eq!(app.post_form(&format!("{record}/{again}"), &[]).await.status().as_u16(), 403, "no CSRF token: {again}");
        assert_eq!(
            app.post_form(&format!("{record}/{again}"), &[("csrf_token", "forged")]).await.status().as_u16(),
            403,
            "wrong CSRF token: {again}"
        );
        let status = app.post_form(&format!("/provisioning/not-a-record/{again}"), &form).await.status().as_u16();
        assert_eq!(status, 404, "unknown record: {again}");
    }
    assert_eq!(record_of(&app, &record).await.push_count, 1, "none of these pushed");
    // Another cardholder's record: not found, never pushed.
    let other = crate::helpers::start_second_client(&app);
    sign_in(&other, "alice").await;
    let (_, html) = other.get_html("/cards").await;
    let other_token = csrf_in(&html).unwrap();
    let status = other.post_form(&format!("{record}/retry"), &[("csrf_token", other_token.as_str())]).await.status().as_u16();
    assert_eq!(status, 404);
    assert_eq!(record_of(&app, &record).await.push_count, 1);
    // The real thing still works: retry pushes again and goes back to the record.
    let response = app.post_form(&format!("{record}/retry"), &form).await;
    assert_eq!((response.status().as_u16(), location(&response)), (303, record.clone()));
    assert_eq!(record_of(&app, &record).await.push_count, 2);
    // Resend on a record that was not interrupted pushes nothing.
    let response = app.post_form(&format!("{record}/resend"), &form).await;
    assert!([303, 409].contains(&response.status().as_u16()), "{}", response.status());
    assert_eq!(record_of(&app, &record).await.push_count, 2);
}

/// 50 *Try again* at once (and 50 *Send again* mixed in): the record is
/// pushed at most up to its limit, and every answer is one the old
/// handlers gave.
async fn fifty_parallel_push_agains_push_at_most_the_limit(engine: Engine) {
    let app = journey_app(engine, |_| {}).await;
    sign_in(&app, "quinn").await;
    let recoverable = card(&app, "quinn", "0409").await;
    let record = pushed(&app, "quinn", WALLET, &[&recoverable]).await;
    let (_, html) = app.get_html(&record).await;
    let token = csrf_in(&html).unwrap();
    let posts = (0..PARALLEL).map(|i| {
        let (client, token) = (app.client.clone(), token.clone());
        let url = app.url(&format!("{record}/{}", if i % 5 == 4 { "resend" } else { "retry" }));
        async move {
            let response = client.post(url).form(&[("csrf_token", token)]).send().await.unwrap();
            (response.status().as_u16(), location(&response))
        }
    });
    let answers = join_all(posts).await;
    let pushes = record_of(&app, &record).await.push_count;
    let max = i64::from(app.settings.provisioning.max_pushes_per_record);
    assert!(pushes <= max, "{pushes} pushes (limit {max}): {answers:?}");
    assert!(answers.iter().all(|(s, _)| [303, 400, 409].contains(s)), "{answers:?}");
    assert!(answers.iter().any(|(s, to)| *s == 303 && to == &record), "at least one went back to the record: {answers:?}");
}

/// Behind the bank's proxy (`server.trust_forwarded_for`), the step-up's
/// wrong passwords count against the cardholder's own address, not the
/// proxy's: one cardholder's failures do not lock out another's.
async fn step_up_counts_the_forwarded_address(engine: Engine) {
    let app = journey_app(engine, |s| {
        s.server.trust_forwarded_for = true;
        s.security.max_failures_per_address = 3;
        s.security.max_failures_per_login = 1000;
    })
    .await;
    let html = quinn_at_review(&app).await;
    let post_from = |xff: &'static str, password: &'static str, n: usize| {
        post_push_from(&app, format!("198.51.100.9, {xff}"), numbered_push_form(&html, "password", password, n))
    };
    let mut statuses = Vec::new();
    for n in 0..5 {
        statuses.push(post_from("203.0.113.7", "wrong", n).await);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429], "three failures from that address, then paused");
    assert_eq!(post_from("203.0.113.8", "wrong", 10).await, 401, "another address behind the same proxy is not paused");
    assert_eq!(post_from("203.0.113.8", "quinn-demo-2026", 11).await, 303, "and can still confirm");
    // 50 at once from 50 addresses behind the proxy: none paused by the others.
    let wrong_fifty = (0..PARALLEL).map(|i| {
        post_push_from(&app, format!("198.51.100.9, 192.0.2.{}", i + 1), numbered_push_form(&html, "password", "wrong", 100 + i))
    });
    let statuses = join_all(wrong_fifty).await;
    assert!(statuses.iter().all(|s| *s == 401), "each address has its own count: {statuses:?}");
}

/// Without `trust_forwarded_for`, a client's X-Forwarded-For is ignored: 50
/// wrong step-up passwords at once, each claiming another address, are
/// counted against the one real peer (at most 3 checked).
async fn step_up_ignores_forwarded_for_unless_trusted(engine: Engine) {
    let app = journey_app(engine, |s| {
        s.security.max_failures_per_address = 3;
        s.security.max_failures_per_login = 1000;
    })
    .await;
    let html = quinn_at_review(&app).await;
    let posts = (0..PARALLEL)
        .map(|i| post_push_from(&app, format!("192.0.2.{}", i + 1), numbered_push_form(&html, "password", "wrong", i)));
    let statuses = join_all(posts).await;
    let checked = statuses.iter().filter(|s| **s != 429).count();
    assert!((1..=3).contains(&checked), "{checked} of {PARALLEL} checked (address limit 3): {statuses:?}");
}

/// The one-time code path too: 50 wrong codes at once from one forwarded
/// address count against it (at most 3 checked), on both engines.
async fn step_up_codes_count_the_forwarded_address(engine: Engine) {
    let app = journey_app(engine, |s| {
        s.provisioning.step_up = pushprov::provisioning::StepUp::Otp;
        s.server.trust_forwarded_for = true;
        s.security.max_failures_per_address = 3;
        s.security.max_failures_per_login = 1000;
    })
    .await;
    let html = quinn_at_review(&app).await;
    let code: String = texts_by_testid(&html, "demo-code")[0].chars().filter(char::is_ascii_digit).collect();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let posts = (0..PARALLEL).map(|i| post_push_from(&app, "203.0.113.7".into(), numbered_push_form(&html, "code", &wrong, i)));
    let statuses = join_all(posts).await;
    let checked = statuses.iter().filter(|s| **s != 429).count();
    assert!((1..=3).contains(&checked), "{checked} of {PARALLEL} codes checked (address limit 3): {statuses:?}");
    // Another address behind the proxy is not paused by those (its answer
    // is checked: 401, the code having used its own tries; not 429).
    let post_from = |xff: &'static str, n: usize| {
        let form = numbered_push_form(&html, "code", &wrong, n);
        app.client.post(app.url("/add/push")).header("x-forwarded-for", xff).form(&form).send()
    };
    assert_eq!(post_from("203.0.113.8", 999).await.unwrap().status().as_u16(), 401);
    assert_eq!(post_from("203.0.113.7", 998).await.unwrap().status().as_u16(), 429, "the first address is still paused");
    let _ = code;
}

on_both_engines!(
    fifty_parallel_push_agains_push_at_most_the_limit,
    step_up_counts_the_forwarded_address,
    step_up_ignores_forwarded_for_unless_trusted,
    step_up_codes_count_the_forwarded_address,
);

/// No page shows more of a card number than its last four digits: every
/// `data-last4` is four digits, and no six trailing digits of any demo
/// number appear, across the journey's pages and the error pages.
#[tokio::test]
async fn no_page_shows_more_than_the_last_four_digits() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "quinn").await;
    let ok = card(&app, "quinn", "0105").await;
    let failing = card(&app, "quinn", "0409").await;
    let record = pushed(&app, "quinn", WALLET, &[&ok, &failing]).await;
    let mut pages = Vec::new();
    for path in [
        "/cards".to_string(),
        "/add/cards".into(),
        format!("/add/requestors?cards={ok}"),
        format!("/add/review?tr={WALLET}&cards={ok},{failing}"),
        record.clone(),
        "/cards/where".into(),
        format!("/add/review?tr={MERCHANT}&cards={ok},{failing}"),
    ] {
        pages.push((path.clone(), app.get_html(&path).await.1));
    }
    for (path, html) in &pages {
        let doc = Html::parse_document(html);
        for element in select(&doc, "[data-last4]") {
            let last4 = element.value().attr("data-last4").unwrap();
            assert!(last4.len() == 4 && last4.bytes().all(|b| b.is_ascii_digit()), "{path}: data-last4={last4}");
        }
        for number in demo_numbers() {
            let tail = &number[number.len() - 6..];
            assert!(!html.contains(tail), "{path}: six trailing digits of {number}");
        }
    }
    assert!(!select(&Html::parse_document(&pages[4].1), "[data-last4]").is_empty(), "the record page names cards by last4");
}

/// Screen readers: the sign-in error is tied to the field it is about, the
/// error summaries are alerts, pages keep `lang` and one `h1`, and the
/// doctype comes first (the parts import adds nothing before it).
#[tokio::test]
async fn pages_read_the_same_to_screen_readers() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let wrong = app.sign_in("quinn", "nope").await;
    let html = wrong.text().await.unwrap();
    assert!(html.starts_with("<!doctype html>"), "{}", &html[..40]);
    let doc = Html::parse_document(&html);
    let login = select(&doc, "#login")[0];
    assert_eq!(login.value().attr("aria-describedby"), Some("sign-in-error-text"));
    assert_eq!(login.value().attr("aria-invalid"), Some("true"));
    let described = select(&doc, "#sign-in-error-text")[0].text().collect::<String>();
    assert_eq!(described, texts_by_testid(&html, "sign-in-error")[0], "the field names the same words as the summary");
    assert_eq!(select(&doc, "[data-testid=sign-in-error]")[0].value().attr("role"), Some("alert"));
    assert_eq!(select(&doc, "label[for=login]").len(), 1);
    sign_in(&app, "quinn").await;
    let ok = card(&app, "quinn", "0105").await;
    let response = push(&app, WALLET, &[&ok], "wrong").await;
    let html = response.text().await.unwrap();
    let doc = Html::parse_document(&html);
    assert_eq!(select(&doc, "[data-testid=step-up-error]")[0].value().attr("role"), Some("alert"));
    assert_eq!(select(&doc, "label[for=step-up-password]").len(), 1);
    let (_, cards_page) = app.get_html("/add/cards?error=none-chosen").await;
    let doc = Html::parse_document(&cards_page);
    assert_eq!(select(&doc, "[data-testid=form-error]")[0].value().attr("role"), Some("alert"));
    for path in ["/cards", "/add", "/add/cards", "/cards/where", "/nope", "/add/review?cards=x,x"] {
        let (_, html) = app.get_html(path).await;
        assert!(html.starts_with("<!doctype html>"), "{path}");
        let doc = Html::parse_document(&html);
        assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some("en"), "{path}");
        assert_eq!(select(&doc, "h1").len(), 1, "{path}");
        assert!(!select(&doc, "title")[0].text().collect::<String>().trim().starts_with('—'), "{path}: a title");
    }
}

/// Codes from outside keep their old reading: the TR's status is exact
/// (`cancelled` in lowercase was never a cancellation), a token event's
/// status is exact (`active` refused), and an unknown reason from MDES
/// reads as "try again" only when MDES said it was recoverable.
#[tokio::test]
async fn codes_from_outside_read_as_before() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "quinn").await;
    let ok = card(&app, "quinn", "0105").await;
    for (status, expected) in [("cancelled", "pending"), ("", "pending"), ("CANCELLED", "cancelled")] {
        let record = pushed(&app, "quinn", WALLET, &[&ok]).await;
        let tr_url = continue_to_tr(&app, &record).await;
        let receipt = record_of(&app, &record).await.accounts[0].receipt.clone().unwrap();
        let callback = callback_of(&tr_url);
        come_back(&app, &format!("{callback}?pushAccountReceipts={receipt}&status={status}")).await;
        let (_, html) = app.get_html(&record).await;
        assert_eq!(crate::helpers::outcome_codes(&html), [expected], "status={status:?}");
    }
    let store = &app.store;
    let quinn = store.credentials(&pushprov::domain::Login::parse("quinn").unwrap()).await.unwrap().unwrap().0;
    for (n, (reason, recoverable, problem)) in [
        ("EXPIRED_CARD", false, "card-expired"),
        ("CARD_EXPIRED", true, "card-expired"),
        ("ACCOUNT_INELIGIBLE", true, "card-ineligible"),
        ("NO_PUSH_METHOD", true, "no-push-method"),
        ("account_ineligible", false, "contact-us"),
        ("SOMETHING_NEW", true, "try-again"),
        ("SOMETHING_NEW", false, "contact-us"),
        ("", true, "try-again"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = crate::steps::stored_before_its_answer(store, quinn, &ok, n).await.id;
        assert!(store.record_push_failure(&id, reason, recoverable).await.unwrap());
        let (status, html) = app.get_html(&format!("/provisioning/{id}")).await;
        assert_eq!(status, 502, "{reason}");
        assert_eq!(attrs_by_testid(&html, "failure-message", "data-problem"), [problem], "{reason} {recoverable}");
    }
}

/// MDES's `reasonCode` is stored as MDES sent it (`FailureReason::Mdes`: "any
/// other reasonCode from MDES, as it sent it"; before the refactor every
/// code was). Since `FailureReason::of_client_error(..).code()` the failure
/// of a whole push stores `EXPIRED_CARD` as `CARD_EXPIRED`: MDES's own
/// spelling is lost from the record (and from what operations query),
/// while a per-account failure still keeps `EXPIRED_CARD`. The cardholder's
/// words are the same either way (checked too).
#[tokio::test]
async fn a_reason_from_mdes_is_stored_as_mdes_sent_it() {
    use crate::mdes_helpers::{self as standin, Received, Reply};
    use serde_json::json;
    const TRID: &str = "50123456781";
    let error = json!({"source": "MDES", "reasonCode": "EXPIRED_CARD", "description": "Expired card", "recoverable": false});
    let answers = [
        (
            "all accounts failed",
            200,
            json!({"responseId": "r", "pushAccountReceipts": [{"pushAccountId": "PA1", "errors": [error.clone()]}]}),
        ),
        ("an error answer", 400, json!({"responseId": "r", "errors": [error.clone()]})),
    ];
    for (label, status, answer) in answers {
        let app = crate::helpers::spawn_app_with(Engine::Sqlite, |s| s.catalog.scheduled = false).await;
        let mdes = standin::start(move |req: &Received, _| -> Reply {
            if req.path.ends_with("/getEligibleTokenRequestors") {
                standin::json(
                    200,
                    json!({"responseId": "e", "tokenRequestors": [{
                        "tokenRequestorId": TRID, "name": "Wallet Payments Ltd", "consumerFacingEntityName": "Wallet Under Test",
                        "tokenRequestorType": "WALLET", "enabledAccountRanges": [5_204_731_600_000_000_000u64],
                        "supportedPushMethods": ["WEB"], "supportsMultiplePushedCards": true,
                        "availablePushMethods": [{"type": "WEB", "uri": "https://wallet.example/push"}]}]}),
                )
            } else if req.path.ends_with("/pushMultipleAccounts") {
                standin::json(status, answer.clone())
            } else {
                standin::json(200, json!({"mediaContents": []}))
            }
        });
        let client = standin::client(&mdes.base_url);
        let catalog = pushprov::catalog::CatalogSettings { scheduled: false, ..Default::default() };
        pushprov::catalog::refresh(&app.store, &client, &catalog, "attack").await.unwrap();
        let tr = app.store.token_requestor(TRID).await.unwrap().expect("the TR");
        let alice_id = app.store.credentials(&pushprov::domain::Login::parse("alice").unwrap()).await.unwrap().unwrap().0;
        let alice = app.store.cardholder(alice_id).await.unwrap().unwrap();
        let accounts = app.store.funding_accounts(alice_id).await.unwrap();
        let card = accounts.iter().find(|a| a.last4 == "4792").unwrap();
        let journey = pushprov::provisioning::Journey {
            store: &app.store,
            mdes: &client,
            settings: &app.settings.provisioning,
            public_url: app.settings.public_url(),
        };
        let id = journey
            .start(&alice, &tr, &[card], pushprov::catalog::Device::Desktop, &uuid::Uuid::new_v4().simple().to_string(), "b")
            .await
            .unwrap();
        let stored = app.store.provisioning(&id).await.unwrap().unwrap();
        app.sign_in_as_alice().await;
        let (_, html) = app.get_html(&format!("/provisioning/{id}")).await;
        assert_eq!(attrs_by_testid(&html, "failure-message", "data-problem"), ["card-expired"], "{label}");
        let per_account = stored.accounts[0].error_reason.clone();
        assert_eq!(
            stored.error_reason.as_deref(),
            Some("EXPIRED_CARD"),
            "{label}: the record's reason as MDES sent it (the account's: {per_account:?})"
        );
    }
}

/// Moves a record back to `Created`, its last change long ago: a push whose
/// answer was never stored (the instance died mid-push).
async fn interrupt(app: &crate::helpers::TestApp, id: &str) {
    let url = app.settings.database.url.clone().unwrap();
    let created = pushprov::domain::ProvisioningState::Created.as_str();
    let long_ago = app.clock.now_unix() - 3600;
    let sql = "UPDATE provisionings SET state = $1, updated_at = $2 WHERE id = $3";
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query(sql).bind(created).bind(long_ago).bind(id).execute(&pool).await.unwrap();
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query(sql).bind(created).bind(long_ago).bind(id).execute(&pool).await.unwrap();
    }
}

/// 50 *Send again* at once on an interrupted push (and 50 *Try again*
/// mixed in, which must refuse): it is resent once, never more.
async fn fifty_parallel_resends_of_an_interrupted_push_resend_once(engine: Engine) {
    let app = journey_app(engine, |_| {}).await;
    sign_in(&app, "quinn").await;
    let ok = card(&app, "quinn", "0105").await;
    let record = pushed(&app, "quinn", WALLET, &[&ok]).await;
    let id = record.trim_start_matches("/provisioning/").to_string();
    interrupt(&app, &id).await;
    let (_, html) = app.get_html(&record).await;
    assert_eq!(view(&html), "unconfirmed");
    assert_eq!(texts_by_testid(&html, "send-again").len(), 1);
    let before = record_of(&app, &record).await.push_count;
    let token = csrf_in(&html).unwrap();
    let posts = (0..2 * PARALLEL).map(|i| {
        let (client, token) = (app.client.clone(), token.clone());
        let url = app.url(&format!("{record}/{}", if i % 2 == 0 { "resend" } else { "retry" }));
        async move {
            let response = client.post(url).form(&[("csrf_token", token)]).send().await.unwrap();
            (i % 2 == 0, response.status().as_u16())
        }
    });
    let answers = join_all(posts).await;
    let after = record_of(&app, &record).await;
    assert_eq!(after.push_count, before + 1, "resent once: {answers:?}");
    assert!(
        answers.iter().filter(|(resend, _)| *resend).all(|(_, s)| *s == 303),
        "Send again goes back to the record: {answers:?}"
    );
    assert!(answers.iter().filter(|(resend, _)| !*resend).all(|(_, s)| *s == 400), "Try again is not offered here: {answers:?}");
    assert_eq!(view(&app.get_html(&record).await.1), "hand-off");
}

on_both_engines!(fifty_parallel_resends_of_an_interrupted_push_resend_once);

/// The idle notice's duration, once `Chrome::idle_timeout_label` in Rust,
/// now the `duration` macro: the same words for every setting.
#[tokio::test]
async fn the_idle_notice_says_the_timeout_as_before() {
    for (secs, words) in [(60, "1 minute"), (120, "2 minutes"), (90, "90 seconds"), (45, "45 seconds")] {
        let app = crate::helpers::spawn_app_with(Engine::Sqlite, |s| s.session.idle_timeout_secs = secs).await;
        app.sign_in_as_alice().await;
        let (_, html) = app.get_html("/cards").await;
        assert_eq!(
            texts_by_testid(&html, "idle-notice"),
            [format!("For your security you are signed out after {words} without activity.")],
            "{secs}"
        );
    }
}

/// The throttles' words, once constants in Rust: sign-in paused, step-up
/// paused, codes paused (with the 429 and Retry-After they came with).
#[tokio::test]
async fn the_throttles_say_what_they_said() {
    let app = journey_app(Engine::Sqlite, |s| {
        s.provisioning.step_up = pushprov::provisioning::StepUp::Otp;
        s.security.max_codes_per_window = 1;
    })
    .await;
    for _ in 0..5 {
        assert_eq!(app.sign_in("bruno", "wrong").await.status().as_u16(), 401);
    }
    let paused = app.sign_in("bruno", "wrong").await;
    assert_eq!(paused.status().as_u16(), 429);
    assert!(paused.headers().get("retry-after").is_some());
    assert_eq!(
        texts_by_testid(&paused.text().await.unwrap(), "sign-in-error"),
        ["Too many failed attempts. For your security, sign-in is paused for a while. Please try again later."]
    );
    sign_in(&app, "quinn").await;
    let ok = card(&app, "quinn", "0105").await;
    let review = format!("/add/review?tr={WALLET}&cards={ok}");
    let (_, html) = app.get_html(&review).await;
    let code: String = texts_by_testid(&html, "demo-code")[0].chars().filter(char::is_ascii_digit).collect();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let mut last = None;
    for n in 0..6 {
        let form = numbered_push_form(&html, "code", &wrong, n);
        last = Some(app.client.post(app.url("/add/push")).form(&form).send().await.unwrap());
    }
    let last = last.unwrap();
    assert_eq!(last.status().as_u16(), 429);
    assert!(last.headers().get("retry-after").is_some());
    let html = last.text().await.unwrap();
    assert_eq!(
        texts_by_testid(&html, "step-up-error"),
        ["Too many wrong attempts. For your security, please wait a while before you try again."]
    );
    let (status, html) = app.get_html(&review).await;
    assert_eq!(status, 429);
    assert_eq!(
        texts_by_testid(&html, "step-up-error"),
        ["We have sent you several codes in a short time. For your security, please wait a while before you ask for another."]
    );
    assert_eq!(texts_by_testid(&html, "codes-paused"), ["No code can be sent right now. Please come back to this page later."]);
}

/// Every line a record page can show of a card, in the old words: being
/// sent, not confirmed, and each token status; and the 409 of a push still
/// under way.
#[tokio::test]
async fn every_line_of_a_record_page_says_what_it_said() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "quinn").await;
    let ok = card(&app, "quinn", "0105").await;
    let quinn = app.store.credentials(&pushprov::domain::Login::parse("quinn").unwrap()).await.unwrap().unwrap().0;
    let accounts = [("PA1".to_string(), ok.clone())];
    app.store
        .insert_provisioning(&pushprov::store::NewProvisioning {
            id: "attack-sending",
            callback_token: "token-sending",
            submission_id: "sub-sending",
            cardholder_id: quinn,
            trid: WALLET,
            tr_name: "Sandbox Wallet",
            request_id: "req-sending",
            locale: "en_US",
            holder_data_supplied: false,
            step_up_binding: "binding",
            accounts: &accounts,
        })
        .await
        .unwrap();
    let (_, html) = app.get_html("/provisioning/attack-sending").await;
    assert_eq!(view(&html), "in-progress");
    assert_eq!(crate::helpers::outcome_codes(&html), ["sending"]);
    assert_eq!(texts_by_testid(&html, "outcome-label"), ["Being sent to Sandbox Wallet"]);
    let (status, html) = app.get_html("/provisioning/attack-sending/continue").await;
    assert_eq!(status, 409);
    assert_eq!(texts_by_testid(&html, "error-message"), ["We are still sending your cards. Refresh this page in a few seconds."]);
    interrupt(&app, "attack-sending").await;
    let (_, html) = app.get_html("/provisioning/attack-sending").await;
    assert_eq!(view(&html), "unconfirmed");
    assert_eq!(crate::helpers::outcome_codes(&html), ["sending"]);
    assert_eq!(texts_by_testid(&html, "outcome-label"), ["Not confirmed — nothing added yet"]);
    let key = crate::helpers::token_event_key(&app.settings.data_dir);
    for (status, code, words) in [
        ("DECLINED", "declined", "Declined — it was not added to Sandbox Wallet"),
        ("INACTIVE", "needs-verification", "Needs verification — finish it in Sandbox Wallet"),
        ("SUSPENDED", "suspended", "Suspended in Sandbox Wallet"),
        ("DELETED", "removed", "Removed from Sandbox Wallet"),
        ("ACTIVE", "added", "Added to Sandbox Wallet"),
    ] {
        let record = pushed(&app, "quinn", WALLET, &[&ok]).await;
        let receipt = record_of(&app, &record).await.accounts[0].receipt.clone().unwrap();
        let event = serde_json::json!({
            "eventId": uuid::Uuid::new_v4().to_string(), "pushAccountReceipt": receipt,
            "status": status, "occurredAt": "2026-11-26T10:00:00Z",
        });
        let body = serde_json::to_vec(&event).unwrap();
        let now = app.clock.now_unix();
        let sent = pushprov::token_events::signed_request(&app.client, &app.url("/token-events"), &key, now, body).send().await;
        assert_eq!(sent.unwrap().status().as_u16(), 200);
        let (_, html) = app.get_html(&record).await;
        assert_eq!(crate::helpers::outcome_codes(&html), [code]);
        assert_eq!(texts_by_testid(&html, "outcome-label"), [words]);
    }
}

/// Quinn signed in, at the review page of card …0105 for the wallet.
async fn quinn_at_review(app: &crate::helpers::TestApp) -> String {
    sign_in(app, "quinn").await;
    let card = card(app, "quinn", "0105").await;
    app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await.1
}

/// POSTs a push form claiming `xff` as X-Forwarded-For: the answer's status.
fn post_push_from(
    app: &crate::helpers::TestApp,
    xff: String,
    form: Vec<(String, String)>,
) -> impl std::future::Future<Output = u16> + use<> {
    let (client, url) = (app.client.clone(), app.url("/add/push"));
    async move { client.post(url).header("x-forwarded-for", xff).form(&form).send().await.unwrap().status().as_u16() }
}
