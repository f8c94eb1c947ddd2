//! Issue 15: Token Connect as Mastercard may answer — the journey at the
//! sandbox's spec-minimal and hostile token requestors (QA cardholder's
//! own card, ending 8017), app links, no signature, the proprietary path,
//! and a push whose answer never came.

use std::sync::Arc;

use pushprov::sandbox::data::trid;
use sha2::Digest;

use crate::helpers::{Engine, TestApp, location, start_second_client};
use crate::on_both_engines;
use crate::steps::*;

const QA_CARD: &str = "8017";

on_both_engines!(the_journey_completes_at_every_spec_minimal_token_requestor);

/// `supportedPushMethods` only (no URIs, no logo), app links, no signature,
/// hostile names: each one pushed, handed off, accepted, confirmed.
async fn the_journey_completes_at_every_spec_minimal_token_requestor(engine: Engine) {
    let app = journey_app(engine, |_| {}).await;
    let lite = app.store.token_requestor(trid::LITE).await.unwrap().expect("the spec-minimal TR is in the catalogue");
    assert!(lite.available_push_methods.is_empty() && lite.image_asset_id.is_none(), "no URIs, no logo: {lite:?}");
    assert!(lite.supports_token_connect.is_none() && lite.supported_account_holder_data.is_empty());
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", QA_CARD).await;
    for tr in [trid::LITE, trid::APP_LINKS, trid::NO_SIGNATURE, trid::HOSTILE] {
        let record = pushed(&app, "quinn", tr, &[&card]).await;
        let tr_url = continue_to_tr(&app, &record).await;
        assert!(
            tr_url.starts_with(&format!("{}/sandbox/tr/{tr}/push?", app.address)),
            "the WEB URI of the push answer: {tr_url}"
        );
        assert_eq!(tr_url.contains("signature"), tr != trid::NO_SIGNATURE, "{tr_url}");
        assert!(!tr_url.contains("signature=&") && !tr_url.ends_with("signature="), "never an empty signature: {tr_url}");
        if tr == trid::LITE {
            // It accepts no holder data: none sent, and the flag says so.
            assert!(tr_url.contains("accountHolderDataSupplied=false"), "{tr_url}");
            assert!(!record_of(&app, &record).await.holder_data_supplied);
        }
        let callback = at_tr(&app, &tr_url, "accept").await;
        let back = come_back(&app, &callback).await;
        outcomes_until(&app, &back, |codes| codes == ["added"]).await;
    }
}

/// The sandbox's QA-range answer carries an `errors` array and two
/// malformed entries beside the good TRs: the catalogue keeps every good
/// one and skips the two, and the portal's own client reads it so.
#[tokio::test]
async fn errors_and_malformed_entries_beside_good_trs_cost_nothing() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let stored: Vec<String> = app.store.token_requestors().await.unwrap().iter().map(|t| t.token_requestor_id.clone()).collect();
    assert_eq!(stored.len(), 10, "{stored:?}");
    assert!(!stored.iter().any(|t| t == "50100000099"), "the malformed entry is skipped");
    let mut settings = app.settings.clone();
    settings.server.port = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let client = pushprov::startup::mdes_client(&settings).unwrap();
    let answer = client.get_eligible_token_requestors(&[pushprov::demo::QA_RANGE.to_string()]).await.unwrap();
    assert_eq!(answer.errors.len(), 1);
    assert_eq!(answer.token_requestors.len(), 6, "the six good QA TRs, the two malformed left out");
}

/// The demo cardholders never meet the hostile or spec-minimal TRs; Quinn's
/// QA card sees them all.
#[tokio::test]
async fn hostile_and_spec_minimal_token_requestors_serve_only_the_qa_card() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let qa_only = [trid::HOSTILE, trid::LITE, trid::APP_LINKS, trid::NO_SIGNATURE, trid::PROPRIETARY, trid::BROKEN_LINK];
    for login in ["alice", "bruno"] {
        let client = start_second_client(&app);
        sign_in(&client, login).await;
        let (_, html) = client.get_html("/add/requestors").await;
        assert!(html.contains(&format!("data-trid=\"{}\"", trid::WALLET)), "{login} sees the wallet");
        for tr in qa_only {
            assert!(!html.contains(&format!("data-trid=\"{tr}\"")), "{login} must not see {tr}");
        }
    }
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", QA_CARD).await;
    let (_, html) = app.get_html(&format!("/add/requestors?cards={card}")).await;
    for tr in qa_only {
        assert!(html.contains(&format!("data-trid=\"{tr}\"")), "Quinn's QA card sees {tr}");
    }
}

