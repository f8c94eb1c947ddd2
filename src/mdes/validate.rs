//! One concern, so one file past 500 lines: every limit the spec puts on a field, in one place.
//!
//! Shape validation against the Token Connect limits (wire contract §2, OpenAPI v2.11).
//!
//! Used twice: by the client before sending (so we never send what MDES rejects for shape)
//! and by the sandbox on what it receives (so it answers with MDES's reason codes). The first
//! problem found is reported, with the JSON path of the field.
//!
//! One concern, so one file past 500 lines: every limit the spec sets on what the portal sends
//! and the sandbox receives, beside the primitive checks they are written with.

use std::collections::HashSet;

use serde::de::DeserializeOwned;

use super::encryption::EncryptedPayload;
use super::model::{
    AccountHolderData, FundingAccountData, GetEligibleTokenRequestorsRequest, PushFundingAccount, PushMultipleAccountsRequest,
    SignatureData,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasonCode {
    MissingRequiredField,
    InvalidFieldLength,
    InvalidFieldFormat,
    InvalidFieldValue,
    InvalidJson,
}

impl ReasonCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::MissingRequiredField => "MISSING_REQUIRED_FIELD",
            ReasonCode::InvalidFieldLength => "INVALID_FIELD_LENGTH",
            ReasonCode::InvalidFieldFormat => "INVALID_FIELD_FORMAT",
            ReasonCode::InvalidFieldValue => "INVALID_FIELD_VALUE",
            ReasonCode::InvalidJson => "INVALID_JSON",
        }
    }
}

impl std::fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field problem. `description` never contains the field's value (it may be a PAN).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason_code} {field}: {description}")]
pub struct FieldError {
    pub reason_code: ReasonCode,
    pub field: String,
    pub description: String,
}

impl FieldError {
    pub fn new(reason_code: ReasonCode, field: impl Into<String>, description: impl Into<String>) -> Self {
        FieldError { reason_code, field: field.into(), description: description.into() }
    }
}

pub type Check = Result<(), FieldError>;

// ---- primitive checks ------------------------------------------------------------------

fn length(field: &str, value: &str, min: usize, max: usize) -> Check {
    let n = value.chars().count();
    if n < min || n > max {
        let want = if min == max { format!("exactly {min}") } else { format!("{min} to {max}") };
        return Err(FieldError::new(
            ReasonCode::InvalidFieldLength,
            field,
            format!("Invalid Field Length - {field}: must be {want} characters"),
        ));
    }
    Ok(())
}

fn format_err(field: &str, what: &str) -> FieldError {
    FieldError::new(ReasonCode::InvalidFieldFormat, field, format!("Invalid Field Format - {field}: {what}"))
}

fn value_err(field: &str, what: &str) -> FieldError {
    FieldError::new(ReasonCode::InvalidFieldValue, field, format!("Invalid Field Value - {field}: {what}"))
}

fn missing(field: &str) -> FieldError {
    FieldError::new(ReasonCode::MissingRequiredField, field, format!("Missing Required Field - {field}"))
}

fn digits(field: &str, value: &str, min: usize, max: usize) -> Check {
    length(field, value, min, max)?;
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format_err(field, "digits only"));
    }
    Ok(())
}

fn opt_length(field: &str, value: &Option<String>, min: usize, max: usize) -> Check {
    value.as_deref().map_or(Ok(()), |v| length(field, v, min, max))
}

fn alpha3(field: &str, value: &str) -> Check {
    length(field, value, 3, 3)?;
    if !value.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format_err(field, "ISO 3166-1 alpha-3 country code in upper case"));
    }
    Ok(())
}

/// Each of `fields` (name, value) under `at` present: the first empty one is reported missing.
fn required(at: &str, fields: &[(&str, &str)]) -> Check {
    fields.iter().find(|(_, value)| value.is_empty()).map_or(Ok(()), |(name, _)| Err(missing(&format!("{at}.{name}"))))
}

