//! The token requestor catalogue against a local MDES stand-in that checks
//! every request's signature (tests/api/mdes_helpers.rs).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use pushprov::catalog::{CatalogSettings, RefreshError, refresh, refresh_if_stale};
use pushprov::store::{Store, Vault};
use serde_json::{Value, json};

use crate::helpers::{Engine, TestApp, attrs_by_testid, location, spawn_app_with, texts_by_testid};
use crate::mdes_helpers::{self as standin, Received, Reply};
use crate::on_both_engines;
use pushprov::domain::TokenRequestor;

const CREDIT: u64 = 5_204_731_600_000_000_000;
const DEBIT: u64 = 5_355_220_100_000_000_000;
const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn tr(trid: &str, name: &str, ranges: &[u64], asset: Option<&str>) -> Value {
    json!({
        "tokenRequestorId": trid,
        "name": "Legal name",
        "consumerFacingEntityName": name,
        "imageAssetId": asset,
        "tokenRequestorType": "WALLET",
        "enabledAccountRanges": ranges,
        "supportedPushMethods": ["WEB"],
        "availablePushMethods": [{"type": "WEB", "uri": "https://tr.example/push"}],
        "supportsMultiplePushedCards": true,
        "supportedAccountHolderData": ["NAME"],
    })
}

fn eligibility(trs: Vec<Value>) -> Reply {
    standin::json(200, json!({"responseId": "r1", "tokenRequestors": trs}))
}

fn png_asset() -> Reply {
    standin::json(200, json!({"mediaContents": [{"type": "image/png", "data": PNG_1X1, "width": "192", "height": "192"}]}))
}

fn is_eligibility(req: &Received) -> bool {
    req.path.ends_with("/getEligibleTokenRequestors")
}

fn asset_id(req: &Received) -> Option<&str> {
    req.path.split("/asset/tokenrequestor/").nth(1)
}

async fn app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |s| s.catalog.scheduled = false).await
}

fn settings() -> CatalogSettings {
    CatalogSettings { scheduled: false, ..CatalogSettings::default() }
}

/// The stored TRIDs, sorted.
async fn trids(store: &Store) -> Vec<String> {
    let mut ids: Vec<String> = store.token_requestors().await.unwrap().iter().map(|t| t.token_requestor_id.clone()).collect();
    ids.sort();
    ids
}

/// An MDES stand-in whose getEligibleTokenRequestors answer is `answer(round)`, where the test
/// moves `round` on; every logo is a PNG.
fn in_rounds(answer: impl Fn(usize) -> Reply + Send + Sync + 'static) -> (standin::StandIn, Arc<AtomicUsize>) {
    let round = Arc::new(AtomicUsize::new(0));
    let now = round.clone();
    let mdes = standin::start(move |req, _| if is_eligibility(req) { answer(now.load(Ordering::SeqCst)) } else { png_asset() });
    (mdes, round)
}

on_both_engines!(
    first_fetch_stores_trs_and_logos,
    failed_refresh_keeps_the_last_good_catalogue,
    lease_keeps_two_instances_from_refreshing_at_once,
    a_malformed_tr_or_errors_beside_trs_cost_nothing_else
);

