//! The push provisioning journey over HTTP, against the built-in sandbox
//! (MDES and its demo token requestors, mounted in the app under test).

use scraper::{Html, Selector};
use serde_json::json;

use crate::helpers::{Engine, TestApp, attrs_by_testid, location, outcome_codes, texts_by_testid};
use crate::on_both_engines;
use crate::steps::*;

on_both_engines!(one_card_approved_end_to_end);

async fn one_card_approved_end_to_end(engine: Engine) {
    let app = journey_app(engine, |_| {}).await;
    let record = quinn_pushed(&app, "0105").await;
    let (status, html) = app.get_html(&record).await;
    let stored = record_of(&app, &record).await;
    assert_eq!(status, 200, "{:?} {:?}", stored.error_reason, stored.accounts);
    assert_eq!(view(&html), "hand-off");
    let heading = texts_by_testid(&html, "page-heading").concat();
    assert!(heading.contains("Demo Bank") && heading.contains("Sandbox Wallet"), "leaving the bank for the TR: {heading}");
    assert_eq!(record_of(&app, &record).await.state, pushprov::domain::ProvisioningState::Pushed);

    let tr_url = continue_to_tr(&app, &record).await;
    assert!(tr_url.contains("locale=en_US"), "locale from the cardholder's profile: {tr_url}");
    assert!(tr_url.contains("pushAccountReceipts=") && tr_url.contains("&signature="));
    assert!(!tr_url.contains("5204731600010105"), "no PAN in the URL");
    let callback = at_tr(&app, &tr_url, "accept").await;
    assert!(callback.contains("status=APPROVED"));
    let back = come_back(&app, &callback).await;
    assert_eq!(back, record);
    let (codes, html) = outcomes_until(&app, &record, |c| c == ["added"]).await;
    assert_eq!(codes, ["added"]);
    assert_eq!(view(&html), "confirmation");
    assert!(texts_by_testid(&html, "outcome-label")[0].contains("Sandbox Wallet"), "added to this TR");
    // And "where my cards are" says so.
    let (_, where_html) = app.get_html("/cards/where").await;
    assert!(attrs_by_testid(&where_html, "where-place", "data-outcome").contains(&"added".to_string()));
    assert!(texts_by_testid(&where_html, "where-place").iter().any(|place| place.contains("Sandbox Wallet")));
}

#[tokio::test]
async fn either_order_offers_only_what_fits() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "alice").await;
    let credit = card(&app, "alice", "4792").await;
    let debit = card(&app, "alice", "4175").await;
    // Cards first: only TRs that take every chosen card.
    let (_, html) = app.get_html(&format!("/add/requestors?cards={credit}&cards={debit}")).await;
    let names = texts_by_testid(&html, "tr-name");
    assert!(names.contains(&"Sandbox Wallet".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("Debit Club")), "debit-only TR cannot take the credit card");
    assert!(!names.iter().any(|n| n.contains("card on file")), "single-card merchant cannot take two");
    assert!(!names.iter().any(|n| n.contains("app only")), "no app-only TR on a desktop browser");
    // TR first: only the cards it can take, one at a time for a single-card TR.
    let (_, html) = app.get_html(&format!("/add/cards?tr={DEBIT_ONLY}")).await;
    let doc = Html::parse_document(&html);
    let selector = Selector::parse("input[data-testid=card-choice]").unwrap();
    let offered: Vec<_> = doc.select(&selector).map(|e| e.value().attr("value").unwrap().to_string()).collect();
    assert_eq!(offered, std::slice::from_ref(&debit));
    let (_, html) = app.get_html(&format!("/add/cards?tr={MERCHANT}")).await;
    assert!(html.contains(r#"type="radio""#), "single-card TR: radio buttons");
    // The card form leads on to review when the TR is known.
    let response = app.get(&format!("/add/cards/chosen?tr={DEBIT_ONLY}&cards={debit}")).await;
    assert_eq!(location(&response), format!("/add/review?tr={DEBIT_ONLY}&cards={debit}"));
    let response = app.get("/add/cards/chosen").await;
    assert_eq!(location(&response), "/add/cards?error=none-chosen");
}

#[tokio::test]
async fn review_names_the_data_shared_with_this_tr_only() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "alice").await;
    let credit = card(&app, "alice", "4792").await;
    let (_, wallet) = app.get_html(&format!("/add/review?tr={WALLET}&cards={credit}")).await;
    let fields = attrs_by_testid(&wallet, "shared-field", "data-field");
    assert_eq!(fields, ["name", "postal-address", "email", "mobile-phone"]);
    let (_, merchant) = app.get_html(&format!("/add/review?tr={MERCHANT}&cards={credit}")).await;
    assert!(texts_by_testid(&merchant, "shared-field").len() < 4, "only what the merchant supports");
}

