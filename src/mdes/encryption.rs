//! Mastercard field-level encryption (wire contract §3) of `pushFundingAccounts.encryptedPayload`.
//!
//! One concern, so one file past 500 lines: both directions of one envelope (the portal
//! encrypts, the sandbox decrypts), whose options must agree field by field; most of the length
//! is the tests against the official library's output.
//!
//! Compatible with PyPI `mastercard-client-encryption` configured for Token Connect as
//! `docs/wire-contract.md` §3 describes (hex encoding, field names `encryptedData`,
//! `encryptedKey`, `iv`, `oaepHashingAlgorithm`, `publicKeyFingerprint`); the Rust tests run
//! that library both ways (see `scripts/golden/fle.py`).
//!
//! GCM: the official library (1.23.x) implements AES-GCM only for JWE, not for field-level
//! encryption, so the GCM variant here follows the Token Connect OpenAPI v2.11 schema
//! (`algorithmCipherMode: "GCM"`, 12-byte `iv`, separate 16-byte `tag`, random `aad`, all hex)
//! and is proven only by our own round trip.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt as _, BlockModeEncrypt as _, KeyIvInit as _};
use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use rsa::{PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Sha256, Sha512};

use super::keys::EncryptionKey;

/// Where the Token Connect push request carries the encrypted accounts.
pub const PAYLOAD_PATH: [&str; 2] = ["pushFundingAccounts", "encryptedPayload"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum OaepDigest {
    #[serde(rename = "SHA256")]
    Sha256,
    #[default]
    #[serde(rename = "SHA512")]
    Sha512,
}

impl OaepDigest {
    pub fn as_str(self) -> &'static str {
        match self {
            OaepDigest::Sha256 => "SHA256",
            OaepDigest::Sha512 => "SHA512",
        }
    }
    /// Accepts what the official libraries accept: `SHA512`, `SHA-512`, any case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.replace('-', "").to_ascii_uppercase().as_str() {
            "SHA256" => Some(OaepDigest::Sha256),
            "SHA512" => Some(OaepDigest::Sha512),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CipherMode {
    #[default]
    #[serde(rename = "CBC")]
    Cbc,
    #[serde(rename = "GCM")]
    Gcm,
}

/// What goes into `publicKeyFingerprint`: one of the two SHA-256 digests seen in the wild,
/// computed from the certificate, or the value Mastercard Developers shows for the key.
///
/// As a setting: `certificate`, `public_key`, or the hex value itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FingerprintMode {
    /// SHA-256 of the certificate DER (what the reference config.json produces).
    #[default]
    Certificate,
    /// SHA-256 of the public key's SubjectPublicKeyInfo DER.
    PublicKey,
    /// A fingerprint copied from the Mastercard Developers key page, sent exactly as written
    /// (hex, 32–64 digits; [`FingerprintMode::check`]).
    Literal(String),
}

impl FingerprintMode {
    /// Reads the setting: the two mode names, else a literal fingerprint (checked later, by
    /// [`FingerprintMode::check`], so the start-up error can name the setting).
    pub fn parse(setting: &str) -> Self {
        match setting {
            "certificate" => FingerprintMode::Certificate,
            "public_key" => FingerprintMode::PublicKey,
            literal => FingerprintMode::Literal(literal.to_owned()),
        }
    }

    pub fn as_setting(&self) -> &str {
        match self {
            FingerprintMode::Certificate => "certificate",
            FingerprintMode::PublicKey => "public_key",
            FingerprintMode::Literal(value) => value,
        }
    }

    /// A literal must be hex digits only (either case), an even number of 32 to 64 of them: the
    /// spec's bounds for `publicKeyFingerprint` (a SHA-256 is 64). The problem, in one line,
    /// without echoing more than the value's length.
    pub fn check(&self) -> Result<(), String> {
        let FingerprintMode::Literal(value) = self else {
            return Ok(());
        };
        let expected = "expected `certificate`, `public_key` or the key's fingerprint as shown by Mastercard Developers \
                        (hex, 64 digits for a SHA-256)";
        if value.is_empty() {
            return Err(format!("empty; {expected}"));
        }
        if !value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("not hex digits only (no spaces or ':'); {expected}"));
        }
        let n = value.len();
        if !(32..=64).contains(&n) || n % 2 != 0 {
            return Err(format!("{n} hex digits; {expected}"));
        }
        Ok(())
    }
}

