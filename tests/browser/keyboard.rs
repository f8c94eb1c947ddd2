//! The approved journey with the keyboard only: Tab to move, Enter to follow
//! links and submit, Space to tick a box and press buttons. No click, no
//! mouse; at every stop the focus must be visible (on screen, matching
//! `:focus-visible`, drawn with an outline).

use fantoccini::key::Key;
use serde_json::json;

use crate::driver::{Browser, testid};
use crate::journeys::{WALLET, WALLET_NAME, card_choice, portal, refresh_until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_with_the_keyboard_only() {
    let app = portal(|_| {}).await;
    let mut b = Browser::start("keyboard-only", &app.address).await;
    b.goto("/").await;
    b.step("sign-in", "/login").await;

    // The first Tab reaches the skip link, shown when focused; Enter moves
    // the focus to the main content.
    b.tab_to(&testid("skip-link")).await;
    b.screenshot("skip-link-focused").await;
    b.press(Key::Enter).await;
    let focused = b.client.execute("return document.activeElement.id;", vec![]).await.unwrap();
    assert_eq!(focused, json!("main"), "the skip link moves the focus to the main content");

    b.tab_to(&testid("login-input")).await;
    b.type_keys("quinn").await;
    b.tab_to(&testid("password-input")).await;
    b.type_keys("quinn-demo-2026").await;
    b.screenshot("sign-in-typed").await;
    b.press_to_navigate(Key::Enter).await;
    b.step("my-cards", "/cards").await;

    b.tab_to(&testid("add-to-wallet")).await;
    b.screenshot("add-to-wallet-focused").await;
    b.press_to_navigate(Key::Enter).await;
    b.step("add-intro", "/add").await;

    b.tab_to(&testid("start-with-cards")).await;
    b.press_to_navigate(Key::Enter).await;
    b.step("choose-cards", "/add/cards").await;

    b.tab_to(&card_choice("0105")).await;
    b.press(Key::Space).await;
    assert!(b.find(&card_choice("0105")).await.is_selected().await.unwrap(), "Space ticks the card");
    b.screenshot("card-ticked").await;
    b.tab_to(&testid("cards-continue")).await;
    b.press_to_navigate(Key::Enter).await;
    b.step("choose-requestor", "/add/requestors?").await;

    b.tab_to(&format!("[data-testid=tr][data-trid=\"{WALLET}\"] {}", testid("tr-name"))).await;
    b.press_to_navigate(Key::Enter).await;
    b.step("review", "/add/review?").await;

    b.tab_to(&testid("step-up-password")).await;
    b.type_keys("quinn-demo-2026").await;
    b.tab_to(&testid("push-submit")).await;
    b.screenshot("confirm-focused").await;
    b.press_to_navigate(Key::Space).await;
    b.step("hand-off", "/provisioning/").await;
    assert_eq!(b.attr("provisioning", "data-view").await, "hand-off");
    let record = b.path().await;

    b.tab_to(&testid("continue-to-tr")).await;
    b.screenshot("continue-focused").await;
    b.press_to_navigate(Key::Enter).await;
    b.step("tr-sign-in", &format!("/sandbox/tr/{WALLET}/push?")).await;

    b.tab_to(&testid("tr-name-input")).await;
    b.type_keys("Quinn").await;
    b.press_to_navigate(Key::Enter).await;
    b.step("tr-terms", "/sandbox/tr/journeys/").await;

    b.tab_to(&testid("tr-accept")).await;
    b.screenshot("accept-focused").await;
    b.press_to_navigate(Key::Space).await;
    b.step("back-at-the-bank", &record).await;

    refresh_until(&mut b, &record, "added", true).await;
    assert!(b.text("outcome-label").await.contains(WALLET_NAME), "added to this TR");
    b.finish().await;
}