#[tokio::test]
async fn several_cards_with_one_failing_say_which() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "quinn").await;
    let approved = card(&app, "quinn", "0105").await;
    let declined = card(&app, "quinn", "0203").await;
    let failing = card(&app, "quinn", "0409").await;
    let record = pushed(&app, "quinn", WALLET, &[&approved, &declined, &failing]).await;
    let (_, html) = app.get_html(&record).await;
    assert_eq!(view(&html), "hand-off", "two of three got receipts");
    assert_eq!(outcome_codes(&html), ["pending", "pending", "not-sent"]);
    assert_eq!(texts_by_testid(&html, "partial-notice").len(), 1);
    assert_eq!(attrs_by_testid(&html, "outcome-problem", "data-problem"), ["try-again"]);
    let callback = at_tr(&app, &continue_to_tr(&app, &record).await, "accept").await;
    come_back(&app, &callback).await;
    let (codes, _) = outcomes_until(&app, &record, |c| c == ["added", "declined", "not-sent"]).await;
    assert_eq!(codes, ["added", "declined", "not-sent"]);
}

#[tokio::test]
async fn additional_authentication_needs_verification() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let record = quinn_pushed(&app, "0301").await;
    let callback = at_tr(&app, &continue_to_tr(&app, &record).await, "accept").await;
    come_back(&app, &callback).await;
    let (_, html) = outcomes_until(&app, &record, |c| c == ["needs-verification"]).await;
    assert_eq!(outcome_codes(&html), ["needs-verification"]);
    assert!(texts_by_testid(&html, "outcome-label")[0].contains("Sandbox Wallet"), "finish it at this TR");
}

#[tokio::test]
async fn cancel_at_the_tr_gets_its_own_page() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let record = quinn_pushed(&app, "0105").await;
    let callback = at_tr(&app, &continue_to_tr(&app, &record).await, "cancel").await;
    come_back(&app, &callback).await;
    let (_, html) = app.get_html(&record).await;
    assert_eq!(view(&html), "cancelled");
    assert_eq!(texts_by_testid(&html, "start-again").len(), 1);
}

#[tokio::test]
async fn recoverable_mdes_error_offers_a_retry_and_a_new_push() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let record = quinn_pushed(&app, "0409").await;
    let (status, html) = app.get_html(&record).await;
    assert_eq!(status, 502);
    assert_eq!(view(&html), "failed");
    assert_eq!(texts_by_testid(&html, "retry").len(), 1, "retry offered: MDES said recoverable");
    let before = record_of(&app, &record).await;
    let token = crate::helpers::csrf_in(&html).unwrap();
    let response = app.post_form(&format!("{record}/retry"), &[("csrf_token", &token)]).await;
    assert_eq!(response.status().as_u16(), 303);
    let after = record_of(&app, &record).await;
    assert_eq!(after.push_count, before.push_count + 1);
    assert_ne!(after.request_id, before.request_id, "a retry is a new request, asked for by the cardholder");
}

