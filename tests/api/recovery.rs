//! A push cut off before its answer was stored (docs/operations.md "When
//! something dies"): the `Created → Created` claim that lets exactly one tab or
//! instance resend it with the same requestId.

use pushprov::domain::{Login, ProvisioningState};
use pushprov::store::{ProvisioningRecord, Store};

use crate::helpers::{Engine, spawn_app};
use crate::on_both_engines;

/// A record `rec{n}` of a push of alice's first card, as stored before its answer came back.
async fn interrupted_push(store: &Store, n: usize) -> ProvisioningRecord {
    let alice = store.credentials(&Login::parse("alice").unwrap()).await.unwrap().unwrap().0;
    let card = store.funding_accounts(alice).await.unwrap()[0].public_id.clone();
    crate::steps::stored_before_its_answer(store, alice, &card, n).await
}

async fn an_interrupted_push_is_claimed_once_and_keeps_its_request_id(engine: Engine) {
    let app = spawn_app(engine).await;
    let store = &app.store;
    let seen = interrupted_push(store, 1).await;
    assert!(store.claim_interrupted_push("rec1", seen.updated_at, None, 4).await.unwrap(), "the first claim wins");
    assert!(!store.claim_interrupted_push("rec1", seen.updated_at, None, 4).await.unwrap(), "a second, racing claim loses");
    let claimed = store.provisioning("rec1").await.unwrap().unwrap();
    assert_eq!(claimed.state, ProvisioningState::Created);
    assert_eq!(claimed.request_id, "req-1", "the same requestId is resent");
    assert_eq!(claimed.push_count, seen.push_count + 1);
    assert!(claimed.updated_at > seen.updated_at, "the deadline starts again");
    assert_eq!(store.callback_token("rec1").await.unwrap().as_deref(), Some("token-1"), "the same callback URL");
    // A record whose answer was stored is never claimed.
    store.record_push_failure("rec1", "TIMEOUT", true).await.unwrap();
    let failed = store.provisioning("rec1").await.unwrap().unwrap();
    assert!(!store.claim_interrupted_push("rec1", failed.updated_at, None, 4).await.unwrap());
}

/// The default resend: a new requestId (the same return link), and only while
/// the record has pushes left.
async fn an_interrupted_push_resent_by_default_gets_a_new_request_id(engine: Engine) {
    let app = spawn_app(engine).await;
    let store = &app.store;
    let seen = interrupted_push(store, 2).await;
    assert!(!store.claim_interrupted_push("rec2", seen.updated_at, Some("req-3"), 1).await.unwrap(), "no pushes left");
    assert!(store.claim_interrupted_push("rec2", seen.updated_at, Some("req-3"), 4).await.unwrap());
    let claimed = store.provisioning("rec2").await.unwrap().unwrap();
    assert_eq!(claimed.request_id, "req-3");
    assert_eq!(store.callback_token("rec2").await.unwrap().as_deref(), Some("token-2"), "one return link per record");
    assert_eq!(claimed.step_up_binding.as_deref(), Some("binding"));
}

on_both_engines!(an_interrupted_push_resent_by_default_gets_a_new_request_id);

on_both_engines!(an_interrupted_push_is_claimed_once_and_keeps_its_request_id);
