//! The sandbox's running state: its keys, its data set, and what MDES and the
//! TRs remember between calls (nonces, receipts, TR journeys). Memory only:
//! a restart forgets receipts, as an expired validity period would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::web;
use anyhow::Context;
use rsa::{PrivateKey, PublicKey};
use sha2::{Digest, Sha256};

use super::{SandboxData, SandboxKeys, SandboxSettings, SandboxSetup, Scenario};
use crate::mdes::jws::{Jwk, Jwks};
use crate::mdes::keys;

/// Above this many remembered items (receipts, journeys, nonces) new ones are
/// refused: memory must not grow without bound under hostile traffic.
pub const MAX_ENTRIES: usize = 50_000;

/// A receipt MDES issued.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub token_requestor_id: String,
    pub last4: String,
    pub scenario: Scenario,
    /// Unix seconds; the receipt is unusable from then on.
    pub expires_at: u64,
    pub redeemed: bool,
}

/// A cardholder's visit to a demo TR, from the push URI to the callback.
#[derive(Debug, Clone)]
pub struct Journey {
    pub token_requestor_id: String,
    pub receipts: Vec<String>,
    pub callback_url: Option<String>,
    pub stage: Stage,
    pub created_at: u64,
    /// Set at sign-in.
    pub cardholder: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    SignIn,
    Terms,
}

pub struct SandboxState {
    pub settings: SandboxSettings,
    pub data: SandboxData,
    /// Scheme, host and port callers use: the OAuth base string is built from it.
    pub public_origin: String,
    /// Where TR push URIs point (scheme, host, port).
    pub site_base: String,
    pub token_events_url: String,
    pub token_event_key: [u8; 32],
    /// Standalone (own server): the TR pages set their own security headers.
    pub standalone: bool,
    pub issuer_key: PublicKey,
    pub decryption_key: PrivateKey,
    /// Accepted `publicKeyFingerprint`s (certificate and SubjectPublicKeyInfo), lower case.
    pub fingerprints: Vec<String>,
    pub jws_key: PrivateKey,
    pub kid: String,
    pub jwks: Jwks,
    pub http: reqwest::Client,
    nonces: Mutex<HashMap<String, u64>>,
    receipts: Mutex<HashMap<String, Receipt>>,
    journeys: Mutex<HashMap<String, Journey>>,
}