#[tokio::test]
async fn unrecoverable_mdes_error_offers_no_retry() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let record = quinn_pushed(&app, "0507").await;
    let (_, html) = app.get_html(&record).await;
    assert_eq!(view(&html), "failed");
    assert!(texts_by_testid(&html, "retry").is_empty());
    let token = crate::helpers::csrf_in(&html).unwrap();
    let response = app.post_form(&format!("{record}/retry"), &[("csrf_token", &token)]).await;
    assert_eq!(response.status().as_u16(), 400, "retry by hand is refused");
    assert_eq!(record_of(&app, &record).await.push_count, 1);
}

#[tokio::test]
async fn mdes_unavailable_is_a_clear_failure() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let record = quinn_pushed(&app, "0703").await;
    let (_, html) = app.get_html(&record).await;
    assert_eq!(view(&html), "failed");
    assert_eq!(record_of(&app, &record).await.state, pushprov::domain::ProvisioningState::PushFailed);
}

#[tokio::test]
async fn receipts_expiring_before_the_hand_off_are_renewed() {
    // A margin as long as the receipts' life: continuing always re-pushes.
    let app = journey_app(Engine::Sqlite, |s| s.provisioning.refresh_margin_secs = 15 * 60).await;
    let record = quinn_pushed(&app, "0105").await;
    let first = record_of(&app, &record).await;
    let tr_url = continue_to_tr(&app, &record).await;
    let second = record_of(&app, &record).await;
    assert_eq!(second.push_count, 2);
    assert_ne!(first.accounts[0].receipt, second.accounts[0].receipt, "fresh receipts");
    assert!(tr_url.contains(second.accounts[0].receipt.as_deref().unwrap()));
    // The fresh receipts work at the TR.
    let callback = at_tr(&app, &tr_url, "accept").await;
    come_back(&app, &callback).await;
    outcomes_until(&app, &record, |c| c == ["added"]).await;
}

#[tokio::test]
async fn back_button_after_the_hand_off_never_reuses_receipts() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let record = quinn_pushed(&app, "0105").await;
    let first_url = continue_to_tr(&app, &record).await;
    // Back at the hand-off page: it now says the cardholder was sent already.
    let (_, html) = app.get_html(&record).await;
    assert_eq!(view(&html), "handed-off");
    let second_url = continue_to_tr(&app, &record).await;
    assert_ne!(first_url, second_url);
    assert_eq!(record_of(&app, &record).await.push_count, 2);
}

#[tokio::test]
async fn double_submit_pushes_once() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "0105").await;
    let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await;
    let form = push_form(&html, WALLET, &card, "password", "quinn-demo-2026");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = app.post_form("/add/push", &form).await;
    let second = app.post_form("/add/push", &form).await;
    assert_eq!(location(&first), location(&second));
    let quinn = app.store.credentials(&pushprov::domain::Login::parse("quinn").unwrap()).await.unwrap().unwrap().0;
    assert_eq!(app.store.provisionings_of(quinn).await.unwrap().len(), 1);
}

#[tokio::test]
async fn step_up_is_required_before_the_push() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "0105").await;
    let response = push(&app, WALLET, &[&card], "wrong-password").await;
    assert_eq!(response.status().as_u16(), 401);
    let html = response.text().await.unwrap();
    assert_eq!(attrs_by_testid(&html, "step-up-error", "data-error"), ["wrong-password"]);
    let quinn = app.store.credentials(&pushprov::domain::Login::parse("quinn").unwrap()).await.unwrap().unwrap().0;
    assert!(app.store.provisionings_of(quinn).await.unwrap().is_empty(), "nothing pushed");
}

