//! One concern, so one file past 500 lines: the built-in data set (it is mostly data).
//!
//! The sandbox's data set: its token requestors and its test cards (which card
//! triggers which scenario). Built in, printed by `pushprov sandbox data`, and
//! replaced by a JSON file named in `sandbox.data_file` — so a QA engineer can
//! read it, copy it and extend it without touching code.

use serde::{Deserialize, Serialize};

use crate::mdes::model::{AccountHolderDataType, PushMethod, PushMethodType, TokenRequestor, TokenRequestorType, pad_range};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SandboxData {
    pub token_requestors: Vec<SandboxTokenRequestor>,
    /// Cards that trigger a scenario; any other card in an enabled range is approved.
    pub test_cards: Vec<TestCard>,
    /// Raw additions to getEligibleTokenRequestors answers, as MDES may send
    /// them: `errors` beside the TRs, TR entries that do not read (wrong
    /// types, missing ids). Added whenever the asked ranges include `range`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eligibility_extras: Vec<EligibilityExtra>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EligibilityExtra {
    /// An account range (9–19 digits) that, when asked about, brings these.
    pub range: String,
    /// Appended to `errors` as they are.
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
    /// Appended to `tokenRequestors` as they are (not checked: that is the point).
    #[serde(default)]
    pub token_requestors: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SandboxTokenRequestor {
    /// Exactly 11 digits.
    pub token_requestor_id: String,
    pub name: String,
    /// Up to 100 characters; hostile values are welcome (the portal must escape them).
    pub consumer_facing_entity_name: String,
    /// `WALLET` or `MERCHANT` (or anything else: the portal must cope).
    pub token_requestor_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_id: Option<String>,
    /// Account ranges (9–19 digits); answered right-padded to 19 digits, as MDES does.
    pub enabled_account_ranges: Vec<String>,
    /// Any of `WEB`, `IOS`, `ANDROID`. Every method points at this sandbox's TR pages.
    pub supported_push_methods: Vec<String>,
    pub supports_multiple_pushed_cards: bool,
    /// Any of `NAME`, `ADDRESS`, `EMAIL_ADDRESS`, `MOBILE_PHONE_NUMBER`.
    pub supported_account_holder_data: Vec<String>,
    /// Empty: no `imageAssetId` (the portal shows its placeholder).
    #[serde(default)]
    pub image_asset_id: String,
    pub logo: Logo,
    /// Whether getEligibleTokenRequestors lists `availablePushMethods` (URIs)
    /// for it. MDES need not: then only `supportedPushMethods` says how it
    /// takes pushes, and the URIs come with the push answer.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub catalog_lists_uris: bool,
    /// Answer only what the spec requires (plus `supportedPushMethods` and
    /// `supportsMultiplePushedCards`): no `walletId`, `supportedAccountHolderData`,
    /// `supportsCardHolderAuthentication`, `supportsTokenConnect`,
    /// `supportIssuerInitiatedDigitizationData`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub spec_minimal: bool,
    /// URIs per push method (`ANDROID`, `IOS`, `WEB`) instead of this
    /// sandbox's pages: app links and custom schemes (`intent://…`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub push_uris: std::collections::BTreeMap<String, String>,
    /// `tokenRequestorSignatureSupport`: false → the push answer carries no
    /// `signature`, and the TR's page expects none.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub signature_support: bool,
    /// `supportIssuerInitiatedDigitizationData`: the push answer carries
    /// `issuerInitiatedDigitizationData` when the issuer asks for it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub issuer_initiated_digitization: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Logo {
    /// `#rrggbb`: the PNG is a square of this colour on white.
    pub color: String,
    /// SVG markup served as is (e.g. a hostile one); generated from `color` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub svg: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestCard {
    /// The full number, or its last 4 digits (then any card ending so matches).
    pub account_number: String,
    pub scenario: Scenario,
    #[serde(default)]
    pub description: String,
}

/// What happens to a card (docs/sandbox.md "Scenarios" has the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// A receipt; the TR tokenizes: APPROVED, token event ACTIVE.
    Approved,
    /// A receipt; the TR's tokenization is declined: DECLINED, token event DECLINED.
    Declined,
    /// A receipt; the token needs the cardholder's verification:
    /// REQUIRE_ADDITIONAL_AUTHENTICATION, token event INACTIVE.
    AdditionalAuthentication,
    /// No receipt: a per-account MDES error with `recoverable: true` (HTTP 200).
    MdesErrorRecoverable,
    /// No receipt: a per-account MDES error with `recoverable: false` (HTTP 200).
    MdesErrorNotRecoverable,
    /// Approved, after `sandbox.slow_delay_ms`.
    SlowMdes,
    /// HTTP 503: MDES is down.
    MdesUnavailable,
    /// A receipt that is already expired when the TR tries to redeem it.
    ReceiptExpired,
}