/// One of the `allowed` values, which are all as long as the first: a value of another length
/// is reported as a length error first, as MDES does.
fn one_of(field: &str, value: &str, allowed: &[&str]) -> Check {
    let n = allowed.first().map_or(0, |a| a.len());
    length(field, value, n, n)?;
    if !allowed.contains(&value) {
        return Err(value_err(field, &allowed.join(" or ")));
    }
    Ok(())
}

fn hex_field(field: &str, value: &str, min: usize, max: usize) -> Check {
    length(field, value, min, max)?;
    if !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format_err(field, "hexadecimal"));
    }
    Ok(())
}

/// `requestId`: 1–64 characters.
pub fn request_id(value: &str) -> Check {
    if value.is_empty() {
        return Err(missing("requestId"));
    }
    length("requestId", value, 1, 64)
}

/// `tokenRequestorId`: exactly 11 digits.
pub fn token_requestor_id(field: &str, value: &str) -> Check {
    if value.is_empty() {
        return Err(missing(field));
    }
    digits(field, value, 11, 11)
}

/// `locale`: `ll_CC` (ISO 639-1 lower case, `_`, ISO 3166-1 alpha-2 upper case).
pub fn locale(field: &str, value: &str) -> Check {
    length(field, value, 4, 5)?;
    let b = value.as_bytes();
    let ok =
        b.len() == 5 && b[..2].iter().all(u8::is_ascii_lowercase) && b[2] == b'_' && b[3..].iter().all(u8::is_ascii_uppercase);
    if !ok {
        return Err(format_err(field, "ll_CC, e.g. en_US"));
    }
    Ok(())
}

/// `callbackURL`: absolute (a scheme, then something), ≤256. Custom app schemes are allowed.
pub fn callback_url(field: &str, value: &str) -> Check {
    length(field, value, 1, 256)?;
    let Some((scheme, rest)) = value.split_once(':') else {
        return Err(format_err(field, "absolute URL with a scheme"));
    };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let no_space = !value.chars().any(|c| c.is_whitespace() || c.is_control());
    let rest_ok = if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        rest.strip_prefix("//").is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
    } else {
        !rest.is_empty()
    };
    if !(scheme_ok && no_space && rest_ok) {
        return Err(format_err(field, "absolute URL with a scheme"));
    }
    Ok(())
}

/// ISO-8601 `YYYY-MM-DDThh:mm:ss[.sss](Z|±hh:mm)`, 20–29 characters.
fn timestamp(field: &str, value: &str) -> Check {
    length(field, value, 20, 29)?;
    let b = value.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    // `#` stands for a digit; anything else is itself.
    let head = b"####-##-##T##:##:##".iter().enumerate().all(|(i, &p)| if p == b'#' { d(i) } else { b.get(i) == Some(&p) });
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while d(i) {
            i += 1;
        }
        if !(1..=3).contains(&(i - start)) {
            return Err(format_err(field, "ISO 8601 with at most 3 fraction digits"));
        }
    }
    let zone = &b[i.min(b.len())..];
    let zone_ok = zone == b"Z"
        || (zone.len() == 6
            && matches!(zone[0], b'+' | b'-')
            && zone[1].is_ascii_digit()
            && zone[2].is_ascii_digit()
            && zone[3] == b':'
            && zone[4].is_ascii_digit()
            && zone[5].is_ascii_digit());
    if !(head && zone_ok) {
        return Err(format_err(field, "ISO 8601, e.g. 2019-07-04T12:09:56.123-07:00"));
    }
    Ok(())
}

// ---- getEligibleTokenRequestors --------------------------------------------------------

/// 1–25 account ranges of 9–19 digits.
pub fn account_ranges(ranges: &[String]) -> Check {
    if ranges.is_empty() {
        return Err(missing("accountRanges"));
    }
    if ranges.len() > 25 {
        return Err(value_err("accountRanges", "at most 25 account ranges"));
    }
    for (i, r) in ranges.iter().enumerate() {
        digits(&format!("accountRanges[{i}]"), r, 9, 19)?;
    }
    Ok(())
}

