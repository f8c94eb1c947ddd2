//! Stored token requestor catalogue, logos, leases and refresh status.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use sqlx::Row;

use super::{Store, StoreError};
use crate::domain::TokenRequestor;

/// How long an instance serves the catalogue from memory before reading it
/// again. Every page of the journey reads the catalogue, and it changes only
/// at a refresh (hours apart): reading and parsing it per page was most of
/// the TR page's cost. A refresh on this instance is seen at once; one on
/// another instance within this time.
const CATALOGUE_CACHE_FOR: Duration = Duration::from_secs(5);

/// The catalogue as last read, shared by every clone of a [`Store`].
#[derive(Default)]
pub(super) struct CatalogueCache {
    cached: RwLock<Option<(Instant, Arc<Vec<TokenRequestor>>)>>,
    /// Moved by every replace, so a read that started before a replace
    /// cannot put the old catalogue back after it.
    generation: AtomicU64,
}

impl CatalogueCache {
    fn fresh(&self, now: Instant) -> Option<Arc<Vec<TokenRequestor>>> {
        let cached = self.cached.read().unwrap_or_else(PoisonError::into_inner);
        cached.as_ref().filter(|(at, _)| now.saturating_duration_since(*at) < CATALOGUE_CACHE_FOR).map(|(_, trs)| trs.clone())
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `trs`, read when the generation was `read_at`, unless a replace came since.
    fn put(&self, read_at: u64, now: Instant, trs: Arc<Vec<TokenRequestor>>) {
        let mut cached = self.cached.write().unwrap_or_else(PoisonError::into_inner);
        if self.generation() == read_at {
            *cached = Some((now, trs));
        }
    }

    fn forget(&self) {
        let mut cached = self.cached.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        *cached = None;
    }
}

/// A logo as stored: bytes already checked when fetched.
#[derive(Debug, Clone)]
pub struct Logo {
    pub media_type: String,
    pub content: Vec<u8>,
    pub sha256: String,
}

#[derive(Debug, Clone, Default)]
pub struct CatalogStatus {
    pub last_success_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_error: Option<String>,
}

impl Store {
    /// Replaces the catalogue with `trs` in one transaction (the ones MDES no
    /// longer returns are gone) and returns the TRIDs it replaced, read in
    /// the same transaction (not from the cache: another instance may have
    /// refreshed a moment ago). Called only with a complete answer, so a
    /// failed or partial refresh never wipes anything.
    pub async fn replace_token_requestors(&self, trs: &[TokenRequestor], now: i64) -> Result<BTreeSet<String>, StoreError> {
        self.write_token_requestors(trs, now, true).await
    }

    /// Stores `trs` (new ones added, known ones updated) and keeps every
    /// other stored TR: for a partial answer from MDES, which may leave out
    /// TRs it could not say. Returns the TRIDs stored before, as
    /// [`Store::replace_token_requestors`] does.
    pub async fn upsert_token_requestors(&self, trs: &[TokenRequestor], now: i64) -> Result<BTreeSet<String>, StoreError> {
        self.write_token_requestors(trs, now, false).await
    }