impl SandboxData {
    /// A full number matches exactly; a 4-digit entry matches any card
    /// ending in those digits (handy for a QA engineer's own test cards).
    /// Full numbers win over last-4 entries.
    pub fn scenario_for(&self, account_number: &str) -> Scenario {
        let exact = self.test_cards.iter().find(|c| c.account_number == account_number);
        let last4 = || {
            self.test_cards.iter().find(|c| c.account_number.len() == 4 && account_number.ends_with(c.account_number.as_str()))
        };
        exact.or_else(last4).map_or(Scenario::Approved, |c| c.scenario)
    }

    pub fn token_requestor(&self, trid: &str) -> Option<&SandboxTokenRequestor> {
        self.token_requestors.iter().find(|t| t.token_requestor_id == trid)
    }

    /// Checks what the wire contract needs, so a bad data file stops start-up
    /// with a line naming the problem instead of producing invalid answers.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for tr in &self.token_requestors {
            let id = &tr.token_requestor_id;
            if id.len() != 11 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("tokenRequestorId {id:?} must be exactly 11 digits"));
            }
            if !seen.insert(id.clone()) {
                return Err(format!("tokenRequestorId {id} appears twice"));
            }
            if tr.name.chars().count() > 64 {
                return Err(format!("{id}: name longer than 64 characters"));
            }
            if tr.consumer_facing_entity_name.chars().count() > 100 {
                return Err(format!("{id}: consumerFacingEntityName longer than 100 characters"));
            }
            for r in &tr.enabled_account_ranges {
                if r.len() < 9 || pad_range(r).is_none() {
                    return Err(format!("{id}: account range {r:?} must be 9 to 19 digits"));
                }
            }
            if tr.image_asset_id.len() > 64 {
                return Err(format!("{id}: imageAssetId must be at most 64 characters (empty: none)"));
            }
            for (method, uri) in &tr.push_uris {
                if !["WEB", "IOS", "ANDROID"].contains(&method.as_str()) || uri.is_empty() {
                    return Err(format!("{id}: pushUris takes WEB, IOS or ANDROID with a URI, not {method:?}"));
                }
            }
            if crate::sandbox::png::parse_color(&tr.logo.color).is_none() {
                return Err(format!("{id}: logo color {:?} must be #rrggbb", tr.logo.color));
            }
        }
        for extra in &self.eligibility_extras {
            if extra.range.len() < 9 || pad_range(&extra.range).is_none() {
                return Err(format!("eligibilityExtras: range {:?} must be 9 to 19 digits", extra.range));
            }
        }
        for c in &self.test_cards {
            let n = &c.account_number;
            if !(n.len() == 4 || (9..=19).contains(&n.len())) || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("test card {} must be 9 to 19 digits, or the last 4", crate::mdes::model::mask(n)));
            }
        }
        Ok(())
    }

    /// Whether the TR is enabled for this account number: one of its ranges is a prefix.
    pub fn covers(tr: &SandboxTokenRequestor, account_number: &str) -> bool {
        tr.enabled_account_ranges.iter().any(|r| account_number.starts_with(r.as_str()))
    }

    /// The TR as getEligibleTokenRequestors answers it; push URIs below `site_base`.
    pub fn to_wire(tr: &SandboxTokenRequestor, site_base: &str) -> TokenRequestor {
        let methods: Vec<PushMethodType> = tr.supported_push_methods.iter().map(|m| PushMethodType::from(m.as_str())).collect();
        let minimal = tr.spec_minimal;
        TokenRequestor {
            token_requestor_id: tr.token_requestor_id.clone(),
            name: tr.name.clone(),
            consumer_facing_entity_name: tr.consumer_facing_entity_name.clone(),
            image_asset_id: Some(tr.image_asset_id.clone()).filter(|id| !id.is_empty()),
            token_requestor_type: TokenRequestorType::from(tr.token_requestor_type.as_str()),
            wallet_id: tr.wallet_id.clone().filter(|_| !minimal),
            enabled_account_ranges: tr.enabled_account_ranges.iter().filter_map(|r| pad_range(r)).collect(),
            available_push_methods: if tr.catalog_lists_uris { Self::push_methods(tr, site_base) } else { Vec::new() },
            supported_push_methods: methods,
            supports_multiple_pushed_cards: Some(tr.supports_multiple_pushed_cards),
            supported_account_holder_data: tr
                .supported_account_holder_data
                .iter()
                .map(|d| AccountHolderDataType::from(d.as_str()))
                .collect(),
            supports_card_holder_authentication: Some(true).filter(|_| !minimal),
            supports_token_connect: Some(true).filter(|_| !minimal),
            support_issuer_initiated_digitization_data: Some(tr.issuer_initiated_digitization).filter(|_| !minimal),
        }
    }

    /// The TR's push methods with their URIs, as the push answer gives them.
    pub fn push_methods(tr: &SandboxTokenRequestor, site_base: &str) -> Vec<PushMethod> {
        tr.supported_push_methods
            .iter()
            .map(|m| {
                let method_type = PushMethodType::from(m.as_str());
                let uri =
                    tr.push_uris.get(m).cloned().unwrap_or_else(|| push_uri(site_base, &tr.token_requestor_id, &method_type));
                PushMethod { method_type, uri }
            })
            .collect()
    }
}

