//! The built-in MDES sandbox and demo token requestors: a real counterpart
//! reached over HTTP exactly like Mastercard, never called as a library by
//! the portal. See the README's "Sandbox" section.

pub mod keys;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::mdes::MdesSettings;
pub use keys::SandboxKeys;

/// Where the sandbox's MDES endpoints live below the portal when mounted.
pub const MOUNT_PATH: &str = "/sandbox/mdes";

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxSettings {
    /// Mount the sandbox in the portal's server and point the portal's MDES
    /// client at it. Defaults to `demo.enabled`; never on in production.
    pub enabled: Option<bool>,
    /// Folder of the generated sandbox and demo-issuer keys; defaults to
    /// `{data_dir}/keys`.
    pub keys_dir: Option<PathBuf>,
    /// The consumer key the demo issuer signs with.
    pub consumer_key: String,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self { enabled: None, keys_dir: None, consumer_key: "pushprov-demo-issuer".into() }
    }
}

impl SandboxSettings {
    pub fn is_enabled(&self, demo: bool) -> bool {
        self.enabled.unwrap_or(demo)
    }

    pub fn keys_dir(&self, data_dir: &Path) -> PathBuf {
        self.keys_dir.clone().unwrap_or_else(|| data_dir.join("keys"))
    }

    /// The portal's MDES settings when it talks to the mounted sandbox at
    /// `public_url`: the operator's timeouts and crypto options, the
    /// sandbox's address, consumer key and generated keys.
    pub fn portal_mdes_settings(&self, base: &MdesSettings, public_url: &str, keys: &SandboxKeys) -> MdesSettings {
        MdesSettings {
            base_url: format!("{}{MOUNT_PATH}", public_url.trim_end_matches('/')),
            consumer_key: self.consumer_key.clone(),
            signing_key_path: keys.issuer_signing.private_key.clone(),
            signing_key_password: None,
            signing_key_alias: None,
            encryption_certificate_path: keys.encryption.certificate.clone(),
            ..base.clone()
        }
    }
}
