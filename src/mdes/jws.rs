//! JWS compact serialisation, RS256 with a `kid` (wire contract §5): MDES signs the push answer this
//! way; the sandbox signs, the demo TR verifies against the sandbox's JWKS.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding as _, Signer as _, Verifier as _};
use rsa::traits::PublicKeyParts as _;
use rsa::{BoxedUint, PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwsError {
    #[error("not a JWS compact serialisation")]
    Malformed,
    #[error("unsupported JWS algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    #[error("no key with kid {0:?} in the JWKS")]
    UnknownKid(String),
    #[error("JWS header has no kid")]
    MissingKid,
    #[error("JWS signature does not verify")]
    BadSignature,
    #[error("JWK is not a usable RSA key")]
    BadJwk,
    #[error("signing failed")]
    Signing,
}

/// The protected header. Unknown members are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwsHeader {
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// A JSON Web Key Set (RFC 7517) as published at the sandbox's JWKS URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// An RSA public JWK. Other key types deserialize (so a mixed set parses) but never verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(default)]
    pub n: String,
    #[serde(default)]
    pub e: String,
}

impl Jwk {
    /// The public JWK of an RSA key, for signing use with RS256.
    pub fn from_public_key(key: &PublicKey, kid: impl Into<String>) -> Self {
        Jwk {
            kty: "RSA".into(),
            kid: Some(kid.into()),
            use_: Some("sig".into()),
            alg: Some("RS256".into()),
            n: B64URL.encode(strip_leading_zeros(&key.n_bytes())),
            e: B64URL.encode(strip_leading_zeros(&key.e_bytes())),
        }
    }

    pub fn to_public_key(&self) -> Result<PublicKey, JwsError> {
        if self.kty != "RSA" {
            return Err(JwsError::BadJwk);
        }
        let n = B64URL.decode(&self.n).map_err(|_| JwsError::BadJwk)?;
        let e = B64URL.decode(&self.e).map_err(|_| JwsError::BadJwk)?;
        if n.is_empty() || e.is_empty() || n.len() > 1024 || e.len() > 8 {
            return Err(JwsError::BadJwk);
        }
        let n = BoxedUint::from_be_slice_vartime(&n);
        let e = BoxedUint::from_be_slice_vartime(&e);
        PublicKey::new(n, e).map_err(|_| JwsError::BadJwk)
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len().saturating_sub(1));
    &bytes[start..]
}

impl Jwks {
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

/// Signs `payload` (the exact bytes, usually compact JSON) as `header.payload.signature`.
pub fn sign(payload: &[u8], key: &PrivateKey, kid: &str) -> Result<String, JwsError> {
    let header = serde_json::to_vec(&JwsHeader { alg: "RS256".into(), kid: Some(kid.into()) }).map_err(|_| JwsError::Signing)?;
    let signing_input = format!("{}.{}", B64URL.encode(header), B64URL.encode(payload));
    let sig: Signature =
        SigningKey::<Sha256>::new(key.clone()).try_sign(signing_input.as_bytes()).map_err(|_| JwsError::Signing)?;
    Ok(format!("{signing_input}.{}", B64URL.encode(sig.to_bytes())))
}

/// A verified JWS: its header and payload bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub header: JwsHeader,
    pub payload: Vec<u8>,
}

/// Splits and decodes without verifying (for display and diagnostics only).
pub fn decode_unverified(compact: &str) -> Result<Verified, JwsError> {
    let mut parts = compact.split('.');
    let (Some(h), Some(p), Some(_s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwsError::Malformed);
    };
    let header = B64URL.decode(h).map_err(|_| JwsError::Malformed)?;
    let header: JwsHeader = serde_json::from_slice(&header).map_err(|_| JwsError::Malformed)?;
    let payload = B64URL.decode(p).map_err(|_| JwsError::Malformed)?;
    Ok(Verified { header, payload })
}