/// A client like `app`'s, with a phone's User-Agent.
fn phone(app: &TestApp, user_agent: &str) -> TestApp {
    let mut phone = start_second_client(app);
    let jar = Arc::new(reqwest::cookie::Jar::default());
    phone.client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar.clone())
        .user_agent(user_agent)
        .build()
        .unwrap();
    phone.cookies = jar;
    phone
}

/// Item 2: on a phone the hand-off goes to the TR's app link or custom
/// scheme, with the query before an `intent://` fragment.
#[tokio::test]
async fn app_links_and_custom_schemes_are_handed_off_on_phones() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    let android = phone(&app, "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile");
    let iphone = phone(&app, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15");
    for (device, expected_start, expected_end) in [
        (
            &android,
            "intent://push?pushAccountReceipts=MCC-",
            "#Intent;scheme=sandboxwallet;package=com.example.sandboxwallet;end",
        ),
        (&iphone, "sandboxwallet://push?pushAccountReceipts=MCC-", ""),
    ] {
        sign_in(device, "quinn").await;
        let card = card(device, "quinn", QA_CARD).await;
        let record = pushed(device, "quinn", trid::APP_LINKS, &[&card]).await;
        let response = device.get(&format!("{record}/continue")).await;
        assert_eq!(response.status().as_u16(), 303);
        let to = location(&response);
        assert!(to.starts_with(expected_start) && to.ends_with(expected_end), "{to}");
        assert!(to.contains("&signature="), "{to}");
    }
}

/// Item 1: a push answer with no usable URI for the device (here only a
/// `javascript:` one) is a clear failure page, and the record says why.
#[tokio::test]
async fn a_push_answer_without_a_usable_uri_is_a_clear_failure() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", QA_CARD).await;
    let record = pushed(&app, "quinn", trid::BROKEN_LINK, &[&card]).await;
    let (status, html) = app.get_html(&record).await;
    assert_eq!((status, view(&html).as_str()), (502, "failed"));
    let problem = crate::helpers::attrs_by_testid(&html, "failure-message", "data-problem");
    assert_eq!(problem, ["no-push-method"], "can't be reached from this device");
    assert!(!html.contains("javascript:"), "the URI is never shown or linked");
    let stored = record_of(&app, &record).await;
    assert_eq!(stored.error_reason.as_deref(), Some("NO_PUSH_METHOD"));
    assert_eq!(
        app.get(&format!("{record}/continue")).await.status().as_u16(),
        303,
        "continue leads back to the page, not to the URI"
    );
    assert_eq!(location(&app.get(&format!("{record}/continue")).await), record);
}

/// Item 11: for a TR the bank lists (a proprietary agreement) that supports
/// it, the push asks for `issuerInitiatedDigitizationData` and the template
/// hands it over; otherwise the parameter is left out.
#[tokio::test]
async fn issuer_initiated_digitization_data_when_the_bank_asks_for_it() {
    let template = "{uri}{sep}pushAccountReceipts={pushAccountReceipts}&callbackURL={callbackURL}&signature={signature}\
                    &iidd={issuerInitiatedDigitizationData}";
    for asked in [true, false] {
        let app = journey_app(Engine::Sqlite, |s| {
            s.provisioning.uri_templates.insert(trid::PROPRIETARY.into(), template.into());
            if asked {
                s.provisioning.digitization_data_for = vec![trid::PROPRIETARY.into()];
            }
        })
        .await;
        sign_in(&app, "quinn").await;
        let card = card(&app, "quinn", QA_CARD).await;
        let record = pushed(&app, "quinn", trid::PROPRIETARY, &[&card]).await;
        let tr_url = continue_to_tr(&app, &record).await;
        let receipt = record_of(&app, &record).await.accounts[0].receipt.clone().unwrap();
        let iidd: Vec<String> = reqwest::Url::parse(&tr_url)
            .unwrap()
            .query_pairs()
            .filter(|(k, _)| k == "iidd")
            .map(|(_, v)| v.to_string())
            .collect();
        if asked {
            assert_eq!(iidd.len(), 1, "{tr_url}");
            use base64::Engine as _;
            let decoded = base64::engine::general_purpose::STANDARD.decode(&iidd[0]).unwrap();
            assert!(String::from_utf8(decoded).unwrap().contains(&receipt), "the data names the receipt");
        } else {
            assert!(iidd.is_empty() && !tr_url.contains("iidd="), "not asked, not sent: {tr_url}");
        }
        let back = come_back(&app, &at_tr(&app, &tr_url, "accept").await).await;
        outcomes_until(&app, &back, |codes| codes == ["added"]).await;
    }
}

