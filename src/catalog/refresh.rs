//! Refreshing the catalogue from MDES.
//!
//! One refresh: take the lease (several instances share a database), ask
//! getEligibleTokenRequestors for the issuer's ranges in batches of 25, and
//! only if every batch answered, replace the stored catalogue in one
//! transaction; then fetch logos for asset ids not stored yet (an asset id's
//! content never changes). When MDES fails, the last good catalogue stays.
//!
//! A partial answer — `errors` beside token requestors, or an item left out
//! as malformed — updates the TRs it returned and removes none: a TR it did
//! not return may be one it could not say. Only a clean answer removes TRs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Deserialize;

use super::assets::{AssetLimits, checked_logo};
use crate::domain::TokenRequestor;
use crate::mdes::{MdesClient, model};
use crate::store::{CatalogStatus, Store, StoreError};

const LEASE: &str = "catalog-refresh";
/// getEligibleTokenRequestors takes at most this many ranges per call.
const RANGES_PER_CALL: usize = 25;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogSettings {
    /// Issuer account ranges (9–19 digits) to ask about; empty = the ranges
    /// of the cards and accounts in the database.
    pub account_ranges: Vec<String>,
    /// Refresh when the last good refresh is older than this (14 days).
    pub refresh_interval_secs: u64,
    /// How often a running portal checks whether a refresh is due.
    pub check_interval_secs: u64,
    /// How long one instance may hold the refresh lease.
    pub lease_secs: u64,
    /// Largest logo kept, in bytes.
    pub max_logo_bytes: usize,
    /// Refresh in the background while serving (at start when empty or
    /// stale, then when due). Off leaves it to `pushprov catalog refresh`.
    pub scheduled: bool,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            account_ranges: Vec::new(),
            refresh_interval_secs: 14 * 24 * 3600,
            check_interval_secs: 3600,
            lease_secs: 300,
            max_logo_bytes: 256 * 1024,
            scheduled: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("another instance is refreshing the catalogue")]
    Busy,
    #[error("no account ranges to ask about (setting catalog.account_ranges, or cards in the database)")]
    NoRanges,
    #[error("MDES getEligibleTokenRequestors failed: {0}")]
    Mdes(#[from] crate::mdes::MdesClientError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a refresh changed; `pushprov catalog refresh` prints it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RefreshReport {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub kept: usize,
    pub skipped: Vec<String>,
    /// MDES's answer was partial (errors beside TRs, or malformed TRs left
    /// out): nothing was removed.
    pub partial: bool,
    pub logos_fetched: usize,
    pub logos_rejected: usize,
}

impl std::fmt::Display for RefreshReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "token requestors: {} added, {} removed, {} unchanged", self.added.len(), self.removed.len(), self.kept)?;
        for trid in &self.added {
            writeln!(f, "  + {trid}")?;
        }
        for trid in &self.removed {
            writeln!(f, "  - {trid}")?;
        }
        for reason in &self.skipped {
            writeln!(f, "  skipped: {reason}")?;
        }
        if self.partial {
            writeln!(f, "  partial answer from MDES: no token requestor removed")?;
        }
        write!(f, "logos: {} fetched, {} rejected", self.logos_fetched, self.logos_rejected)
    }
}

/// Refreshes now (unless another instance holds the lease).
pub async fn refresh(
    store: &Store,
    client: &MdesClient,
    settings: &CatalogSettings,
    owner: &str,
) -> Result<RefreshReport, RefreshError> {
    let lease_secs = i64::try_from(settings.lease_secs).unwrap_or(300);
    if !store.try_take_lease(LEASE, owner, store.clock().now_unix(), lease_secs).await? {
        return Err(RefreshError::Busy);
    }
    let result = refresh_holding_lease(store, client, settings).await;
    let now = store.clock().now_unix();
    let recorded = match &result {
        Ok(_) => store.record_catalog_refresh(now, None).await,
        Err(e) => {
            tracing::warn!(error = %e, "catalogue refresh failed; keeping the last good catalogue");
            store.record_catalog_refresh(now, Some(&e.to_string())).await
        }
    };
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "could not record the catalogue refresh");
    }
    if let Err(e) = store.release_lease(LEASE, owner).await {
        tracing::warn!(error = %e, "could not release the catalogue lease");
    }
    result
}