#[tokio::test]
async fn one_time_code_step_up() {
    let app = journey_app(Engine::Sqlite, |s| s.provisioning.step_up = pushprov::provisioning::StepUp::Otp).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "0105").await;
    let submit = |html: &str, code: &str| {
        [
            ("csrf_token", input(html, "csrf_token").unwrap()),
            ("submission_id", input(html, "submission_id").unwrap()),
            ("tr", WALLET.to_string()),
            ("cards", card.clone()),
            ("code", code.to_string()),
        ]
    };
    let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await;
    let shown = texts_by_testid(&html, "demo-code");
    assert_eq!(shown.len(), 1, "the demo shows the code");
    let code: String = shown[0].chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6);
    let wrong = submit(&html, if code == "000000" { "111111" } else { "000000" });
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(app.post_form("/add/push", &wrong).await.status().as_u16(), 401);
    // A wrong try issued a new code (shown on the page it returned): the old one still works
    // only if not replaced; take a fresh review to be sure of the current code.
    let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={card}")).await;
    let code: String = texts_by_testid(&html, "demo-code")[0].chars().filter(char::is_ascii_digit).collect();
    let right = submit(&html, &code);
    let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(app.post_form("/add/push", &right).await.status().as_u16(), 303);
    // A code works once.
    let again = submit(&html, &code);
    let mut again: Vec<(&str, String)> = again.into_iter().collect();
    again[1].1 = "ffffffffffffffffffffffffffffffff".into();
    let again: Vec<(&str, &str)> = again.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(app.post_form("/add/push", &again).await.status().as_u16(), 401, "a used code is gone");
}

#[tokio::test]
async fn hand_built_posts_are_refused_without_a_push() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "alice").await;
    let credit = card(&app, "alice", "4792").await;
    let unserved = card(&app, "alice", "4566").await;
    let expired = card(&app, "alice", "8761").await;
    let (_, html) = app.get_html(&format!("/add/review?tr={WALLET}&cards={credit}")).await;
    let token = input(&html, "csrf_token").unwrap();
    let bruno_card = card(&app, "bruno", "7886").await;
    let six: Vec<String> = (0..6).map(|_| credit.clone()).collect();
    let cases: Vec<(String, String, &str)> = vec![
        (WALLET.into(), format!("{credit},{unserved}"), "a card in a range the TR does not serve"),
        (WALLET.into(), expired.clone(), "an expired card"),
        (WALLET.into(), bruno_card.clone(), "someone else's card"),
        (DEBIT_ONLY.into(), credit.clone(), "a TR not enabled for the card"),
        ("99999999999".into(), credit.clone(), "a TR not in the catalogue"),
        (MERCHANT.into(), format!("{credit},{}", card(&app, "alice", "2316").await), "two cards to a single-card TR"),
        (WALLET.into(), six.join(","), "six cards"),
    ];
    for (trid, cards, what) in cases {
        let response = app
            .post_form(
                "/add/push",
                &[
                    ("csrf_token", &token),
                    ("submission_id", "0123456789abcdef0123456789abcdef"),
                    ("tr", &trid),
                    ("cards", &cards),
                    ("password", "alice-demo-2026"),
                ],
            )
            .await;
        assert_eq!(response.status().as_u16(), 400, "{what}");
    }
    let alice = app.store.credentials(&pushprov::domain::Login::parse("alice").unwrap()).await.unwrap().unwrap().0;
    assert!(app.store.provisionings_of(alice).await.unwrap().is_empty(), "no record, no push");
}

#[tokio::test]
async fn forged_replayed_and_foreign_callbacks_change_nothing() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let record = quinn_pushed(&app, "0105").await;
    let callback = at_tr(&app, &continue_to_tr(&app, &record).await, "accept").await;
    // Forged: an unknown token, or not a token at all.
    let forged = format!("{}/provisioning/return/{}", app.address, "A".repeat(43));
    assert_eq!(app.client.get(&forged).send().await.unwrap().status().as_u16(), 404);
    assert_eq!(app.get("/provisioning/return/<script>").await.status().as_u16(), 404);
    // Another cardholder's session cannot use it.
    let other = crate::helpers::start_second_client(&app);
    let response = other.sign_in("alice", "alice-demo-2026").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(other.client.get(&callback).send().await.unwrap().status().as_u16(), 404);
    assert_eq!(record_of(&app, &record).await.state, pushprov::domain::ProvisioningState::HandedOff);
    // The owner's return works once; a replay is refused.
    come_back(&app, &callback).await;
    assert_eq!(app.client.get(&callback).send().await.unwrap().status().as_u16(), 410);
    assert_eq!(record_of(&app, &record).await.state, pushprov::domain::ProvisioningState::Returned);
    // Someone else's record page does not exist for alice.
    assert_eq!(other.get(&record).await.status().as_u16(), 404);
}