async fn first_fetch_stores_trs_and_logos(engine: Engine) {
    let app = app(engine).await;
    let mdes = standin::start(|req, _| {
        if is_eligibility(req) {
            eligibility(vec![
                tr("11111111111", "Pay Wallet", &[CREDIT, DEBIT], Some("asset-1")),
                tr("22222222222", "Shop", &[DEBIT], None),
            ])
        } else {
            png_asset()
        }
    });
    let client = standin::client(&mdes.base_url);
    let report = refresh(&app.store, &client, &settings(), "a").await.unwrap();
    assert_eq!(report.added, ["11111111111", "22222222222"]);
    assert_eq!(report.logos_fetched, 1);
    assert_eq!(trids(&app.store).await, ["11111111111", "22222222222"]);
    // The issuer's ranges came from the stored cards, all in one call.
    let sent: Value = serde_json::from_slice(&mdes.received.lock().unwrap()[0].body).unwrap();
    let ranges: Vec<&str> = sent["accountRanges"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(ranges, ["222300001", "510000901", "520473160", "535522010", "987650001"]);
    assert!(mdes.received.lock().unwrap().iter().all(|r| r.signature_ok), "every call signed");
    // The logo is served from our origin, cached for good.
    let logo = app.get("/logos/asset-1").await;
    assert_eq!(logo.status().as_u16(), 200);
    assert_eq!(logo.headers().get("content-type").unwrap(), "image/png");
    assert_eq!(logo.headers().get("cache-control").unwrap(), "public, max-age=31536000, immutable");
    let etag = logo.headers().get("etag").unwrap().to_str().unwrap().to_string();
    let bytes = logo.bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), base64::engine::general_purpose::STANDARD.decode(PNG_1X1).unwrap());
    let again = app.client.get(app.url("/logos/asset-1")).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 304);
    // A logo not fetched (yet): the neutral placeholder, never a broken image.
    let missing = app.get("/logos/no-such-asset").await;
    assert_eq!(missing.status().as_u16(), 303);
    assert!(location(&missing).starts_with("/static/tr-placeholder.svg"), "{}", location(&missing));
}

async fn failed_refresh_keeps_the_last_good_catalogue(engine: Engine) {
    let app = app(engine).await;
    let fail = Arc::new(AtomicBool::new(false));
    let failing = fail.clone();
    let mdes = standin::start(move |req, _| {
        if failing.load(Ordering::SeqCst) {
            standin::json(503, json!({}))
        } else if is_eligibility(req) {
            eligibility(vec![tr("11111111111", "Pay Wallet", &[CREDIT], None)])
        } else {
            png_asset()
        }
    });
    let client = standin::client(&mdes.base_url);
    refresh(&app.store, &client, &settings(), "a").await.unwrap();
    fail.store(true, Ordering::SeqCst);
    let err = refresh(&app.store, &client, &settings(), "a").await.unwrap_err();
    assert!(matches!(err, RefreshError::Mdes(_)), "{err}");
    assert_eq!(trids(&app.store).await, ["11111111111"], "stale beats empty");
    let status = app.store.catalog_status().await.unwrap();
    assert!(status.last_error.is_some() && status.last_success_at.is_some());
    assert!(status.last_attempt_at >= status.last_success_at);
}

#[tokio::test]
async fn a_partial_answer_never_wipes_known_trs() {
    let app = app(Engine::Sqlite).await;
    let calls = Arc::new(Mutex::new(0usize));
    let counter = calls.clone();
    let second_batch_fails = Arc::new(AtomicBool::new(false));
    let fails = second_batch_fails.clone();
    let mdes = standin::start(move |req, _| {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let ranges = body["accountRanges"].as_array().map(Vec::len).unwrap_or(0);
        *counter.lock().unwrap() += 1;
        if fails.load(Ordering::SeqCst) && ranges < 25 {
            return standin::json(500, json!({"errors": [{"source": "MDES", "reasonCode": "SYSTEM_ERROR"}]}));
        }
        eligibility(vec![tr(if ranges == 25 { "11111111111" } else { "22222222222" }, "Wallet", &[CREDIT], None)])
    });
    let client = standin::client(&mdes.base_url);
    // 30 ranges: two calls of at most 25.
    let settings = CatalogSettings { account_ranges: (0..30).map(|i| format!("5204731{i:02}")).collect(), ..settings() };
    refresh(&app.store, &client, &settings, "a").await.unwrap();
    assert_eq!(*calls.lock().unwrap(), 2, "25 + 5 ranges");
    assert_eq!(trids(&app.store).await, ["11111111111", "22222222222"]);
    second_batch_fails.store(true, Ordering::SeqCst);
    assert!(refresh(&app.store, &client, &settings, "a").await.is_err());
    assert_eq!(trids(&app.store).await, ["11111111111", "22222222222"], "first batch alone must not replace");
}

