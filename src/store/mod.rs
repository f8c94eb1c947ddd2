//! All SQL lives here. One portable dialect (`$n` placeholders, Unix-second
//! integers, text) runs through sqlx's `Any` driver on SQLite and PostgreSQL;
//! only the migrations differ per engine (`migrations/sqlite`, `migrations/postgres`).

mod accounts;
mod cardholders;
mod catalog;
mod provisioning;
mod sessions;
mod step_up;
mod throttle;
mod vault;

use std::path::Path;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

use crate::clock::Clock;

pub use accounts::{AccountKind, FundingAccount, NewFundingAccount};
pub use cardholders::{AccountHolderData, Cardholder, NewCardholder};
pub use catalog::{CatalogStatus, Logo};
pub use provisioning::{
    IssuedReceipt, NewProvisioning, ProvisioningAccount, ProvisioningRecord, PushResult, PushedAccount, StoredTokenEvent,
};
pub use sessions::{CARDHOLDER_KEY as CARDHOLDER_SESSION_KEY, SqlSessionStore};
pub use step_up::{CodeIssue, CodeUse, NewCode, TRIES_PER_CODE};
pub use throttle::{AttemptEnd, FailureScope, STALE_AFTER_SECS};
pub use vault::{Vault, VaultError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// Whether an error, or anything in its chain of causes, says the database
/// is down, restarting or out of connections. Such a request may succeed a
/// little later, so it is answered 503 with `Retry-After`, not 500.
pub fn is_database_unavailable(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.downcast_ref::<sqlx::Error>().is_some_and(sqlx_unavailable) {
            return true;
        }
        cause = e.source();
    }
    false
}

fn sqlx_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL: class 08 connection exception, 57P01-03 shutting down /
        // cannot connect now, 53300 too many connections. SQLite: busy (5 and
        // its extended codes) after the busy timeout.
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || matches!(&*code, "53300" | "5" | "261" | "517" | "773")
        }),
        _ => false,
    }
}

tokio::task_local! {
    /// Set when a store call made inside [`watch_availability`] found the
    /// database unavailable. The session middleware's store errors reach
    /// the error page only as an opaque 500; this lets the page say 503.
    static UNAVAILABLE_SEEN: std::cell::Cell<bool>;
}

/// Runs `work`, and says whether any store call inside it found the
/// database unavailable (reported through [`note_if_unavailable`]).
pub async fn watch_availability<F: std::future::Future>(work: F) -> (F::Output, bool) {
    UNAVAILABLE_SEEN
        .scope(std::cell::Cell::new(false), async move {
            let output = work.await;
            (output, UNAVAILABLE_SEEN.with(std::cell::Cell::get))
        })
        .await
}

fn note_if_unavailable(e: &sqlx::Error) {
    if sqlx_unavailable(e) {
        let _ = UNAVAILABLE_SEEN.try_with(|seen| seen.set(true));
    }
}

/// The one way in to stored data. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    vault: Vault,
    catalogue: std::sync::Arc<catalog::CatalogueCache>,
    /// "Now" for every time the store writes or compares, and for the
    /// callers that hold a store (see [`crate::clock`]).
    clock: Clock,
}

impl Store {
    /// Connects (creating the SQLite file and its folder when needed).
    pub async fn connect(url: &str, max_connections: u32, vault: Vault) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") { Engine::Sqlite } else { Engine::Postgres };
        if engine == Engine::Sqlite {
            create_sqlite_folder(url);
        }
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(std::time::Duration::from_secs(5))
            // Checking a pooled connection before use catches a PostgreSQL
            // server that restarted meanwhile. A SQLite connection is a file
            // in this process and cannot go stale, and the check was a
            // round trip to its worker thread for every query (a third of a
            // page's database time).
            .test_before_acquire(engine == Engine::Postgres)
            .connect(url)
            .await?;
        Ok(Self { pool, engine, vault, catalogue: Default::default(), clock: Clock::system() })
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.engine {
            Engine::Sqlite => {
                SQLITE_MIGRATIONS.run(&self.pool).await?;
                // WAL lets pages read while a write is in progress; it persists in the file.
                sqlx::query("PRAGMA journal_mode = WAL").execute(&self.pool).await?;
            }
            Engine::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// For `/readyz`: the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The same store reading time from `clock` (the system's unless a
    /// test builds the application with a manual one).
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    fn now_unix(&self) -> i64 {
        self.clock.now_unix()
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `sqlite://data/pushprov.db?mode=rwc` → make sure `data/` exists.
fn create_sqlite_folder(url: &str) {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        // A failure shows up as a clear connect error just after.
        let _ = std::fs::create_dir_all(parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_told_apart_from_other_failures() {
        let wrapped = |e: sqlx::Error| anyhow::Error::from(StoreError::from(e)).context("loading cards");
        for e in
            [sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed, sqlx::Error::Io(std::io::ErrorKind::ConnectionRefused.into())]
        {
            let e = wrapped(e);
            assert!(is_database_unavailable(e.as_ref()), "{e:#}");
        }
        for e in [sqlx::Error::RowNotFound, sqlx::Error::ColumnNotFound("state".into()), sqlx::Error::Protocol("bad".into())] {
            let e = wrapped(e);
            assert!(!is_database_unavailable(e.as_ref()), "{e:#}");
        }
    }

    #[tokio::test]
    async fn a_session_store_failure_is_seen_by_its_watcher_only() {
        let ((), seen) = watch_availability(async { note_if_unavailable(&sqlx::Error::PoolTimedOut) }).await;
        assert!(seen);
        let ((), seen) = watch_availability(async { note_if_unavailable(&sqlx::Error::RowNotFound) }).await;
        assert!(!seen);
        // Outside any watcher a note is dropped, not a panic.
        note_if_unavailable(&sqlx::Error::PoolTimedOut);
    }
}
