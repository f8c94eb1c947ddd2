//! Serde types of the Token Connect wire contract (wire contract §2, §6), written for OpenAPI v2.11.
//!
//! One concern, so one file past 500 lines: how Token Connect JSON reads and writes — the types
//! and the lenient readers they are declared with, which only make sense beside each other.
//!
//! Parsing is forgiving by design (wire contract §6 "forward compatibility"): unknown fields are ignored,
//! unknown enum values land in `Other(String)`, optional-looking lists default to empty, and a
//! few fields accept both the documented and a commonly seen JSON type (numbers as strings,
//! booleans as `"true"`). Serialising writes the documented form only.
//!
//! In MDES's answers, a field the spec makes optional or conditional may be absent, `null` or
//! of the wrong JSON type: all three read as absent (a list as empty, one unreadable list item
//! as missing), so a field the portal can do without never costs the rest of the answer. An
//! optional string that is empty reads as absent too (the spec's strings have at least one
//! character), and so does any text with a control character ([`drop_control_text`], applied by
//! the client before reading). The token requestor list is read item by item
//! ([`read_token_requestor`]): an item without what the spec requires is left out, with its
//! reason, and the others are kept.

use serde::{Deserialize, Deserializer, Serialize};

use super::encryption::EncryptedPayload;

// The catalogue's codes (token requestor type, push method type, holder fields) and
// `PushMethod` are the portal's vocabulary too: `domain` owns them, the wire model reads
// and writes them under the same names.
pub use crate::domain::{AccountHolderDataType, PushMethod, PushMethodType, TokenRequestorType};

// ---- lenient field decoders ------------------------------------------------------------

/// `true`/`false`, or the strings `"true"`/`"false"` in any case (the spec calls these
/// booleans "not case sensitive").
pub(crate) mod lenient_bool {
    use serde::{Deserialize, Deserializer, de::Error};
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Str(String),
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Option::<B>::deserialize(d)? {
            None => Ok(None),
            Some(B::Bool(b)) => Ok(Some(b)),
            Some(B::Str(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(B::Str(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(B::Str(_)) => Err(D::Error::custom("expected a boolean")),
        }
    }
}

/// `enabledAccountRanges`: JSON integers of up to 19 digits (fit in u64). Digit strings are
/// accepted too; anything else is dropped rather than failing the whole TR list.
mod account_ranges {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        // Not a list at all: no ranges (an MDES answer like that is refused earlier, by
        // `read_token_requestor`).
        let Value::Array(items) = Value::deserialize(d)? else {
            return Ok(Vec::new());
        };
        Ok(items
            .into_iter()
            .filter_map(|item| match item {
                Value::Number(n) => n.as_u64(),
                Value::String(s) if !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
                _ => None,
            })
            .collect())
    }
}

/// `null` → empty list.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

// ---- tolerant readers for MDES's answers (optional fields) -----------------------------

/// Removes, from a parsed MDES answer, every string that contains a control character (NUL,
/// CR, LF, tab, DEL…), as if it were absent: an object loses the key, a list the item. MDES
/// never means one (ids, names, receipts, URIs, base64, JWS), and such text cannot be used as
/// it is: PostgreSQL refuses a NUL, a header (the hand-off's `Location`) refuses a CR or LF.
/// Absent, the field is handled like any other absent field (an optional one is done without,
/// an item without a required one is left out).
pub fn drop_control_text(value: &mut serde_json::Value) {
    fn unusable(v: &serde_json::Value) -> bool {
        v.as_str().is_some_and(|s| s.chars().any(|c| c.is_ascii_control()))
    }
    match value {
        serde_json::Value::Object(fields) => {
            fields.retain(|_, v| !unusable(v));
            fields.values_mut().for_each(drop_control_text);
        }
        serde_json::Value::Array(items) => {
            items.retain(|v| !unusable(v));
            items.iter_mut().for_each(drop_control_text);
        }
        _ => {}
    }
}

/// An optional string: absent, `null`, empty (the spec's strings are at least one character)
/// or a value of another type → `None`.
fn opt_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    })
}

/// An optional boolean: `true`/`false`, or those words as a string in any case (the spec calls
/// these booleans "not case sensitive"); anything else → `None`.
fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Some(b),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
}

/// An optional string that some senders write as a number: kept as its decimal text;
/// anything else (an empty string too) → `None`.
fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A string the spec requires inside an item whose other fields are still worth reading
/// (`errors[].reasonCode`): anything but a string → empty.
fn text_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        _ => String::new(),
    })
}

