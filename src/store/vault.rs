//! Card and account numbers (and other secrets) at rest: AES-256-GCM under a key held outside the
//! database (`database.account_number_key`), a fresh 96-bit nonce per value,
//! and the row's `public_id` as associated data so a ciphertext copied onto
//! another row does not decrypt. Stored as `v1:` + base64(nonce ‖ ciphertext).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::domain::AccountNumber;

#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("an account number could not be decrypted (wrong key or altered row)")]
    Decrypt,
    #[error("an account number could not be encrypted")]
    Encrypt,
}

const VERSION: &str = "v1:";

impl Vault {
    pub fn new(key: &[u8; 32]) -> Self {
        Self { cipher: Aes256Gcm::new(key.into()) }
    }

    pub fn seal(&self, number: &AccountNumber, bound_to: &str) -> Result<String, VaultError> {
        self.seal_text(number.expose(), bound_to)
    }

    pub fn open(&self, sealed: &str, bound_to: &str) -> Result<AccountNumber, VaultError> {
        AccountNumber::parse_digits(&self.open_text(sealed, bound_to)?).map_err(|_| VaultError::Decrypt)
    }

    /// Any other secret kept at rest the same way (e.g. a callback token).
    pub fn seal_text(&self, text: &str, bound_to: &str) -> Result<String, VaultError> {
        let mut nonce_bytes = [0u8; 12];
        rand::fill(&mut nonce_bytes);
        let nonce = Nonce::from(nonce_bytes);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, Payload { msg: text.as_bytes(), aad: bound_to.as_bytes() })
            .map_err(|_| VaultError::Encrypt)?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(format!("{VERSION}{}", B64.encode(out)))
    }

    pub fn open_text(&self, sealed: &str, bound_to: &str) -> Result<String, VaultError> {
        let raw = sealed
            .strip_prefix(VERSION)
            .and_then(|b| B64.decode(b).ok())
            .filter(|raw| raw.len() > 12)
            .ok_or(VaultError::Decrypt)?;
        let (nonce_bytes, ciphertext) = raw.split_at(12);
        let nonce_bytes: [u8; 12] = nonce_bytes.try_into().map_err(|_| VaultError::Decrypt)?;
        let plain = self
            .cipher
            .decrypt(&Nonce::from(nonce_bytes), Payload { msg: ciphertext, aad: bound_to.as_bytes() })
            .map_err(|_| VaultError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| VaultError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_binds_to_the_row() {
        let vault = Vault::new(&[7u8; 32]);
        let pan = AccountNumber::parse_pan("5204731600014792").unwrap();
        let sealed = vault.seal(&pan, "row-1").unwrap();
        assert!(!sealed.contains("5204731600014792"));
        assert_eq!(vault.open(&sealed, "row-1").unwrap(), pan);
        assert!(vault.open(&sealed, "row-2").is_err(), "ciphertext moved to another row must not open");
        assert!(Vault::new(&[8u8; 32]).open(&sealed, "row-1").is_err(), "wrong key must not open");
        assert_ne!(vault.seal(&pan, "row-1").unwrap(), sealed, "fresh nonce per value");
    }
}