pub fn validate_eligibility_request(req: &GetEligibleTokenRequestorsRequest) -> Check {
    request_id(&req.request_id)?;
    account_ranges(&req.account_ranges)
}

// ---- pushMultipleAccounts --------------------------------------------------------------

/// The non-encrypted fields a push shares between the client's builder and the wire request.
pub struct PushEnvelope<'a> {
    pub token_requestor_id: &'a str,
    pub signature_data: Option<&'a SignatureData>,
    pub validity_period_minutes: Option<u32>,
    pub authentication_code: Option<&'a str>,
}

pub fn push_envelope(env: &PushEnvelope<'_>) -> Check {
    token_requestor_id("tokenRequestorId", env.token_requestor_id)?;
    if let Some(sd) = env.signature_data {
        signature_data(sd)?;
    }
    if let Some(p) = env.validity_period_minutes
        && !(5..=15).contains(&p)
    {
        return Err(value_err("pushAccountReceiptsValidityPeriod", "5 to 15 minutes"));
    }
    if let Some(code) = env.authentication_code {
        length("authenticationCode", code, 1, 32)?;
    }
    Ok(())
}

pub fn signature_data(sd: &SignatureData) -> Check {
    if let Some(u) = &sd.callback_url {
        callback_url("signatureData.callbackURL", u)?;
    }
    if let Some(l) = &sd.locale {
        locale("signatureData.locale", l)?;
    }
    opt_length("signatureData.tokenRequestorSessionId", &sd.token_requestor_session_id, 3, 64)
}

/// The plaintext array: 1–5 accounts, unique `pushAccountId`s of 1–36 characters, each with
/// card or financial account data within limits.
pub fn funding_accounts(accounts: &[PushFundingAccount]) -> Check {
    const BASE: &str = "pushFundingAccounts.encryptedPayload.encryptedData";
    if accounts.is_empty() {
        return Err(missing(BASE));
    }
    if accounts.len() > 5 {
        return Err(value_err(BASE, "at most 5 accounts"));
    }
    let mut seen = HashSet::new();
    for (i, a) in accounts.iter().enumerate() {
        let at = format!("{BASE}[{i}]");
        if a.push_account_id.is_empty() {
            return Err(missing(&format!("{at}.pushAccountId")));
        }
        length(&format!("{at}.pushAccountId"), &a.push_account_id, 1, 36)?;
        if !seen.insert(a.push_account_id.as_str()) {
            return Err(value_err(&format!("{at}.pushAccountId"), "must be unique in the request"));
        }
        funding_account_data(&format!("{at}.fundingAccountData"), &a.funding_account_data)?;
    }
    Ok(())
}

pub fn funding_account_data(at: &str, f: &FundingAccountData) -> Check {
    match (&f.card_account_data, &f.financial_account_data) {
        (None, None) => return Err(missing(&format!("{at}.cardAccountData"))),
        (Some(_), Some(_)) => {
            return Err(value_err(at, "cardAccountData and financialAccountData are mutually exclusive"));
        }
        (Some(c), None) => {
            let f = format!("{at}.cardAccountData.accountNumber");
            if c.account_number.is_empty() {
                return Err(missing(&f));
            }
            digits(&f, &c.account_number, 9, 19)?;
            if let Some(m) = &c.expiry_month {
                let f = format!("{at}.cardAccountData.expiryMonth");
                digits(&f, m, 2, 2)?;
                if !("01"..="12").contains(&m.as_str()) {
                    return Err(value_err(&f, "01 to 12"));
                }
            }
            if let Some(y) = &c.expiry_year {
                digits(&format!("{at}.cardAccountData.expiryYear"), y, 2, 2)?;
            }
        }
        (None, Some(fa)) => {
            let p = format!("{at}.financialAccountData");
            required(
                &p,
                &[
                    ("financialAccountId", fa.financial_account_id.as_str()),
                    ("interbankCardAssociationId", fa.interbank_card_association_id.as_str()),
                    ("countryCode", fa.country_code.as_str()),
                ],
            )?;
            length(&format!("{p}.financialAccountId"), &fa.financial_account_id, 9, 64)?;
            length(&format!("{p}.interbankCardAssociationId"), &fa.interbank_card_association_id, 3, 11)?;
            alpha3(&format!("{p}.countryCode"), &fa.country_code)?;
        }
    }
    if let Some(h) = &f.account_holder_data {
        account_holder(&format!("{at}.accountHolderData"), h)?;
    }
    if let Some(t) = &f.data_valid_until_timestamp {
        timestamp(&format!("{at}.dataValidUntilTimestamp"), t)?;
    }
    Ok(())
}