/// An optional list: not a list → empty; each item that does not read as `T` is left out.
fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Array(items) => items.into_iter().filter_map(|item| T::deserialize(item).ok()).collect(),
        _ => Vec::new(),
    })
}

/// `errors`: absent or `null` → no errors; an item that does not read still counts as an
/// error (with an empty reason code), and so does a value that is not a list at all: MDES
/// said something failed, and an answer beside it is not taken as complete.
fn error_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<MdesError>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Array(items) => {
            items.into_iter().map(|item| MdesError::deserialize(item).unwrap_or_default()).collect()
        }
        serde_json::Value::Null => Vec::new(),
        _ => vec![MdesError::default()],
    })
}

// ---- errors (wire contract §6) ------------------------------------------------------------------

/// One Token Connect error (`errors[]` items, lower-camel keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MdesError {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_str")]
    pub source: Option<String>,
    /// Required by the spec; empty when MDES left it out (or sent something else).
    #[serde(default, deserialize_with = "text_or_empty")]
    pub reason_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_str")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_text")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_bool")]
    pub recoverable: Option<bool>,
}

/// Non-200 Token Connect answer: `{responseId?, errors: [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ErrorWrapper {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_str")]
    pub response_id: Option<String>,
    #[serde(default, deserialize_with = "error_list")]
    pub errors: Vec<MdesError>,
}

/// Gateway error (authentication, body hash): `{"Errors":{"Error":[{...}]}}`, capitalised keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GatewayErrorResponse {
    #[serde(rename = "Errors")]
    pub errors: GatewayErrors,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GatewayErrors {
    /// Some Mastercard gateways send a single object instead of a list; both parse.
    #[serde(rename = "Error", deserialize_with = "one_or_many")]
    pub error: Vec<GatewayError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GatewayError {
    #[serde(rename = "Source", default, deserialize_with = "opt_str")]
    pub source: Option<String>,
    #[serde(rename = "ReasonCode", default, deserialize_with = "text_or_empty")]
    pub reason_code: String,
    #[serde(rename = "Description", default, deserialize_with = "opt_str")]
    pub description: Option<String>,
    #[serde(rename = "Recoverable", default, deserialize_with = "opt_bool")]
    pub recoverable: Option<bool>,
    #[serde(rename = "Details", default)]
    pub details: Option<serde_json::Value>,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<GatewayError>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<GatewayError>),
        One(GatewayError),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(e) => vec![e],
    })
}

impl From<&GatewayError> for MdesError {
    fn from(g: &GatewayError) -> Self {
        MdesError {
            source: g.source.clone(),
            reason_code: g.reason_code.clone(),
            description: g.description.clone(),
            error_code: None,
            recoverable: g.recoverable,
        }
    }
}

// ---- getEligibleTokenRequestors --------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetEligibleTokenRequestorsRequest {
    pub request_id: String,
    pub account_ranges: Vec<String>,
    /// Deprecated by Mastercard; never sent by us.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_bool::deserialize")]
    pub supports_token_connect: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetEligibleTokenRequestorsResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub token_requestors: Vec<TokenRequestor>,
    #[serde(default, deserialize_with = "null_as_empty", skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<MdesError>,
}

/// One `tokenRequestors[]` item. Deserialising it directly is lenient throughout (tests, the
/// sandbox's data set); MDES's answers go through [`read_token_requestor`], which first checks
/// what the spec requires. The portal keeps [`crate::domain::TokenRequestor`], made from this
/// by the catalogue refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequestor {
    pub token_requestor_id: String,
    /// Legal name (≤64). Not for display.
    #[serde(default)]
    pub name: String,
    /// The name to show, in full (≤100).
    #[serde(default)]
    pub consumer_facing_entity_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_str")]
    pub image_asset_id: Option<String>,
    #[serde(default = "unknown_tr_type")]
    pub token_requestor_type: TokenRequestorType,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_str")]
    pub wallet_id: Option<String>,
    #[serde(default, deserialize_with = "account_ranges::deserialize")]
    pub enabled_account_ranges: Vec<u64>,
    #[serde(default, deserialize_with = "list")]
    pub supported_push_methods: Vec<PushMethodType>,
    #[serde(default, deserialize_with = "list")]
    pub available_push_methods: Vec<PushMethod>,
    #[serde(default, deserialize_with = "opt_bool", skip_serializing_if = "Option::is_none")]
    pub supports_multiple_pushed_cards: Option<bool>,
    #[serde(default, deserialize_with = "list")]
    pub supported_account_holder_data: Vec<AccountHolderDataType>,
    #[serde(default, deserialize_with = "opt_bool", skip_serializing_if = "Option::is_none")]
    pub supports_card_holder_authentication: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool", skip_serializing_if = "Option::is_none")]
    pub supports_token_connect: Option<bool>,
    #[serde(default, deserialize_with = "opt_bool", skip_serializing_if = "Option::is_none")]
    pub support_issuer_initiated_digitization_data: Option<bool>,
}

