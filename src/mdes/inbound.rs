//! The receiving side of Token Connect, for the built-in sandbox: turn a raw request body into
//! checked, decrypted types, or into the `errors[]` item MDES would answer with.
//!
//! OAuth verification comes first and is separate ([`super::oauth::verify_request`]): it needs
//! the headers and answers with gateway errors, not these.

use rsa::PrivateKey;

use super::encryption::{self, EncryptionError};
use super::model::{GetEligibleTokenRequestorsRequest, MdesError, PushFundingAccount, PushMultipleAccountsRequest};
use super::validate::{self, FieldError, ReasonCode};

/// A pushMultipleAccounts request that passed every check, with its accounts decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPush {
    pub request: PushMultipleAccountsRequest,
    pub accounts: Vec<PushFundingAccount>,
    /// The `publicKeyFingerprint` the caller used (the sandbox may check it names its key).
    pub fingerprint: String,
}

/// Parses, validates and decrypts a pushMultipleAccounts body. The error is ready to be
/// returned in an ErrorWrapper (HTTP 400).
pub fn receive_push(body: &[u8], decryption_key: &PrivateKey) -> Result<ReceivedPush, MdesError> {
    let request: PushMultipleAccountsRequest =
        validate::parse_json(body, validate::PUSH_REQUIRED).map_err(|e| MdesError::from(&e))?;
    validate::validate_push_wire(&request).map_err(|e| MdesError::from(&e))?;
    let payload = &request.push_funding_accounts.encrypted_payload;
    let plaintext = encryption::decrypt_payload(payload, decryption_key).map_err(|e: EncryptionError| e.to_mdes_error())?;
    let accounts = parse_accounts(&plaintext).map_err(|e| MdesError::from(&e))?;
    validate::funding_accounts(&accounts).map_err(|e| MdesError::from(&e))?;
    let fingerprint = payload.public_key_fingerprint.clone();
    Ok(ReceivedPush { request, accounts, fingerprint })
}