#[tokio::test]
async fn trs_no_longer_returned_leave_at_the_next_successful_refresh() {
    let app = app(Engine::Sqlite).await;
    let (mdes, round) = in_rounds(|n| {
        let mut trs = vec![tr("11111111111", "Stays", &[CREDIT], None)];
        if n == 0 {
            trs.push(tr("22222222222", "Goes", &[CREDIT], None));
        } else {
            trs.push(tr("33333333333", "Arrives", &[CREDIT], None));
        }
        eligibility(trs)
    });
    let client = standin::client(&mdes.base_url);
    refresh(&app.store, &client, &settings(), "a").await.unwrap();
    round.store(1, Ordering::SeqCst);
    let report = refresh(&app.store, &client, &settings(), "a").await.unwrap();
    assert_eq!(report.added, ["33333333333"]);
    assert_eq!(report.removed, ["22222222222"]);
    assert_eq!(report.kept, 1);
    assert_eq!(trids(&app.store).await, ["11111111111", "33333333333"]);
    let printed = report.to_string();
    assert!(printed.contains("1 added, 1 removed, 1 unchanged") && printed.contains("- 22222222222"), "{printed}");
}

/// Pages read the catalogue from memory (it changes only at a refresh): a
/// refresh is seen at once by the instance that made it, and by the others
/// once 5 s have passed (on the app's clock).
#[tokio::test]
async fn the_catalogue_is_read_from_memory_and_a_refresh_elsewhere_shows_within_seconds() {
    let a = app(Engine::Sqlite).await;
    let b = Store::connect(&a.settings.database_url(), 2, Vault::new(&[9u8; 32])).await.unwrap();
    let tr = |id: &str, name: &str| -> TokenRequestor { serde_json::from_value(tr(id, name, &[CREDIT], None)).unwrap() };
    b.replace_token_requestors(&[tr("11111111111", "First")], 1).await.unwrap();
    assert_eq!(trids(&a.store).await, ["11111111111"]);
    b.replace_token_requestors(&[tr("11111111111", "First"), tr("22222222222", "Second")], 2).await.unwrap();
    assert_eq!(trids(&b).await, ["11111111111", "22222222222"], "the refreshing instance sees it at once");
    assert_eq!(trids(&a.store).await, ["11111111111"], "the other serves what it read, without a query");
    assert!(a.store.token_requestor("22222222222").await.unwrap().is_none());
    a.clock.advance(4);
    assert_eq!(trids(&a.store).await, ["11111111111"], "still from memory within 5 s");
    a.clock.advance(1);
    assert_eq!(trids(&a.store).await, ["11111111111", "22222222222"], "the other instance sees the refresh after 5 s");
    assert!(a.store.token_requestor("22222222222").await.unwrap().is_some());
}

#[tokio::test]
async fn only_new_assets_are_fetched() {
    let app = app(Engine::Sqlite).await;
    let (mdes, round) = in_rounds(|n| {
        let mut trs = vec![tr("11111111111", "A", &[CREDIT], Some("asset-a"))];
        if n == 1 {
            trs.push(tr("22222222222", "B", &[CREDIT], Some("asset-b")));
        }
        eligibility(trs)
    });
    let client = standin::client(&mdes.base_url);
    let assets_fetched = |mdes: &standin::StandIn| -> Vec<String> {
        mdes.received.lock().unwrap().iter().filter_map(|r| asset_id(r).map(str::to_string)).collect()
    };
    refresh(&app.store, &client, &settings(), "a").await.unwrap();
    refresh(&app.store, &client, &settings(), "a").await.unwrap();
    assert_eq!(assets_fetched(&mdes), ["asset-a"], "an asset id is fetched once, ever");
    round.store(1, Ordering::SeqCst);
    let report = refresh(&app.store, &client, &settings(), "a").await.unwrap();
    assert_eq!(report.logos_fetched, 1);
    assert_eq!(assets_fetched(&mdes), ["asset-a", "asset-b"]);
}