fn account_holder(at: &str, h: &AccountHolderData) -> Check {
    opt_length(&format!("{at}.accountHolderName"), &h.account_holder_name, 1, 27)?;
    if let Some(a) = &h.account_holder_address {
        let p = format!("{at}.accountHolderAddress");
        opt_length(&format!("{p}.line1"), &a.line1, 1, 64)?;
        opt_length(&format!("{p}.line2"), &a.line2, 1, 64)?;
        opt_length(&format!("{p}.city"), &a.city, 1, 32)?;
        opt_length(&format!("{p}.countrySubdivision"), &a.country_subdivision, 1, 12)?;
        opt_length(&format!("{p}.postalCode"), &a.postal_code, 1, 16)?;
        if let Some(c) = &a.country {
            alpha3(&format!("{p}.country"), c)?;
        }
    }
    if let Some(e) = &h.account_holder_email_address {
        let f = format!("{at}.accountHolderEmailAddress");
        length(&f, e, 6, 320)?;
        let ok = e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'))
            && !e.chars().any(char::is_whitespace);
        if !ok {
            return Err(format_err(&f, "an e-mail address"));
        }
    }
    if let Some(p) = &h.account_holder_mobile_phone_number {
        let f = format!("{at}.accountHolderMobilePhoneNumber");
        digits(&format!("{f}.countryDialInCode"), &p.country_dial_in_code, 1, 4)?;
        digits(&format!("{f}.phoneNumber"), &p.phone_number, 1, 20)?;
    }
    Ok(())
}

/// The encrypted envelope's fields (the sandbox checks these before decrypting).
pub fn encrypted_payload(p: &EncryptedPayload) -> Check {
    const P: &str = "pushFundingAccounts.encryptedPayload";
    required(
        P,
        &[
            ("encryptedData", p.encrypted_data.as_str()),
            ("encryptedKey", p.encrypted_key.as_str()),
            ("publicKeyFingerprint", p.public_key_fingerprint.as_str()),
        ],
    )?;
    hex_field(&format!("{P}.publicKeyFingerprint"), &p.public_key_fingerprint, 32, 64)?;
    hex_field(&format!("{P}.encryptedKey"), &p.encrypted_key, 32, 512)?;
    if !p.encrypted_data.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format_err(&format!("{P}.encryptedData"), "hexadecimal"));
    }
    if let Some(o) = &p.oaep_hashing_algorithm {
        one_of(&format!("{P}.oaepHashingAlgorithm"), o, &["SHA256", "SHA512"])?;
    }
    if let Some(iv) = &p.iv {
        hex_field(&format!("{P}.iv"), iv, 24, 32)?;
    }
    if let Some(m) = &p.algorithm_cipher_mode {
        one_of(&format!("{P}.algorithmCipherMode"), m, &["CBC", "GCM"])?;
    }
    if let Some(t) = &p.tag {
        hex_field(&format!("{P}.tag"), t, 1, 36)?;
    }
    if let Some(a) = &p.aad {
        hex_field(&format!("{P}.aad"), a, 1, 36)?;
    }
    Ok(())
}