/// Verifies an RS256 JWS with the key its `kid` names in `jwks`. Only RS256 is accepted
/// (no `none`, no HMAC confusion).
pub fn verify(compact: &str, jwks: &Jwks) -> Result<Verified, JwsError> {
    let decoded = decode_unverified(compact)?;
    if decoded.header.alg != "RS256" {
        return Err(JwsError::UnsupportedAlgorithm(decoded.header.alg));
    }
    let kid = decoded.header.kid.as_deref().ok_or(JwsError::MissingKid)?;
    let jwk = jwks.find(kid).ok_or_else(|| JwsError::UnknownKid(kid.to_owned()))?;
    verify_with_key(compact, &jwk.to_public_key()?)?;
    Ok(decoded)
}

/// Verifies an RS256 JWS with a given public key.
pub fn verify_with_key(compact: &str, key: &PublicKey) -> Result<(), JwsError> {
    let (signing_input, sig) = compact.rsplit_once('.').ok_or(JwsError::Malformed)?;
    let sig = B64URL.decode(sig).map_err(|_| JwsError::Malformed)?;
    let sig = Signature::try_from(sig.as_slice()).map_err(|_| JwsError::BadSignature)?;
    VerifyingKey::<Sha256>::new(key.clone()).verify(signing_input.as_bytes(), &sig).map_err(|_| JwsError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdes::keys;
    use std::path::Path;

    fn key(name: &str) -> PrivateKey {
        keys::load_private_key_pem_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mdes").join(name)).unwrap()
    }

    #[test]
    fn sign_and_verify_by_kid() {
        let k1 = key("test-only-signing-key.pem");
        let k2 = key("test-only-encryption-key.pem");
        let jwks = Jwks {
            keys: vec![Jwk::from_public_key(&k1.to_public_key(), "one"), Jwk::from_public_key(&k2.to_public_key(), "two")],
        };
        // JWKS survives a JSON round trip and gives the same keys back.
        let jwks: Jwks = serde_json::from_str(&serde_json::to_string(&jwks).unwrap()).unwrap();
        assert_eq!(jwks.keys[0].to_public_key().unwrap(), k1.to_public_key());
        assert_eq!(jwks.keys[0].e, "AQAB");
        let payload = br#"{"pushAccountReceipts":["MCC-STL-1"],"callbackURL":"https://b.example/cb","locale":"en_US"}"#;
        let jws = sign(payload, &k2, "two").unwrap();
        let v = verify(&jws, &jwks).unwrap();
        assert_eq!(v.payload, payload);
        assert_eq!(v.header.kid.as_deref(), Some("two"));
        // Right kid, wrong key.
        let forged = sign(payload, &k1, "two").unwrap();
        assert_eq!(verify(&forged, &jwks), Err(JwsError::BadSignature));
        assert_eq!(verify(&sign(payload, &k1, "x").unwrap(), &jwks), Err(JwsError::UnknownKid("x".into())));
        // Tampered payload.
        let mut parts: Vec<&str> = jws.split('.').collect();
        let other = B64URL.encode(b"{}");
        parts[1] = &other;
        assert_eq!(verify(&parts.join("."), &jwks), Err(JwsError::BadSignature));
    }

    #[test]
    fn sample_signature_decodes_and_rejects_alg_none() {
        // The JWS of our sample push answer (tests/fixtures/token-connect),
        // shaped as MDES signs it: RS256 with a kid.
        let sample: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/token-connect/push-response.json")).unwrap();
        let compact = sample["signature"].as_str().unwrap();
        let d = decode_unverified(compact).unwrap();
        assert_eq!(d.header.kid.as_deref(), Some("test-only-signing"));
        let p: serde_json::Value = serde_json::from_slice(&d.payload).unwrap();
        assert_eq!(p["pushAccountReceipts"][0], "MCC-STL-35B41EFB-8A46-45C4-8768-6077B1279A46");
        // Under the same kid, another key (here the encryption key): no.
        let jwks =
            Jwks { keys: vec![Jwk::from_public_key(&key("test-only-encryption-key.pem").to_public_key(), "test-only-signing")] };
        assert_eq!(verify(compact, &jwks), Err(JwsError::BadSignature));
        let none = format!("{}.{}.", B64URL.encode(br#"{"alg":"none","kid":"a"}"#), B64URL.encode(b"{}"));
        assert_eq!(verify(&none, &jwks), Err(JwsError::UnsupportedAlgorithm("none".into())));
        for bad in ["", "a", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert!(verify(bad, &jwks).is_err());
        }
    }
}
