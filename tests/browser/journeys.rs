//! The journeys a cardholder takes, with the mouse: approved, declined,
//! cancelled at the token requestor, additional authentication, the session
//! expiring at the token requestor, and the back button after the hand-off.

use pushprov::config::Settings;

use crate::driver::{Browser, testid};
use crate::helpers::{Engine, TestApp, catalogue_loaded, spawn_app_with};

pub const WALLET: &str = "50100000001";
pub const WALLET_NAME: &str = "Sandbox Wallet";

/// The portal with its sandbox, in-process on port 0, the catalogue loaded.
pub async fn portal(customise: impl FnOnce(&mut Settings)) -> TestApp {
    let app = spawn_app_with(Engine::Sqlite, customise).await;
    catalogue_loaded(&app.store).await;
    app
}

/// The card choice for the card ending `last4`.
pub fn card_choice(last4: &str) -> String {
    format!("input[data-testid=card-choice][data-last4=\"{last4}\"]")
}

/// Signs in as `login` from the sign-in page.
pub async fn sign_in(b: &mut Browser, login: &str, next: &str) {
    b.fill("login-input", login).await;
    b.fill("password-input", &format!("{login}-demo-2026")).await;
    b.click("sign-in-submit").await;
    b.step("signed-in", next).await;
}

/// Signs in and chooses the card ending `last4` for the Sandbox Wallet
/// (cards first), up to the review page with the password entered.
async fn to_review(b: &mut Browser, last4: &str) {
    to_review_at(b, last4, WALLET, WALLET_NAME).await;
}

/// The same for the token requestor `trid` named `name`.
async fn to_review_at(b: &mut Browser, last4: &str, trid: &str, name: &str) {
    b.goto("/").await;
    b.step("sign-in", "/login").await;
    b.fill("login-input", "quinn").await;
    b.fill("password-input", "quinn-demo-2026").await;
    b.click("sign-in-submit").await;
    b.step("my-cards", "/cards").await;
    assert!(b.text("signed-in-as").await.ends_with("Quinn Tester"));
    b.click("add-to-wallet").await;
    b.step("add-intro", "/add").await;
    b.click("start-with-cards").await;
    b.step("choose-cards", "/add/cards").await;
    b.click_css(&card_choice(last4)).await;
    b.click("cards-continue").await;
    b.step("choose-requestor", "/add/requestors?").await;
    b.click_to_navigate(&format!("[data-testid=tr][data-trid=\"{trid}\"] {}", testid("tr-name"))).await;
    b.step("review", "/add/review?").await;
    assert_eq!(b.text("review-tr-name").await, name);
    assert_eq!(b.texts("review-card").await.len(), 1);
    assert!(b.text("review-card").await.ends_with(last4));
}

/// From the review page: password, push, hand-off page; returns the record's path.
async fn push(b: &mut Browser) -> String {
    push_at(b, WALLET_NAME).await
}

async fn push_at(b: &mut Browser, name: &str) -> String {
    b.fill("step-up-password", "quinn-demo-2026").await;
    b.click("push-submit").await;
    b.step("hand-off", "/provisioning/").await;
    assert_eq!(b.attr("provisioning", "data-view").await, "hand-off");
    let heading = b.text("page-heading").await;
    assert!(heading.contains("Demo Bank") && heading.contains(name), "leaving the bank for the TR: {heading}");
    b.path().await
}

/// Continue → the demo TR's sign-in page; returns the TR's address.
async fn continue_to_tr(b: &mut Browser) -> String {
    continue_to_tr_at(b, WALLET, WALLET_NAME).await
}

async fn continue_to_tr_at(b: &mut Browser, trid: &str, name: &str) -> String {
    b.click("continue-to-tr").await;
    b.step("tr-sign-in", &format!("/sandbox/tr/{trid}/push?pushAccountReceipts=")).await;
    assert_eq!(b.text("tr-name").await, name);
    b.path().await
}

/// At the TR: sign in with any name.
async fn tr_sign_in(b: &mut Browser) {
    b.fill("tr-name-input", "Quinn").await;
    b.click("tr-sign-in").await;
    b.step("tr-terms", "/sandbox/tr/journeys/").await;
    assert_eq!(b.texts("tr-card").await.len(), 1);
}

/// At the TR: sign in, accept the terms, and so back at the bank on the record's page.
async fn accept_at_tr(b: &mut Browser, record: &str) {
    tr_sign_in(b).await;
    b.click("tr-accept").await;
    b.step("back-at-the-bank", record).await;
}

/// Clicks Refresh on the confirmation until the card's outcome is `code`
/// (token events reach the portal asynchronously); then the step's checks.
pub async fn refresh_until(b: &mut Browser, record: &str, code: &str, keyboard: bool) {
    refresh_until_at(b, record, code, keyboard, WALLET_NAME).await;
}

