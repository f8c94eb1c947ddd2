use crate::helpers::{Engine, spawn_app};
use crate::on_both_engines;

on_both_engines!(alive_and_ready);

async fn alive_and_ready(engine: Engine) {
    let app = spawn_app(engine).await;
    let alive = app.get("/healthz").await;
    assert_eq!(alive.status().as_u16(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn not_ready_when_the_database_is_gone() {
    let app = spawn_app(Engine::Sqlite).await;
    app.store.close().await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 503);
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}