fn unknown_tr_type() -> TokenRequestorType {
    TokenRequestorType::Other(String::new())
}

/// What the spec requires of every `tokenRequestors[]` item, with the JSON type each must be.
const TR_REQUIRED: &[(&str, JsonKind)] = &[
    ("tokenRequestorId", JsonKind::String),
    ("name", JsonKind::String),
    ("consumerFacingEntityName", JsonKind::String),
    ("tokenRequestorType", JsonKind::String),
    ("enabledAccountRanges", JsonKind::Array),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonKind {
    String,
    Array,
}

fn json_kind_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Reads one `tokenRequestors[]` item of an MDES answer. `Err` (why, in one line, without
/// the item's values) when a field the spec requires is missing, `null` or of the wrong JSON
/// type; optional fields that cannot be read are dropped and the item is kept.
pub fn read_token_requestor(item: serde_json::Value) -> Result<TokenRequestor, String> {
    let Some(fields) = item.as_object() else {
        return Err(format!("not an object but {}", json_kind_name(&item)));
    };
    for (name, kind) in TR_REQUIRED {
        let problem = match (fields.get(*name), kind) {
            (None, _) => Some("missing".to_string()),
            (Some(serde_json::Value::String(_)), JsonKind::String) | (Some(serde_json::Value::Array(_)), JsonKind::Array) => None,
            (Some(v), _) => Some(format!(
                "{} instead of {}",
                json_kind_name(v),
                if *kind == JsonKind::String { "a string" } else { "a list" }
            )),
        };
        if let Some(problem) = problem {
            return Err(format!("{name} {problem}"));
        }
    }
    serde_json::from_value(item).map_err(|e| format!("unreadable: {}", json_error_kind(&e)))
}

/// A `serde_json` error's category, for errors and log lines that must not quote MDES's data
/// (serde's own message may hold a value, such as an account number).
pub(crate) fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "io",
        serde_json::error::Category::Syntax => "syntax",
        serde_json::error::Category::Data => "unexpected shape",
        serde_json::error::Category::Eof => "truncated",
    }
}

/// A getEligibleTokenRequestors answer as the portal reads it: the token requestors one by
/// one (see [`read_token_requestor`]), what was left out and why, and any `errors` beside
/// them. ([`GetEligibleTokenRequestorsResponse`] is the wire type the sandbox writes.)
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EligibleTokenRequestors {
    pub response_id: Option<String>,
    /// Whether the answer had a `tokenRequestors` list at all (MDES sends one, possibly
    /// empty, whenever the call succeeded).
    pub listed: bool,
    pub token_requestors: Vec<TokenRequestor>,
    /// The items left out: `(tokenRequestorId when readable, why)`.
    pub skipped: Vec<(Option<String>, String)>,
    pub errors: Vec<MdesError>,
}

impl<'de> Deserialize<'de> for EligibleTokenRequestors {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            #[serde(default, deserialize_with = "opt_str")]
            response_id: Option<String>,
            #[serde(default)]
            token_requestors: Option<serde_json::Value>,
            #[serde(default, deserialize_with = "error_list")]
            errors: Vec<MdesError>,
        }
        let raw = Raw::deserialize(d)?;
        let mut out = EligibleTokenRequestors { response_id: raw.response_id, errors: raw.errors, ..Default::default() };
        if let Some(serde_json::Value::Array(items)) = raw.token_requestors {
            out.listed = true;
            for item in items {
                let trid = item.get("tokenRequestorId").and_then(|v| v.as_str()).map(|s| s.chars().take(20).collect());
                match read_token_requestor(item) {
                    Ok(tr) => out.token_requestors.push(tr),
                    Err(why) => out.skipped.push((trid, why)),
                }
            }
        }
        Ok(out)
    }
}

