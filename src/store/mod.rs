//! All SQL lives here. One portable dialect (`$n` placeholders, Unix-second
//! integers, text) runs through sqlx's `Any` driver on SQLite and PostgreSQL;
//! only the migrations differ per engine (`migrations/sqlite`, `migrations/postgres`).

mod accounts;
mod catalog;
mod cardholders;
mod provisioning;
mod sessions;
mod throttle;
mod vault;

use std::path::Path;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

pub use accounts::{AccountKind, FundingAccount, NewFundingAccount};
pub use catalog::{CatalogStatus, Logo};
pub use cardholders::{AccountHolderData, Cardholder, NewCardholder};
pub use provisioning::{NewProvisioning, ProvisioningAccount, ProvisioningRecord, PushResult, StoredTokenEvent};
pub use sessions::{CARDHOLDER_KEY as CARDHOLDER_SESSION_KEY, SqlSessionStore};
pub use throttle::FailureScope;
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

/// The one way in to stored data. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    vault: Vault,
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
            .connect(url)
            .await?;
        Ok(Self { pool, engine, vault })
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

pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
