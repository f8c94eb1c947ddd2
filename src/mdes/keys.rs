//! Loading (and, for the demo sandbox, generating) the RSA keys and certificates MDES needs: one
//! concern, every key format and its one-line errors in one place.
//!
//! Every error names the setting it came from and reads as one line, because it is printed at
//! start-up to an operator: `mdes.signing_key_path: wrong password for PKCS#12 file "x.p12"`.

use std::path::{Path, PathBuf};

use der::{Decode as _, DecodePem as _, Encode as _};
use pkcs1::DecodeRsaPrivateKey as _;
use pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::traits::PublicKeyParts as _;
pub use rsa::{PrivateKey, PublicKey};
use sha2::{Digest as _, Sha256};
use spki::{DecodePublicKey as _, EncodePublicKey as _};
use x509_cert::Certificate;

/// A key or certificate problem, tied to the setting that pointed at the file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{setting}: {problem}")]
pub struct KeyError {
    pub setting: String,
    pub problem: KeyProblem,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyProblem {
    #[error("setting is empty")]
    NotConfigured,
    #[error("cannot read file {path:?}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("wrong password for PKCS#12 file {path:?}")]
    WrongPassword { path: PathBuf },
    #[error("no private key{} in PKCS#12 file {path:?}", alias.as_ref().map(|a| format!(" with alias {a:?}")).unwrap_or_default())]
    NoKeyInPkcs12 { path: PathBuf, alias: Option<String> },
    #[error("malformed {what} in {path:?}: {reason}")]
    Malformed { path: PathBuf, what: &'static str, reason: String },
    #[error("RSA key in {path:?} is too weak ({bits} bits; at least 2048 needed)")]
    WeakKey { path: PathBuf, bits: usize },
    #[error("certificate {cert:?} does not match the private key {key:?}")]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("cannot write {path:?}: {reason}")]
    Unwritable { path: PathBuf, reason: String },
}

fn err(setting: &str, problem: KeyProblem) -> KeyError {
    KeyError { setting: setting.to_owned(), problem }
}

fn read(setting: &str, path: &Path) -> Result<Vec<u8>, KeyError> {
    if path.as_os_str().is_empty() {
        return Err(err(setting, KeyProblem::NotConfigured));
    }
    std::fs::read(path).map_err(|e| err(setting, KeyProblem::Unreadable { path: path.to_owned(), reason: e.kind().to_string() }))
}

fn malformed(setting: &str, path: &Path, what: &'static str, reason: impl ToString) -> KeyError {
    err(setting, KeyProblem::Malformed { path: path.to_owned(), what, reason: reason.to_string() })
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"-----BEGIN ")
}

fn check_strength(setting: &str, path: &Path, bits: usize) -> Result<(), KeyError> {
    if bits < 2048 {
        return Err(err(setting, KeyProblem::WeakKey { path: path.to_owned(), bits }));
    }
    Ok(())
}

/// Private key from PEM text: PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
fn private_key_from_pem(setting: &str, path: &Path, bytes: &[u8]) -> Result<PrivateKey, KeyError> {
    let text = std::str::from_utf8(bytes).map_err(|_| malformed(setting, path, "PEM key", "not UTF-8"))?;
    let key = if text.contains("-----BEGIN RSA PRIVATE KEY-----") {
        PrivateKey::from_pkcs1_pem(text).map_err(|e| malformed(setting, path, "PKCS#1 key", e))?
    } else if text.contains("-----BEGIN PRIVATE KEY-----") {
        PrivateKey::from_pkcs8_pem(text).map_err(|e| malformed(setting, path, "PKCS#8 key", e))?
    } else if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Err(malformed(setting, path, "PEM key", "encrypted PEM is not supported; use PKCS#12 or an unencrypted key"));
    } else {
        return Err(malformed(setting, path, "PEM key", "no RSA PRIVATE KEY or PRIVATE KEY block"));
    };
    check_strength(setting, path, key.size() * 8)?;
    Ok(key)
}

/// Test and tool helper: an unencrypted PEM private key file (PKCS#8 or PKCS#1).
pub fn load_private_key_pem_file(path: &Path) -> Result<PrivateKey, KeyError> {
    let setting = "private key";
    private_key_from_pem(setting, path, &read(setting, path)?)
}