impl TokenRequestor {
    /// MDES right-pads a range to 19 digits and needs an exact match (wire contract §2).
    pub fn has_enabled_range(&self, range: &str) -> bool {
        pad_range(range).is_some_and(|r| self.enabled_account_ranges.contains(&r))
    }
    /// Whether this TR is enabled for the card: one of the issuer's configured account ranges
    /// is a prefix of the PAN and is among the TR's enabled ranges (wire contract §9).
    pub fn covers_card(&self, pan: &str, issuer_ranges: &[String]) -> bool {
        issuer_ranges.iter().any(|r| pan.starts_with(r.as_str()) && self.has_enabled_range(r))
    }
    pub fn push_method(&self, t: &PushMethodType) -> Option<&PushMethod> {
        self.available_push_methods.iter().find(|m| &m.method_type == t)
    }
}

/// `"522222"` → `5222220000000000000`; `None` unless 1–19 ASCII digits.
pub fn pad_range(range: &str) -> Option<u64> {
    if range.is_empty() || range.len() > 19 || !range.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    format!("{range:0<19}").parse().ok()
}

// ---- getAsset --------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AssetResponse {
    #[serde(default, deserialize_with = "list")]
    pub media_contents: Vec<MediaContent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaContent {
    /// MIME type, e.g. `image/png`, `image/svg+xml`.
    #[serde(rename = "type")]
    pub media_type: String,
    /// base64 of the file.
    pub data: String,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_text")]
    pub height: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_text")]
    pub width: Option<String>,
}

// ---- pushMultipleAccounts: wire request ------------------------------------------------

/// `signatureData`: echoed back inside MDES's JWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SignatureData {
    #[serde(rename = "callbackURL", default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_bool::deserialize")]
    pub complete_issuer_app_activation: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_bool::deserialize")]
    pub complete_website_activation: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_bool::deserialize")]
    pub account_holder_data_supplied: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_requestor_session_id: Option<String>,
}

/// `pushFundingAccounts` / `pushFundingAccount`: `{encryptedPayload}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptedFundingAccounts {
    pub encrypted_payload: EncryptedPayload,
}

/// The pushMultipleAccounts request as sent (payload encrypted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushMultipleAccountsRequest {
    pub request_id: String,
    pub push_funding_accounts: EncryptedFundingAccounts,
    pub token_requestor_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_data: Option<SignatureData>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_bool::deserialize")]
    pub request_issuer_initiated_digitization_data: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_account_receipts_validity_period: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_code: Option<String>,
}

/// The deprecated pushAccount request (one account, singular `pushFundingAccount`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushAccountRequest {
    pub request_id: String,
    pub push_funding_account: EncryptedFundingAccounts,
    pub token_requestor_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_data: Option<SignatureData>,
}

// ---- the plaintext that gets encrypted -------------------------------------------------

/// One item of the encrypted array: `{pushAccountId, fundingAccountData}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushFundingAccount {
    pub push_account_id: String,
    pub funding_account_data: FundingAccountData,
}

impl PushFundingAccount {
    /// A card with no holder data: its number and expiry (`MM`, `YY`) as the spec writes them.
    pub fn card(push_account_id: &str, account_number: &str, expiry: Option<(&str, &str)>) -> Self {
        PushFundingAccount {
            push_account_id: push_account_id.into(),
            funding_account_data: FundingAccountData {
                card_account_data: Some(CardAccountData {
                    account_number: account_number.into(),
                    expiry_month: expiry.map(|(month, _)| month.into()),
                    expiry_year: expiry.map(|(_, year)| year.into()),
                }),
                ..Default::default()
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FundingAccountData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_account_data: Option<CardAccountData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_account_data: Option<FinancialAccountData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder_data: Option<AccountHolderData>,
    /// ISO-8601, e.g. `2019-07-04T12:09:56.123-07:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_valid_until_timestamp: Option<String>,
}

/// Card data. `Debug` shows only the last four digits (PCI DSS: no full PAN in logs).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardAccountData {
    pub account_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_month: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_year: Option<String>,
}

impl std::fmt::Debug for CardAccountData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardAccountData")
            .field("account_number", &mask(&self.account_number))
            .field("expiry_month", &self.expiry_month)
            .field("expiry_year", &self.expiry_year)
            .finish()
    }
}