async fn lease_keeps_two_instances_from_refreshing_at_once(engine: Engine) {
    let a = app(engine).await;
    // Instance B: another process on the same database.
    let b = Store::connect(&a.settings.database_url(), 2, Vault::new(&[9u8; 32])).await.unwrap();
    // MDES answers A's eligibility call only when the test says so: A holds
    // the lease, mid-refresh, for as long as the test needs.
    let (answer, answer_now) = std::sync::mpsc::channel::<()>();
    // (Dropping `answer` lets this and every later call through.)
    let answer_now = Mutex::new(answer_now);
    let mdes = standin::start(move |req, _| {
        if is_eligibility(req) {
            let _ = answer_now.lock().unwrap().recv();
            eligibility(vec![tr("11111111111", "W", &[CREDIT], None)])
        } else {
            png_asset()
        }
    });
    let client = standin::client(&mdes.base_url);
    // (A waits on MDES as long as that takes, without a retry.)
    let patient = pushprov::mdes::MdesSettings { request_timeout_ms: 60_000, ..standin::settings(&mdes.base_url) };
    let (store_a, client_a) = (a.store.clone(), pushprov::mdes::MdesClient::from_settings(&patient).unwrap());
    let first = tokio::spawn(async move { refresh(&store_a, &client_a, &settings(), "instance-a").await });
    // A took the lease before calling MDES.
    crate::wait::until("A to call MDES", async || mdes.hits() == 1).await;
    let second = refresh(&b, &client, &settings(), "instance-b").await;
    assert!(matches!(second, Err(RefreshError::Busy)), "B must not refresh while A holds the lease");
    drop(answer);
    first.await.unwrap().unwrap();
    assert_eq!(mdes.hits(), 1, "only A called MDES");
    // Released when A finished: B may refresh now.
    refresh(&b, &client, &settings(), "instance-b").await.unwrap();
    assert_eq!(mdes.hits(), 2);
}

#[tokio::test]
async fn an_expired_lease_can_be_taken_over() {
    let app = app(Engine::Sqlite).await;
    let now = app.clock.now_unix();
    assert!(app.store.try_take_lease("catalog-refresh", "crashed", now - 400, 300).await.unwrap());
    assert!(app.store.try_take_lease("catalog-refresh", "other", now, 300).await.unwrap(), "held until now-100: expired");
    assert!(!app.store.try_take_lease("catalog-refresh", "third", now, 300).await.unwrap());
}

#[tokio::test]
async fn refreshes_at_start_up_only_when_empty_or_stale() {
    let app = app(Engine::Sqlite).await;
    let mdes = standin::start(|req, _| {
        if is_eligibility(req) { eligibility(vec![tr("11111111111", "W", &[CREDIT], None)]) } else { png_asset() }
    });
    let client = standin::client(&mdes.base_url);
    assert!(refresh_if_stale(&app.store, &client, &settings(), "a").await.unwrap().is_some(), "empty: refresh");
    assert!(refresh_if_stale(&app.store, &client, &settings(), "a").await.unwrap().is_none(), "fresh: no call");
    assert_eq!(mdes.hits(), 1);
    let due = CatalogSettings { refresh_interval_secs: 0, ..settings() };
    assert!(refresh_if_stale(&app.store, &client, &due, "a").await.unwrap().is_some(), "stale: refresh");
}