/// Loads the OAuth signing key: a PKCS#12 file (Mastercard issues these; password required,
/// alias optional — the first key is used without one) or an unencrypted PEM key.
pub fn load_signing_key(setting: &str, path: &Path, password: Option<&str>, alias: Option<&str>) -> Result<PrivateKey, KeyError> {
    let bytes = read(setting, path)?;
    if looks_like_pem(&bytes) {
        return private_key_from_pem(setting, path, &bytes);
    }
    let keystore = p12_keystore::KeyStore::from_pkcs12(&bytes, password.unwrap_or(""), p12_keystore::Pkcs12ImportPolicy::Relaxed)
        .map_err(|e| match e {
            p12_keystore::error::Error::MacError(_) => err(setting, KeyProblem::WrongPassword { path: path.to_owned() }),
            other => malformed(setting, path, "PKCS#12 file", other),
        })?;
    let chain = match alias.filter(|a| !a.is_empty()) {
        Some(a) => match keystore.entry(a) {
            Some(p12_keystore::KeyStoreEntry::PrivateKeyChain(c)) => Some(c),
            _ => None,
        },
        None => keystore.private_key_chain().map(|(_, c)| c),
    };
    let chain = chain
        .ok_or_else(|| err(setting, KeyProblem::NoKeyInPkcs12 { path: path.to_owned(), alias: alias.map(str::to_owned) }))?;
    let key = PrivateKey::from_pkcs8_der(chain.key().as_der())
        .map_err(|e| malformed(setting, path, "private key in PKCS#12 file", e))?;
    check_strength(setting, path, key.size() * 8)?;
    // A PKCS#12 file that carries its certificate must carry the matching one.
    if let Some(cert) = chain.certs().first()
        && let Ok(cert) = Certificate::from_der(cert.as_der())
        && let Ok(public) = public_key_of(&cert)
        && public != key.to_public_key()
    {
        return Err(err(setting, KeyProblem::Mismatch { cert: path.to_owned(), key: path.to_owned() }));
    }
    Ok(key)
}

fn public_key_of(cert: &Certificate) -> Result<PublicKey, String> {
    let spki_der = cert.tbs_certificate().subject_public_key_info().to_der().map_err(|e| e.to_string())?;
    PublicKey::from_public_key_der(&spki_der).map_err(|e| e.to_string())
}

/// The RSA public key payloads are encrypted to, with both fingerprints Mastercard uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionKey {
    pub public_key: PublicKey,
    /// hex SHA-256 of the certificate DER; `None` when a bare public key was configured.
    pub certificate_fingerprint: Option<String>,
    /// hex SHA-256 of the SubjectPublicKeyInfo DER.
    pub public_key_fingerprint: String,
}

impl EncryptionKey {
    pub fn from_public_key(public_key: PublicKey) -> Result<Self, String> {
        let spki = public_key.to_public_key_der().map_err(|e| e.to_string())?;
        Ok(EncryptionKey {
            public_key,
            certificate_fingerprint: None,
            public_key_fingerprint: hex::encode(Sha256::digest(spki.as_bytes())),
        })
    }

    fn from_certificate_der(der: &[u8]) -> Result<Self, String> {
        let cert = Certificate::from_der(der).map_err(|e| e.to_string())?;
        let mut key = Self::from_public_key(public_key_of(&cert)?)?;
        key.certificate_fingerprint = Some(hex::encode(Sha256::digest(der)));
        Ok(key)
    }
}

/// Loads Mastercard's encryption certificate (PEM or DER), or a PEM `PUBLIC KEY`.
pub fn load_encryption_key(setting: &str, path: &Path) -> Result<EncryptionKey, KeyError> {
    let bytes = read(setting, path)?;
    let key = if looks_like_pem(&bytes) {
        let text = std::str::from_utf8(&bytes).map_err(|_| malformed(setting, path, "PEM file", "not UTF-8"))?;
        if text.contains("-----BEGIN CERTIFICATE-----") {
            let cert = Certificate::from_pem(text.as_bytes()).map_err(|e| malformed(setting, path, "certificate", e))?;
            let der = cert.to_der().map_err(|e| malformed(setting, path, "certificate", e))?;
            EncryptionKey::from_certificate_der(&der).map_err(|e| malformed(setting, path, "certificate", e))?
        } else if text.contains("-----BEGIN PUBLIC KEY-----") {
            let public = PublicKey::from_public_key_pem(text).map_err(|e| malformed(setting, path, "public key", e))?;
            EncryptionKey::from_public_key(public).map_err(|e| malformed(setting, path, "public key", e))?
        } else {
            return Err(malformed(setting, path, "PEM file", "no CERTIFICATE or PUBLIC KEY block"));
        }
    } else {
        EncryptionKey::from_certificate_der(&bytes).map_err(|e| malformed(setting, path, "DER certificate", e))?
    };
    check_strength(setting, path, key.public_key.size() * 8)?;
    Ok(key)
}

