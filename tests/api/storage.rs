use sqlx::Connection;

use crate::helpers::{Engine, demo_numbers, spawn_app, start, test_settings};
use crate::on_both_engines;

on_both_engines!(account_numbers_are_encrypted_at_rest, demo_data_is_loaded_once);

async fn account_numbers_are_encrypted_at_rest(engine: Engine) {
    let app = spawn_app(engine).await;
    let url = app.settings.database_url();
    let stored: Vec<String> = match engine {
        Engine::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_scalar("SELECT account_number_enc FROM funding_accounts").fetch_all(&mut conn).await.unwrap()
        }
        Engine::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query_scalar("SELECT account_number_enc FROM funding_accounts").fetch_all(&mut conn).await.unwrap()
        }
    };
    assert_eq!(stored.len(), demo_numbers().len());
    for value in &stored {
        assert!(value.starts_with("v1:"));
        for number in demo_numbers() {
            assert!(!value.contains(number));
        }
    }
    if engine == Engine::Sqlite {
        // Nowhere in the database file either (including free pages and the WAL).
        for file in ["test.db", "test.db-wal"] {
            let path = app.settings.data_dir.join(file);
            if let Ok(bytes) = std::fs::read(&path) {
                let text = String::from_utf8_lossy(&bytes);
                for number in demo_numbers() {
                    assert!(!text.contains(number), "{number} in {file}");
                }
            }
        }
    }
    // The store opens them again for the push.
    let alice = app.store.credentials(&pushprov::domain::Login::parse("alice").unwrap()).await.unwrap().unwrap().0;
    let first = &app.store.funding_accounts(alice).await.unwrap()[0];
    let number = app.store.account_number(alice, &first.public_id).await.unwrap().unwrap();
    assert_eq!(number.expose(), "5204731600014792");
    // Not for someone else's account.
    assert!(app.store.account_number(alice + 1, &first.public_id).await.unwrap().is_none());
}

async fn demo_data_is_loaded_once(engine: Engine) {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path(), engine).await;
    let first = pushprov::startup::Application::build(settings.clone()).await.unwrap();
    assert_eq!(first.store().count_cardholders().await.unwrap(), pushprov::demo::CARDHOLDERS.len() as i64);
    drop(first);
    // A second start on the same database (and same generated keys) adds nothing.
    let app = start(settings, dir).await;
    assert_eq!(app.store.count_cardholders().await.unwrap(), pushprov::demo::CARDHOLDERS.len() as i64);
    app.sign_in_as_alice().await;
}

#[tokio::test]
async fn no_demo_data_outside_demo_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path(), Engine::Sqlite).await;
    settings.demo.enabled = false;
    settings.session.cookie_key = Some(hex::encode([1u8; 64]).into());
    settings.database.account_number_key = Some(hex::encode([2u8; 32]).into());
    settings.token_events.secret = Some(hex::encode([3u8; 32]).into());
    // Production talks to MDES as configured (here, nowhere reachable).
    settings.mdes = crate::mdes_helpers::settings("http://127.0.0.1:9");
    settings.catalog.scheduled = false;
    let app = start(settings, dir).await;
    assert_eq!(app.store.count_cardholders().await.unwrap(), 0);
    assert_eq!(app.sign_in("alice", "alice-demo-2026").await.status().as_u16(), 401);
}
