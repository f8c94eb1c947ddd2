//! Two portal instances on one PostgreSQL database and one standalone
//! sandbox, behind a switch the test controls: the journey starts on A, the
//! return and the confirmation are served by B.

use pushprov::startup::Application;
use pushprov::store::Store;

use crate::{Browser, World, alice_card, catalogue_loaded, world};

/// Instances A and B started on the shared database (in turn: A migrates
/// and loads the demo data, B finds them), the switch sending everything to
/// A, Alice signed in and at the review of her card ending 4792: A's and
/// B's addresses, the store, her browser and the form to push.
async fn alice_at_review_on_a(world: &World) -> (String, String, Store, Browser, Vec<(String, String)>) {
    let a = Application::build(world.base.clone()).await.expect("instance A");
    let b = Application::build(world.base.clone()).await.expect("instance B");
    let (a_url, b_url) = (format!("http://127.0.0.1:{}", a.port()), format!("http://127.0.0.1:{}", b.port()));
    let store = a.store();
    tokio::spawn(a.run_until_stopped());
    tokio::spawn(b.run_until_stopped());
    catalogue_loaded(&store).await;
    let card = alice_card(&store, "4792").await;
    let browser = Browser::new(world);
    world.portal.route_to(&a_url);
    browser.sign_in("alice").await;
    let form = browser.review_form(&card).await;
    (a_url, b_url, store, browser, form)
}

#[tokio::test]
async fn a_journey_started_on_a_finishes_on_b() {
    let world = world().await;
    let (a_url, b_url, _store, browser, form) = alice_at_review_on_a(&world).await;
    let pushed = browser.post_push(&form).await.unwrap();
    assert_eq!(pushed.status().as_u16(), 303);
    let record = crate::location(&pushed);
    let callback = browser.to_tr_and_accept(&record).await;

    // From here every request reaches B: the session (server-side, in the
    // shared database), the record and the token events are all there.
    world.portal.route_to(&b_url);
    let page = browser.come_back(&callback).await;
    assert_eq!(page, record);
    let html = browser.until_added(&record).await;
    assert!(html.contains(r#"data-outcome="added""#) && html.contains("Sandbox Wallet"), "{html}");

    assert!(world.portal.served("/add/push").iter().all(|t| *t == a_url), "the push was served by A");
    assert_eq!(world.portal.served("/provisioning/return/"), [b_url.as_str()], "the return was served by B");
    let confirmations = world.portal.served_exactly(&record);
    assert!(!confirmations.is_empty() && confirmations.iter().all(|t| *t == b_url), "the confirmation was served by B");
    // Token events, sent by the sandbox after the TR accepted, went through
    // the switch too and were stored for whichever instance serves the page.
    assert_eq!(world.sandbox.distinct_pushes(), 1, "one push for one journey");

    // Sign-out on B ends the session on A too (the rows are shared): the
    // old cookie, replayed to A, is signed in no more.
    let cookie = browser.cookie_header();
    let replay = || async {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/cards", browser.portal))
            .header("cookie", cookie.clone())
            .send()
            .await
            .unwrap()
    };
    world.portal.route_to(&a_url);
    assert_eq!(replay().await.status().as_u16(), 200, "the session works on A");
    world.portal.route_to(&b_url);
    let (_, cards) = browser.page("/cards").await;
    let csrf = crate::input(&cards, "csrf_token").expect("a sign-out form on /cards");
    let out =
        browser.client.post(format!("{}/logout", browser.portal)).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
    assert_eq!(out.status().as_u16(), 303);
    world.portal.route_to(&a_url);
    let after = replay().await;
    assert_eq!(after.status().as_u16(), 303, "signed out on A as well");
    assert!(crate::location(&after).starts_with("/login"), "{}", crate::location(&after));
}

/// A signed token event POSTed through the switch.
async fn post_event(world: &crate::World, receipt: &str, event_id: &str, status: &str, at: &str) -> u16 {
    let event = crate::helpers::token_event(event_id, receipt, status, at);
    let url = format!("{}/token-events", world.portal.url);
    crate::helpers::post_token_event(
        &reqwest::Client::new(),
        &url,
        world.dir.path(),
        &event,
        pushprov::clock::Clock::system().now_unix(),
    )
    .await
}

/// Token events on two instances: one arrives (at B) before the push's
/// answer is stored (by A), the same event again (at A), and an older one
/// late (at B). The page shows the latest by `occurredAt`, once.
#[tokio::test]
async fn token_events_early_twice_and_late_on_either_instance() {
    let world = world().await;
    let (a_url, b_url, store, browser, form) = alice_at_review_on_a(&world).await;

    // MDES has answered the push, the answer has not reached A yet.
    world.sandbox.hold_answers(true);
    let post = browser.post_push_in_background(&form);
    let receipt =
        crate::wait::until_ok("MDES to issue a receipt", async || world.sandbox.receipts().first().cloned().ok_or("none")).await;
    world.portal.route_to(&b_url);
    assert_eq!(post_event(&world, &receipt, "ev-1", "ACTIVE", "2026-11-26T10:00:02Z").await, 200, "early, at B");
    world.portal.route_to(&a_url);
    assert_eq!(post_event(&world, &receipt, "ev-1", "ACTIVE", "2026-11-26T10:00:02Z").await, 200, "twice, at A");
    let record = store
        .provisionings_of(store.credentials(&pushprov::domain::Login::parse("alice").unwrap()).await.unwrap().unwrap().0)
        .await
        .unwrap();
    assert_eq!(record[0].state, pushprov::domain::ProvisioningState::Created, "the answer is not stored yet");
    world.sandbox.hold_answers(false);
    let pushed = post.await.unwrap().unwrap();
    assert_eq!(pushed.status().as_u16(), 303);
    let path = crate::location(&pushed);
    world.portal.route_to(&b_url);
    assert_eq!(post_event(&world, &receipt, "ev-0", "INACTIVE", "2026-11-26T10:00:01Z").await, 200, "late, at B");

    // The cardholder cancels at the TR (no event from it) and comes back to A:
    // the events tell the truth, the TR's word does not override them.
    let tr_url = browser.continue_to_tr(&path).await;
    let callback = browser.at_tr(&tr_url, "cancel").await;
    world.portal.route_to(&a_url);
    assert_eq!(browser.come_back(&callback).await, path);
    let (_, html) = browser.page(&path).await;
    assert_eq!(crate::record_view(&html).1, ["added"], "{html}");
}
