use crate::helpers::{Engine, attrs_by_testid, location, spawn_app_with};
use crate::on_both_engines;

on_both_engines!(idle_session_is_ended_on_the_server, a_request_in_flight_cannot_bring_back_an_ended_session);

async fn idle_session_is_ended_on_the_server(engine: Engine) {
    let app = spawn_app_with(engine, |s| s.session.idle_timeout_secs = 1).await;
    app.sign_in_as_alice().await;
    assert_eq!(app.get("/cards").await.status().as_u16(), 200);
    app.clock.advance(2);
    let response = app.get("/cards").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(location(&response), "/login?reason=expired&next=/cards");
    // And it stays ended: the next request is not signed in either.
    assert_eq!(app.get("/cards").await.status().as_u16(), 303);
    let (_, html) = app.get_html("/login?reason=expired&next=/cards").await;
    assert_eq!(attrs_by_testid(&html, "sign-in-notice", "data-notice"), ["timed-out"], "signed out after a period of inactivity");
}

#[tokio::test]
async fn activity_keeps_the_session_until_the_absolute_limit() {
    let app = spawn_app_with(Engine::Sqlite, |s| {
        s.session.idle_timeout_secs = 4;
        s.session.absolute_timeout_secs = 6;
    })
    .await;
    app.sign_in_as_alice().await;
    // Active every 2 s (inside the idle timeout): idle never reached, and
    // 6 s after sign-in is still within the absolute limit…
    for _ in 0..3 {
        app.clock.advance(2);
        assert_eq!(app.get("/cards").await.status().as_u16(), 200);
    }
    // …which ends the session once passed, activity or not.
    app.clock.advance(2);
    let response = app.get("/cards").await;
    assert_eq!(response.status().as_u16(), 303);
    assert!(location(&response).starts_with("/login?reason=expired"));
}

#[tokio::test]
async fn sessions_can_be_ended_for_a_cardholder_everywhere() {
    let app = spawn_app_with(Engine::Sqlite, |_| {}).await;
    app.sign_in_as_alice().await;
    assert_eq!(app.get("/cards").await.status().as_u16(), 200);
    let alice_id = app.store.credentials(&pushprov::domain::Login::parse("alice").unwrap()).await.unwrap().unwrap().0;
    assert_eq!(app.store.live_sessions_of(alice_id).await.unwrap(), 1);
    assert_eq!(app.store.end_sessions_of(alice_id).await.unwrap(), 1);
    assert_eq!(app.get("/cards").await.status().as_u16(), 303);
}

/// A request that loaded a signed-in session before it was ended (signed
/// out on every device while, say, a push waited on MDES) and changed it
/// writes its state after the row is gone: the store keeps an anonymous
/// visitor's state (a form's CSRF token) and never the signed-in cardholder,
/// under the old key or a new one.
async fn a_request_in_flight_cannot_bring_back_an_ended_session(engine: Engine) {
    use actix_session::storage::SessionStore;
    use pushprov::store::{CARDHOLDER_SESSION_KEY, SqlSessionStore};

    let app = spawn_app_with(engine, |_| {}).await;
    let id = app.store.credentials(&pushprov::domain::Login::parse("alice").unwrap()).await.unwrap().unwrap().0;
    let sessions = SqlSessionStore::new(app.store.clone());
    let ttl = actix_web::cookie::time::Duration::seconds(600);
    let state: std::collections::HashMap<String, String> =
        [(CARDHOLDER_SESSION_KEY.to_string(), id.to_string()), ("csrf_token".to_string(), "\"token\"".to_string())].into();
    let key = sessions.save(state.clone(), &ttl).await.unwrap();
    assert_eq!(app.store.live_sessions_of(id).await.unwrap(), 1);

    app.store.end_sessions_of(id).await.unwrap();
    let written = sessions.update(key, state, &ttl).await.unwrap();

    let kept = sessions.load(&written).await.unwrap().expect("the anonymous state");
    assert!(!kept.contains_key(CARDHOLDER_SESSION_KEY), "not signed in again: {kept:?}");
    assert_eq!(kept.get("csrf_token").map(String::as_str), Some("\"token\""));
    assert_eq!(app.store.live_sessions_of(id).await.unwrap(), 0, "no session of hers lives");
}
