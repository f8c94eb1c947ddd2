use serde_json::Value;

use crate::helpers::{Engine, spawn_app, spawn_app_with};
use crate::on_both_engines;

on_both_engines!(alive_and_ready);

async fn alive_and_ready(engine: Engine) {
    let app = spawn_app(engine).await;
    let alive = app.get("/healthz").await;
    assert_eq!(alive.status().as_u16(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200);
    assert_eq!(ready.headers().get("content-type").unwrap(), "application/json");
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

/// `/readyz` says how old the catalogue is; its status code still says only
/// whether the database answers (what load balancers read).
#[tokio::test]
async fn ready_shows_the_age_of_the_last_good_catalogue_refresh() {
    let app = spawn_app_with(Engine::Sqlite, |s| {
        s.catalog.scheduled = false;
        s.catalog.refresh_interval_secs = 3600;
    })
    .await;
    let catalog = |body: Value| body["catalog"].clone();
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200, "never refreshed: still ready");
    let never = catalog(ready.json().await.unwrap());
    assert_eq!(never["last_refresh_age_secs"], Value::Null);
    assert_eq!(never["stale"], true);
    assert_eq!(never["refresh_interval_secs"], 3600);

    let now = app.clock.now_unix();
    app.store.record_catalog_refresh(now - 120, None).await.unwrap();
    let fresh = catalog(app.get("/readyz").await.json().await.unwrap());
    let age = fresh["last_refresh_age_secs"].as_i64().unwrap();
    assert!((120..130).contains(&age), "{fresh}");
    assert_eq!(fresh["stale"], false);

    // A failed attempt since does not make it younger.
    app.store.record_catalog_refresh(now, Some("MDES down")).await.unwrap();
    let failed = catalog(app.get("/readyz").await.json().await.unwrap());
    assert!(failed["last_refresh_age_secs"].as_i64().unwrap() >= 120, "{failed}");

    app.store.record_catalog_refresh(now - 3700, None).await.unwrap();
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200, "a stale catalogue does not take the instance out");
    let stale = catalog(ready.json().await.unwrap());
    assert_eq!(stale["stale"], true, "{stale}");
}

#[tokio::test]
async fn not_ready_when_the_database_is_gone() {
    let app = spawn_app(Engine::Sqlite).await;
    app.store.close().await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}
