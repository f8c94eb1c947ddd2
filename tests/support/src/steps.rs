//! Steps of the journey as a browser takes them, shared by the journey,
//! security and leak tests.

use scraper::{Html, Selector};

use crate::helpers::{Engine, TestApp, catalogue_loaded, location, spawn_app_with};

pub const WALLET: &str = "50100000001";
pub const MERCHANT: &str = "50100000002";
pub const DEBIT_ONLY: &str = "50100000004";

/// The app with its sandbox, the catalogue loaded from it.
pub async fn journey_app(engine: Engine, customise: impl FnOnce(&mut pushprov::config::Settings)) -> TestApp {
    let app = spawn_app_with(engine, customise).await;
    catalogue_loaded(&app.store).await;
    app
}

pub async fn sign_in(app: &TestApp, login: &str) {
    let response = app.sign_in(login, &format!("{login}-demo-2026")).await;
    assert_eq!(response.status().as_u16(), 303, "sign-in as {login}");
}

/// The public id of the cardholder's card ending in `last4`.
pub async fn card(app: &TestApp, login: &str, last4: &str) -> String {
    let id = app.store.credentials(&pushprov::domain::Login::parse(login).unwrap()).await.unwrap().unwrap().0;
    let accounts = app.store.funding_accounts(id).await.unwrap();
    accounts.iter().find(|a| a.last4 == last4).unwrap_or_else(|| panic!("{login} has no card ending {last4}")).public_id.clone()
}

pub fn input(html: &str, name: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let selector = Selector::parse(&format!("input[name={name}]")).unwrap();
    doc.select(&selector).next().and_then(|e| e.value().attr("value")).map(str::to_string)
}

/// Review page for `trid` and `cards`, then the push form posted with `password`.
pub async fn push(app: &TestApp, trid: &str, cards: &[&str], password: &str) -> reqwest::Response {
    let cards = cards.join(",");
    let (status, html) = app.get_html(&format!("/add/review?tr={trid}&cards={cards}")).await;
    assert_eq!(status, 200, "{html}");
    let form = push_form(&html, trid, &cards, "password", password);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form("/add/push", &form).await
}

/// The push form of the review page `html` (its CSRF token and submission id) for `trid` and
/// `cards` (comma-separated), confirmed with `secret` in `field` (`password` or `code`).
pub fn push_form<'a>(html: &str, trid: &str, cards: &str, field: &'a str, secret: &str) -> Vec<(&'a str, String)> {
    vec![
        ("csrf_token", input(html, "csrf_token").expect("csrf_token on the review page")),
        ("submission_id", input(html, "submission_id").expect("submission_id on the review page")),
        ("tr", trid.to_string()),
        ("cards", cards.to_string()),
        (field, secret.to_string()),
    ]
}

/// Pushes and returns the record's id (its page's path).
pub async fn pushed(app: &TestApp, login: &str, trid: &str, cards: &[&str]) -> String {
    let response = push(app, trid, cards, &format!("{login}-demo-2026")).await;
    assert_eq!(response.status().as_u16(), 303, "{}", response.text().await.unwrap());
    location(&response)
}

/// Quinn signed in, with the card ending `last4` pushed to the Sandbox Wallet: the record's
/// path.
pub async fn quinn_pushed(app: &TestApp, last4: &str) -> String {
    sign_in(app, "quinn").await;
    let card = card(app, "quinn", last4).await;
    pushed(app, "quinn", WALLET, &[&card]).await
}

/// "Continue to …": the TR URL the browser is sent to.
pub async fn continue_to_tr(app: &TestApp, record: &str) -> String {
    let response = app.get(&format!("{record}/continue")).await;
    assert_eq!(response.status().as_u16(), 303);
    let to = location(&response);
    assert!(to.starts_with(&format!("{}/sandbox/tr/", app.address)), "hand-off only to the TR's URI from MDES: {to}");
    to
}

pub fn form_action(html: &str) -> String {
    let doc = Html::parse_document(html);
    let selector = Selector::parse("form").unwrap();
    doc.select(&selector).next().and_then(|f| f.value().attr("action")).expect("a form").to_string()
}

