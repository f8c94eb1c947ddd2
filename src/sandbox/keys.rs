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
        Ok(Self {
            issuer_signing: generate_demo_keys(dir, "demo-issuer-signing")?,
            encryption: generate_demo_keys(dir, "sandbox-encryption")?,
            jws: generate_demo_keys(dir, "sandbox-jws")?,
        })
    }
}