#[tokio::test]
async fn the_running_portal_refreshes_on_its_schedule() {
    let mdes = standin::start(|req, _| {
        if is_eligibility(req) { eligibility(vec![tr("11111111111", "W", &[CREDIT], None)]) } else { png_asset() }
    });
    let base = mdes.base_url.clone();
    let app = spawn_app_with(Engine::Sqlite, move |s| {
        s.sandbox.enabled = Some(false);
        s.mdes = standin::settings(&base);
    })
    .await;
    crate::helpers::catalogue_loaded(&app.store).await;
    assert_eq!(trids(&app.store).await, ["11111111111"], "refreshed at start-up because it was empty");
}

#[tokio::test]
async fn hostile_mdes_data_is_stored_safely_or_skipped() {
    let app = app(Engine::Sqlite).await;
    let hundred = "W".repeat(100);
    let markup = "<script>alert('x')</script><b>Bold & Co</b>";
    let name_100 = hundred.clone();
    let mdes = standin::start(move |req, _| {
        if let Some(id) = asset_id(req) {
            return match id {
                "svg-with-script" => standin::json(
                    200,
                    json!({"mediaContents": [{"type": "image/svg+xml",
                    "data": base64::engine::general_purpose::STANDARD.encode("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")}]}),
                ),
                "pdf-only" => standin::json(200, json!({"mediaContents": [{"type": "application/pdf", "data": "JVBERi0="}]})),
                "bad-base64" => standin::json(200, json!({"mediaContents": [{"type": "image/png", "data": "%%%not-base64"}]})),
                "huge" => standin::json(
                    200,
                    json!({"mediaContents": [{"type": "image/png",
                    "data": base64::engine::general_purpose::STANDARD.encode(vec![0x89u8; 400 * 1024])}]}),
                ),
                _ => standin::json(200, json!({"mediaContents": []})),
            };
        }
        let mut unknown_enum = tr("44444444444", "Future Pay", &[CREDIT], None);
        unknown_enum["tokenRequestorType"] = json!("SUPER_APP");
        unknown_enum["availablePushMethods"] =
            json!([{"type": "WEB", "uri": "https://tr.example/push"}, {"type": "HOLOGRAM", "uri": "holo://x"}]);
        unknown_enum["someNewField"] = json!({"nested": true});
        // Only what the spec requires.
        let minimal = json!({"tokenRequestorId": "55555555555", "name": "Minimal Ltd", "consumerFacingEntityName": "Minimal",
            "tokenRequestorType": "MERCHANT", "enabledAccountRanges": [CREDIT]});
        eligibility(vec![
            tr("11111111111", &name_100, &[CREDIT], Some("huge")),
            tr("22222222222", markup, &[CREDIT], Some("svg-with-script")),
            tr("22222222222", markup, &[DEBIT], Some("svg-with-script")),
            tr("33333333333", &"X".repeat(101), &[CREDIT], None),
            tr("1234", "Bad id", &[CREDIT], None),
            tr("66666666666", "PDF logo", &[CREDIT], Some("pdf-only")),
            tr("77777777777", "Broken logo", &[CREDIT], Some("bad-base64")),
            tr("88888888888", "Sneaky asset id", &[CREDIT], Some("../../etc/passwd")),
            unknown_enum,
            minimal,
        ])
    });
    let client = standin::client(&mdes.base_url);
    let report = refresh(&app.store, &client, &settings(), "a").await.unwrap();
    assert_eq!(
        trids(&app.store).await.into_iter().collect::<std::collections::BTreeSet<_>>(),
        ["11111111111", "22222222222", "44444444444", "55555555555", "66666666666", "77777777777", "88888888888"]
            .map(String::from)
            .into(),
        "101-character name and an 8-digit id skipped, duplicate merged"
    );
    assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
    let merged = app.store.token_requestor("22222222222").await.unwrap().unwrap();
    assert_eq!(merged.enabled_account_ranges, [CREDIT, DEBIT], "duplicate TRIDs merged");
    assert_eq!(app.store.token_requestor("88888888888").await.unwrap().unwrap().image_asset_id, None);
    assert_eq!(report.logos_fetched, 1, "only the SVG was a usable logo");
    assert!(report.logos_rejected >= 3, "pdf, bad base64, oversize: {report:?}");

    // The page renders every one harmlessly.
    app.sign_in_as_alice().await;
    let (status, html) = app.get_html("/add/requestors").await;
    assert_eq!(status, 200);
    let names = texts_by_testid(&html, "tr-name");
    assert!(names.contains(&hundred), "100-character name shown in full");
    assert!(names.contains(&markup.to_string()), "markup shown as text: {names:?}");
    assert!(!html.contains("<script>alert"), "markup escaped");
    assert!(html.contains(r#"src="/logos/svg-with-script""#));
    assert!(html.contains("tr-placeholder.svg"), "TRs without a logo get the placeholder");
    // The SVG is served where it cannot run script.
    let svg = app.get("/logos/svg-with-script").await;
    assert_eq!(svg.headers().get("content-type").unwrap(), "image/svg+xml");
    let csp = svg.headers().get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");
}

#[tokio::test]
async fn requestor_page_shows_only_trs_for_the_cardholders_cards_on_this_device() {
    let app = app(Engine::Sqlite).await;
    let mdes = standin::start(|req, _| {
        if !is_eligibility(req) {
            return png_asset();
        }
        let mut app_only = tr("22222222222", "App Only", &[CREDIT], None);
        app_only["availablePushMethods"] = json!([{"type": "IOS", "uri": "https://tr.example/ios"}]);
        app_only["supportedPushMethods"] = json!(["IOS"]);
        eligibility(vec![
            tr("11111111111", "Debit Wallet", &[DEBIT], None),
            app_only,
            tr("33333333333", "Nobody's Range", &[5_111_110_000_000_000_000], None),
        ])
    });
    let client = standin::client(&mdes.base_url);
    refresh(&app.store, &client, &settings(), "a").await.unwrap();
    app.sign_in_as_alice().await;
    let (_, html) = app.get_html("/add/requestors").await;
    assert_eq!(texts_by_testid(&html, "tr-name"), ["Debit Wallet"], "desktop: no app-only TR; none for a range no card is in");
    let iphone = app
        .client
        .get(app.url("/add/requestors"))
        .header("user-agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(texts_by_testid(&iphone, "tr-name"), ["App Only", "Debit Wallet"]);
    // Bruno has a debit card too, but not a card in any other TR's range.
    let kinds = attrs_by_testid(&html, "tr-kind", "data-kind");
    assert_eq!(kinds, ["wallet"]);
}

#[test]
fn catalog_refresh_command_prints_what_changed() {
    let mdes = standin::start(|req, _| {
        if is_eligibility(req) { eligibility(vec![tr("11111111111", "W", &[CREDIT], None)]) } else { png_asset() }
    });
    let dir = tempfile::tempdir().unwrap();
    let fixture = |name: &str| standin::fixture(name).display().to_string();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_pushprov"))
            .args(["catalog", "refresh"])
            .current_dir(dir.path())
            .env("PUSHPROV__SANDBOX__ENABLED", "false")
            .env("PUSHPROV__CATALOG__ACCOUNT_RANGES", "520473160,535522010")
            .env("PUSHPROV__MDES__BASE_URL", &mdes.base_url)
            .env("PUSHPROV__MDES__CONSUMER_KEY", "test-consumer-key!abc")
            .env("PUSHPROV__MDES__SIGNING_KEY_PATH", fixture("test-only-signing-key.pem"))
            .env("PUSHPROV__MDES__ENCRYPTION_CERTIFICATE_PATH", fixture("test-only-encryption-cert.pem"))
            .output()
            .unwrap()
    };
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(first.status.success(), "{stdout}{}", String::from_utf8_lossy(&first.stderr));
    assert!(stdout.contains("1 added, 0 removed, 0 unchanged") && stdout.contains("+ 11111111111"), "{stdout}");
    let second = run();
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 added, 0 removed, 1 unchanged"));
    assert!(mdes.received.lock().unwrap().iter().all(|r| r.signature_ok));
    let sent: Value = serde_json::from_slice(&mdes.received.lock().unwrap()[0].body).unwrap();
    assert_eq!(sent["accountRanges"], json!(["520473160", "535522010"]), "ranges from the setting, not the cards");
}

#[tokio::test]
async fn first_fetch_from_the_built_in_sandbox() {
    // The default demo: the scheduled refresh reaches the mounted sandbox over HTTP.
    let app = spawn_app_with(Engine::Sqlite, |_| {}).await;
    crate::wait::until("the first refresh to succeed", async || {
        trids(&app.store).await.len() >= 5 && app.store.catalog_status().await.unwrap().last_success_at.is_some()
    })
    .await;
    let ids = trids(&app.store).await;
    assert_eq!(
        ids,
        [
            "50100000001",
            "50100000002",
            "50100000003",
            "50100000004",
            "50100000005",
            "50100000006",
            "50100000007",
            "50100000008",
            "50100000009",
            "50100000010"
        ]
    );
    // Every TR's logo was fetched and is served from our origin (the
    // spec-minimal TR has none: the placeholder).
    for tr in app.store.token_requestors().await.unwrap().iter() {
        let Some(asset) = tr.image_asset_id.clone() else {
            assert_eq!(tr.token_requestor_id, "50100000006", "only the spec-minimal TR comes without a logo");
            continue;
        };
        let logo = app.get(&format!("/logos/{asset}")).await;
        assert_eq!(logo.status().as_u16(), 200, "{asset}");
    }
    // The hostile TR renders harmlessly (it serves only the QA card).
    let quinn = app.store.credentials(&pushprov::domain::Login::parse("quinn").unwrap()).await.unwrap().unwrap().0;
    let qa_card = app.store.funding_accounts(quinn).await.unwrap().into_iter().find(|a| a.last4 == "8017").unwrap().public_id;
    assert_eq!(app.sign_in("quinn", "quinn-demo-2026").await.status().as_u16(), 303);
    let (_, html) = app.get_html(&format!("/add/requestors?cards={qa_card}")).await;
    assert_eq!(html.matches("<script").count(), 1, "only our own (nonced) script; none from TR data");
    assert!(!html.contains("<script>"), "TR markup is escaped");
    let names = texts_by_testid(&html, "tr-name");
    assert!(names.iter().any(|n| n.chars().count() == 100), "the 100-character name in full: {names:?}");
}

/// Issue 15 item 7: one malformed TR is skipped (not the batch); TRs beside
/// an `errors` array are kept; such a partial answer removes nothing; a
/// wrong-typed optional field is absent, not the TR's end. The next clean
/// answer removes what MDES no longer returns.
async fn a_malformed_tr_or_errors_beside_trs_cost_nothing_else(engine: Engine) {
    let app = app(engine).await;
    let (mdes, round) = in_rounds(|n| match n {
        0 => eligibility(vec![
            tr("11111111111", "A", &[CREDIT], None),
            tr("22222222222", "B", &[CREDIT], None),
            tr("33333333333", "C", &[CREDIT], None),
        ]),
        1 => {
            let mut malformed = tr("22222222222", "B renamed", &[CREDIT], None);
            malformed["enabledAccountRanges"] = json!("5204731600000000000");
            let mut no_id = tr("44444444444", "No id", &[CREDIT], None);
            no_id.as_object_mut().unwrap().remove("tokenRequestorId");
            let mut odd_optional = tr("55555555555", "E", &[CREDIT], None);
            odd_optional["supportsMultiplePushedCards"] = json!({"yes": true});
            odd_optional["supportedPushMethods"] = json!("WEB");
            odd_optional["imageAssetId"] = json!(42);
            let mut type_a_number = tr("66666666666", "F", &[CREDIT], None);
            type_a_number["tokenRequestorType"] = json!(3);
            standin::json(
                200,
                json!({"responseId": "r2",
                    "tokenRequestors": [tr("11111111111", "A renamed", &[CREDIT], None), malformed, no_id, odd_optional, type_a_number],
                    "errors": [{"source": "MDES", "reasonCode": "SYSTEM_ERROR", "description": "part of the answer is missing", "recoverable": true}]}),
            )
        }
        _ => eligibility(vec![tr("11111111111", "A", &[CREDIT], None)]),
    });
    let client = standin::client(&mdes.base_url);
    refresh(&app.store, &client, &settings(), "a").await.unwrap();
    round.store(1, Ordering::SeqCst);
    let report = refresh(&app.store, &client, &settings(), "a").await.unwrap();
    assert!(report.partial);
    assert_eq!(report.added, ["55555555555"]);
    assert!(report.removed.is_empty(), "a partial answer removes nothing: {report:?}");
    assert_eq!(report.skipped.len(), 3, "{:?}", report.skipped);
    assert!(report.skipped[0].starts_with("22222222222: malformed (enabledAccountRanges a string"), "{:?}", report.skipped);
    assert!(report.skipped[1].starts_with("?: malformed (tokenRequestorId missing"), "{:?}", report.skipped);
    assert!(report.skipped[2].starts_with("66666666666: malformed (tokenRequestorType a number"), "{:?}", report.skipped);
    assert_eq!(trids(&app.store).await, ["11111111111", "22222222222", "33333333333", "55555555555"]);
    assert_eq!(app.store.token_requestor("11111111111").await.unwrap().unwrap().consumer_facing_entity_name, "A renamed");
    assert_eq!(
        app.store.token_requestor("22222222222").await.unwrap().unwrap().consumer_facing_entity_name,
        "B",
        "the last good B"
    );
    let odd = app.store.token_requestor("55555555555").await.unwrap().unwrap();
    assert_eq!((odd.supports_multiple_pushed_cards, odd.image_asset_id, odd.supported_push_methods.len()), (None, None, 0));
    assert!(app.store.catalog_status().await.unwrap().last_error.is_none(), "a partial answer is still a good refresh");
    assert!(report.to_string().contains("partial answer from MDES: no token requestor removed"), "{report}");

    round.store(2, Ordering::SeqCst);
    let report = refresh(&app.store, &client, &settings(), "a").await.unwrap();
    assert!(!report.partial);
    assert_eq!(report.removed, ["22222222222", "33333333333", "55555555555"]);
    assert_eq!(trids(&app.store).await, ["11111111111"]);
}

/// An answer that says nothing usable keeps the last good catalogue: no
/// list at all, or every item malformed.
#[tokio::test]
async fn an_answer_without_a_usable_list_keeps_the_catalogue() {
    let app = app(Engine::Sqlite).await;
    let (mdes, round) = in_rounds(|n| match n {
        0 => eligibility(vec![tr("11111111111", "A", &[CREDIT], None)]),
        1 => standin::json(200, json!({"responseId": "r"})),
        2 => standin::json(200, json!({"responseId": "r", "tokenRequestors": {"tokenRequestorId": "11111111111"}})),
        _ => standin::json(200, json!({"responseId": "r", "tokenRequestors": [{"name": "no id"}, 5]})),
    });
    let client = standin::client(&mdes.base_url);
    refresh(&app.store, &client, &settings(), "a").await.unwrap();
    for round_no in 1..=3 {
        round.store(round_no, Ordering::SeqCst);
        let err = refresh(&app.store, &client, &settings(), "a").await.unwrap_err();
        assert!(matches!(err, RefreshError::Mdes(pushprov::mdes::MdesClientError::InvalidResponse { .. })), "{round_no}: {err}");
        assert_eq!(trids(&app.store).await, ["11111111111"], "{round_no}");
    }
}
