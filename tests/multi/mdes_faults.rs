//! MDES timing out, answering 5xx, or refusing connections, at each call
//! the portal makes: getEligibleTokenRequestors, getAsset,
//! pushMultipleAccounts. The cardholder gets a clear page, the record a
//! defined state, and a retry never pushes twice (pushes counted by
//! requestId at the stand-in in front of the sandbox).

use pushprov::domain::ProvisioningState;
use pushprov::startup::Application;

use crate::proxy::Fault;
use crate::{Browser, World, alice_card, record_view, world};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Timeout,
    ServerError,
    Refused,
}

const KINDS: [Kind; 3] = [Kind::Timeout, Kind::ServerError, Kind::Refused];

async fn inject(world: &World, op: &str, kind: Kind) {
    match kind {
        Kind::Timeout => world.sandbox.fault(op, Some(Fault::Hang)),
        Kind::ServerError => world.sandbox.fault(op, Some(Fault::Status(503))),
        // Callers keep no idle connection to the proxy: the next call opens
        // a new one and meets the refusal.
        Kind::Refused => world.sandbox.close().await,
    }
}

async fn heal(world: &World, kind: Kind) {
    world.sandbox.fault("", None);
    if let Kind::Refused = kind {
        world.sandbox.reopen().await;
    }
}

#[tokio::test]
async fn mdes_timeout_5xx_and_refusal_at_each_call() {
    let mut world = world().await;
    // Reads are retried `mdes.retries` times; none here keeps the test short.
    world.base.mdes.retries = 0;
    world.base.catalog.scheduled = false;
    let app = Application::build(world.base.clone()).await.unwrap();
    world.portal.route_to(&format!("http://127.0.0.1:{}", app.port()));
    let store = app.store();
    tokio::spawn(app.run_until_stopped());
    // The catalogue's calls with a short timeout (one timeout per logo).
    let mut quick = world.base.clone();
    quick.mdes.request_timeout_ms = 400;
    let client = pushprov::startup::mdes_client(&quick).unwrap();
    let refresh = || pushprov::catalog::refresh(&store, &client, &world.base.catalog, "test");

    // getEligibleTokenRequestors fails: nothing is stored, nothing wiped.
    for kind in KINDS {
        inject(&world, "getEligibleTokenRequestors", kind).await;
        assert!(refresh().await.is_err(), "{kind:?}: the refresh fails");
        assert!(store.token_requestors().await.unwrap().is_empty(), "{kind:?}");
        heal(&world, kind).await;
    }
    // getAsset fails: the TRs are stored (with the placeholder logo), the
    // logo is fetched by the next refresh.
    for kind in [Kind::Timeout, Kind::ServerError] {
        inject(&world, "/asset/", kind).await;
        refresh().await.unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        let trs = store.token_requestors().await.unwrap();
        assert!(!trs.is_empty(), "{kind:?}: TRs stored without their logos");
        let asset = trs.iter().find_map(|t| t.image_asset_id.clone()).expect("an asset id");
        assert!(!store.has_logo(&asset).await.unwrap(), "{kind:?}");
        heal(&world, kind).await;
    }
    // getAsset refused: one port serves both calls, so the refusal is shown
    // on the call itself (the refresh treats every getAsset error alike, as
    // the timeout and 5xx above show): a typed error, nothing stored.
    let asset = store.token_requestors().await.unwrap().iter().find_map(|t| t.image_asset_id.clone()).unwrap();
    inject(&world, "", Kind::Refused).await;
    let fresh = pushprov::startup::mdes_client(&quick).unwrap();
    let refused = fresh.get_asset(&asset).await;
    assert!(matches!(refused, Err(pushprov::mdes::MdesClientError::Connect)), "{refused:?}");
    heal(&world, Kind::Refused).await;
    // The next healthy refresh fetches every logo.
    refresh().await.unwrap();
    for tr in store.token_requestors().await.unwrap().iter() {
        if let Some(asset) = &tr.image_asset_id {
            assert!(store.has_logo(asset).await.unwrap(), "logo {asset} fetched once MDES answers");
        }
    }

    // pushMultipleAccounts fails: a clear page, the record `PushFailed`,
    // "Try again" resends the same requestId: one push per record.
    let card = alice_card(&store, "4792").await;
    let browser = Browser::new(&world);
    browser.sign_in("alice").await;
    for (kind, reason) in [(Kind::Timeout, "TIMEOUT"), (Kind::ServerError, "HTTP_ERROR"), (Kind::Refused, "UNREACHABLE")] {
        let before = world.sandbox.pushes().len();
        let form = browser.review_form(&card).await;
        inject(&world, "pushMultipleAccounts", kind).await;
        let pushed = browser.post_push(&form).await.unwrap();
        assert_eq!(pushed.status().as_u16(), 303, "{kind:?}");
        let path = crate::location(&pushed);
        heal(&world, kind).await;
        let (status, html) = browser.page(&path).await;
        assert_eq!((status, record_view(&html).0.as_str()), (502, "failed"), "{kind:?}: {html}");
        assert!(html.contains("data-testid=\"failure-message\""), "{kind:?}: a message for the cardholder");
        let id = path.trim_start_matches("/provisioning/");
        let record = store.provisioning(id).await.unwrap().unwrap();
        assert_eq!(record.state, ProvisioningState::PushFailed, "{kind:?}");
        assert_eq!(record.error_reason.as_deref(), Some(reason), "{kind:?}");
        assert!(html.contains("data-testid=\"retry\""), "{kind:?}: retry offered");
        let retried = browser.record_action(&path, &html, "retry").await;
        assert_eq!(retried.status().as_u16(), 303, "{kind:?}");
        let (_, html) = browser.page(&path).await;
        assert_eq!(record_view(&html).0, "hand-off", "{kind:?}: pushed on retry");
        let sent: Vec<String> = world.sandbox.pushes()[before..].to_vec();
        assert!(
            !sent.is_empty() && sent.iter().all(|r| *r == record.request_id),
            "{kind:?}: only the record's requestId: {sent:?}"
        );
    }
}