async fn refresh_holding_lease(
    store: &Store,
    client: &MdesClient,
    settings: &CatalogSettings,
) -> Result<RefreshReport, RefreshError> {
    let ranges =
        if settings.account_ranges.is_empty() { store.account_ranges_in_use().await? } else { settings.account_ranges.clone() };
    if ranges.is_empty() {
        return Err(RefreshError::NoRanges);
    }
    let mut report = RefreshReport::default();
    let mut fetched = Vec::new();
    for batch in ranges.chunks(RANGES_PER_CALL) {
        // Any failed batch aborts the refresh: a partial answer must not
        // remove the TRs the missing batches would have returned.
        let response = client.get_eligible_token_requestors(batch).await?;
        if !response.errors.is_empty() {
            // Logged by the client, with the requestId.
            report.partial = true;
        }
        for (trid, why) in &response.skipped {
            report.partial = true;
            let trid = trid.as_deref().unwrap_or("?");
            tracing::warn!(trid = %trid.escape_debug(), %why, "malformed token requestor in MDES's answer skipped");
            report.skipped.push(format!("{}: malformed ({why})", trid.escape_debug()));
        }
        fetched.extend(response.token_requestors);
    }
    let trs = merge_and_check(fetched, &mut report);

    let before = if report.partial {
        store.upsert_token_requestors(&trs, store.clock().now_unix()).await?
    } else {
        store.replace_token_requestors(&trs, store.clock().now_unix()).await?
    };
    let after: BTreeSet<String> = trs.iter().map(|t| t.token_requestor_id.clone()).collect();
    report.added = after.difference(&before).cloned().collect();
    if !report.partial {
        report.removed = before.difference(&after).cloned().collect();
    }
    report.kept = after.intersection(&before).count();

    let limits = AssetLimits { max_bytes: settings.max_logo_bytes };
    let asset_ids: BTreeSet<&str> = trs.iter().filter_map(|t| t.image_asset_id.as_deref()).collect();
    for asset_id in asset_ids {
        if store.has_logo(asset_id).await? {
            continue;
        }
        match client.get_asset(asset_id).await {
            Ok(asset) => {
                for media in &asset.media_contents {
                    match checked_logo(media, limits) {
                        Ok(logo) => {
                            store.insert_logo(asset_id, &logo, store.clock().now_unix()).await?;
                            report.logos_fetched += 1;
                        }
                        Err(why) => {
                            tracing::warn!(%asset_id, media_type = %media.media_type, %why, "asset content skipped");
                            report.logos_rejected += 1;
                        }
                    }
                }
            }
            // A logo that cannot be fetched now is tried again next refresh;
            // meanwhile the TR shows the neutral placeholder.
            Err(e) => tracing::warn!(%asset_id, error = %e, "getAsset failed"),
        }
    }
    tracing::info!(
        added = report.added.len(),
        removed = report.removed.len(),
        kept = report.kept,
        logos = report.logos_fetched,
        "catalogue refreshed"
    );
    Ok(report)
}

