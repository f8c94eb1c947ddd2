//! The token requestor catalogue as the portal keeps it (wire contract §9): one
//! [`TokenRequestor`] per entry, with the codes it is made of. `catalog` builds it from
//! MDES's answer (checked and normalised there), `store` keeps it, eligibility, the pages
//! and the push read it; none of them sees the wire model.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A string enum that keeps values it does not know. The catalogue's codes are written as
/// MDES spells them: the wire model (`mdes::model`) reads and writes these same types.
macro_rules! open_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value this version does not know; kept verbatim.
            Other(String),
        }
        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $s,)+
                    $name::Other(s) => s,
                }
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($s => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::from(s.as_str()))
            }
        }
    };
}

open_enum!(
    /// `tokenRequestorType`.
    TokenRequestorType { Wallet => "WALLET", Merchant => "MERCHANT" }
);
open_enum!(
    /// `availablePushMethods[].type` and `supportedPushMethods[]`.
    PushMethodType { Android => "ANDROID", Ios => "IOS", Web => "WEB" }
);
open_enum!(
    /// `supportedAccountHolderData[]`: the holder fields a TR accepts.
    AccountHolderDataType {
        Name => "NAME",
        Address => "ADDRESS",
        EmailAddress => "EMAIL_ADDRESS",
        MobilePhoneNumber => "MOBILE_PHONE_NUMBER",
    }
);

/// `availablePushMethods[]` item. Both fields are required by the spec: an item whose `type`
/// is not a string is left out of its list; a missing `uri` reads as empty (unusable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushMethod {
    #[serde(rename = "type")]
    pub method_type: PushMethodType,
    #[serde(default)]
    pub uri: String,
}

/// A token requestor in the catalogue: what the pages, eligibility and the push read.
///
/// Stored as JSON (`token_requestors.data`) under the names MDES uses, so the rows written
/// before the portal had a type of its own still read; a field not kept here (the legal
/// `name`, `walletId`, …) is ignored in them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequestor {
    pub token_requestor_id: String,
    /// The name to show, in full (≤100).
    pub consumer_facing_entity_name: String,
    /// Its logo's asset id; `None` shows the placeholder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_asset_id: Option<String>,
    pub token_requestor_type: TokenRequestorType,
    /// Issuer account ranges it takes, padded to 19 digits.
    #[serde(default)]
    pub enabled_account_ranges: Vec<u64>,
    #[serde(default)]
    pub supported_push_methods: Vec<PushMethodType>,
    #[serde(default)]
    pub available_push_methods: Vec<PushMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_multiple_pushed_cards: Option<bool>,
    /// The holder fields it accepts in a push.
    #[serde(default)]
    pub supported_account_holder_data: Vec<AccountHolderDataType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_token_connect: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_issuer_initiated_digitization_data: Option<bool>,
}