impl Serialize for FingerprintMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_setting())
    }
}

impl<'de> Deserialize<'de> for FingerprintMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(FingerprintMode::parse(&String::deserialize(d)?))
    }
}

/// The wire form of `encryptedPayload` once encrypted. Unknown sibling fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptedPayload {
    pub encrypted_data: String,
    pub encrypted_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oaep_hashing_algorithm: Option<String>,
    pub public_key_fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm_cipher_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad: Option<String>,
}

/// Every failure maps to MDES's `CRYPTOGRAPHY_ERROR` class; the variants say which part failed
/// (logged), never the key or plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncryptionError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("field {0} is not valid hex")]
    BadHex(&'static str),
    #[error("field {0} has the wrong length")]
    BadLength(&'static str),
    #[error("unsupported {field}: {value:?}")]
    Unsupported { field: &'static str, value: String },
    #[error("the AES key could not be unwrapped (wrong key or digest)")]
    KeyUnwrap,
    #[error("RSA key wrapping failed")]
    KeyWrap,
    #[error("decryption failed (bad padding or authentication tag)")]
    Decrypt,
    #[error("decrypted data is not UTF-8 JSON")]
    NotJson,
    #[error("no {0} in the request")]
    MissingNode(&'static str),
}

impl EncryptionError {
    /// MDES reason code for this failure.
    pub fn reason_code(&self) -> &'static str {
        match self {
            EncryptionError::MissingNode(_) => "MISSING_REQUIRED_FIELD",
            _ => "CRYPTOGRAPHY_ERROR",
        }
    }

    /// The `errors[]` item the sandbox answers with. The description stays generic on purpose:
    /// telling a caller which step failed would help a padding-oracle attacker.
    pub fn to_mdes_error(&self) -> super::model::MdesError {
        super::model::MdesError {
            source: Some("INPUT".into()),
            reason_code: self.reason_code().into(),
            description: Some(match self {
                EncryptionError::MissingNode(n) => format!("Missing Required Field - {n}"),
                _ => "The encrypted payload could not be decrypted".into(),
            }),
            error_code: None,
            recoverable: Some(false),
        }
    }
}

/// Options of [`Encryptor`]; mirrors the `mdes.*` encryption settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionOptions {
    pub oaep_digest: OaepDigest,
    pub cipher: CipherMode,
    pub fingerprint: FingerprintMode,
    /// 128 (Mastercard's requirement and default) or 256.
    pub aes_key_bits: u16,
}

impl Default for EncryptionOptions {
    fn default() -> Self {
        EncryptionOptions {
            oaep_digest: OaepDigest::Sha512,
            cipher: CipherMode::Cbc,
            fingerprint: FingerprintMode::Certificate,
            aes_key_bits: 128,
        }
    }
}

/// Encrypts payloads to one certificate; built once at start-up.
#[derive(Debug, Clone)]
pub struct Encryptor {
    public_key: PublicKey,
    fingerprint: String,
    options: EncryptionOptions,
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rand::fill(&mut v[..]);
    v
}

impl Encryptor {
    pub fn new(key: &EncryptionKey, options: EncryptionOptions) -> Result<Self, EncryptionError> {
        if !matches!(options.aes_key_bits, 128 | 256) {
            return Err(EncryptionError::Config(format!("AES key size must be 128 or 256, not {}", options.aes_key_bits)));
        }
        let fingerprint = match &options.fingerprint {
            FingerprintMode::PublicKey => key.public_key_fingerprint.clone(),
            FingerprintMode::Certificate => key.certificate_fingerprint.clone().ok_or_else(|| {
                EncryptionError::Config("fingerprint mode \"certificate\" needs a certificate, not a bare public key".into())
            })?,
            // As Mastercard shows it: not recomputed, not re-cased — but a
            // SHA-256 (64 digits) must be the one of this certificate or its
            // public key, or every push would fail with CRYPTOGRAPHY_ERROR.
            literal @ FingerprintMode::Literal(value) => {
                literal.check().map_err(EncryptionError::Config)?;
                let ours = [Some(&key.public_key_fingerprint), key.certificate_fingerprint.as_ref()];
                if value.len() == 64 && !ours.into_iter().flatten().any(|f| f.eq_ignore_ascii_case(value)) {
                    return Err(EncryptionError::Config(
                        "the fingerprint is neither the SHA-256 of the encryption certificate nor of its public key: \
                         copy it from the key page of this certificate"
                            .into(),
                    ));
                }
                value.clone()
            }
        };
        Ok(Encryptor { public_key: key.public_key.clone(), fingerprint, options })
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Encrypts the UTF-8 JSON text of `value` (compact) with a fresh AES key and IV.
    pub fn encrypt_value(&self, value: &Value) -> Result<EncryptedPayload, EncryptionError> {
        let plaintext = serde_json::to_vec(value).map_err(|_| EncryptionError::NotJson)?;
        self.encrypt_bytes(&plaintext)
    }

    pub fn encrypt_bytes(&self, plaintext: &[u8]) -> Result<EncryptedPayload, EncryptionError> {
        let key = random_bytes(usize::from(self.options.aes_key_bits / 8));
        let wrapped = match self.options.oaep_digest {
            OaepDigest::Sha256 => self.public_key.oaep_encrypt::<Sha256>(&key),
            OaepDigest::Sha512 => self.public_key.oaep_encrypt::<Sha512>(&key),
        }
        .map_err(|_| EncryptionError::KeyWrap)?;
        let mut out = EncryptedPayload {
            encrypted_data: String::new(),
            encrypted_key: hex::encode(wrapped),
            iv: None,
            oaep_hashing_algorithm: Some(self.options.oaep_digest.as_str().to_owned()),
            public_key_fingerprint: self.fingerprint.clone(),
            algorithm_cipher_mode: None,
            tag: None,
            aad: None,
        };
        match self.options.cipher {
            CipherMode::Cbc => {
                let iv = random_bytes(16);
                out.encrypted_data = hex::encode(cbc_encrypt(&key, &iv, plaintext)?);
                out.iv = Some(hex::encode(iv));
            }
            CipherMode::Gcm => {
                let iv = random_bytes(12);
                let aad = random_bytes(16);
                let mut sealed = gcm(&key, &iv, &aad, plaintext, true)?;
                let tag = sealed.split_off(sealed.len() - 16);
                out.encrypted_data = hex::encode(sealed);
                out.iv = Some(hex::encode(iv));
                out.tag = Some(hex::encode(tag));
                out.aad = Some(hex::encode(aad));
                out.algorithm_cipher_mode = Some("GCM".into());
            }
        }
        Ok(out)
    }

    /// Replaces, in place, the value at `pushFundingAccounts.encryptedPayload.encryptedData` of
    /// a request by its ciphertext and adds the sibling fields.
    pub fn encrypt_request(&self, request: &mut Value) -> Result<(), EncryptionError> {
        let node = payload_node(request)?;
        let plain = node.get("encryptedData").ok_or(EncryptionError::MissingNode("encryptedData"))?;
        let encrypted = self.encrypt_value(plain)?;
        let encrypted = serde_json::to_value(encrypted).map_err(|_| EncryptionError::NotJson)?;
        if let (Value::Object(target), Value::Object(fields)) = (node, encrypted) {
            target.extend(fields);
        }
        Ok(())
    }
}

fn payload_node(request: &mut Value) -> Result<&mut Value, EncryptionError> {
    let node = request
        .get_mut(PAYLOAD_PATH[0])
        .and_then(|v| v.get_mut(PAYLOAD_PATH[1]))
        .ok_or(EncryptionError::MissingNode("pushFundingAccounts.encryptedPayload"))?;
    if !node.is_object() {
        return Err(EncryptionError::MissingNode("pushFundingAccounts.encryptedPayload"));
    }
    Ok(node)
}

fn cbc_encrypt(key: &[u8], iv: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, EncryptionError> {
    let bad = |_| EncryptionError::BadLength("key");
    Ok(match key.len() {
        16 => cbc::Encryptor::<aes::Aes128>::new_from_slices(key, iv).map_err(bad)?.encrypt_padded_vec::<Pkcs7>(plaintext),
        32 => cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv).map_err(bad)?.encrypt_padded_vec::<Pkcs7>(plaintext),
        _ => return Err(EncryptionError::BadLength("encryptedKey")),
    })
}

fn cbc_decrypt(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, EncryptionError> {
    let bad = |_| EncryptionError::BadLength("iv");
    match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv).map_err(bad)?.decrypt_padded_vec::<Pkcs7>(ciphertext),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv).map_err(bad)?.decrypt_padded_vec::<Pkcs7>(ciphertext),
        // 192-bit keys are legal AES but not something Mastercard sends.
        _ => return Err(EncryptionError::BadLength("encryptedKey")),
    }
    .map_err(|_| EncryptionError::Decrypt)
}