#[tokio::test]
async fn tampered_return_parameters_are_ignored_and_never_proof() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let (record, tr_url) = quinn_handed_off(&app).await;
    let callback = callback_of(&tr_url);
    // Nobody went through the TR; a forged "APPROVED" for other receipts.
    let tampered = format!("{callback}?pushAccountReceipts=MCC-forged&status=APPROVED");
    come_back(&app, &tampered).await;
    let stored = record_of(&app, &record).await;
    assert_eq!(stored.reported_by_tr, None, "a report about other receipts is ignored");
    let (_, html) = app.get_html(&record).await;
    assert_eq!(outcome_codes(&html), ["pending"]);
}

#[tokio::test]
async fn the_tr_saying_approved_is_not_proof_only_a_token_event_is() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let (record, tr_url) = quinn_handed_off(&app).await;
    let receipt = record_of(&app, &record).await.accounts[0].receipt.clone().unwrap();
    let callback = callback_of(&tr_url);
    // The browser comes back saying APPROVED without any tokenization.
    come_back(&app, &format!("{callback}?pushAccountReceipts={receipt}&status=APPROVED")).await;
    assert_eq!(record_of(&app, &record).await.reported_by_tr.as_deref(), Some("APPROVED"));
    let (_, html) = app.get_html(&record).await;
    assert_eq!(outcome_codes(&html), ["pending"]);
    assert_eq!(texts_by_testid(&html, "refresh").len(), 1, "a way to refresh without JavaScript");
    // A token event after the return: now it is known.
    let event = token_event(&receipt, "ACTIVE", "2026-11-26T10:00:00Z");
    assert_eq!(post_event(&app, &event, 0).await, 200);
    let (_, html) = app.get_html(&record).await;
    assert_eq!(outcome_codes(&html), ["added"]);
}

#[tokio::test]
async fn a_token_event_before_the_browser_returns_is_shown_on_return() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let (record, tr_url) = quinn_handed_off(&app).await;
    let receipt = record_of(&app, &record).await.accounts[0].receipt.clone().unwrap();
    assert_eq!(post_event(&app, &token_event(&receipt, "ACTIVE", "2026-11-26T10:00:00Z"), 0).await, 200);
    let callback = callback_of(&tr_url);
    come_back(&app, &callback).await;
    let (_, html) = app.get_html(&record).await;
    assert_eq!(outcome_codes(&html), ["added"]);
}

#[tokio::test]
async fn the_session_ending_at_the_tr_signs_in_again_and_lands_on_the_same_record() {
    let app = journey_app(Engine::Sqlite, |s| s.session.idle_timeout_secs = 1).await;
    let record = quinn_pushed(&app, "0105").await;
    let callback = at_tr(&app, &continue_to_tr(&app, &record).await, "accept").await;
    app.clock.advance(2);
    let response = app.client.get(&callback).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let to_sign_in = location(&response);
    assert!(to_sign_in.starts_with("/login?reason=expired&next=/provisioning/return/"), "{to_sign_in}");
    let next = reqwest::Url::parse(&format!("{}{to_sign_in}", app.address))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "next")
        .unwrap()
        .1
        .to_string();
    let token = app.csrf_token(&to_sign_in).await;
    let response = app
        .post_form("/login", &[("csrf_token", &token), ("login", "quinn"), ("password", "quinn-demo-2026"), ("next", &next)])
        .await;
    assert_eq!(location(&response), next, "back to the return link after signing in");
    assert_eq!(come_back(&app, &app.url(&next)).await, record);
}

