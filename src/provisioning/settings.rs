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
    /// Per-TRID hand-off URL templates, overriding the default (docs/journey.md "4. Hand-off").
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
/// sent none). `docs/wire-contract.md` and docs/journey.md "4. Hand-off" say more.
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

/// The first character of a template's literal text (placeholders marked
/// `\u{1}`) that cannot stand in a URL query as is: anything but unreserved
/// and sub-delimiter characters, `:@/?`, and `%` followed by two hex digits.
fn unfit_in_query(literal: &str) -> Option<char> {
    let bytes = literal.as_bytes();
    for (i, c) in literal.char_indices() {
        let fine = c == '\u{1}'
            || c.is_ascii_alphanumeric()
            || "-._~!$&'()*+,;=:@/?".contains(c)
            || (c == '%' && bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)));
        if !fine {
            return Some(c);
        }
    }
    None
}

impl ProvisioningSettings {
    pub fn validate(&self) -> Result<(), (String, String)> {
        // As long as the receipts' life at most (then every *Continue* pushes
        // afresh); the default, 300 s, fits the shortest validity, 5 minutes.
        if self.refresh_margin_secs > u64::from(self.receipts_validity_minutes) * 60 {
            return Err((
                "provisioning.refresh_margin_secs".into(),
                "must not be longer than the receipts' validity (receipts_validity_minutes)".into(),
            ));
        }
        if !(5..=15).contains(&self.receipts_validity_minutes) {
            return Err(("provisioning.receipts_validity_minutes".into(), "must be between 5 and 15".into()));
        }
        if self.max_pushes_per_record == 0 {
            return Err(("provisioning.max_pushes_per_record".into(), "must be at least 1".into()));
        }
        for trid in &self.digitization_data_for {
            if trid.len() != 11 || !trid.bytes().all(|b| b.is_ascii_digit()) {
                return Err((
                    "provisioning.digitization_data_for".into(),
                    format!("{trid:?} is not an 11-digit token requestor id"),
                ));
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
            // Then only the query: `{sep}` right after it (or nothing at all),
            // so no text can change the host or the path, or hide the
            // parameters in a fragment.
            if template != "{uri}" && !template.starts_with("{uri}{sep}") {
                return Err((setting, "must be {uri} alone or start with {uri}{sep}".into()));
            }
            let mut literal = String::new();
            let mut rest = template.as_str();
            while let Some(open) = rest.find('{') {
                literal.push_str(&rest[..open]);
                let close = rest[open..].find('}').ok_or_else(|| (setting.clone(), "has an unclosed {".to_string()))?;
                let name = &rest[open + 1..open + close];
                if !TEMPLATE_PLACEHOLDERS.contains(&name) {
                    return Err((setting, format!("unknown placeholder {{{name}}}")));
                }
                if name == "uri" && !literal.is_empty() {
                    return Err((setting, "may use {uri} only once, first".into()));
                }
                literal.push('\u{1}');
                rest = &rest[open + close + 1..];
            }
            literal.push_str(rest);
            if let Some(bad) = unfit_in_query(&literal) {
                return Err((setting, format!("has {bad:?}, which a query cannot carry as is (percent-encode it)")));
            }
        }
        Ok(())
    }
}