    async fn write_token_requestors(
        &self,
        trs: &[TokenRequestor],
        now: i64,
        replace_all: bool,
    ) -> Result<BTreeSet<String>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let before = sqlx::query("SELECT trid FROM token_requestors")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| row.try_get("trid"))
            .collect::<Result<BTreeSet<String>, _>>()?;
        // Readers see the old catalogue or the new one, never a mix.
        if replace_all {
            sqlx::query("DELETE FROM token_requestors").execute(&mut *tx).await?;
        } else {
            for tr in trs {
                sqlx::query("DELETE FROM token_requestors WHERE trid = $1")
                    .bind(&tr.token_requestor_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for tr in trs {
            let data = serde_json::to_string(tr).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            sqlx::query(
                "INSERT INTO token_requestors (trid, display_name, tr_type, image_asset_id, data, refreshed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&tr.token_requestor_id)
            .bind(&tr.consumer_facing_entity_name)
            .bind(tr.token_requestor_type.as_str())
            .bind(tr.image_asset_id.as_deref())
            .bind(data)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.catalogue.forget();
        Ok(before)
    }

    /// The whole catalogue, by display name. A row that no longer parses is
    /// skipped with a log line rather than breaking the page.
    pub async fn token_requestors(&self) -> Result<Arc<Vec<TokenRequestor>>, StoreError> {
        if let Some(trs) = self.catalogue.fresh(self.clock.instant()) {
            return Ok(trs);
        }
        let read_at = self.catalogue.generation();
        let rows =
            sqlx::query("SELECT trid, data FROM token_requestors ORDER BY display_name, trid").fetch_all(&self.pool).await?;
        let mut trs = Vec::with_capacity(rows.len());
        for row in rows {
            let data: String = row.try_get("data")?;
            match serde_json::from_str(&data) {
                Ok(tr) => trs.push(tr),
                Err(e) => {
                    let trid: String = row.try_get("trid")?;
                    tracing::warn!(%trid, error = %e, "stored token requestor unreadable; skipped");
                }
            }
        }
        let trs = Arc::new(trs);
        self.catalogue.put(read_at, self.clock.instant(), trs.clone());
        Ok(trs)
    }

    /// One token requestor of the catalogue, if it is (still) in it.
    pub async fn token_requestor(&self, trid: &str) -> Result<Option<TokenRequestor>, StoreError> {
        Ok(self.token_requestors().await?.iter().find(|tr| tr.token_requestor_id == trid).cloned())
    }

    pub async fn has_logo(&self, asset_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM token_requestor_logos WHERE asset_id = $1")
            .bind(asset_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    pub async fn insert_logo(&self, asset_id: &str, logo: &Logo, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO token_requestor_logos (asset_id, media_type, content, sha256, fetched_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (asset_id, media_type) DO NOTHING",
        )
        .bind(asset_id)
        .bind(&logo.media_type)
        .bind(&logo.content)
        .bind(&logo.sha256)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The logos stored for an asset (PNG and/or SVG).
    pub async fn logos(&self, asset_id: &str) -> Result<Vec<Logo>, StoreError> {
        let rows =
            sqlx::query("SELECT media_type, content, sha256 FROM token_requestor_logos WHERE asset_id = $1 ORDER BY media_type")
                .bind(asset_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(Logo { media_type: r.try_get("media_type")?, content: r.try_get("content")?, sha256: r.try_get("sha256")? })
            })
            .collect()
    }

    /// Takes the named lease for `secs` unless another owner holds it.
    pub async fn try_take_lease(&self, name: &str, owner: &str, now: i64, secs: i64) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE leases SET owner = $1, held_until = $2 WHERE name = $3 AND (held_until <= $4 OR owner = $1)")
                .bind(owner)
                .bind(now + secs)
                .bind(name)
                .bind(now)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn release_lease(&self, name: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE leases SET owner = NULL, held_until = 0 WHERE name = $1 AND owner = $2")
            .bind(name)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn catalog_status(&self) -> Result<CatalogStatus, StoreError> {
        let row = sqlx::query("SELECT last_success_at, last_attempt_at, last_error FROM catalog_status WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => CatalogStatus {
                last_success_at: r.try_get("last_success_at")?,
                last_attempt_at: r.try_get("last_attempt_at")?,
                last_error: r.try_get("last_error")?,
            },
            None => CatalogStatus::default(),
        })
    }

    pub async fn record_catalog_refresh(&self, now: i64, error: Option<&str>) -> Result<(), StoreError> {
        let sql = if error.is_none() {
            "UPDATE catalog_status SET last_success_at = $1, last_attempt_at = $1, last_error = $2 WHERE id = 1"
        } else {
            "UPDATE catalog_status SET last_attempt_at = $1, last_error = $2 WHERE id = 1"
        };
        sqlx::query(sql).bind(now).bind(error).execute(&self.pool).await?;
        Ok(())
    }

    /// The distinct issuer account ranges of the stored cards and accounts.
    pub async fn account_ranges_in_use(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT DISTINCT account_range FROM funding_accounts ORDER BY account_range")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("account_range")?)).collect()
    }
}
