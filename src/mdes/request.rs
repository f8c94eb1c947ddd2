//! Request builders: what the portal fills in, checked against the spec's limits before
//! anything is encrypted or sent.

use super::encryption::{EncryptionError, Encryptor};
use super::model::{
    EncryptedFundingAccounts, GetEligibleTokenRequestorsRequest, PushFundingAccount, PushMultipleAccountsRequest, SignatureData,
};
use super::validate::{self, FieldError, PushEnvelope};

/// A fresh `requestId` (UUID v4, 36 characters).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A valid getEligibleTokenRequestors request for these ranges (1–25 of 9–19 digits).
pub fn eligibility_request(request_id: String, ranges: &[String]) -> Result<GetEligibleTokenRequestorsRequest, FieldError> {
    let req = GetEligibleTokenRequestorsRequest { request_id, account_ranges: ranges.to_vec(), supports_token_connect: None };
    validate::validate_eligibility_request(&req)?;
    Ok(req)
}

/// A push before encryption. Build with [`PushRequest::new`] and the `with_*` methods; the
/// client validates it, adds a `requestId` and encrypts the accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRequest {
    pub token_requestor_id: String,
    pub accounts: Vec<PushFundingAccount>,
    pub signature_data: Option<SignatureData>,
    pub request_issuer_initiated_digitization_data: Option<bool>,
    /// Minutes, 5–15 (MDES default 15).
    pub push_account_receipts_validity_period: Option<u32>,
    pub authentication_code: Option<String>,
}

impl PushRequest {
    pub fn new(token_requestor_id: impl Into<String>, accounts: Vec<PushFundingAccount>) -> Self {
        PushRequest {
            token_requestor_id: token_requestor_id.into(),
            accounts,
            signature_data: None,
            request_issuer_initiated_digitization_data: None,
            push_account_receipts_validity_period: None,
            authentication_code: None,
        }
    }

    pub fn with_signature_data(mut self, sd: SignatureData) -> Self {
        self.signature_data = Some(sd);
        self
    }

    pub fn with_validity_period(mut self, minutes: u32) -> Self {
        self.push_account_receipts_validity_period = Some(minutes);
        self
    }

    /// Every shape rule: TRID, signatureData, validity period, 1–5 unique accounts, field
    /// lengths and formats.
    pub fn validate(&self) -> Result<(), FieldError> {
        validate::push_envelope(&PushEnvelope {
            token_requestor_id: &self.token_requestor_id,
            signature_data: self.signature_data.as_ref(),
            validity_period_minutes: self.push_account_receipts_validity_period,
            authentication_code: self.authentication_code.as_deref(),
        })?;
        validate::funding_accounts(&self.accounts)
    }

    /// The wire request: validated, accounts encrypted (wire contract §3).
    pub fn to_wire(&self, request_id: String, encryptor: &Encryptor) -> Result<PushMultipleAccountsRequest, PushBuildError> {
        validate::request_id(&request_id)?;
        self.validate()?;
        let plain = serde_json::to_value(&self.accounts).map_err(|_| PushBuildError::Encryption(EncryptionError::NotJson))?;
        let encrypted_payload = encryptor.encrypt_value(&plain)?;
        Ok(PushMultipleAccountsRequest {
            request_id,
            push_funding_accounts: EncryptedFundingAccounts { encrypted_payload },
            token_requestor_id: self.token_requestor_id.clone(),
            signature_data: self.signature_data.clone(),
            request_issuer_initiated_digitization_data: self.request_issuer_initiated_digitization_data,
            push_account_receipts_validity_period: self.push_account_receipts_validity_period,
            authentication_code: self.authentication_code.clone(),
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PushBuildError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Encryption(#[from] EncryptionError),
}
