//! Attack on the issue 16 redesign: the injected clock, the store keeping
//! portal types (catalogue rows written before it, codes MDES may add) and
//! the catalogue cache's age on the application's clock. Tests that guard a
//! promise pass; the ones named in the report as findings fail until fixed.

use pushprov::domain::{AccountHolderDataType, PushMethodType, TokenRequestorType};
use serde_json::{Value, json};

use crate::helpers::{Engine, TestApp, attrs_by_testid};
use crate::on_both_engines;
use crate::steps::*;

/// A token requestor with codes this version does not know.
const FUTURE_TR: &str = "59999999901";

/// Runs `sql` with `binds` (all text or integers) on the app's database.
async fn execute(app: &TestApp, sql: &str, binds: &[Value]) {
    let url = app.settings.database.url.clone().unwrap();
    macro_rules! run {
        ($pool:expr) => {{
            let pool = $pool;
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
            for b in binds {
                query = match b {
                    Value::Number(n) => query.bind(n.as_i64().unwrap()),
                    Value::Null => query.bind(None::<String>),
                    other => query.bind(other.as_str().unwrap().to_string()),
                };
            }
            query.execute(&pool).await.unwrap();
        }};
    }
    if url.starts_with("sqlite") {
        run!(sqlx::SqlitePool::connect(&url).await.unwrap())
    } else {
        run!(sqlx::PgPool::connect(&url).await.unwrap())
    }
}

/// The stored JSON of `trid`, read past the store (and its cache).
async fn stored_data(app: &TestApp, trid: &str) -> Value {
    let url = app.settings.database.url.clone().unwrap();
    let sql = "SELECT data FROM token_requestors WHERE trid = $1";
    let data: String = if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query_scalar(sql).bind(trid).fetch_one(&pool).await.unwrap()
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query_scalar(sql).bind(trid).fetch_one(&pool).await.unwrap()
    };
    serde_json::from_str(&data).unwrap()
}

on_both_engines!(catalogue_rows_written_before_the_portal_type_and_unknown_codes_still_read);

