//! The sandbox's keys, generated at first run into the keys folder (never
//! committed): the demo issuer's signing key (the sandbox verifies OAuth
//! signatures with its certificate), the sandbox's payload-encryption key
//! (the portal encrypts to its certificate) and the key that signs the
//! push's JWS (published as JWKS).

use std::path::Path;

use crate::mdes::keys::{DemoKeyFiles, KeyError, generate_demo_keys};

#[derive(Debug, Clone)]
pub struct SandboxKeys {
    pub issuer_signing: DemoKeyFiles,
    pub encryption: DemoKeyFiles,
    pub jws: DemoKeyFiles,
}

impl SandboxKeys {
    /// Loads the keys from `dir`, generating the missing ones.
    pub fn ensure(dir: &Path) -> Result<Self, KeyError> {
        discard_oversized_encryption_key(dir);
        Ok(Self {
            issuer_signing: generate_demo_keys(dir, "demo-issuer-signing")?,
            encryption: generate_demo_keys(dir, "sandbox-encryption")?,
            jws: generate_demo_keys(dir, "sandbox-jws")?,
        })
    }
}

/// Earlier builds generated 3072-bit keys; an RSA-3072 `encryptedKey` is 768
/// hex characters and the spec allows at most 512 (RSA-2048), so the portal's
/// every push would be refused. Such a sandbox encryption key pair (demo
/// only, regenerated at will) is deleted here so it is generated anew.
fn discard_oversized_encryption_key(dir: &Path) {
    use rsa::traits::PublicKeyParts as _;
    let key_path = dir.join("sandbox-encryption-key.pem");
    let Ok(key) = crate::mdes::keys::load_private_key_pem_file(&key_path) else { return };
    if key.to_public_key().size() > 256 {
        tracing::warn!(dir = %dir.display(), "sandbox encryption key larger than RSA-2048: generating a new one");
        let _ = std::fs::remove_file(&key_path);
        let _ = std::fs::remove_file(dir.join("sandbox-encryption-cert.pem"));
    }
}