/// An RSA public key from a certificate (PEM or DER) or a PEM `PUBLIC KEY`: e.g. the issuer's
/// signing certificate, which the sandbox verifies OAuth signatures with. (Any private key,
/// PEM or PKCS#12, loads with [`load_signing_key`].)
pub fn load_public_key(setting: &str, path: &Path) -> Result<PublicKey, KeyError> {
    Ok(load_encryption_key(setting, path)?.public_key)
}

/// Start-up check that a certificate (or public key) belongs to a private key, e.g. the
/// sandbox's decryption key against the certificate the portal encrypts to.
pub fn check_pair(
    setting: &str,
    cert_path: &Path,
    cert: &EncryptionKey,
    key_path: &Path,
    key: &PrivateKey,
) -> Result<(), KeyError> {
    if cert.public_key != key.to_public_key() {
        return Err(err(setting, KeyProblem::Mismatch { cert: cert_path.to_owned(), key: key_path.to_owned() }));
    }
    Ok(())
}

/// Files written by [`generate_demo_keys`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoKeyFiles {
    /// PKCS#8 PEM private key (mode 0600 on Unix).
    pub private_key: PathBuf,
    /// Self-signed X.509 certificate, PEM.
    pub certificate: PathBuf,
}

/// Generates an RSA-2048 key pair and a self-signed certificate for it, as
/// `<dir>/<name>-key.pem` and `<dir>/<name>-cert.pem`, unless both already exist (then they are
/// loaded and checked instead, so restarting the demo keeps its keys). For the built-in sandbox
/// and demo only — never for talking to Mastercard.
pub fn generate_demo_keys(dir: &Path, name: &str) -> Result<DemoKeyFiles, KeyError> {
    use x509_cert::builder::{Builder as _, CertificateBuilder, profile};
    let setting = "demo keys";
    let files =
        DemoKeyFiles { private_key: dir.join(format!("{name}-key.pem")), certificate: dir.join(format!("{name}-cert.pem")) };
    if files.private_key.exists() && files.certificate.exists() {
        let key = load_private_key_pem_file(&files.private_key)?;
        let cert = load_encryption_key(setting, &files.certificate)?;
        check_pair(setting, &files.certificate, &cert, &files.private_key, &key)?;
        return Ok(files);
    }
    let unwritable = |path: &Path, e: &dyn std::fmt::Display| {
        err(setting, KeyProblem::Unwritable { path: path.to_owned(), reason: e.to_string() })
    };
    std::fs::create_dir_all(dir).map_err(|e| unwritable(dir, &e))?;
    // 2048 bits, as documented above and as Mastercard's own keys: the spec
    // caps `encryptedKey` at 512 hex characters (a 2048-bit RSA block), so the
    // crate's 3072-bit default made every sandbox push fail validation.
    let key = PrivateKey::new(&mut rand::rng(), 2048)
        .map_err(|e| unwritable(&files.private_key, &format!("key generation failed: {e:?}")))?;
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone());
    let build = || -> Result<String, String> {
        let subject: x509_cert::name::Name =
            format!("CN=pushprov demo {name},O=pushprov demo,C=US").parse().map_err(|e: der::Error| e.to_string())?;
        let profile = profile::cabf::Root::new(false, subject).map_err(|e| e.to_string())?;
        let spki_der = key.to_public_key().to_public_key_der().map_err(|e| e.to_string())?;
        let spki = spki::SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).map_err(|e| e.to_string())?;
        let mut serial = [0u8; 16];
        rand::fill(&mut serial);
        serial[0] &= 0x7f; // positive INTEGER
        serial[0] |= 0x01; // and no leading zero byte
        let serial = x509_cert::serial_number::SerialNumber::new(&serial).map_err(|e| e.to_string())?;
        let validity = x509_cert::time::Validity::from_now(std::time::Duration::from_secs(10 * 365 * 24 * 3600))
            .map_err(|e| e.to_string())?;
        let builder = CertificateBuilder::new(profile, serial, validity, spki).map_err(|e| e.to_string())?;
        let cert = builder.build::<_, rsa::pkcs1v15::Signature>(&signer).map_err(|e| e.to_string())?;
        der::EncodePem::to_pem(&cert, der::pem::LineEnding::LF).map_err(|e| e.to_string())
    };
    let cert_pem = build().map_err(|e| unwritable(&files.certificate, &e))?;
    let key_pem = key.to_pkcs8_pem(der::pem::LineEnding::LF).map_err(|e| unwritable(&files.private_key, &e))?;
    write_private(&files.private_key, key_pem.as_bytes()).map_err(|e| unwritable(&files.private_key, &e))?;
    std::fs::write(&files.certificate, cert_pem).map_err(|e| unwritable(&files.certificate, &e))?;
    Ok(files)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mdes").join(name)
    }

    #[test]
    fn pem_pkcs8_pkcs1_and_p12_give_the_same_key() {
        let pem8 = load_signing_key("s", &fixture("test-only-signing-key.pem"), None, None).unwrap();
        let pem1 = load_signing_key("s", &fixture("test-only-signing-key-pkcs1.pem"), None, None).unwrap();
        let p12 =
            load_signing_key("s", &fixture("test-only-signing.p12"), Some("test-only-password"), Some("test-alias")).unwrap();
        let legacy = load_signing_key("s", &fixture("test-only-signing-legacy.p12"), Some("test-only-password"), None).unwrap();
        assert_eq!(pem8, pem1);
        assert_eq!(pem8, p12);
        assert_eq!(pem8, legacy);
    }

    #[test]
    fn errors_name_the_setting_in_one_line() {
        let e = load_signing_key("mdes.signing_key_path", &fixture("test-only-signing.p12"), Some("nope"), None).unwrap_err();
        let shown = e.to_string();
        assert!(shown.starts_with("mdes.signing_key_path: wrong password for PKCS#12 file"), "{shown}");
        assert!(shown.contains("test-only-signing.p12") && !shown.contains('\n'));

        let e = load_signing_key("mdes.signing_key_path", &fixture("missing.p12"), None, None).unwrap_err();
        assert!(matches!(e.problem, KeyProblem::Unreadable { .. }), "{e}");

        let e = load_signing_key("k", &fixture("test-only-signing.p12"), Some("test-only-password"), Some("other")).unwrap_err();
        assert!(e.to_string().contains("no private key with alias \"other\""), "{e}");

        // A certificate is not a key; garbage is not a PKCS#12 file.
        let e = load_signing_key("k", &fixture("test-only-signing-cert.pem"), None, None).unwrap_err();
        assert!(matches!(e.problem, KeyProblem::Malformed { .. }), "{e}");
        let e = load_signing_key("k", &fixture("README.md"), Some("x"), None).unwrap_err();
        assert!(matches!(e.problem, KeyProblem::Malformed { .. }), "{e}");
        let e = load_encryption_key("mdes.encryption_certificate_path", &fixture("README.md")).unwrap_err();
        assert!(matches!(e.problem, KeyProblem::Malformed { .. }), "{e}");
        let e = load_signing_key("k", Path::new(""), None, None).unwrap_err();
        assert_eq!(e.to_string(), "k: setting is empty");
    }

    #[test]
    fn certificate_pem_and_der_agree_and_fingerprints_match_openssl_definitions() {
        let pem = load_encryption_key("c", &fixture("test-only-encryption-cert.pem")).unwrap();
        let der = load_encryption_key("c", &fixture("test-only-encryption-cert.der")).unwrap();
        assert_eq!(pem, der);
        let der_bytes = std::fs::read(fixture("test-only-encryption-cert.der")).unwrap();
        assert_eq!(pem.certificate_fingerprint.as_deref(), Some(hex::encode(Sha256::digest(&der_bytes)).as_str()));
        assert_ne!(pem.certificate_fingerprint.as_deref(), Some(pem.public_key_fingerprint.as_str()));
        let key = load_private_key_pem_file(&fixture("test-only-encryption-key.pem")).unwrap();
        check_pair("c", Path::new("c"), &pem, Path::new("k"), &key).unwrap();
        let other = load_private_key_pem_file(&fixture("test-only-signing-key.pem")).unwrap();
        assert_eq!(load_public_key("s", &fixture("test-only-signing-cert.pem")).unwrap(), other.to_public_key());
        let e = check_pair("mdes.encryption_certificate_path", Path::new("c"), &pem, Path::new("k"), &other).unwrap_err();
        assert!(matches!(e.problem, KeyProblem::Mismatch { .. }));
    }

    #[test]
    fn demo_keys_are_generated_once_and_usable() {
        let dir = tempfile::tempdir().unwrap();
        let files = generate_demo_keys(dir.path(), "sandbox").unwrap();
        let key = load_private_key_pem_file(&files.private_key).unwrap();
        let cert = load_encryption_key("c", &files.certificate).unwrap();
        assert_eq!(cert.public_key, key.to_public_key());
        assert!(cert.certificate_fingerprint.is_some());
        // Second run keeps the same files.
        let again = generate_demo_keys(dir.path(), "sandbox").unwrap();
        assert_eq!(load_private_key_pem_file(&again.private_key).unwrap(), key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&files.private_key).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0);
        }
    }
}