/// The push URI of a method. The app methods lead to the same web pages (as a
/// universal link would when the app is not installed), so an app-only TR can
/// still be walked through in a browser.
pub fn push_uri(site_base: &str, trid: &str, method: &PushMethodType) -> String {
    let base = site_base.trim_end_matches('/');
    match method {
        PushMethodType::Web => format!("{base}/sandbox/tr/{trid}/push"),
        PushMethodType::Ios => format!("{base}/sandbox/tr/{trid}/app/ios"),
        PushMethodType::Android => format!("{base}/sandbox/tr/{trid}/app/android"),
        PushMethodType::Other(o) => format!("{base}/sandbox/tr/{trid}/app/{}", o.to_ascii_lowercase()),
    }
}

/// The TRIDs of the built-in data set, for tests and docs/sandbox.md.
pub mod trid {
    pub const WALLET: &str = "50100000001";
    pub const MERCHANT: &str = "50100000002";
    pub const APP_ONLY: &str = "50100000003";
    pub const DEBIT_ONLY: &str = "50100000004";
    pub const HOSTILE: &str = "50100000005";
    /// Spec-minimal: only `supportedPushMethods`, no URIs and no logo in the catalogue.
    pub const LITE: &str = "50100000006";
    /// App links and a custom scheme for its app push methods.
    pub const APP_LINKS: &str = "50100000007";
    /// `tokenRequestorSignatureSupport: false`: no `signature`.
    pub const NO_SIGNATURE: &str = "50100000008";
    /// `supportIssuerInitiatedDigitizationData: true` (the proprietary path).
    pub const PROPRIETARY: &str = "50100000009";
    /// Its push answer gives only a `javascript:` URI: nothing to hand off to.
    pub const BROKEN_LINK: &str = "50100000010";
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

const HOSTILE_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="192" height="192" viewBox="0 0 192 192" onload="alert('svg onload')"><script>alert('svg script')</script><rect width="192" height="192" fill="#c0392b"/><foreignObject width="192" height="192"><div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert('img')"/></div></foreignObject><a href="javascript:alert('link')"><text x="20" y="110" font-size="48" fill="#fff">X</text></a></svg>"##;

/// The issuer the built-in data set serves: its account ranges (9 digits),
/// and the card the QA token requestors are tried with. The portal passes
/// its demo issuer's when it mounts the sandbox.
#[derive(Debug, Clone, Copy)]
pub struct DemoIssuer {
    pub credit_range: &'static str,
    pub debit_range: &'static str,
    /// The financial accounts' range.
    pub account_range: &'static str,
    /// Only the token requestors with hostile or spec-minimal data serve it.
    pub qa_range: &'static str,
    /// A card in `qa_range`: approved at those token requestors.
    pub qa_card: &'static str,
}

impl SandboxData {
    /// The built-in data set, for `issuer`'s ranges.
    pub fn built_in(issuer: DemoIssuer) -> Self {
        let DemoIssuer { credit_range, debit_range, account_range, qa_range, qa_card } = issuer;
        let all = strings(&[credit_range, debit_range, account_range]);
        let cards = strings(&[credit_range, debit_range]);
        let tr = |id: &str, name: &str, display: &str, kind: &str, color: &str| SandboxTokenRequestor {
            token_requestor_id: id.into(),
            name: name.into(),
            consumer_facing_entity_name: display.into(),
            token_requestor_type: kind.into(),
            wallet_id: None,
            enabled_account_ranges: cards.clone(),
            supported_push_methods: strings(&["WEB"]),
            supports_multiple_pushed_cards: false,
            supported_account_holder_data: Vec::new(),
            image_asset_id: format!("sandbox-asset-{id}"),
            logo: Logo { color: color.into(), svg: None },
            catalog_lists_uris: true,
            spec_minimal: false,
            push_uris: Default::default(),
            signature_support: true,
            issuer_initiated_digitization: false,
        };
        // Token requestors with hostile or spec-minimal data serve only the
        // QA cardholder's range: the demo cardholders see the portal as a
        // bank's customers would.
        let qa = strings(&[qa_range]);
        // Exactly 100 characters, with markup a careless page would render.
        let hostile_name = {
            let mut s = String::from("<b>Bold</b> <script>alert(1)</script> & \"Quotes\" 'n' Ünïcödé — ");
            while s.chars().count() < 100 {
                s.push('W');
            }
            s
        };
        SandboxData {
            token_requestors: vec![
                SandboxTokenRequestor {
                    wallet_id: Some("216".into()),
                    enabled_account_ranges: all,
                    supported_push_methods: strings(&["WEB", "IOS", "ANDROID"]),
                    supports_multiple_pushed_cards: true,
                    supported_account_holder_data: strings(&["NAME", "ADDRESS", "EMAIL_ADDRESS", "MOBILE_PHONE_NUMBER"]),
                    ..tr(trid::WALLET, "Sandbox Wallet Ltd", "Sandbox Wallet", "WALLET", "#1f6feb")
                },
                SandboxTokenRequestor {
                    supported_account_holder_data: strings(&["NAME", "EMAIL_ADDRESS"]),
                    ..tr(trid::MERCHANT, "Sandbox Shop plc", "Sandbox Shop (card on file)", "MERCHANT", "#2da44e")
                },
                SandboxTokenRequestor {
                    wallet_id: Some("217".into()),
                    supported_push_methods: strings(&["IOS", "ANDROID"]),
                    supports_multiple_pushed_cards: true,
                    supported_account_holder_data: strings(&["NAME"]),
                    ..tr(trid::APP_ONLY, "Sandbox App Pay Inc", "Sandbox App Pay (app only)", "WALLET", "#8250df")
                },
                SandboxTokenRequestor {
                    enabled_account_ranges: strings(&[debit_range]),
                    ..tr(
                        trid::DEBIT_ONLY,
                        "Sandbox Debit Club GmbH",
                        "Sandbox Debit Club (debit cards only)",
                        "MERCHANT",
                        "#bf8700",
                    )
                },
                SandboxTokenRequestor {
                    enabled_account_ranges: qa.clone(),
                    supports_multiple_pushed_cards: true,
                    supported_account_holder_data: strings(&["NAME", "SOMETHING_NEW"]),
                    logo: Logo { color: "#c0392b".into(), svg: Some(HOSTILE_SVG.into()) },
                    ..tr(trid::HOSTILE, "Hostile <i>Data</i> Corp", &hostile_name, "SUPER_APP", "#c0392b")
                },
                SandboxTokenRequestor {
                    enabled_account_ranges: qa.clone(),
                    supported_push_methods: strings(&["WEB", "IOS", "ANDROID"]),
                    image_asset_id: String::new(),
                    catalog_lists_uris: false,
                    spec_minimal: true,
                    ..tr(trid::LITE, "Sandbox Lite Wallet Ltd", "Sandbox Lite Wallet (spec-minimal)", "WALLET", "#57606a")
                },
                SandboxTokenRequestor {
                    enabled_account_ranges: qa.clone(),
                    supported_push_methods: strings(&["WEB", "IOS", "ANDROID"]),
                    push_uris: [
                        (
                            "ANDROID".to_string(),
                            "intent://push#Intent;scheme=sandboxwallet;package=com.example.sandboxwallet;end".to_string(),
                        ),
                        ("IOS".to_string(), "sandboxwallet://push".to_string()),
                    ]
                    .into_iter()
                    .collect(),
                    ..tr(trid::APP_LINKS, "Sandbox App Link Wallet Ltd", "Sandbox App Link Wallet", "WALLET", "#0969da")
                },
                SandboxTokenRequestor {
                    enabled_account_ranges: qa.clone(),
                    signature_support: false,
                    ..tr(
                        trid::NO_SIGNATURE,
                        "Sandbox Unsigned Shop plc",
                        "Sandbox Unsigned Shop (no signature)",
                        "MERCHANT",
                        "#9a6700",
                    )
                },
                SandboxTokenRequestor {
                    enabled_account_ranges: qa.clone(),
                    catalog_lists_uris: false,
                    push_uris: [("WEB".to_string(), "javascript:alert('push answer')".to_string())].into_iter().collect(),
                    ..tr(
                        trid::BROKEN_LINK,
                        "Sandbox Broken Link Ltd",
                        "Sandbox Broken Link (hostile push answer)",
                        "WALLET",
                        "#6e7781",
                    )
                },
                SandboxTokenRequestor {
                    enabled_account_ranges: qa,
                    issuer_initiated_digitization: true,
                    ..tr(trid::PROPRIETARY, "Sandbox Partner Pay Ltd", "Sandbox Partner Pay (proprietary)", "WALLET", "#cf222e")
                },
            ],
            test_cards: vec![
                card("5204731600010105", Scenario::Approved, "Approved"),
                card("5204731600020203", Scenario::Declined, "Declined at tokenization"),
                card("5204731600030301", Scenario::AdditionalAuthentication, "Additional authentication required"),
                card("5204731600040409", Scenario::MdesErrorRecoverable, "MDES error, recoverable"),
                card("5204731600050507", Scenario::MdesErrorNotRecoverable, "MDES error, not recoverable"),
                card("5204731600060605", Scenario::SlowMdes, "Slow MDES"),
                card("5204731600070703", Scenario::MdesUnavailable, "MDES unavailable (503)"),
                card("5355220100080807", Scenario::ReceiptExpired, "Receipt expired"),
                card(qa_card, Scenario::Approved, "Approved, at the spec-minimal and hostile token requestors"),
            ],
            // What the spec allows beside good TRs, for the QA range only:
            // an error next to the list, and entries a portal must skip.
            eligibility_extras: vec![EligibilityExtra {
                range: qa_range.into(),
                errors: vec![serde_json::json!({
                    "source": "MDES",
                    "reasonCode": "PARTIAL_RESULT",
                    "description": "Some token requestors could not be listed",
                    "recoverable": true
                })],
                token_requestors: vec![
                    serde_json::json!({
                        "name": "Malformed Ltd",
                        "consumerFacingEntityName": "Malformed (no tokenRequestorId)",
                        "tokenRequestorType": "WALLET",
                        "enabledAccountRanges": [5_100_009_010_000_000_000u64]
                    }),
                    serde_json::json!({
                        "tokenRequestorId": 50100000099u64,
                        "name": ["not", "a", "string"],
                        "consumerFacingEntityName": {"wrong": "type"},
                        "tokenRequestorType": 7,
                        "enabledAccountRanges": "5100009010000000000",
                        "supportedPushMethods": "WEB"
                    }),
                ],
            }],
        }
    }
}

fn card(n: &str, scenario: Scenario, d: &str) -> TestCard {
    TestCard { account_number: n.into(), scenario, description: d.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The portal's demo issuer (its `demo` module, which the sandbox does not read).
    const ISSUER: DemoIssuer = DemoIssuer {
        credit_range: "520473160",
        debit_range: "535522010",
        account_range: "987650001",
        qa_range: "510000901",
        qa_card: "5100009010018017",
    };

    #[test]
    fn built_in_data_is_valid_and_round_trips() {
        let data = SandboxData::built_in(ISSUER);
        data.validate().unwrap();
        let hostile = data.token_requestor(trid::HOSTILE).unwrap();
        assert_eq!(hostile.consumer_facing_entity_name.chars().count(), 100);
        let json = serde_json::to_string(&data).unwrap();
        let back: SandboxData = serde_json::from_str(&json).unwrap();
        assert_eq!(back.token_requestors.len(), data.token_requestors.len());
        let mut data = data;
        data.test_cards.push(card("4792", Scenario::Declined, "last 4"));
        data.validate().unwrap();
        assert_eq!(data.scenario_for("5204731600014792"), Scenario::Declined);
        assert_eq!(data.scenario_for("5204731600020203"), Scenario::Declined);
        assert_eq!(data.scenario_for("5204731600030301"), Scenario::AdditionalAuthentication);
        assert_eq!(data.scenario_for("5204731600099999"), Scenario::Approved);
        // No TR may serve the unserved demo range.
        assert!(data.token_requestors.iter().all(|t| !SandboxData::covers(t, "2223000010034566")));
    }
}
