//! actix-session's server-side store, in our own database: sessions then live
//! wherever the data lives (one SQLite file, or PostgreSQL shared by several
//! instances), expire on the server, and can be ended for a cardholder on
//! every device at once. The cookie holds a random key; the table holds only
//! its SHA-256.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Store, note_if_unavailable};

/// Session state key under which the signed-in cardholder's id is kept; the
/// store copies it into its own column so sessions can be ended per cardholder.
pub const CARDHOLDER_KEY: &str = "cardholder_id";

#[derive(Clone)]
pub struct SqlSessionStore {
    store: Store,
}

impl SqlSessionStore {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

type State = HashMap<String, String>;

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn new_key() -> SessionKey {
    use rand::distr::{Alphanumeric, SampleString};
    let key = Alphanumeric.sample_string(&mut rand::rng(), 64);
    SessionKey::try_from(key).expect("64 alphanumerics are a valid session key")
}

fn cardholder_of(state: &State) -> Option<i64> {
    state.get(CARDHOLDER_KEY).and_then(|v| serde_json::from_str(v).ok())
}

impl SessionStore for SqlSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let row = sqlx::query("SELECT state FROM sessions WHERE key_hash = $1 AND expires_at > $2")
            .bind(key_hash(key.as_ref()))
            .bind(self.store.now_unix())
            .fetch_optional(&self.store.pool)
            .await
            .map_err(|e| LoadError::Other(noted(e).into()))?;
        match row {
            None => Ok(None),
            Some(row) => {
                let text: String = row.try_get("state").map_err(|e| LoadError::Other(e.into()))?;
                serde_json::from_str(&text).map(Some).map_err(|e| LoadError::Deserialization(e.into()))
            }
        }
    }

    async fn save(&self, state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let key = new_key();
        let text = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        sqlx::query("INSERT INTO sessions (key_hash, state, cardholder_id, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(key_hash(key.as_ref()))
            .bind(text)
            .bind(cardholder_of(&state))
            .bind(self.store.now_unix() + ttl.whole_seconds())
            .execute(&self.store.pool)
            .await
            .map_err(|e| SaveError::Other(noted(e).into()))?;
        self.store.purge_expired_sessions_sometimes().await;
        Ok(key)
    }

    async fn update(&self, key: SessionKey, state: State, ttl: &Duration) -> Result<SessionKey, UpdateError> {
        let text = serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let result = sqlx::query(
            "UPDATE sessions SET state = $1, cardholder_id = $2, expires_at = $3 \
             WHERE key_hash = $4 AND expires_at > $5",
        )
        .bind(text)
        .bind(cardholder_of(&state))
        .bind(self.store.now_unix() + ttl.whole_seconds())
        .bind(key_hash(key.as_ref()))
        .bind(self.store.now_unix())
        .execute(&self.store.pool)
        .await
        .map_err(|e| UpdateError::Other(noted(e).into()))?;
        if result.rows_affected() == 0 {
            // Expired or ended while this request ran (signed out here or on
            // every device, e.g. during a push waiting on MDES): never bring
            // the signed-in session back, under the old key or a new one.
            // What an anonymous visitor had (a form's CSRF token) is kept.
            let mut state = state;
            state.remove(CARDHOLDER_KEY);
            return self.save(state, ttl).await.map_err(|e| UpdateError::Other(anyhow::anyhow!(e.to_string())));
        }
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        sqlx::query("UPDATE sessions SET expires_at = $1 WHERE key_hash = $2 AND expires_at > $3")
            .bind(self.store.now_unix() + ttl.whole_seconds())
            .bind(key_hash(key.as_ref()))
            .bind(self.store.now_unix())
            .execute(&self.store.pool)
            .await
            .map_err(noted)?;
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        sqlx::query("DELETE FROM sessions WHERE key_hash = $1")
            .bind(key_hash(key.as_ref()))
            .execute(&self.store.pool)
            .await
            .map_err(noted)?;
        Ok(())
    }
}

/// actix-session turns every store error into an opaque 500; remember an
/// unavailable database so the error page can answer 503 instead.
fn noted(e: sqlx::Error) -> sqlx::Error {
    note_if_unavailable(&e);
    e
}

impl Store {
    /// Ends every session of a cardholder (sign out everywhere).
    pub async fn end_sessions_of(&self, cardholder_id: i64) -> Result<u64, super::StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE cardholder_id = $1").bind(cardholder_id).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    /// Live session rows of anyone, signed in or not.
    pub async fn session_rows(&self) -> Result<i64, super::StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE expires_at > $1")
            .bind(self.now_unix())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    pub async fn live_sessions_of(&self, cardholder_id: i64) -> Result<i64, super::StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE cardholder_id = $1 AND expires_at > $2")
            .bind(cardholder_id)
            .bind(self.now_unix())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Deletes expired rows on about one new session in 64, so the table
    /// stays small without a background task.
    async fn purge_expired_sessions_sometimes(&self) {
        if !rand::random::<u8>().is_multiple_of(64) {
            return;
        }
        if let Err(e) = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(self.now_unix()).execute(&self.pool).await
        {
            tracing::warn!(error = %e, "could not purge expired sessions");
        }
    }
}