/// Drops what cannot be shown or used, merging duplicates (the same TR may
/// come back for several ranges or batches: its enabled ranges are united),
/// and makes the portal's entries of what is left.
fn merge_and_check(fetched: Vec<model::TokenRequestor>, report: &mut RefreshReport) -> Vec<TokenRequestor> {
    let mut by_id: BTreeMap<String, model::TokenRequestor> = BTreeMap::new();
    for mut tr in fetched {
        let trid = tr.token_requestor_id.clone();
        if trid.len() != 11 || !trid.bytes().all(|b| b.is_ascii_digit()) {
            let shown: String = trid.chars().take(20).collect();
            tracing::warn!(trid = %shown.escape_debug(), "token requestor with an invalid id skipped");
            report.skipped.push(format!("invalid tokenRequestorId {:?}", shown));
            continue;
        }
        if tr.consumer_facing_entity_name.trim().is_empty() {
            tr.consumer_facing_entity_name = tr.name.clone();
        }
        let name_len = tr.consumer_facing_entity_name.chars().count();
        if tr.consumer_facing_entity_name.trim().is_empty() || name_len > 100 {
            // wire contract §9: the name must be shown in full; one we cannot show in
            // full (or at all) is not shown.
            tracing::warn!(%trid, name_len, "token requestor without a showable name skipped");
            report.skipped.push(format!("{trid}: name missing or longer than 100 characters"));
            continue;
        }
        if let Some(id) = &tr.image_asset_id {
            let ok = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if !ok {
                tracing::warn!(%trid, "image asset id unusable; the TR gets the placeholder logo");
                tr.image_asset_id = None;
            }
        }
        match by_id.get_mut(&trid) {
            Some(existing) => {
                tracing::info!(%trid, "token requestor returned more than once; merged");
                for range in tr.enabled_account_ranges {
                    if !existing.enabled_account_ranges.contains(&range) {
                        existing.enabled_account_ranges.push(range);
                    }
                }
            }
            None => {
                by_id.insert(trid, tr);
            }
        }
    }
    by_id.into_values().map(portal_entry).collect()
}

/// The boundary between MDES's model and the portal's: what the portal
/// keeps of a checked TR. Its legal `name` (used above only when the display
/// name is missing), `walletId` and `supportsCardHolderAuthentication` are
/// not read after this.
fn portal_entry(tr: model::TokenRequestor) -> TokenRequestor {
    TokenRequestor {
        token_requestor_id: tr.token_requestor_id,
        consumer_facing_entity_name: tr.consumer_facing_entity_name,
        image_asset_id: tr.image_asset_id,
        token_requestor_type: tr.token_requestor_type,
        enabled_account_ranges: tr.enabled_account_ranges,
        supported_push_methods: tr.supported_push_methods,
        available_push_methods: tr.available_push_methods,
        supports_multiple_pushed_cards: tr.supports_multiple_pushed_cards,
        supported_account_holder_data: tr.supported_account_holder_data,
        supports_token_connect: tr.supports_token_connect,
        support_issuer_initiated_digitization_data: tr.support_issuer_initiated_digitization_data,
    }
}

/// Refreshes when the catalogue is empty or older than the interval.
pub async fn refresh_if_stale(
    store: &Store,
    client: &MdesClient,
    settings: &CatalogSettings,
    owner: &str,
) -> Result<Option<RefreshReport>, RefreshError> {
    let status = store.catalog_status().await?;
    let interval = i64::try_from(settings.refresh_interval_secs).unwrap_or(i64::MAX / 2);
    let stale = match status.last_success_at {
        None => true,
        Some(at) => store.clock().now_unix() - at >= interval,
    };
    if !stale {
        return Ok(None);
    }
    match refresh(store, client, settings, owner).await {
        Ok(report) => Ok(Some(report)),
        Err(RefreshError::Busy) => Ok(None),
        Err(e) => Err(e),
    }
}

/// How old the stored catalogue is (for `/readyz` and the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueAge {
    /// Seconds since the last good refresh; `None` when there was none.
    pub last_refresh_age_secs: Option<i64>,
    /// Older than `catalog.refresh_interval_secs`, or never refreshed.
    pub overdue: bool,
}

pub fn catalogue_age(status: &CatalogStatus, refresh_interval_secs: u64, now: i64) -> CatalogueAge {
    let age = status.last_success_at.map(|at| now.saturating_sub(at).max(0));
    let interval = i64::try_from(refresh_interval_secs).unwrap_or(i64::MAX);
    CatalogueAge { last_refresh_age_secs: age, overdue: age.is_none_or(|age| age > interval) }
}