on_both_engines!(an_interrupted_push_waits_for_the_cardholder);

/// Item 6: a record still `Created` after the longest a push can take (its
/// instance died mid-push) is never pushed by opening a page: "we could
/// not confirm" and *Send again*, which only the session that stepped up
/// may use — with a new requestId by default.
async fn an_interrupted_push_waits_for_the_cardholder(engine: Engine) {
    let app = journey_app(engine, |s| {
        // A push deadline of 4 s.
        s.mdes.connect_timeout_ms = 100;
        s.mdes.request_timeout_ms = 1000;
        s.mdes.retry_backoff_ms = 0;
    })
    .await;
    sign_in(&app, "quinn").await;
    let quinn = app.store.credentials(&pushprov::domain::Login::parse("quinn").unwrap()).await.unwrap().unwrap().0;
    let card = card(&app, "quinn", "0105").await;
    // What a push that died leaves: the record, bound to this session's
    // step-up, and no answer.
    let csrf = app.csrf_token("/cards").await;
    let binding = hex::encode(sha2::Sha256::digest(csrf.as_bytes()));
    let accounts = [("PA1".to_string(), card)];
    app.store
        .insert_provisioning(&pushprov::store::NewProvisioning {
            id: "interrupted1",
            callback_token: "cut-off-token",
            submission_id: "0123456789abcdef0123456789abcdef",
            cardholder_id: quinn,
            trid: WALLET,
            tr_name: "Sandbox Wallet",
            request_id: "req-cut-off",
            locale: "en_US",
            holder_data_supplied: true,
            step_up_binding: &binding,
            accounts: &accounts,
        })
        .await
        .unwrap();
    let path = "/provisioning/interrupted1";
    let (status, html) = app.get_html(path).await;
    assert_eq!((status, view(&html).as_str()), (200, "in-progress"));
    // No answer yet is not "could not be sent".
    assert!(html.contains("data-outcome=\"sending\"") && !html.contains("data-testid=\"outcome-problem\""), "{html}");
    // Past the push deadline (4 s).
    app.clock.advance(5);
    for _ in 0..3 {
        let (status, html) = app.get_html(path).await;
        assert_eq!((status, view(&html).as_str()), (200, "unconfirmed"), "{html}");
        assert!(html.contains("data-testid=\"send-again\""));
    }
    // Continue on it leads to its page (Send again), not "still sending".
    let continued = app.get(&format!("{path}/continue")).await;
    assert_eq!((continued.status().as_u16(), location(&continued)), (303, path.to_string()));
    let untouched = record_of(&app, path).await;
    assert_eq!((untouched.push_count, untouched.state), (1, pushprov::domain::ProvisioningState::Created), "pages never push");

    // Another session (the same cardholder) is sent to confirm again.
    let other = start_second_client(&app);
    sign_in(&other, "quinn").await;
    let token = other.csrf_token(path).await;
    let refused = other.post_form(&format!("{path}/resend"), &[("csrf_token", &token)]).await;
    assert!(location(&refused).starts_with("/add/review?"), "{}", location(&refused));
    assert_eq!(record_of(&app, path).await.push_count, 1);

    // The session that stepped up sends it again: a new requestId.
    let resent = app.post_form(&format!("{path}/resend"), &[("csrf_token", &csrf)]).await;
    assert_eq!((resent.status().as_u16(), location(&resent)), (303, path.to_string()));
    let record = record_of(&app, path).await;
    assert_eq!(record.state, pushprov::domain::ProvisioningState::Pushed);
    assert_ne!(record.request_id, "req-cut-off", "a new requestId by default");
    assert_eq!(record.push_count, 2);
    let tr_url = continue_to_tr(&app, path).await;
    assert!(tr_url.contains("cut-off-token"), "the record's one return link");
}