/// A poisoned lock only means another request panicked mid-update; the maps
/// stay usable, and the sandbox must keep answering.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl SandboxState {
    /// The sandbox mounted in the portal (`standalone` false; `public_origin`
    /// is the portal's public URL) or on its own server.
    pub fn build(setup: &SandboxSetup, public_origin: &str, standalone: bool) -> anyhow::Result<Arc<Self>> {
        let s = &setup.settings;
        let public_origin = public_origin.trim_end_matches('/').to_string();
        let dir = &setup.keys_dir;
        let keys = SandboxKeys::ensure(dir).map_err(|e| anyhow::anyhow!("sandbox keys in {}: {e}", dir.display()))?;
        let issuer_key = keys::load_public_key("sandbox issuer certificate", &keys.issuer_signing.certificate)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let decryption_key = keys::load_private_key_pem_file(&keys.encryption.private_key).map_err(|e| anyhow::anyhow!("{e}"))?;
        let enc = keys::load_encryption_key("sandbox encryption certificate", &keys.encryption.certificate)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut fingerprints = vec![enc.public_key_fingerprint.to_ascii_lowercase()];
        fingerprints.extend(enc.certificate_fingerprint.map(|f| f.to_ascii_lowercase()));
        let jws_key = keys::load_private_key_pem_file(&keys.jws.private_key).map_err(|e| anyhow::anyhow!("{e}"))?;
        let jws_public = jws_key.to_public_key();
        // The kid names the key itself, so it stays the same across restarts
        // and changes when the key is regenerated.
        let kid = {
            let jwk = Jwk::from_public_key(&jws_public, "");
            let digest = Sha256::digest(format!("{}.{}", jwk.n, jwk.e));
            format!("sandbox-{}", &hex::encode(digest)[..16])
        };
        let jwks = Jwks { keys: vec![Jwk::from_public_key(&jws_public, kid.clone())] };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("sandbox HTTP client")?;
        Ok(Arc::new(Self {
            settings: s.clone(),
            data: s.load_data(setup.issuer)?,
            site_base: public_origin.clone(),
            public_origin,
            token_events_url: setup.token_events_url.clone(),
            token_event_key: setup.token_event_key,
            standalone,
            issuer_key,
            decryption_key,
            fingerprints,
            jws_key,
            kid,
            jwks,
            http,
            nonces: Mutex::new(HashMap::new()),
            receipts: Mutex::new(HashMap::new()),
            journeys: Mutex::new(HashMap::new()),
        }))
    }

    /// Records a nonce; false when it was already used within the window.
    pub fn use_nonce(&self, key: String, now: u64) -> bool {
        let window = self.settings.oauth_max_skew_secs.saturating_mul(2).max(1);
        let mut nonces = lock(&self.nonces);
        if nonces.len() >= MAX_ENTRIES {
            nonces.retain(|_, seen| now.saturating_sub(*seen) <= window);
        }
        if nonces.contains_key(&key) || nonces.len() >= MAX_ENTRIES {
            return false;
        }
        nonces.insert(key, now);
        true
    }

    pub fn issue_receipt(&self, id: String, receipt: Receipt, now: u64) -> bool {
        let mut receipts = lock(&self.receipts);
        if receipts.len() >= MAX_ENTRIES {
            // Expired for an hour: no TR can ask about them any more.
            receipts.retain(|_, r| r.expires_at + 3600 > now);
        }
        if receipts.len() >= MAX_ENTRIES {
            return false;
        }
        receipts.insert(id, receipt);
        true
    }

    /// Redeems every receipt or none: the first refusal is returned.
    pub fn redeem(&self, ids: &[String], trid: &str, now: u64) -> Result<Vec<Receipt>, (String, Refusal)> {
        let mut receipts = lock(&self.receipts);
        for id in ids {
            let refusal = match receipts.get(id) {
                None => Some(Refusal::Unknown),
                Some(r) if r.token_requestor_id != trid => Some(Refusal::Unknown),
                Some(r) if r.redeemed => Some(Refusal::AlreadyUsed),
                Some(r) if now >= r.expires_at => Some(Refusal::Expired),
                Some(_) => None,
            };
            if let Some(refusal) = refusal {
                return Err((id.clone(), refusal));
            }
        }
        Ok(ids
            .iter()
            .filter_map(|id| {
                let r = receipts.get_mut(id)?;
                r.redeemed = true;
                Some(r.clone())
            })
            .collect())
    }

    pub fn receipt(&self, id: &str) -> Option<Receipt> {
        lock(&self.receipts).get(id).cloned()
    }

    pub fn start_journey(&self, journey: Journey) -> Option<String> {
        let mut journeys = lock(&self.journeys);
        let now = journey.created_at;
        journeys.retain(|_, j| now.saturating_sub(j.created_at) < 3600);
        if journeys.len() >= MAX_ENTRIES {
            return None;
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        journeys.insert(id.clone(), journey);
        Some(id)
    }

    pub fn journey(&self, id: &str) -> Option<Journey> {
        lock(&self.journeys).get(id).cloned()
    }

    pub fn update_journey(&self, id: &str, journey: Journey) {
        lock(&self.journeys).insert(id.to_string(), journey);
    }

    pub fn end_journey(&self, id: &str) -> Option<Journey> {
        lock(&self.journeys).remove(id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    AlreadyUsed,
    Expired,
}

/// The sandbox's routes below `/sandbox`: MDES at `/sandbox/mdes/...`
/// (Mastercard's paths after the base URL), its JWKS, and the demo TR pages
/// at `/sandbox/tr/...`.
pub fn routes(state: Arc<SandboxState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.service(
            web::scope("/sandbox")
                .app_data(web::Data::from(state))
                // Encrypted pushes of 5 accounts are a few kB; refuse far more.
                .app_data(web::PayloadConfig::default().limit(256 * 1024))
                .app_data(web::FormConfig::default().limit(16 * 1024))
                .route("/mdes/connect/1/0/getEligibleTokenRequestors", web::post().to(super::api::eligibility))
                .route("/mdes/connect/1/0/pushMultipleAccounts", web::post().to(super::api::push_multiple_accounts))
                .route("/mdes/connect/1/0/pushAccount", web::post().to(super::api::push_account))
                .route("/mdes/issuer-assets/1/0/asset/tokenrequestor/{asset_id}", web::get().to(super::api::asset))
                .route("/mdes/jwks.json", web::get().to(super::api::jwks))
                .route("/tr/{trid}/push", web::get().to(super::tr::push))
                .route("/tr/{trid}/app/{platform}", web::get().to(super::tr::push))
                .route("/tr/journeys/{id}", web::post().to(super::tr::step)),
        );
    }
}
