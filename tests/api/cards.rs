use crate::helpers::{Engine, attrs_by_testid, demo_numbers, spawn_app, texts_by_testid};
use crate::on_both_engines;

on_both_engines!(cards_are_listed_masked_with_status);

async fn cards_are_listed_masked_with_status(engine: Engine) {
    let app = spawn_app(engine).await;
    app.sign_in_as_alice().await;
    let (status, html) = app.get_html("/cards").await;
    assert_eq!(status, 200);
    let numbers = attrs_by_testid(&html, "card-number", "data-last4");
    assert_eq!(numbers, ["4792", "4175", "2316", "4566", "8761", "4567"], "alice's six accounts, last four digits only");
    for (shown, last4) in texts_by_testid(&html, "card-number").iter().zip(&numbers) {
        assert_eq!(&shown.chars().filter(char::is_ascii_digit).collect::<String>(), last4, "no digit but the last four: {shown}");
    }
    let statuses = attrs_by_testid(&html, "card-status", "data-status");
    assert_eq!(statuses.iter().filter(|s| *s == "expired").count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| *s == "active").count(), 5, "{statuses:?}");
    assert!(texts_by_testid(&html, "card-expiry").contains(&"09/29".to_string()));
    for number in demo_numbers() {
        assert!(!html.contains(number), "full account number {number} in the page");
        // Nor in a spaced or partially grouped form: BIN and last 4 at most.
        assert!(!html.contains(&number[..8]), "more than the last 4 digits of {number} shown");
    }
}

#[tokio::test]
async fn each_cardholder_sees_only_their_own_cards() {
    let app = spawn_app(Engine::Sqlite).await;
    let response = app.sign_in("bruno", "bruno-demo-2026").await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, html) = app.get_html("/cards").await;
    assert_eq!(attrs_by_testid(&html, "card-number", "data-last4"), ["7886", "5506", "0209"]);
}

#[tokio::test]
async fn pages_with_account_data_are_not_cached() {
    let app = spawn_app(Engine::Sqlite).await;
    app.sign_in_as_alice().await;
    let response = app.get("/cards").await;
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
}