/// At the demo TR: sign in, then `step` (accept, decline, cancel). Returns
/// where the TR sends the browser (the callback URL with its report).
pub async fn at_tr(app: &TestApp, tr_url: &str, step: &str) -> String {
    let page = app.client.get(tr_url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let action = form_action(&page.text().await.unwrap());
    let terms = app.client.post(app.url(&action)).form(&[("step", "sign_in"), ("name", "Quinn")]).send().await.unwrap();
    assert_eq!(terms.status().as_u16(), 200);
    let action = form_action(&terms.text().await.unwrap());
    let back = app.client.post(app.url(&action)).form(&[("step", step)]).send().await.unwrap();
    assert_eq!(back.status().as_u16(), 303);
    let to = location(&back);
    assert!(to.starts_with(&format!("{}/provisioning/return/", app.address)), "{to}");
    to
}

/// The browser arrives at the callback URL; returns the record page path.
pub async fn come_back(app: &TestApp, callback: &str) -> String {
    let response = app.client.get(callback).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303, "{}", response.text().await.unwrap());
    location(&response)
}

/// The record page's outcome codes, polled until `done` holds (token
/// events from the sandbox arrive asynchronously).
pub async fn outcomes_until(app: &TestApp, record: &str, done: impl Fn(&[String]) -> bool) -> (Vec<String>, String) {
    crate::wait::until_ok("the outcomes to change", async || {
        let (_, html) = app.get_html(record).await;
        let doc = Html::parse_document(&html);
        let selector = Selector::parse("[data-testid=outcome]").unwrap();
        let codes: Vec<String> =
            doc.select(&selector).filter_map(|e| e.value().attr("data-outcome")).map(str::to_string).collect();
        if done(&codes) { Ok((codes, html)) } else { Err(codes) }
    })
    .await
}

pub fn view(html: &str) -> String {
    let doc = Html::parse_document(html);
    let selector = Selector::parse("[data-testid=provisioning]").unwrap();
    doc.select(&selector).next().and_then(|e| e.value().attr("data-view")).unwrap_or_default().to_string()
}

pub async fn record_of(app: &TestApp, record_path: &str) -> pushprov::store::ProvisioningRecord {
    let id = record_path.trim_start_matches("/provisioning/");
    app.store.provisioning(id).await.unwrap().unwrap()
}

/// The `callbackURL` a hand-off URL carries to the TR.
pub fn callback_of(tr_url: &str) -> String {
    reqwest::Url::parse(tr_url).unwrap().query_pairs().find(|(k, _)| k == "callbackURL").unwrap().1.to_string()
}

/// Quinn signed in, the approved test card pushed to the wallet and handed
/// off: the record's path and the TR URL.
pub async fn quinn_handed_off(app: &TestApp) -> (String, String) {
    let record = quinn_pushed(app, "0105").await;
    let tr_url = continue_to_tr(app, &record).await;
    (record, tr_url)
}

/// A record `rec{n}` of a push of `card` (a public id) by `cardholder_id` to
/// the sandbox wallet, as stored before its answer came back (`token-{n}`,
/// `sub-{n}`, `req-{n}`; account `PA{n}`).
pub async fn stored_before_its_answer(
    store: &pushprov::store::Store,
    cardholder_id: i64,
    card: &str,
    n: usize,
) -> pushprov::store::ProvisioningRecord {
    let accounts = [(format!("PA{n}"), card.to_string())];
    let (id, callback_token, submission_id, request_id) =
        (format!("rec{n}"), format!("token-{n}"), format!("sub-{n}"), format!("req-{n}"));
    store
        .insert_provisioning(&pushprov::store::NewProvisioning {
            id: &id,
            callback_token: &callback_token,
            submission_id: &submission_id,
            cardholder_id,
            trid: WALLET,
            tr_name: "Sandbox Wallet",
            request_id: &request_id,
            locale: "en_US",
            holder_data_supplied: false,
            step_up_binding: "binding",
            accounts: &accounts,
        })
        .await
        .expect("insert the record");
    store.provisioning(&id).await.expect("read the record").expect("the record")
}

/// The review page's push form as the `n`th of many parallel submissions:
/// its own submission id, `secret` in `field` (`password` or `code`).
pub fn numbered_push_form(html: &str, field: &str, secret: &str, n: usize) -> Vec<(String, String)> {
    vec![
        ("csrf_token".into(), input(html, "csrf_token").expect("csrf_token on the review page")),
        ("submission_id".into(), format!("{n:032x}")),
        ("tr".into(), input(html, "tr").expect("tr on the review page")),
        ("cards".into(), input(html, "cards").expect("cards on the review page")),
        (field.into(), secret.into()),
    ]
}