pub async fn refresh_until_at(b: &mut Browser, record: &str, code: &str, keyboard: bool, tr_name: &str) {
    crate::wait::until_ok(&format!("the outcome {code}"), async || {
        let outcome = b.attr("outcome", "data-outcome").await;
        if outcome == code {
            return Ok(());
        }
        assert_eq!(outcome, "pending", "before the token event: sent, finish there");
        assert!(b.text("outcome-label").await.contains(tr_name), "finish at this TR");
        if keyboard {
            b.tab_to(&testid("refresh")).await;
            b.press_to_navigate(fantoccini::key::Key::Enter).await;
        } else {
            b.click("refresh").await;
        }
        assert_eq!(b.path().await, record);
        Err(outcome)
    })
    .await;
    b.step("confirmation", record).await;
    assert_eq!(b.attr("provisioning", "data-view").await, "confirmation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved() {
    let app = portal(|_| {}).await;
    let mut b = Browser::start("approved", &app.address).await;
    to_review(&mut b, "0105").await;
    let record = push(&mut b).await;
    let tr = continue_to_tr(&mut b).await;
    assert!(tr.contains("&signature="), "the push URI from MDES, signed: {tr}");
    accept_at_tr(&mut b, &record).await;
    refresh_until(&mut b, &record, "added", false).await;
    assert!(b.text("outcome-label").await.contains(WALLET_NAME), "added to this TR");
    b.click("where-link").await;
    b.step("where-my-cards-are", "/cards/where").await;
    assert_eq!(b.attr("where-place", "data-outcome").await, "added");
    assert!(b.text("where-place").await.contains(WALLET_NAME));
    b.finish().await;
}

/// Issue 15: the whole journey at token requestors as MDES may list them —
/// one with `supportedPushMethods` only (no URIs, no logo: the URI comes with
/// the push answer), and one without signature support (no `signature`
/// parameter at all) — with the QA cardholder's own card.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_at_spec_minimal_token_requestors() {
    let app = portal(|_| {}).await;
    for (trid, name) in
        [("50100000006", "Sandbox Lite Wallet (spec-minimal)"), ("50100000008", "Sandbox Unsigned Shop (no signature)")]
    {
        let mut b = Browser::start(&format!("spec-minimal-{trid}"), &app.address).await;
        to_review_at(&mut b, "8017", trid, name).await;
        let record = push_at(&mut b, name).await;
        let tr = continue_to_tr_at(&mut b, trid, name).await;
        if trid == "50100000008" {
            assert!(!tr.contains("signature"), "no signature from MDES, no signature parameter: {tr}");
        }
        accept_at_tr(&mut b, &record).await;
        refresh_until_at(&mut b, &record, "added", false, name).await;
        assert!(b.text("outcome-label").await.contains(name), "added to this TR");
        b.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined() {
    let app = portal(|_| {}).await;
    let mut b = Browser::start("declined", &app.address).await;
    // This time a TR first, then the card.
    b.goto("/login").await;
    b.step("sign-in", "/login").await;
    sign_in(&mut b, "quinn", "/cards").await;
    b.click("add-to-wallet").await;
    b.step("add-intro", "/add").await;
    b.click("start-with-requestor").await;
    b.step("choose-requestor", "/add/requestors").await;
    b.click_to_navigate(&format!("[data-testid=tr][data-trid=\"{WALLET}\"] {}", testid("tr-name"))).await;
    b.step("choose-cards", &format!("/add/cards?tr={WALLET}")).await;
    assert!(b.text("chosen-tr").await.contains(WALLET_NAME));
    b.click_css(&card_choice("0203")).await;
    b.click("cards-continue").await;
    b.step("review", "/add/review?").await;
    let record = push(&mut b).await;
    continue_to_tr(&mut b).await;
    accept_at_tr(&mut b, &record).await;
    refresh_until(&mut b, &record, "declined", false).await;
    assert!(b.text("outcome-label").await.contains(WALLET_NAME), "declined at this TR");
    b.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_at_the_token_requestor() {
    let app = portal(|_| {}).await;
    let mut b = Browser::start("cancel-at-tr", &app.address).await;
    to_review(&mut b, "0105").await;
    let record = push(&mut b).await;
    continue_to_tr(&mut b).await;
    b.click("tr-cancel").await;
    b.step("cancelled", &record).await;
    assert_eq!(b.attr("provisioning", "data-view").await, "cancelled");
    assert!(b.text("page-heading").await.contains(WALLET_NAME), "cancelled at this TR");
    // "Start again" leads back to the review of the same choice.
    b.click("start-again").await;
    b.step("start-again", "/add/").await;
    b.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn additional_authentication() {
    let app = portal(|_| {}).await;
    let mut b = Browser::start("additional-authentication", &app.address).await;
    to_review(&mut b, "0301").await;
    let record = push(&mut b).await;
    continue_to_tr(&mut b).await;
    accept_at_tr(&mut b, &record).await;
    refresh_until(&mut b, &record, "needs-verification", false).await;
    assert!(b.text("outcome-label").await.contains(WALLET_NAME), "finish it at this TR");
    b.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_expires_while_at_the_token_requestor() {
    // The portal's time is moved past it below; the browser's own timeout
    // warning runs on real time and stays hidden (it shows 60 s before). Under
    // the token events' replay window (300 s): the wallet signs its events
    // with the real time, which the portal's moved clock must still accept.
    const IDLE_SECS: u64 = 120;
    let app = portal(|s| s.session.idle_timeout_secs = IDLE_SECS).await;
    let mut b = Browser::start("session-expires-at-tr", &app.address).await;
    to_review(&mut b, "0105").await;
    let record = push(&mut b).await;
    continue_to_tr(&mut b).await;
    tr_sign_in(&mut b).await;
    // The cardholder reads the terms for longer than the bank's idle timeout.
    app.clock.advance(IDLE_SECS + 1);
    b.click("tr-accept").await;
    b.step("signed-out-on-return", "/login?reason=expired&next=/provisioning/return/").await;
    assert_eq!(b.attr("sign-in-notice", "data-notice").await, "timed-out", "signed out after a period of inactivity");
    sign_in(&mut b, "quinn", &record).await;
    assert_eq!(b.path().await, record, "back on the same record after signing in");
    refresh_until(&mut b, &record, "added", false).await;
    assert!(b.text("outcome-label").await.contains(WALLET_NAME), "added to this TR");
    b.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_button_after_the_hand_off() {
    let app = portal(|_| {}).await;
    let mut b = Browser::start("back-button", &app.address).await;
    to_review(&mut b, "0105").await;
    let record = push(&mut b).await;
    let first = continue_to_tr(&mut b).await;
    // The browser's back button: the portal's page again, now "handed off"
    // (pages are no-store: the browser asks the portal afresh).
    b.back().await;
    b.step("back-to-the-bank", &record).await;
    assert_eq!(b.attr("provisioning", "data-view").await, "handed-off");
    assert!(b.text("page-heading").await.contains(WALLET_NAME), "finish at this TR");
    // Continuing again sends fresh receipts, never the ones handed off.
    let second = continue_to_tr(&mut b).await;
    assert_ne!(receipts(&first), receipts(&second), "fresh receipts after the back button");
    accept_at_tr(&mut b, &record).await;
    refresh_until(&mut b, &record, "added", false).await;
    // Signed out, the back button shows sign-in, never the account page
    // (a shared computer). (The back button above is what proves the reload
    // of a page Chromium restored from its back/forward cache: without it
    // the stale "You are leaving" page came back.)
    b.click("sign-out").await;
    b.step("signed-out", "/login").await;
    b.back().await;
    b.step("back-after-sign-out", "/login").await;
    b.finish().await;
}

/// The `pushAccountReceipts` of a TR address.
fn receipts(tr_path: &str) -> String {
    tr_path
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("pushAccountReceipts="))
        .unwrap_or_else(|| panic!("no receipts in {tr_path}"))
        .to_string()
}

/// Goes straight to the review of `last4` for the Sandbox Wallet (the
/// choice pages are covered above), signing in first if `sign_in_first`,
/// then pushes.
async fn pushed_directly(b: &mut Browser, app: &TestApp, last4: &str, sign_in_first: bool) {
    let id = {
        let login = pushprov::domain::Login::parse("quinn").unwrap();
        let holder = app.store.credentials(&login).await.unwrap().unwrap().0;
        let cards = app.store.funding_accounts(holder).await.unwrap();
        cards.into_iter().find(|c| c.last4 == last4).expect("quinn's card").public_id
    };
    b.goto(&format!("/add/review?tr={WALLET}&cards={id}")).await;
    if sign_in_first {
        b.step("sign-in", "/login?").await;
        sign_in(b, "quinn", "/add/review?").await;
    } else {
        b.step("review", "/add/review?").await;
    }
    b.fill("step-up-password", "quinn-demo-2026").await;
    b.click("push-submit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_have_their_own_pages() {
    let app = portal(|_| {}).await;
    let mut b = Browser::start("failures", &app.address).await;
    // MDES answers "service unavailable, recoverable": the failure page
    // (HTTP 502) offers "Try again", which pushes again.
    pushed_directly(&mut b, &app, "0409", true).await;
    b.step_with_status("push-failed", "/provisioning/", 502).await;
    assert_eq!(b.attr("provisioning", "data-view").await, "failed");
    let record = b.path().await;
    b.click("retry").await;
    b.step_with_status("retried-and-failed", &record, 502).await;
    assert!(!b.text("failure-message").await.is_empty());
    // A record that is not there: the error page.
    b.goto("/provisioning/no-such-record").await;
    b.step_with_status("not-found", "/provisioning/no-such-record", 404).await;
    assert_eq!(b.attr("error-page", "data-status").await, "404");
    // Receipts that expire at once: the demo TR refuses them (HTTP 410) and
    // offers the way back; the portal then says nothing was added.
    pushed_directly(&mut b, &app, "0807", false).await;
    b.step("hand-off", "/provisioning/").await;
    let record = b.path().await;
    continue_to_tr(&mut b).await;
    b.fill("tr-name-input", "Quinn").await;
    b.click("tr-sign-in").await;
    b.step_with_status("tr-refused", "/sandbox/tr/journeys/", 410).await;
    b.click("tr-return").await;
    b.step("back-after-refusal", &record).await;
    b.finish().await;
}