/// `…1234`: at most the last four characters.
pub fn mask(s: &str) -> String {
    let n = s.chars().count();
    let tail: String = s.chars().skip(n.saturating_sub(4)).collect();
    format!("…{tail}")
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinancialAccountData {
    pub financial_account_id: String,
    pub interbank_card_association_id: String,
    /// ISO 3166-1 alpha-3.
    pub country_code: String,
}

impl std::fmt::Debug for FinancialAccountData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinancialAccountData")
            .field("financial_account_id", &mask(&self.financial_account_id))
            .field("interbank_card_association_id", &self.interbank_card_association_id)
            .field("country_code", &self.country_code)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AccountHolderData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder_address: Option<AccountHolderAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder_email_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder_mobile_phone_number: Option<PhoneNumber>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AccountHolderAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_subdivision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PhoneNumber {
    pub country_dial_in_code: String,
    pub phone_number: String,
}

// ---- pushMultipleAccounts / pushAccount: responses -------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PushMultipleAccountsResponse {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_str")]
    pub response_id: Option<String>,
    /// Items without a readable `pushAccountId` (a string) are left out: they name no account.
    #[serde(default, deserialize_with = "list")]
    pub push_account_receipts: Vec<PushAccountReceiptEntry>,
    #[serde(default, deserialize_with = "list")]
    pub available_push_methods: Vec<PushMethod>,
    /// JWS (wire contract §5), present when the TR supports signatures and a receipt was issued.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_str")]
    pub signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_bool")]
    pub token_requestor_signature_support: Option<bool>,
    #[serde(default, deserialize_with = "error_list", skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<MdesError>,
}

/// One account's outcome: a receipt, or errors (a push can half succeed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PushAccountReceiptEntry {
    /// Required by the spec (the entry is unusable without it).
    pub push_account_id: String,
    /// `MCC-<UUID>`-like, but treat as opaque (≤64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_str")]
    pub push_account_receipt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_str")]
    pub issuer_initiated_digitization_data: Option<String>,
    #[serde(default, deserialize_with = "error_list", skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<MdesError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PushAccountResponse {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_str")]
    pub response_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "opt_str")]
    pub push_account_receipt: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub available_push_methods: Vec<PushMethod>,
    #[serde(default, deserialize_with = "error_list", skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<MdesError>,
}

/// The payload of MDES's JWS `signature` as seen from the real sandbox (wire contract §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PushSignaturePayload {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub push_account_receipts: Vec<String>,
    #[serde(rename = "callbackURL", default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_bool::deserialize")]
    pub complete_website_activation: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_bool::deserialize")]
    pub account_holder_data_supplied: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