// ---- token events ----------------------------------------------------------------------

/// A token event with an id of its own.
fn token_event(receipt: &str, status: &str, at: &str) -> serde_json::Value {
    crate::helpers::token_event(&uuid::Uuid::new_v4().to_string(), receipt, status, at)
}

/// Posts a signed event; `skew` moves the timestamp (for replay tests).
async fn post_event(app: &TestApp, event: &serde_json::Value, skew: i64) -> u16 {
    let timestamp = app.clock.now_unix() + skew;
    crate::helpers::post_token_event(&app.client, &app.url("/token-events"), &app.settings.data_dir, event, timestamp).await
}

#[tokio::test]
async fn token_events_are_authenticated_idempotent_and_order_independent() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let record = quinn_pushed(&app, "0105").await;
    let receipt = record_of(&app, &record).await.accounts[0].receipt.clone().unwrap();
    let outcomes = |app: &TestApp| {
        let path = record.clone();
        let app_url = app.url(&path);
        let client = app.client.clone();
        async move {
            let html = client.get(app_url).send().await.unwrap().text().await.unwrap();
            outcome_codes(&html)
        }
    };
    // Unauthenticated, stale, malformed: refused, nothing stored.
    let active = token_event(&receipt, "ACTIVE", "2026-11-26T10:00:00Z");
    let unsigned = app.client.post(app.url("/token-events")).json(&active).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    assert_eq!(post_event(&app, &active, -3600).await, 401, "outside the replay window");
    assert_eq!(post_event(&app, &json!({"eventId": "x"}), 0).await, 400);
    assert_eq!(post_event(&app, &token_event(&receipt, "PWNED", "2026-11-26T10:00:00Z"), 0).await, 400);
    assert_eq!(post_event(&app, &token_event(&receipt, "ACTIVE", "yesterday"), 0).await, 400);
    assert_eq!(outcomes(&app).await, ["pending"]);
    // Out of order: the later DELETED arrives before the earlier ACTIVE.
    assert_eq!(post_event(&app, &token_event(&receipt, "DELETED", "2026-11-26T12:00:00Z"), 0).await, 200);
    assert_eq!(post_event(&app, &active, 0).await, 200);
    assert_eq!(outcomes(&app).await, ["removed"], "the latest by time wins, not by arrival");
    // A duplicate changes nothing.
    assert_eq!(post_event(&app, &active, 0).await, 200);
    assert_eq!(outcomes(&app).await, ["removed"]);
    // Unknown receipt: kept (it may precede the push answer), touches no record.
    assert_eq!(post_event(&app, &token_event("MCC-unknown", "ACTIVE", "2026-11-26T10:00:00Z"), 0).await, 200);
    // Oversize.
    let huge = json!({"eventId": "x".repeat(20_000)});
    assert_eq!(post_event(&app, &huge, 0).await, 413);
}

#[tokio::test]
async fn a_return_without_passing_the_hand_off_page_again_is_accepted_once() {
    // Pushed → Returned: e.g. the TR opened in another tab from an earlier link.
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let record = quinn_pushed(&app, "0105").await;
    let id = record.trim_start_matches("/provisioning/");
    let token = app.store.callback_token(id).await.unwrap().unwrap();
    let callback = app.url(&format!("/provisioning/return/{token}"));
    assert_eq!(record_of(&app, &record).await.state, pushprov::domain::ProvisioningState::Pushed);
    assert_eq!(come_back(&app, &callback).await, record);
    assert_eq!(record_of(&app, &record).await.state, pushprov::domain::ProvisioningState::Returned);
    // Returned is final: continuing again is refused back to the record page.
    let response = app.get(&format!("{record}/continue")).await;
    assert_eq!(location(&response), record);
}