/// Everything about a received push except decryption: request id, envelope, and encrypted
/// payload shape. Call [`funding_accounts`] on the decrypted array afterwards, or use
/// [`validate_push_request`] with both.
pub fn validate_push_wire(req: &PushMultipleAccountsRequest) -> Check {
    request_id(&req.request_id)?;
    push_envelope(&PushEnvelope {
        token_requestor_id: &req.token_requestor_id,
        signature_data: req.signature_data.as_ref(),
        validity_period_minutes: req.push_account_receipts_validity_period,
        authentication_code: req.authentication_code.as_deref(),
    })?;
    encrypted_payload(&req.push_funding_accounts.encrypted_payload)
}

/// The full check of a push: wire fields plus the decrypted accounts.
pub fn validate_push_request(req: &PushMultipleAccountsRequest, accounts: &[PushFundingAccount]) -> Check {
    validate_push_wire(req)?;
    funding_accounts(accounts)
}

/// Parses a JSON body for the sandbox with MDES's reason codes: not JSON → `INVALID_JSON`;
/// a field listed in `required` (dotted path) absent or null → `MISSING_REQUIRED_FIELD`;
/// a field of the wrong JSON type → `INVALID_FIELD_FORMAT`.
pub fn parse_json<T: DeserializeOwned>(body: &[u8], required: &[&str]) -> Result<T, FieldError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| FieldError::new(ReasonCode::InvalidJson, "", "Request body is not valid JSON"))?;
    if !value.is_object() {
        return Err(FieldError::new(ReasonCode::InvalidJson, "", "Request body is not a JSON object"));
    }
    for path in required {
        let mut node = &value;
        for part in path.split('.') {
            node = node.get(part).unwrap_or(&serde_json::Value::Null);
        }
        if node.is_null() {
            return Err(missing(path));
        }
    }
    serde_json::from_value(value).map_err(|e| {
        let msg = e.to_string();
        // serde names the field in "missing field `x`"; keep just the name.
        if let Some(rest) = msg.strip_prefix("missing field `") {
            missing(rest.split('`').next().unwrap_or_default())
        } else {
            FieldError::new(
                ReasonCode::InvalidFieldFormat,
                "",
                format!("Invalid Field Format - {}", msg.split(" at line").next().unwrap_or_default()),
            )
        }
    })
}

/// Required paths of a pushMultipleAccounts request, for [`parse_json`].
pub const PUSH_REQUIRED: &[&str] = &[
    "requestId",
    "tokenRequestorId",
    "pushFundingAccounts",
    "pushFundingAccounts.encryptedPayload",
    "pushFundingAccounts.encryptedPayload.encryptedData",
    "pushFundingAccounts.encryptedPayload.encryptedKey",
    "pushFundingAccounts.encryptedPayload.publicKeyFingerprint",
];

/// Required paths of a getEligibleTokenRequestors request, for [`parse_json`].
pub const ELIGIBILITY_REQUIRED: &[&str] = &["requestId", "accountRanges"];