/// The decrypted plaintext must be a JSON array of `{pushAccountId, fundingAccountData}`.
pub fn parse_accounts(plaintext: &[u8]) -> Result<Vec<PushFundingAccount>, FieldError> {
    const FIELD: &str = "pushFundingAccounts.encryptedPayload.encryptedData";
    let value: serde_json::Value = serde_json::from_slice(plaintext)
        .map_err(|_| FieldError::new(ReasonCode::InvalidJson, FIELD, "Decrypted data is not valid JSON"))?;
    if !value.is_array() {
        return Err(FieldError::new(
            ReasonCode::InvalidFieldFormat,
            FIELD,
            "Invalid Field Format - must be an array of accounts",
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        let msg = e.to_string();
        match msg.strip_prefix("missing field `") {
            Some(rest) => FieldError::new(
                ReasonCode::MissingRequiredField,
                format!("{FIELD}[].{}", rest.split('`').next().unwrap_or_default()),
                "Missing Required Field",
            ),
            None => FieldError::new(ReasonCode::InvalidFieldFormat, FIELD, "Invalid Field Format - account data"),
        }
    })
}

/// Parses and validates a getEligibleTokenRequestors body.
pub fn receive_eligibility(body: &[u8]) -> Result<GetEligibleTokenRequestorsRequest, MdesError> {
    let req: GetEligibleTokenRequestorsRequest =
        validate::parse_json(body, validate::ELIGIBILITY_REQUIRED).map_err(|e| MdesError::from(&e))?;
    validate::validate_eligibility_request(&req).map_err(|e| MdesError::from(&e))?;
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdes::encryption::{EncryptionOptions, Encryptor};
    use crate::mdes::keys;
    use crate::mdes::model::SignatureData;
    use crate::mdes::request::PushRequest;
    use std::path::{Path, PathBuf};

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mdes").join(name)
    }

    fn setup() -> (Encryptor, PrivateKey) {
        let cert = keys::load_encryption_key("c", &fixture("test-only-encryption-cert.pem")).unwrap();
        let key = keys::load_private_key_pem_file(&fixture("test-only-encryption-key.pem")).unwrap();
        (Encryptor::new(&cert, EncryptionOptions::default()).unwrap(), key)
    }

    fn account(id: &str) -> PushFundingAccount {
        PushFundingAccount::card(id, "5123456789012345", None)
    }

    #[test]
    fn what_the_client_sends_the_sandbox_accepts() {
        let (enc, key) = setup();
        let push = PushRequest::new("50123197928", vec![account("A"), account("B")])
            .with_signature_data(SignatureData { locale: Some("en_US".into()), ..Default::default() });
        let wire = push.to_wire("req-1".into(), &enc).unwrap();
        let body = serde_json::to_vec(&wire).unwrap();
        let got = receive_push(&body, &key).unwrap();
        assert_eq!(got.accounts, push.accounts);
        assert_eq!(got.request.request_id, "req-1");
        assert_eq!(got.fingerprint, enc.fingerprint());
    }

    #[test]
    fn bad_pushes_get_mdes_reason_codes() {
        let (enc, key) = setup();
        let code = |body: &[u8]| receive_push(body, &key).unwrap_err().reason_code;
        assert_eq!(code(b"{"), "INVALID_JSON");
        assert_eq!(
            code(br#"{"requestId":"1","tokenRequestorId":"50123197928","pushFundingAccount":{}}"#),
            "MISSING_REQUIRED_FIELD"
        );
        let wire = PushRequest::new("50123197928", vec![account("A")]).to_wire("r".into(), &enc).unwrap();
        let mut v = serde_json::to_value(&wire).unwrap();
        v["tokenRequestorId"] = "5012319792".into();
        assert_eq!(code(&serde_json::to_vec(&v).unwrap()), "INVALID_FIELD_LENGTH");
        let mut v = serde_json::to_value(&wire).unwrap();
        v["pushFundingAccounts"]["encryptedPayload"]["encryptedKey"] = "ab".repeat(256).into();
        assert_eq!(code(&serde_json::to_vec(&v).unwrap()), "CRYPTOGRAPHY_ERROR");
        // Accounts that are fine as JSON but break the limits (duplicate ids) — encrypted by
        // hand, as a careless issuer would.
        let mut raw = serde_json::json!({"requestId": "r", "tokenRequestorId": "50123197928",
            "pushFundingAccounts": {"encryptedPayload": {"encryptedData": [account("A"), account("A")]}}});
        enc.encrypt_request(&mut raw).unwrap();
        let e = receive_push(&serde_json::to_vec(&raw).unwrap(), &key).unwrap_err();
        assert_eq!(
            (e.reason_code.as_str(), e.source.as_deref(), e.recoverable),
            ("INVALID_FIELD_VALUE", Some("INPUT"), Some(false))
        );
        let mut raw = serde_json::json!({"requestId": "r", "tokenRequestorId": "50123197928",
            "pushFundingAccounts": {"encryptedPayload": {"encryptedData": {"pushAccountId": "A"}}}});
        enc.encrypt_request(&mut raw).unwrap();
        assert_eq!(code(&serde_json::to_vec(&raw).unwrap()), "INVALID_FIELD_FORMAT");
        let mut raw = serde_json::json!({"requestId": "r", "tokenRequestorId": "50123197928",
            "pushFundingAccounts": {"encryptedPayload": {"encryptedData": [{"pushAccountId": "A"}]}}});
        enc.encrypt_request(&mut raw).unwrap();
        assert_eq!(code(&serde_json::to_vec(&raw).unwrap()), "MISSING_REQUIRED_FIELD");
    }

    #[test]
    fn eligibility_bodies() {
        assert!(receive_eligibility(br#"{"requestId":"1","accountRanges":["522222222"]}"#).is_ok());
        assert_eq!(receive_eligibility(br#"{"requestId":"1"}"#).unwrap_err().reason_code, "MISSING_REQUIRED_FIELD");
        assert_eq!(
            receive_eligibility(br#"{"requestId":"1","accountRanges":["5"]}"#).unwrap_err().reason_code,
            "INVALID_FIELD_LENGTH"
        );
        assert_eq!(receive_eligibility(b"nope").unwrap_err().reason_code, "INVALID_JSON");
    }
}