impl PushSignaturePayload {
    /// What MDES signs for a push: the receipts plus the request's `signatureData` fields, in
    /// the order the real sandbox uses (`completeIssuerAppActivation` and
    /// `tokenRequestorSessionId` are not part of it).
    pub fn new(receipts: Vec<String>, signature_data: Option<&SignatureData>) -> Self {
        let sd = signature_data.cloned().unwrap_or_default();
        PushSignaturePayload {
            push_account_receipts: receipts,
            callback_url: sd.callback_url,
            complete_website_activation: sd.complete_website_activation,
            account_holder_data_supplied: sd.account_holder_data_supplied,
            locale: sd.locale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_of_unknown_fields_values_and_number_ranges() {
        let body = r#"{"responseId":"r","newTopLevel":{"x":1},"tokenRequestors":[{
            "tokenRequestorId":"50123197928","name":"Legal","consumerFacingEntityName":"Shown",
            "imageAssetId":"a1","tokenRequestorType":"PAYMENT_FACILITATOR","walletId":"103",
            "enabledAccountRanges":[5222220000000000000,"5454545450000000000",{"odd":1}],
            "supportedPushMethods":["WEB","SMART_TV"],
            "availablePushMethods":[{"type":"WEB","uri":"https://wallet.example/push"},{"type":"CAR","uri":"car://x"}],
            "supportsMultiplePushedCards":"TRUE","supportedAccountHolderData":["NAME","FINGERPRINT"],
            "somethingNew":[1,2,3]}],"errors":null}"#;
        let r: GetEligibleTokenRequestorsResponse = serde_json::from_str(body).unwrap();
        let tr = &r.token_requestors[0];
        assert_eq!(tr.token_requestor_type, TokenRequestorType::Other("PAYMENT_FACILITATOR".into()));
        assert_eq!(tr.enabled_account_ranges, vec![5222220000000000000, 5454545450000000000]);
        assert_eq!(tr.supported_push_methods[1], PushMethodType::Other("SMART_TV".into()));
        assert_eq!(tr.supports_multiple_pushed_cards, Some(true));
        assert_eq!(tr.supported_account_holder_data[1], AccountHolderDataType::Other("FINGERPRINT".into()));
        assert!(tr.has_enabled_range("522222"));
        assert!(!tr.has_enabled_range("5222221"));
        let issuer = vec!["522222".to_string(), "545454546".to_string()];
        assert!(tr.covers_card("5222221234567890", &issuer));
        assert!(!tr.covers_card("5454545461234567", &issuer), "range not enabled for this TR");
        assert!(!tr.covers_card("4111111111111111", &issuer));
        assert_eq!(tr.push_method(&PushMethodType::Web).unwrap().uri, "https://wallet.example/push");
        // Unknown enum values serialise back verbatim.
        assert_eq!(serde_json::to_value(&tr.token_requestor_type).unwrap(), "PAYMENT_FACILITATOR");
        assert!(r.errors.is_empty());
    }

    fn good_tr(trid: &str) -> serde_json::Value {
        serde_json::json!({
            "tokenRequestorId": trid, "name": "Legal", "consumerFacingEntityName": "Shown",
            "tokenRequestorType": "WALLET", "enabledAccountRanges": [5222220000000000000u64],
            "supportedPushMethods": ["WEB"], "availablePushMethods": [{"type": "WEB", "uri": "https://tr.example/p"}],
            "supportsMultiplePushedCards": true, "supportedAccountHolderData": ["NAME"],
            "imageAssetId": "a1", "walletId": "103", "supportsCardHolderAuthentication": false,
            "supportsTokenConnect": true, "supportIssuerInitiatedDigitizationData": false
        })
    }

    #[test]
    fn one_malformed_token_requestor_is_skipped_not_the_batch() {
        let mut no_id = good_tr("x");
        no_id.as_object_mut().unwrap().remove("tokenRequestorId");
        let mut ranges_a_string = good_tr("50000000002");
        ranges_a_string["enabledAccountRanges"] = "5222220000000000000".into();
        let mut type_a_number = good_tr("50000000003");
        type_a_number["tokenRequestorType"] = 7.into();
        let mut name_null = good_tr("50000000004");
        name_null["consumerFacingEntityName"] = serde_json::Value::Null;
        let body = serde_json::json!({"responseId": "r", "tokenRequestors": [
            good_tr("50000000001"), no_id, ranges_a_string, type_a_number, name_null, "not an object",
            good_tr("50000000005")
        ]});
        let r: EligibleTokenRequestors = serde_json::from_value(body).unwrap();
        assert!(r.listed);
        let ids: Vec<&str> = r.token_requestors.iter().map(|t| t.token_requestor_id.as_str()).collect();
        assert_eq!(ids, ["50000000001", "50000000005"]);
        let skipped: Vec<(Option<&str>, &str)> = r.skipped.iter().map(|(t, w)| (t.as_deref(), w.as_str())).collect();
        assert_eq!(
            skipped,
            [
                (None, "tokenRequestorId missing"),
                (Some("50000000002"), "enabledAccountRanges a string instead of a list"),
                (Some("50000000003"), "tokenRequestorType a number instead of a string"),
                (Some("50000000004"), "consumerFacingEntityName null instead of a string"),
                (None, "not an object but a string"),
            ]
        );
    }

    #[test]
    fn a_wrong_typed_optional_field_is_absent_and_the_token_requestor_kept() {
        let wrong: [serde_json::Value; 5] =
            ["yes".into(), 12.into(), true.into(), serde_json::json!({"x": 1}), serde_json::json!(["x"])];
        for field in [
            "imageAssetId",
            "walletId",
            "supportedPushMethods",
            "availablePushMethods",
            "supportsMultiplePushedCards",
            "supportedAccountHolderData",
            "supportsCardHolderAuthentication",
            "supportsTokenConnect",
            "supportIssuerInitiatedDigitizationData",
        ] {
            for value in &wrong {
                let mut item = good_tr("50000000001");
                let original = item[field].clone();
                item[field] = value.clone();
                let tr = read_token_requestor(item).unwrap_or_else(|e| panic!("{field} = {value}: {e}"));
                let back = serde_json::to_value(&tr).unwrap();
                // Either the value still reads as the field's type ("true" as a boolean) or
                // the field is gone; never something else.
                let kept = back.get(field).cloned().unwrap_or(serde_json::Value::Null);
                let absent = kept.is_null() || kept == serde_json::json!([]);
                assert!(absent || kept.is_string() == original.is_string(), "{field} = {value}: {kept}");
            }
        }
        // Items of the lists are read one by one.
        let mut item = good_tr("50000000001");
        item["supportedPushMethods"] = serde_json::json!(["WEB", 5, null, "HOLOGRAM"]);
        item["availablePushMethods"] =
            serde_json::json!([{"type": 5, "uri": "x"}, "WEB", {"type": "WEB", "uri": "https://tr.example/p"}]);
        item["enabledAccountRanges"] = serde_json::json!(["x", 5222220000000000000u64, -1, 1.5, {"a": 1}]);
        let tr = read_token_requestor(item).unwrap();
        assert_eq!(tr.supported_push_methods, [PushMethodType::Web, PushMethodType::Other("HOLOGRAM".into())]);
        assert_eq!(tr.available_push_methods.len(), 1);
        assert_eq!(tr.enabled_account_ranges, [5222220000000000000]);
    }

    #[test]
    fn the_eligibility_answer_says_whether_it_had_a_list() {
        for (body, listed) in [
            (r#"{"responseId":"r","tokenRequestors":[]}"#, true),
            (r#"{"responseId":"r"}"#, false),
            (r#"{"responseId":"r","tokenRequestors":null}"#, false),
            (r#"{"responseId":"r","tokenRequestors":"none"}"#, false),
            (r#"{"responseId":5,"tokenRequestors":{"a":1},"errors":"x"}"#, false),
        ] {
            let r: EligibleTokenRequestors = serde_json::from_str(body).unwrap();
            assert_eq!(r.listed, listed, "{body}");
            assert!(r.token_requestors.is_empty(), "{body}");
            // `errors` that is not a list still says something failed.
            assert_eq!(r.errors.len(), usize::from(body.contains("\"errors\"")), "{body}");
        }
        // Errors beside token requestors: both kept. An unreadable error item still counts.
        let r: EligibleTokenRequestors = serde_json::from_value(serde_json::json!({
            "responseId": "r", "tokenRequestors": [good_tr("50000000001")],
            "errors": [{"source": "MDES", "reasonCode": "PARTIAL", "recoverable": "maybe", "errorCode": 12}, 42]
        }))
        .unwrap();
        assert_eq!(r.token_requestors.len(), 1);
        assert_eq!(r.errors.len(), 2);
        assert_eq!((r.errors[0].reason_code.as_str(), r.errors[0].recoverable), ("PARTIAL", None));
        assert_eq!(r.errors[0].error_code.as_deref(), Some("12"));
        assert_eq!(r.errors[1], MdesError::default());
    }

    #[test]
    fn push_answers_read_what_they_can() {
        let p: PushMultipleAccountsResponse = serde_json::from_value(serde_json::json!({
            "responseId": ["r"], "signature": 5, "tokenRequestorSignatureSupport": {"x": 1},
            "availablePushMethods": {"type": "WEB"},
            "pushAccountReceipts": [{"pushAccountId": "PA1", "pushAccountReceipt": 7, "errors": "x"},
                                    {"pushAccountReceipt": "MCC-1"}, "PA3",
                                    {"pushAccountId": "PA2", "pushAccountReceipt": "MCC-2", "issuerInitiatedDigitizationData": false}],
            "errors": {"reasonCode": "X"}
        }))
        .unwrap();
        assert_eq!(p.response_id, None);
        assert_eq!(p.signature, None);
        assert_eq!(p.token_requestor_signature_support, None);
        assert!(p.available_push_methods.is_empty());
        assert_eq!(p.errors, [MdesError::default()], "errors that are not a list still count as an error");
        let entries: Vec<(&str, Option<&str>)> =
            p.push_account_receipts.iter().map(|e| (e.push_account_id.as_str(), e.push_account_receipt.as_deref())).collect();
        assert_eq!(entries, [("PA1", None), ("PA2", Some("MCC-2"))], "entries without a pushAccountId name no account");
    }

    #[test]
    fn text_with_control_characters_and_empty_optional_strings_read_as_absent() {
        let mut answer = serde_json::json!({
            "responseId": "r\u{0}",
            "signature": "",
            "availablePushMethods": [{"type": "WEB", "uri": "https://tr.example/p\r\nX-Injected: 1"}],
            "pushAccountReceipts": [
                {"pushAccountId": "PA1", "pushAccountReceipt": ""},
                {"pushAccountId": "PA2", "pushAccountReceipt": "MCC-2\u{7f}"},
                {"pushAccountId": "PA3", "pushAccountReceipt": "MCC-3 ünïcode"}
            ],
            "errors": ["tab\there", {"reasonCode": "X\u{1}", "description": "fine"}]
        });
        drop_control_text(&mut answer);
        assert_eq!(answer["responseId"], serde_json::Value::Null, "the key is gone");
        assert_eq!(answer["availablePushMethods"][0], serde_json::json!({"type": "WEB"}));
        assert_eq!(answer["errors"], serde_json::json!([{"description": "fine"}]), "a list loses the item");
        let p: PushMultipleAccountsResponse = serde_json::from_value(answer).unwrap();
        let receipts: Vec<Option<&str>> = p.push_account_receipts.iter().map(|e| e.push_account_receipt.as_deref()).collect();
        assert_eq!(receipts, [None, None, Some("MCC-3 ünïcode")]);
        assert_eq!(p.signature, None, "an empty signature is no signature");
        assert_eq!(p.available_push_methods[0].uri, "", "unusable, like a missing URI");
        assert_eq!(p.errors[0].reason_code, "");
    }

    #[test]
    fn error_shapes() {
        let gw: GatewayErrorResponse = serde_json::from_str(r#"{"Errors":{"Error":[{"Source":"Gateway","ReasonCode":"INVALID_BODY_HASH","Description":"d","Recoverable":false,"Details":null}]}}"#).unwrap();
        assert_eq!(gw.errors.error[0].reason_code, "INVALID_BODY_HASH");
        let one: GatewayErrorResponse =
            serde_json::from_str(r#"{"Errors":{"Error":{"ReasonCode":"X","Recoverable":"true"}}}"#).unwrap();
        assert_eq!(one.errors.error[0].recoverable, Some(true));
        let w: ErrorWrapper = serde_json::from_str(r#"{"responseId":"5d","errors":[{"source":"INPUT","reasonCode":"INVALID_FIELD_LENGTH","description":"Invalid Field Length - x","errorCode":1234,"recoverable":true}]}"#).unwrap();
        assert_eq!(w.errors[0].error_code.as_deref(), Some("1234"));
        let p: PushMultipleAccountsResponse = serde_json::from_str(r#"{"pushAccountReceipts":[{"pushAccountId":"a","pushAccountReceipt":"MCC-1"},{"pushAccountId":"b","errors":[{"reasonCode":"ACCOUNT_INELIGIBLE","recoverable":false}]}]}"#).unwrap();
        assert_eq!(p.push_account_receipts[1].errors[0].reason_code, "ACCOUNT_INELIGIBLE");
    }

    #[test]
    fn asset_sizes_may_be_strings_or_numbers() {
        let a: AssetResponse = serde_json::from_str(r#"{"mediaContents":[{"type":"image/png","data":"iVBO","height":"192","width":192},{"type":"image/svg+xml","data":"PHN2Zz4="}]}"#).unwrap();
        assert_eq!(a.media_contents[0].width.as_deref(), Some("192"));
        assert_eq!(a.media_contents[1].height, None);
    }

    #[test]
    fn signature_payload_serialises_in_mdes_order() {
        let sd = SignatureData {
            callback_url: Some("https://bank.example/provisioning/return/abc".into()),
            complete_issuer_app_activation: Some(true),
            complete_website_activation: Some(false),
            account_holder_data_supplied: Some(true),
            locale: Some("en_GB".into()),
            token_requestor_session_id: None,
        };
        let p = PushSignaturePayload::new(vec!["MCC-STL-35B41EFB-8A46-45C4-8768-6077B1279A46".into()], Some(&sd));
        // The order MDES signs in (docs/wire-contract.md §5): the receipts, then
        // the signatureData fields, without completeIssuerAppActivation.
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"pushAccountReceipts":["MCC-STL-35B41EFB-8A46-45C4-8768-6077B1279A46"],"callbackURL":"https://bank.example/provisioning/return/abc","completeWebsiteActivation":false,"accountHolderDataSupplied":true,"locale":"en_GB"}"#
        );
    }

    #[test]
    fn debug_never_shows_the_pan() {
        let c = CardAccountData {
            account_number: "5123456789012345".into(),
            expiry_month: Some("12".into()),
            expiry_year: Some("29".into()),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("512345678901") && shown.contains("2345"), "{shown}");
        assert_eq!(pad_range("522222"), Some(5222220000000000000));
        assert_eq!(pad_range("12345678901234567890"), None);
        assert_eq!(pad_range("52a"), None);
    }
}
