//! `mdes.*` settings (the lead embeds this as `settings.mdes`). Every field has a default so a
//! partial config file works; secrets are `secrecy` types so they never reach a log.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use super::encryption::{CipherMode, EncryptionOptions, FingerprintMode, OaepDigest};

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MdesSettings {
    /// e.g. `https://sandbox.api.mastercard.com/mdes` (no trailing slash needed). Never
    /// hard-coded elsewhere.
    pub base_url: String,
    /// Mastercard consumer key (an identifier, not a secret, but keep it out of URLs).
    pub consumer_key: String,
    /// PKCS#12 (`.p12`) from Mastercard Developers, or an unencrypted PEM key.
    pub signing_key_path: PathBuf,
    pub signing_key_password: Option<SecretString>,
    /// PKCS#12 alias ("keyalias" in Mastercard's portal); the first key when absent.
    pub signing_key_alias: Option<String>,
    /// Mastercard's payload-encryption certificate (PEM or DER), or a PEM public key.
    pub encryption_certificate_path: PathBuf,
    /// `certificate` (SHA-256 of the certificate DER), `public_key` (of the SPKI DER), or the
    /// fingerprint itself as Mastercard Developers shows it for the key (hex, sent as written).
    pub fingerprint: FingerprintMode,
    /// `SHA512` (default, Mastercard's samples) or `SHA256`.
    pub oaep_digest: OaepDigest,
    /// `CBC` (default) or `GCM`.
    pub cipher: CipherMode,
    /// 128 (default) or 256.
    pub aes_key_bits: u16,
    pub connect_timeout_ms: u64,
    /// Whole-call timeout (connect + send + read).
    pub request_timeout_ms: u64,
    /// Extra attempts for calls that are safe to repeat (getEligibleTokenRequestors,
    /// getAsset). A push is retried at most once, and only when it never reached MDES.
    pub retries: u32,
    /// First back-off; doubles on each further attempt.
    pub retry_backoff_ms: u64,
}

impl Default for MdesSettings {
    fn default() -> Self {
        MdesSettings {
            base_url: "https://sandbox.api.mastercard.com/mdes".into(),
            consumer_key: String::new(),
            signing_key_path: PathBuf::new(),
            signing_key_password: None,
            signing_key_alias: None,
            encryption_certificate_path: PathBuf::new(),
            fingerprint: FingerprintMode::Certificate,
            oaep_digest: OaepDigest::Sha512,
            cipher: CipherMode::Cbc,
            aes_key_bits: 128,
            connect_timeout_ms: 5_000,
            request_timeout_ms: 20_000,
            retries: 2,
            retry_backoff_ms: 250,
        }
    }
}

impl MdesSettings {
    pub fn encryption_options(&self) -> EncryptionOptions {
        EncryptionOptions {
            oaep_digest: self.oaep_digest,
            cipher: self.cipher,
            fingerprint: self.fingerprint.clone(),
            aes_key_bits: self.aes_key_bits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_config_gets_defaults_and_enums_parse() {
        let s: MdesSettings = serde_json::from_value(serde_json::json!({
            "consumer_key": "ck", "oaep_digest": "SHA256", "cipher": "GCM", "fingerprint": "public_key",
            "signing_key_password": "pw"
        }))
        .unwrap();
        assert_eq!(s.consumer_key, "ck");
        assert_eq!(s.oaep_digest, OaepDigest::Sha256);
        assert_eq!(s.cipher, CipherMode::Gcm);
        assert_eq!(s.fingerprint, FingerprintMode::PublicKey);
        assert_eq!(s.aes_key_bits, 128);
        assert!(!format!("{s:?}").contains("\"pw\""), "password must not be printed");
        let literal: MdesSettings = serde_json::from_value(serde_json::json!({
            "fingerprint": "4C4EAD5927F0DF8117F178EEA9308DAA58E27C2B4C4EAD5927F0DF8117F178EE"
        }))
        .unwrap();
        assert_eq!(
            literal.fingerprint,
            FingerprintMode::Literal("4C4EAD5927F0DF8117F178EEA9308DAA58E27C2B4C4EAD5927F0DF8117F178EE".into())
        );
        let d = MdesSettings::default();
        assert_eq!(d.oaep_digest, OaepDigest::Sha512);
        assert_eq!(d.cipher, CipherMode::Cbc);
    }
}