/// Warns when the last good refresh is older than the refresh interval:
/// refreshes have been failing (or none has worked yet), and the
/// catalogue the cardholders see is getting old.
async fn warn_if_overdue(store: &Store, settings: &CatalogSettings) {
    let status = match store.catalog_status().await {
        Ok(status) => status,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the catalogue refresh status");
            return;
        }
    };
    let age = catalogue_age(&status, settings.refresh_interval_secs, store.clock().now_unix());
    if !age.overdue {
        return;
    }
    match age.last_refresh_age_secs {
        Some(age_secs) => tracing::warn!(
            age_secs,
            refresh_interval_secs = settings.refresh_interval_secs,
            last_error = status.last_error.as_deref().unwrap_or(""),
            "the token requestor catalogue is older than catalog.refresh_interval_secs"
        ),
        None => tracing::warn!(
            last_error = status.last_error.as_deref().unwrap_or(""),
            "the token requestor catalogue has never been refreshed successfully"
        ),
    }
}

/// Runs for the life of the portal: refresh at start when empty or stale,
/// then check every `check_interval_secs`. After a failure it tries again
/// sooner (30 s, doubling), so a portal started while MDES was down gets
/// its catalogue as soon as MDES is back.
pub async fn run_schedule(store: Store, client: std::sync::Arc<MdesClient>, settings: CatalogSettings, owner: String) {
    let check = Duration::from_secs(settings.check_interval_secs.max(1));
    let mut retry = Duration::from_secs(30);
    loop {
        let wait = match refresh_if_stale(&store, &client, &settings, &owner).await {
            Ok(_) => {
                retry = Duration::from_secs(30);
                check
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_secs = retry.as_secs(), "scheduled catalogue refresh failed");
                let wait = retry.min(check);
                retry = (retry * 2).min(check);
                wait
            }
        };
        warn_if_overdue(&store, &settings).await;
        tokio::time::sleep(wait).await;
    }
}