/// AES-GCM seal (`ct || tag`) or open (`input` = `ct || tag`).
fn gcm(key: &[u8], iv: &[u8], aad: &[u8], input: &[u8], seal: bool) -> Result<Vec<u8>, EncryptionError> {
    if iv.len() != 12 {
        return Err(EncryptionError::BadLength("iv"));
    }
    let payload = Payload { msg: input, aad };
    let result = match key.len() {
        16 => {
            let c = aes_gcm::Aes128Gcm::new_from_slice(key).map_err(|_| EncryptionError::BadLength("encryptedKey"))?;
            let nonce = aes_gcm::aead::Nonce::<aes_gcm::Aes128Gcm>::try_from(iv).map_err(|_| EncryptionError::BadLength("iv"))?;
            if seal { c.encrypt(&nonce, payload) } else { c.decrypt(&nonce, payload) }
        }
        32 => {
            let c = aes_gcm::Aes256Gcm::new_from_slice(key).map_err(|_| EncryptionError::BadLength("encryptedKey"))?;
            let nonce = aes_gcm::aead::Nonce::<aes_gcm::Aes256Gcm>::try_from(iv).map_err(|_| EncryptionError::BadLength("iv"))?;
            if seal { c.encrypt(&nonce, payload) } else { c.decrypt(&nonce, payload) }
        }
        _ => return Err(EncryptionError::BadLength("encryptedKey")),
    };
    result.map_err(|_| EncryptionError::Decrypt)
}

