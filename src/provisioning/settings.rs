use std::collections::BTreeMap;

use serde::Deserialize;

/// How the cardholder proves it is them again before a push (PSD2 SCA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepUp {
    /// Re-enter the sign-in password.
    Password,
    /// A one-time code (in the demo the page shows it, as an SMS would).
    Otp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProvisioningSettings {
    pub step_up: StepUp,
    /// `pushAccountReceiptsValidityPeriod`, minutes (5–15).
    pub receipts_validity_minutes: u32,
    /// Push again for fresh receipts when they expire within this many
    /// seconds as the cardholder continues to the token requestor.
    pub refresh_margin_secs: u64,
    /// The return link works until the receipts expire plus this long.
    pub return_grace_secs: u64,
    /// `completeWebsiteActivation` sent in `signatureData`.
    pub complete_website_activation: bool,
    /// `completeIssuerAppActivation` sent in `signatureData`: false unless
    /// the bank has an issuer app that completes activation.
    pub complete_issuer_app_activation: bool,
    /// After a push that was cut off (no answer stored), *Send again* reuses
    /// the push's `requestId`. **[ours]** The spec documents only a new
    /// requestId per request; whether MDES reconciles a repeated one is not
    /// public, so the default is a new one.
    pub resend_same_request_id: bool,
    /// TRIDs for which the bank has a proprietary agreement: when the TR
    /// says `supportIssuerInitiatedDigitizationData`, the push asks for
    /// `issuerInitiatedDigitizationData`, handed to the TR through the
    /// `{issuerInitiatedDigitizationData}` template placeholder. Empty by default.
    pub digitization_data_for: Vec<String>,
    /// A record may be pushed again (fresh receipts, a retry) without a new
    /// step-up only in the session that stepped up, for this long after it.
    pub repush_window_secs: u64,
    /// Pushes one record may make in all (the first and re-pushes).
    pub max_pushes_per_record: u32,
    /// Per-TRID hand-off URL templates, overriding the default (see README).
    pub uri_templates: BTreeMap<String, String>,
}

impl Default for ProvisioningSettings {
    fn default() -> Self {
        Self {
            step_up: StepUp::Password,
            receipts_validity_minutes: 15,
            // A TR needs time for a sign-up and its terms before it redeems
            // the receipts: hand off only with five minutes of life left.
            refresh_margin_secs: 300,
            return_grace_secs: 900,
            complete_website_activation: true,
            complete_issuer_app_activation: false,
            resend_same_request_id: false,
            digitization_data_for: Vec::new(),
            repush_window_secs: 900,
            max_pushes_per_record: 4,
            uri_templates: BTreeMap::new(),
        }
    }
}

/// **[ours]** The parameters appended to the TR's URI by default. The spec
/// names none: these are our own convention, after names seen in issuers'
/// apps (`pushAccountReceipts` joined by commas, `callbackURL`, the
/// `signatureData` flags, and MDES's JWS as `signature`, left out when MDES
/// sent none). `docs/wire-contract.md` and README "The hand-off" say more.
pub const DEFAULT_URI_TEMPLATE: &str = "{uri}{sep}pushAccountReceipts={pushAccountReceipts}&callbackURL={callbackURL}\
&locale={locale}&completeWebsiteActivation={completeWebsiteActivation}\
&completeIssuerAppActivation={completeIssuerAppActivation}\
&accountHolderDataSupplied={accountHolderDataSupplied}&signature={signature}";

/// The placeholders a template may use.
pub const TEMPLATE_PLACEHOLDERS: &[&str] = &[
    "uri",
    "sep",
    "pushAccountReceipts",
    "pushAccountReceipt",
    "callbackURL",
    "callbackRequired",
    "locale",
    "completeWebsiteActivation",
    "completeIssuerAppActivation",
    "accountHolderDataSupplied",
    "signature",
    "issuerInitiatedDigitizationData",
];

impl ProvisioningSettings {
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(5..=15).contains(&self.receipts_validity_minutes) {
            return Err(("provisioning.receipts_validity_minutes".into(), "must be between 5 and 15".into()));
        }
        if self.max_pushes_per_record == 0 {
            return Err(("provisioning.max_pushes_per_record".into(), "must be at least 1".into()));
        }
        if self.refresh_margin_secs >= u64::from(self.receipts_validity_minutes) * 60 {
            return Err((
                "provisioning.refresh_margin_secs".into(),
                "must be shorter than the receipts' validity (receipts_validity_minutes)".into(),
            ));
        }
        for trid in &self.digitization_data_for {
            if trid.len() != 11 || !trid.bytes().all(|b| b.is_ascii_digit()) {
                return Err(("provisioning.digitization_data_for".into(), format!("{trid:?} is not an 11-digit token requestor id")));
            }
        }
        for (trid, template) in &self.uri_templates {
            let setting = format!("provisioning.uri_templates.{trid}");
            if trid.len() != 11 || !trid.bytes().all(|b| b.is_ascii_digit()) {
                return Err((setting, "the key must be an 11-digit token requestor id".into()));
            }
            // The TR's own URI must come first: a template can never send the
            // browser anywhere but the address MDES gave for this TR.
            if !template.starts_with("{uri}") {
                return Err((setting, "must start with {uri}".into()));
            }
            let mut rest = template.as_str();
            while let Some(open) = rest.find('{') {
                let close = rest[open..].find('}').ok_or_else(|| (setting.clone(), "has an unclosed {".to_string()))?;
                let name = &rest[open + 1..open + close];
                if !TEMPLATE_PLACEHOLDERS.contains(&name) {
                    return Err((setting, format!("unknown placeholder {{{name}}}")));
                }
                rest = &rest[open + close + 1..];
            }
        }
        Ok(())
    }
}