/// Who holds a lease: host, process and a random part (several instances
/// may run on one host).
pub fn lease_owner() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    format!("{host}-{}-{:08x}", std::process::id(), rand::random::<u32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attack on issue 16 item 4 ("stored rows keep reading"): before the
    /// portal had its own type, `token_requestors.data` was the wire model
    /// as serialised (`mdes::model::TokenRequestor`, legal `name`, `walletId`
    /// and `supportsCardHolderAuthentication` included). Such a row reads as
    /// the portal entry the refresh now stores for the same TR, unknown
    /// codes kept as `Other`; and the new row reads back the same.
    #[test]
    fn a_row_stored_before_the_portal_type_reads_as_its_portal_entry() {
        let items = [
            serde_json::json!({
                "tokenRequestorId": "50100000001", "name": "Sandbox Wallet Ltd", "consumerFacingEntityName": "Sandbox Wallet",
                "imageAssetId": "asset-1", "tokenRequestorType": "WALLET", "walletId": "216",
                "enabledAccountRanges": ["520473160", 5_204_731_610_000_000_000u64, "9999999999999999999"],
                "supportedPushMethods": ["WEB", "ANDROID", "IOS"],
                "availablePushMethods": [{"type": "WEB", "uri": "https://wallet.example/push"}, {"type": "IOS", "uri": "wallet://push"}],
                "supportsMultiplePushedCards": true,
                "supportedAccountHolderData": ["NAME", "ADDRESS", "EMAIL_ADDRESS", "MOBILE_PHONE_NUMBER"],
                "supportsCardHolderAuthentication": false, "supportsTokenConnect": true,
                "supportIssuerInitiatedDigitizationData": true
            }),
            serde_json::json!({
                "tokenRequestorId": "50100000007", "name": "Spec Minimal", "consumerFacingEntityName": "",
                "tokenRequestorType": "MERCHANT", "enabledAccountRanges": ["510000901"]
            }),
            serde_json::json!({
                "tokenRequestorId": "59999999901", "name": "Future Pay Ltd", "consumerFacingEntityName": "Future Pay",
                "tokenRequestorType": "PAYMENT_FACILITATOR", "enabledAccountRanges": ["520473160"],
                "supportedPushMethods": ["CAR", "WEB"], "availablePushMethods": [{"type": "CAR", "uri": "car://push"}],
                "supportedAccountHolderData": ["BIOMETRIC", "NAME"], "supportsCardHolderAuthentication": true
            }),
        ];
        let fetched: Vec<model::TokenRequestor> = items.into_iter().map(|i| model::read_token_requestor(i).unwrap()).collect();
        let mut report = RefreshReport::default();
        let entries = merge_and_check(fetched.clone(), &mut report);
        assert_eq!(entries.len(), 3, "{report}");
        for (mut wire, entry) in fetched.into_iter().zip(entries) {
            // What merge_and_check did to the wire TR before it was stored.
            if wire.consumer_facing_entity_name.trim().is_empty() {
                wire.consumer_facing_entity_name = wire.name.clone();
            }
            let old_row = serde_json::to_string(&wire).unwrap();
            let read: TokenRequestor = serde_json::from_str(&old_row).unwrap_or_else(|e| panic!("{old_row}: {e}"));
            assert_eq!(read, entry, "{old_row}");
            let new_row = serde_json::to_string(&entry).unwrap();
            assert_eq!(serde_json::from_str::<TokenRequestor>(&new_row).unwrap(), entry, "{new_row}");
        }
    }

    #[test]
    fn the_catalogue_is_overdue_once_older_than_the_interval_or_never_refreshed() {
        let at = |t: Option<i64>| CatalogStatus { last_success_at: t, ..CatalogStatus::default() };
        let now = 1_000_000;
        assert_eq!(
            catalogue_age(&at(Some(now - 100)), 3600, now),
            CatalogueAge { last_refresh_age_secs: Some(100), overdue: false }
        );
        assert!(!catalogue_age(&at(Some(now - 3600)), 3600, now).overdue, "due now, not yet overdue");
        assert_eq!(
            catalogue_age(&at(Some(now - 3601)), 3600, now),
            CatalogueAge { last_refresh_age_secs: Some(3601), overdue: true }
        );
        assert_eq!(catalogue_age(&at(None), 3600, now), CatalogueAge { last_refresh_age_secs: None, overdue: true });
        // A clock that went back shows age 0, not a negative age; huge settings do not overflow.
        assert_eq!(catalogue_age(&at(Some(now + 50)), u64::MAX, now).last_refresh_age_secs, Some(0));
    }

    /// The periodic check's warning (this thread's logs only: a current-thread runtime).
    #[tokio::test(flavor = "current_thread")]
    async fn an_overdue_catalogue_is_a_warning_at_the_check() {
        let logs = pushprov_test_support::logs::Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url, 1, crate::store::Vault::new(&[7u8; 32])).await.unwrap();
        store.migrate().await.unwrap();
        let settings = CatalogSettings { refresh_interval_secs: 3600, ..CatalogSettings::default() };

        warn_if_overdue(&store, &settings).await;
        let never = logs.take();
        assert!(never.contains("WARN") && never.contains("never been refreshed successfully"), "{never}");

        store.record_catalog_refresh(store.clock().now_unix() - 100, None).await.unwrap();
        warn_if_overdue(&store, &settings).await;
        assert_eq!(logs.take(), "", "fresh: nothing to say");

        store.record_catalog_refresh(store.clock().now_unix() - 7200, None).await.unwrap();
        store.record_catalog_refresh(store.clock().now_unix(), Some("MDES answered HTTP 503")).await.unwrap();
        warn_if_overdue(&store, &settings).await;
        let old = logs.take();
        assert!(old.contains("WARN") && old.contains("older than catalog.refresh_interval_secs"), "{old}");
        assert!(old.contains("age_secs=720") && old.contains("refresh_interval_secs=3600"), "{old}");
        assert!(old.contains("MDES answered HTTP 503"), "the last failure, to say why: {old}");
    }
}