fn unhex(field: &'static str, s: &str) -> Result<Vec<u8>, EncryptionError> {
    // Written lower case, read in any case (wire contract §3).
    hex::decode(s).map_err(|_| EncryptionError::BadHex(field))
}

/// Decrypts an encrypted payload with the private key (the sandbox's side). Returns the
/// plaintext bytes (UTF-8 JSON). Never panics on hostile input.
pub fn decrypt_payload(payload: &EncryptedPayload, key: &PrivateKey) -> Result<Vec<u8>, EncryptionError> {
    let wrapped = unhex("encryptedKey", &payload.encrypted_key)?;
    let digest = match payload.oaep_hashing_algorithm.as_deref() {
        Some(d) => OaepDigest::parse(d)
            .ok_or_else(|| EncryptionError::Unsupported { field: "oaepHashingAlgorithm", value: d.to_owned() })?,
        // Without it the spec says RSA PKCS#1 v1.5 key transport; we refuse it on purpose
        // (padding-oracle prone, and nothing we build sends it).
        None => {
            return Err(EncryptionError::Unsupported { field: "oaepHashingAlgorithm", value: "(absent: PKCS#1 v1.5)".into() });
        }
    };
    let aes_key = match digest {
        OaepDigest::Sha256 => key.oaep_decrypt::<Sha256>(&wrapped),
        OaepDigest::Sha512 => key.oaep_decrypt::<Sha512>(&wrapped),
    }
    .map_err(|_| EncryptionError::KeyUnwrap)?;
    let data = unhex("encryptedData", &payload.encrypted_data)?;
    let mode = payload.algorithm_cipher_mode.as_deref().unwrap_or("CBC");
    match mode.to_ascii_uppercase().as_str() {
        "CBC" => {
            // The spec: "If not present, an IV of zero is assumed."
            let iv = match payload.iv.as_deref() {
                Some(iv) => unhex("iv", iv)?,
                None => vec![0u8; 16],
            };
            if iv.len() != 16 {
                return Err(EncryptionError::BadLength("iv"));
            }
            cbc_decrypt(&aes_key, &iv, &data)
        }
        "GCM" => {
            let iv = unhex("iv", payload.iv.as_deref().ok_or(EncryptionError::BadLength("iv"))?)?;
            let tag = unhex("tag", payload.tag.as_deref().ok_or(EncryptionError::BadLength("tag"))?)?;
            let aad = match payload.aad.as_deref() {
                Some(a) => unhex("aad", a)?,
                None => Vec::new(),
            };
            if tag.len() != 16 {
                return Err(EncryptionError::BadLength("tag"));
            }
            let mut sealed = data;
            sealed.extend_from_slice(&tag);
            gcm(&aes_key, &iv, &aad, &sealed, false)
        }
        other => Err(EncryptionError::Unsupported { field: "algorithmCipherMode", value: other.to_owned() }),
    }
}