/// Issue 16 item 4: the store keeps `domain::TokenRequestor`, "stored rows
/// keep reading (same JSON names)". A row as the wire model
/// (`mdes::model::TokenRequestor`, before 543b32b) serialised it — with the
/// legal `name`, `walletId` and `supportsCardHolderAuthentication` the
/// portal type no longer has — still reads, and pushes. A row with codes
/// MDES may add (a new TR type, push method and holder field) reads as
/// `Other`, lists as "other" and shares only the fields the portal knows.
/// The catalogue cache ages on the application's clock: a change made past
/// the store is seen once 5 s of that clock have passed, not before.
async fn catalogue_rows_written_before_the_portal_type_and_unknown_codes_still_read(engine: Engine) {
    let app = journey_app(engine, |_| {}).await;
    // The catalogue is cached now (journey_app read it).
    let mut old = stored_data(&app, WALLET).await;
    let ranges = old["enabledAccountRanges"].clone();
    let fields = old.as_object_mut().unwrap();
    fields.insert("name".into(), json!("Sandbox Wallet Payments Ltd"));
    fields.insert("walletId".into(), json!("SBXW"));
    fields.insert("supportsCardHolderAuthentication".into(), json!(true));
    execute(&app, "UPDATE token_requestors SET data = $1 WHERE trid = $2", &[json!(old.to_string()), json!(WALLET)]).await;
    let future = json!({
        "tokenRequestorId": FUTURE_TR,
        "name": "Future Pay Ltd",
        "consumerFacingEntityName": "Future Pay",
        "tokenRequestorType": "PAYMENT_FACILITATOR",
        "walletId": "FUT",
        "enabledAccountRanges": ranges,
        "supportedPushMethods": ["CAR", "WEB"],
        "availablePushMethods": [{"type": "CAR", "uri": "car://push"}, {"type": "WEB", "uri": "https://future.example/push"}],
        "supportsMultiplePushedCards": true,
        "supportedAccountHolderData": ["BIOMETRIC", "NAME"],
        "supportsCardHolderAuthentication": false,
        "supportsTokenConnect": true
    });
    execute(
        &app,
        "INSERT INTO token_requestors (trid, display_name, tr_type, image_asset_id, data, refreshed_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            json!(FUTURE_TR),
            json!("Future Pay"),
            json!("PAYMENT_FACILITATOR"),
            Value::Null,
            json!(future.to_string()),
            json!(app.clock.now_unix()),
        ],
    )
    .await;

    fn trids(trs: &[pushprov::domain::TokenRequestor]) -> Vec<String> {
        trs.iter().map(|t| t.token_requestor_id.clone()).collect()
    }
    app.clock.advance(4);
    assert!(
        !trids(&app.store.token_requestors().await.unwrap()).contains(&FUTURE_TR.to_string()),
        "4 s of the app's clock: still the cached catalogue"
    );
    app.clock.advance(1);
    let catalogue = app.store.token_requestors().await.unwrap();
    assert!(trids(&catalogue).contains(&FUTURE_TR.to_string()), "5 s: read again: {:?}", trids(&catalogue));

    let wallet = catalogue.iter().find(|t| t.token_requestor_id == WALLET).expect("the old-shaped row reads");
    assert_eq!(wallet.token_requestor_type, TokenRequestorType::Wallet);
    let tr = catalogue.iter().find(|t| t.token_requestor_id == FUTURE_TR).unwrap();
    assert_eq!(tr.token_requestor_type, TokenRequestorType::Other("PAYMENT_FACILITATOR".into()));
    assert_eq!(tr.supported_push_methods, [PushMethodType::Other("CAR".into()), PushMethodType::Web]);
    assert_eq!(tr.available_push_methods[0].method_type, PushMethodType::Other("CAR".into()));
    assert_eq!(tr.supported_account_holder_data, [AccountHolderDataType::Other("BIOMETRIC".into()), AccountHolderDataType::Name]);

    sign_in(&app, "quinn").await;
    let card = card(&app, "quinn", "0105").await;
    let (status, html) = app.get_html(&format!("/add/requestors?cards={card}")).await;
    assert_eq!(status, 200, "{html}");
    let listed = attrs_by_testid(&html, "tr", "data-trid");
    assert!(listed.contains(&WALLET.to_string()) && listed.contains(&FUTURE_TR.to_string()), "{listed:?}");
    let kinds = attrs_by_testid(&html, "tr-kind", "data-kind");
    let at = listed.iter().position(|t| t == FUTURE_TR).unwrap();
    assert_eq!(kinds[at], "other");
    let (status, review) = app.get_html(&format!("/add/review?tr={FUTURE_TR}&cards={card}")).await;
    assert_eq!(status, 200, "{review}");
    assert_eq!(attrs_by_testid(&review, "shared-field", "data-field"), ["name"], "only the holder fields the portal knows");

    let record = pushed(&app, "quinn", WALLET, &[&card]).await;
    let (_, page) = app.get_html(&record).await;
    assert_eq!(view(&page), "hand-off", "a push to the TR of an old-shaped row");
}

/// `/readyz` reads the catalogue's age on the application's clock.
#[tokio::test]
async fn the_catalogue_ages_on_the_apps_clock() {
    let app = journey_app(Engine::Sqlite, |_| {}).await;
    crate::wait::until("the start-up refresh recorded", async || {
        let ready: Value = app.get("/readyz").await.json().await.unwrap();
        ready["catalog"]["stale"] == json!(false)
    })
    .await;
    let interval = app.settings.catalog.refresh_interval_secs;
    app.clock.advance(interval + 1);
    let ready: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["catalog"]["stale"], json!(true), "{ready}");
    assert!(ready["catalog"]["last_refresh_age_secs"].as_u64().unwrap() > interval, "{ready}");
}