impl From<&FieldError> for super::model::MdesError {
    /// The `errors[]` item MDES would answer with (source `INPUT`, not recoverable: the same
    /// request would fail again).
    fn from(e: &FieldError) -> Self {
        super::model::MdesError {
            source: Some("INPUT".into()),
            reason_code: e.reason_code.as_str().into(),
            description: Some(e.description.clone()),
            error_code: None,
            recoverable: Some(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mdes::model::*;

    fn card(id: &str, pan: &str) -> PushFundingAccount {
        PushFundingAccount::card(id, pan, Some(("12", "29")))
    }

    fn code(r: Check) -> Option<(ReasonCode, String)> {
        r.err().map(|e| (e.reason_code, e.field))
    }

    #[test]
    fn account_range_limits() {
        let ok: Vec<String> = vec!["522222222".into(), "5222222222222222222".into()];
        assert!(account_ranges(&ok).is_ok());
        assert_eq!(code(account_ranges(&[])).unwrap().0, ReasonCode::MissingRequiredField);
        assert_eq!(code(account_ranges(&vec!["522222222".to_string(); 26])).unwrap().0, ReasonCode::InvalidFieldValue);
        assert!(account_ranges(&vec!["522222222".to_string(); 25]).is_ok());
        assert_eq!(code(account_ranges(&["52222222".into()])), Some((ReasonCode::InvalidFieldLength, "accountRanges[0]".into())));
        assert_eq!(code(account_ranges(&["52222222222222222222".into()])).unwrap().0, ReasonCode::InvalidFieldLength);
        assert_eq!(code(account_ranges(&["52222222x".into()])).unwrap().0, ReasonCode::InvalidFieldFormat);
    }

    #[test]
    fn push_account_limits() {
        assert!(funding_accounts(&[card("a", "5123456789012345")]).is_ok());
        assert_eq!(code(funding_accounts(&[])).unwrap().0, ReasonCode::MissingRequiredField);
        let six: Vec<_> = (0..6).map(|i| card(&i.to_string(), "5123456789012345")).collect();
        assert_eq!(code(funding_accounts(&six)).unwrap().0, ReasonCode::InvalidFieldValue);
        assert!(funding_accounts(&six[..5]).is_ok());
        let dup = [card("a", "5123456789012345"), card("a", "5123456789012346")];
        assert_eq!(
            code(funding_accounts(&dup)).unwrap(),
            (ReasonCode::InvalidFieldValue, "pushFundingAccounts.encryptedPayload.encryptedData[1].pushAccountId".into())
        );
        assert_eq!(
            code(funding_accounts(&[card(&"x".repeat(37), "5123456789012345")])).unwrap().0,
            ReasonCode::InvalidFieldLength
        );
        assert!(funding_accounts(&[card(&"x".repeat(36), "5123456789012345")]).is_ok());
        assert_eq!(code(funding_accounts(&[card("a", "51234567")])).unwrap().0, ReasonCode::InvalidFieldLength);
        let e = funding_accounts(&[card("a", "5123 4567 8901 2345")]).unwrap_err();
        assert_eq!(e.reason_code, ReasonCode::InvalidFieldFormat);
        assert!(!e.to_string().contains("5123"), "no PAN in errors: {e}");
        let mut bad_month = card("a", "5123456789012345");
        bad_month.funding_account_data.card_account_data.as_mut().unwrap().expiry_month = Some("13".into());
        assert_eq!(code(funding_accounts(&[bad_month])).unwrap().0, ReasonCode::InvalidFieldValue);
        let none = PushFundingAccount { push_account_id: "a".into(), funding_account_data: FundingAccountData::default() };
        assert_eq!(code(funding_accounts(&[none])).unwrap().0, ReasonCode::MissingRequiredField);
        let mut holder = card("a", "5123456789012345");
        holder.funding_account_data.account_holder_data =
            Some(AccountHolderData { account_holder_name: Some("x".repeat(28)), ..Default::default() });
        assert_eq!(code(funding_accounts(&[holder.clone()])).unwrap().0, ReasonCode::InvalidFieldLength);
        holder.funding_account_data.account_holder_data = Some(AccountHolderData {
            account_holder_name: Some("Zoë Ünïcode-Müller Long Na".into()),
            account_holder_address: Some(AccountHolderAddress { country: Some("usa".into()), ..Default::default() }),
            ..Default::default()
        });
        assert_eq!(code(funding_accounts(&[holder])).unwrap().0, ReasonCode::InvalidFieldFormat);
        let mut ts = card("a", "5123456789012345");
        for (t, ok) in [
            ("2019-07-04T12:09:56.123-07:00", true),
            ("2019-07-04T12:09:56Z", true),
            ("2019-07-04 12:09:56Z", false),
            ("2019-07-04T12:09:56.1234Z", false),
        ] {
            ts.funding_account_data.data_valid_until_timestamp = Some(t.into());
            assert_eq!(funding_accounts(&[ts.clone()]).is_ok(), ok, "{t}");
        }
    }

    #[test]
    fn envelope_limits() {
        let sd = SignatureData {
            callback_url: Some("https://bank.example/cb?id=1".into()),
            locale: Some("en_US".into()),
            ..Default::default()
        };
        fn env<'a>(trid: &'a str, sd: Option<&'a SignatureData>, period: Option<u32>) -> PushEnvelope<'a> {
            PushEnvelope {
                token_requestor_id: trid,
                signature_data: sd,
                validity_period_minutes: period,
                authentication_code: None,
            }
        }
        assert!(push_envelope(&env("50123197928", Some(&sd), Some(15))).is_ok());
        assert_eq!(code(push_envelope(&env("5012319792", None, None))).unwrap().0, ReasonCode::InvalidFieldLength);
        assert_eq!(code(push_envelope(&env("5012319792a", None, None))).unwrap().0, ReasonCode::InvalidFieldFormat);
        assert_eq!(code(push_envelope(&env("", None, None))).unwrap().0, ReasonCode::MissingRequiredField);
        assert_eq!(code(push_envelope(&env("50123197928", None, Some(4)))).unwrap().0, ReasonCode::InvalidFieldValue);
        assert_eq!(code(push_envelope(&env("50123197928", None, Some(16)))).unwrap().0, ReasonCode::InvalidFieldValue);
        assert!(push_envelope(&env("50123197928", None, Some(5))).is_ok());
        for (u, ok) in [
            ("https://a.example/x", true),
            ("myapp://return", true),
            ("/relative", false),
            ("https:///x", false),
            ("https://a b", false),
        ] {
            assert_eq!(callback_url("c", u).is_ok(), ok, "{u}");
        }
        assert_eq!(
            code(callback_url("c", &format!("https://a.example/{}", "x".repeat(240)))).unwrap().0,
            ReasonCode::InvalidFieldLength
        );
        for (l, ok) in [("en_US", true), ("EN_us", false), ("en-US", false), ("enUS", false)] {
            assert_eq!(locale("l", l).is_ok(), ok, "{l}");
        }
        assert!(request_id(&"r".repeat(64)).is_ok());
        assert_eq!(code(request_id(&"r".repeat(65))).unwrap().0, ReasonCode::InvalidFieldLength);
    }

    #[test]
    fn parse_json_reason_codes() {
        let r = parse_json::<PushMultipleAccountsRequest>(b"{not json", PUSH_REQUIRED).unwrap_err();
        assert_eq!(r.reason_code, ReasonCode::InvalidJson);
        let r = parse_json::<PushMultipleAccountsRequest>(b"[]", PUSH_REQUIRED).unwrap_err();
        assert_eq!(r.reason_code, ReasonCode::InvalidJson);
        // The classic mistake: singular pushFundingAccount.
        let body = br#"{"requestId":"1","tokenRequestorId":"50123197928","pushFundingAccount":{"encryptedPayload":{}}}"#;
        let r = parse_json::<PushMultipleAccountsRequest>(body, PUSH_REQUIRED).unwrap_err();
        assert_eq!((r.reason_code, r.field.as_str()), (ReasonCode::MissingRequiredField, "pushFundingAccounts"));
        let body = br#"{"requestId":1,"tokenRequestorId":"50123197928","pushFundingAccounts":{"encryptedPayload":{"encryptedData":"00","encryptedKey":"00","publicKeyFingerprint":"00"}}}"#;
        let r = parse_json::<PushMultipleAccountsRequest>(body, PUSH_REQUIRED).unwrap_err();
        assert_eq!(r.reason_code, ReasonCode::InvalidFieldFormat);
        let ok = br#"{"requestId":"1","accountRanges":["522222222"],"extra":true}"#;
        let req: GetEligibleTokenRequestorsRequest = parse_json(ok, ELIGIBILITY_REQUIRED).unwrap();
        assert!(validate_eligibility_request(&req).is_ok());
        let wire = MdesError::from(&account_ranges(&[]).unwrap_err());
        assert_eq!(
            serde_json::to_value(&wire).unwrap(),
            serde_json::json!({"source": "INPUT", "reasonCode": "MISSING_REQUIRED_FIELD",
                "description": "Missing Required Field - accountRanges", "recoverable": false})
        );
    }
}