/// Decrypts a request in place: `encryptedPayload` becomes `{"encryptedData": <plaintext JSON>}`.
pub fn decrypt_request(request: &mut Value, key: &PrivateKey) -> Result<(), EncryptionError> {
    let node = payload_node(request)?;
    let payload: EncryptedPayload =
        serde_json::from_value(node.clone()).map_err(|_| EncryptionError::MissingNode("encryptedPayload fields"))?;
    let plain = decrypt_payload(&payload, key)?;
    let plain: Value = serde_json::from_slice(&plain).map_err(|_| EncryptionError::NotJson)?;
    *node = serde_json::json!({ "encryptedData": plain });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdes::keys;
    use std::path::{Path, PathBuf};

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mdes").join(name)
    }
    fn cert() -> keys::EncryptionKey {
        keys::load_encryption_key("c", &fixture("test-only-encryption-cert.pem")).unwrap()
    }
    fn private() -> PrivateKey {
        keys::load_private_key_pem_file(&fixture("test-only-encryption-key.pem")).unwrap()
    }
    fn request() -> Value {
        serde_json::json!({
            "requestId": "r1",
            "pushFundingAccounts": {"encryptedPayload": {"encryptedData": [
                {"pushAccountId": "A1", "fundingAccountData": {"cardAccountData": {
                    "accountNumber": "5123456789012345", "expiryMonth": "12", "expiryYear": "29"},
                    "accountHolderData": {"accountHolderName": "Zoë Ünïcode"}}}]}},
            "tokenRequestorId": "50123197928"
        })
    }

    /// Python `mastercard-client-encryption` (and other official libraries) read our output;
    /// a test runs `scripts/golden/fle.py` both ways. This one checks the Rust side alone.
    #[test]
    fn round_trip_every_mode() {
        for (cipher, digest, bits, fp) in [
            (CipherMode::Cbc, OaepDigest::Sha512, 128, FingerprintMode::Certificate),
            (CipherMode::Cbc, OaepDigest::Sha256, 256, FingerprintMode::PublicKey),
            (CipherMode::Gcm, OaepDigest::Sha512, 128, FingerprintMode::Certificate),
            (CipherMode::Gcm, OaepDigest::Sha256, 256, FingerprintMode::Certificate),
            (CipherMode::Cbc, OaepDigest::Sha512, 128, FingerprintMode::Literal(copied())),
        ] {
            let options = EncryptionOptions { oaep_digest: digest, cipher, fingerprint: fp.clone(), aes_key_bits: bits };
            let enc = Encryptor::new(&cert(), options).unwrap();
            let mut req = request();
            let original = req.clone();
            enc.encrypt_request(&mut req).unwrap();
            let node = &req["pushFundingAccounts"]["encryptedPayload"];
            let data = node["encryptedData"].as_str().unwrap();
            assert!(!data.contains("5123"), "PAN must not survive in clear");
            assert_eq!(data, data.to_lowercase());
            assert_eq!(node["oaepHashingAlgorithm"], digest.as_str());
            assert_eq!(node["encryptedKey"].as_str().unwrap().len(), 512);
            let iv_len = node["iv"].as_str().unwrap().len();
            assert_eq!(iv_len, if cipher == CipherMode::Gcm { 24 } else { 32 });
            let expected_fp = match fp {
                FingerprintMode::Certificate => cert().certificate_fingerprint.unwrap(),
                FingerprintMode::PublicKey => cert().public_key_fingerprint,
                FingerprintMode::Literal(value) => value,
            };
            assert_eq!(node["publicKeyFingerprint"], expected_fp.as_str());
            decrypt_request(&mut req, &private()).unwrap();
            assert_eq!(req, original);
        }
    }

    #[test]
    fn hostile_input_gives_typed_errors_not_panics() {
        let enc = Encryptor::new(&cert(), EncryptionOptions::default()).unwrap();
        let good = enc.encrypt_bytes(b"[1,2,3]").unwrap();
        let key = private();
        assert_eq!(decrypt_payload(&good, &key).unwrap(), b"[1,2,3]");
        // Upper-case hex is accepted.
        let mut upper = good.clone();
        upper.encrypted_data = upper.encrypted_data.to_uppercase();
        upper.encrypted_key = upper.encrypted_key.to_uppercase();
        assert_eq!(decrypt_payload(&upper, &key).unwrap(), b"[1,2,3]");

        let mut p = good.clone();
        p.encrypted_key = "zz".into();
        assert_eq!(decrypt_payload(&p, &key), Err(EncryptionError::BadHex("encryptedKey")));
        let mut p = good.clone();
        p.encrypted_key = "00".repeat(256);
        assert_eq!(decrypt_payload(&p, &key), Err(EncryptionError::KeyUnwrap));
        let mut p = good.clone();
        p.oaep_hashing_algorithm = Some("SHA256".into());
        assert_eq!(decrypt_payload(&p, &key), Err(EncryptionError::KeyUnwrap));
        let wrong_key = keys::load_private_key_pem_file(&fixture("test-only-signing-key.pem")).unwrap();
        assert_eq!(decrypt_payload(&good, &wrong_key), Err(EncryptionError::KeyUnwrap));
        let mut p = good.clone();
        p.encrypted_data.truncate(p.encrypted_data.len() - 2);
        assert!(decrypt_payload(&p, &key).is_err());
        let mut p = good.clone();
        p.encrypted_data.push('0');
        assert_eq!(decrypt_payload(&p, &key), Err(EncryptionError::BadHex("encryptedData")));
        let mut p = good.clone();
        p.iv = Some("00".repeat(15));
        assert_eq!(decrypt_payload(&p, &key), Err(EncryptionError::BadLength("iv")));
        let mut p = good.clone();
        p.algorithm_cipher_mode = Some("ECB".into());
        assert!(matches!(decrypt_payload(&p, &key), Err(EncryptionError::Unsupported { .. })));
        let mut p = good.clone();
        p.oaep_hashing_algorithm = None;
        assert!(matches!(decrypt_payload(&p, &key), Err(EncryptionError::Unsupported { .. })));
        // Flipped GCM tag is caught.
        let gcm_enc = Encryptor::new(&cert(), EncryptionOptions { cipher: CipherMode::Gcm, ..Default::default() }).unwrap();
        let mut g = gcm_enc.encrypt_bytes(b"{}").unwrap();
        g.tag = Some("00".repeat(16));
        assert_eq!(decrypt_payload(&g, &key), Err(EncryptionError::Decrypt));
        assert_eq!(EncryptionError::Decrypt.reason_code(), "CRYPTOGRAPHY_ERROR");
        // Writing to the singular `pushFundingAccount` is a request without our node.
        let mut wrong = serde_json::json!({"pushFundingAccount": {"encryptedPayload": {"encryptedData": []}}});
        assert!(matches!(enc.encrypt_request(&mut wrong), Err(EncryptionError::MissingNode(_))));
    }

    /// Runs `scripts/golden/fle.py` (Mastercard's official `mastercard-client-encryption`) in
    /// the fixtures folder.
    fn official_library(args: &[&str], input: &Value) -> Value {
        pushprov_test_support::golden::run("fle.py", args, &fixture(""), &input.to_string())
    }

    #[test]
    fn official_library_encrypts_and_we_decrypt() {
        for (digest, fingerprint, cert_file) in [
            ("SHA-512", "certificate", "test-only-encryption-cert.pem"),
            ("SHA-256", "public_key", "test-only-encryption-cert.der"),
            ("SHA512", "certificate", "test-only-encryption-cert.der"),
        ] {
            let original = request();
            let encrypted =
                official_library(&["encrypt", "--cert", cert_file, "--digest", digest, "--fingerprint", fingerprint], &original);
            let node = &encrypted["pushFundingAccounts"]["encryptedPayload"];
            assert!(node["encryptedData"].is_string(), "{encrypted}");
            // Our fingerprint computation agrees with the library's.
            let expected = if fingerprint == "certificate" {
                cert().certificate_fingerprint.unwrap()
            } else {
                cert().public_key_fingerprint
            };
            assert_eq!(node["publicKeyFingerprint"], expected.as_str());
            let mut ours = encrypted.clone();
            decrypt_request(&mut ours, &private()).unwrap();
            assert_eq!(ours, original, "digest {digest}");
        }
    }

    #[test]
    fn we_encrypt_and_official_library_decrypts() {
        for (digest, bits, fp) in [
            (OaepDigest::Sha512, 128, FingerprintMode::Certificate),
            (OaepDigest::Sha256, 128, FingerprintMode::PublicKey),
            (OaepDigest::Sha512, 256, FingerprintMode::Certificate),
            (OaepDigest::Sha512, 128, FingerprintMode::Literal(copied())),
        ] {
            let options = EncryptionOptions { oaep_digest: digest, cipher: CipherMode::Cbc, fingerprint: fp, aes_key_bits: bits };
            let original = request();
            let mut encrypted = original.clone();
            Encryptor::new(&cert(), options.clone()).unwrap().encrypt_request(&mut encrypted).unwrap();
            let py_digest = if digest == OaepDigest::Sha512 { "SHA-512" } else { "SHA-256" };
            let decrypted =
                official_library(&["decrypt", "--key", "test-only-encryption-key.pem", "--digest", py_digest], &encrypted);
            assert_eq!(decrypted, original, "{options:?}");
        }
    }

    #[test]
    fn generated_demo_certificate_works_with_the_official_library() {
        let dir = tempfile::tempdir().unwrap();
        let files = keys::generate_demo_keys(dir.path(), "sandbox-encryption").unwrap();
        let original = request();
        let cert_path = files.certificate.to_str().unwrap();
        let encrypted = official_library(&["encrypt", "--cert", cert_path], &original);
        let demo_cert = keys::load_encryption_key("c", &files.certificate).unwrap();
        assert_eq!(
            encrypted["pushFundingAccounts"]["encryptedPayload"]["publicKeyFingerprint"],
            demo_cert.certificate_fingerprint.unwrap().as_str()
        );
        let mut ours = encrypted;
        let demo_key = keys::load_private_key_pem_file(&files.private_key).unwrap();
        decrypt_request(&mut ours, &demo_key).unwrap();
        assert_eq!(ours, original);
    }

    /// A fingerprint as copied from a Mastercard Developers key page (upper case, as some
    /// pages show it): sent exactly so.
    const COPIED: &str = "4C4EAD5927F0DF8117F178EEA9308DAA58E27C2B4C4EAD5927F0DF8117F178EE";

    /// The test certificate's fingerprint as a key page would show it.
    fn copied() -> String {
        cert().certificate_fingerprint.unwrap().to_uppercase()
    }

    #[test]
    fn a_literal_fingerprint_is_checked_and_sent_exactly_as_written() {
        for ok in [COPIED, &COPIED.to_lowercase(), "4c4ead5927f0df8117f178eea9308daa58e27c2b", &"a".repeat(32)] {
            assert_eq!(FingerprintMode::parse(ok), FingerprintMode::Literal(ok.to_string()));
            assert_eq!(FingerprintMode::parse(ok).check(), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "certficate",
            "Certificate",
            &format!(" {COPIED}"),
            "4c:4e:ad:59:27:f0:df:81:17:f1:78:ee:a9:30:8d:aa",
            &"a".repeat(31),
            &"a".repeat(33),
            &"a".repeat(66),
            "zz4ead5927f0df8117f178eea9308daa",
        ] {
            let problem = FingerprintMode::parse(bad).check().unwrap_err();
            assert!(!problem.contains('\n') && problem.contains("64 digits for a SHA-256"), "{bad}: {problem}");
        }
        assert_eq!(FingerprintMode::parse("certificate"), FingerprintMode::Certificate);
        assert_eq!(FingerprintMode::parse("public_key"), FingerprintMode::PublicKey);

        // The certificate's or the public key's SHA-256, as the key page shows it
        // (upper case here): sent exactly so, also for a bare public key.
        let bare = keys::EncryptionKey::from_public_key(cert().public_key).unwrap();
        let public = cert().public_key_fingerprint.to_uppercase();
        for (key, shown) in [(cert(), copied()), (cert(), public.clone()), (bare, public)] {
            let options = EncryptionOptions { fingerprint: FingerprintMode::Literal(shown.clone()), ..Default::default() };
            let enc = Encryptor::new(&key, options).unwrap();
            assert_eq!(enc.fingerprint(), shown);
            let payload = enc.encrypt_bytes(b"[]").unwrap();
            assert_eq!(payload.public_key_fingerprint, shown);
            assert_eq!(decrypt_payload(&payload, &private()).unwrap(), b"[]");
        }
        // A SHA-256 of some other key: refused at start-up, not at every push.
        let other = EncryptionOptions { fingerprint: FingerprintMode::Literal(COPIED.into()), ..Default::default() };
        assert!(matches!(Encryptor::new(&cert(), other), Err(EncryptionError::Config(m)) if m.contains("neither")));
        let bad = EncryptionOptions { fingerprint: FingerprintMode::Literal("xyz".into()), ..Default::default() };
        assert!(matches!(Encryptor::new(&cert(), bad), Err(EncryptionError::Config(_))));
    }

    #[test]
    fn bare_public_key_cannot_give_a_certificate_fingerprint() {
        let bare = keys::EncryptionKey::from_public_key(cert().public_key).unwrap();
        assert!(Encryptor::new(&bare, EncryptionOptions::default()).is_err());
        let opts = EncryptionOptions { fingerprint: FingerprintMode::PublicKey, ..Default::default() };
        assert_eq!(Encryptor::new(&bare, opts).unwrap().fingerprint(), cert().public_key_fingerprint);
        assert!(Encryptor::new(&cert(), EncryptionOptions { aes_key_bits: 192, ..Default::default() }).is_err());
    }
}
