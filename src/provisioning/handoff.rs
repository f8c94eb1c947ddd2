//! The URL the browser is sent to at the token requestor (wire contract §7).

use super::settings::{DEFAULT_URI_TEMPLATE, ProvisioningSettings};
use crate::catalog::{Device, usable_push_method_uri};
use crate::mdes::model::PushMethod;

/// Picks the push method for the device: the platform's app method when the
/// TR has one, else WEB. Only URIs that MDES gave, and that pass the one
/// rule for push URIs ([`usable_push_uri`]), are ever used.
pub fn choose_push_method(methods: &[PushMethod], device: Device) -> Option<&PushMethod> {
    device
        .push_methods()
        .iter()
        .find_map(|wanted| methods.iter().find(|m| &m.method_type == wanted && usable_push_method_uri(wanted, &m.uri)))
}

/// What the hand-off URL carries. **[ours]** The spec names no parameters
/// for the TR's URI: the default template (`DEFAULT_URI_TEMPLATE`) is our
/// own convention, after names seen in issuers' apps; a bank sets the one
/// its TR expects with `provisioning.uri_templates.<TRID>`.
pub struct HandOff<'a> {
    pub trid: &'a str,
    pub uri: &'a str,
    pub receipts: &'a [&'a str],
    pub callback_url: &'a str,
    pub locale: &'a str,
    pub complete_website_activation: bool,
    pub complete_issuer_app_activation: bool,
    pub account_holder_data_supplied: bool,
    /// MDES's JWS; `None` when it sent none (`tokenRequestorSignatureSupport`
    /// false): then no `signature` parameter at all, never an empty one.
    pub signature: Option<&'a str>,
    /// `issuerInitiatedDigitizationData` per receipt, when the bank asked for
    /// it (the TR's proprietary path); empty otherwise.
    pub digitization_data: &'a [&'a str],
}

/// Fills the TR's template (or the default) with percent-encoded values.
///
/// The query part (after `{sep}`) is a list of `&`-separated parameters,
/// each expanded on its own: one holding `{pushAccountReceipt}` (or
/// `{issuerInitiatedDigitizationData}`) is repeated once per receipt (per
/// value); one holding a value that is absent (`{signature}` when MDES sent
/// none, digitization data not asked for) is left out whole. A fragment in
/// the TR's URI (an Android `intent://…#Intent;…;end` link) stays last,
/// after the query.
pub fn hand_off_url(settings: &ProvisioningSettings, h: &HandOff<'_>) -> String {
    let template = settings.uri_templates.get(h.trid).map(String::as_str).unwrap_or(DEFAULT_URI_TEMPLATE);
    let (base, fragment) = match h.uri.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (h.uri, None),
    };
    let sep = if base.contains('?') { "&" } else { "?" };
    let (head, params) = match template.split_once("{sep}") {
        Some((head, params)) => (head, Some(params)),
        None => (template, None),
    };
    let mut out = fill(head, h, base, None);
    if let Some(params) = params {
        let mut kept: Vec<String> = Vec::new();
        for param in params.split('&').filter(|p| !p.is_empty()) {
            let repeated: &[&str] = if param.contains("{pushAccountReceipt}") {
                h.receipts
            } else if param.contains("{issuerInitiatedDigitizationData}") {
                h.digitization_data
            } else if param.contains("{signature}") && h.signature.is_none() {
                &[]
            } else {
                &[""]
            };
            kept.extend(repeated.iter().map(|one| fill(param, h, base, Some(one))));
        }
        if !kept.is_empty() {
            out.push_str(sep);
            out.push_str(&kept.join("&"));
        }
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// One piece of a template with its placeholders filled; `one` is the
/// value of a repeated placeholder for this copy.
fn fill(piece: &str, h: &HandOff<'_>, base: &str, one: Option<&str>) -> String {
    let mut out = String::with_capacity(piece.len() + 128);
    let mut rest = piece;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else { break };
        let name = &rest[open + 1..open + close];
        let value = match name {
            // The URI as MDES gave it (checked when chosen), not encoded.
            "uri" => base.to_string(),
            "sep" => String::new(),
            // All receipts in one parameter, joined by a literal comma [ours].
            "pushAccountReceipts" => h.receipts.iter().map(|r| encode(r)).collect::<Vec<_>>().join(","),
            "pushAccountReceipt" | "issuerInitiatedDigitizationData" => encode(one.unwrap_or_default()),
            "callbackURL" => encode(h.callback_url),
            // We always give a callback URL, so we always ask for the call back.
            "callbackRequired" => "true".to_string(),
            "locale" => encode(h.locale),
            "completeWebsiteActivation" => h.complete_website_activation.to_string(),
            "completeIssuerAppActivation" => h.complete_issuer_app_activation.to_string(),
            "accountHolderDataSupplied" => h.account_holder_data_supplied.to_string(),
            "signature" => encode(h.signature.unwrap_or_default()),
            // Validated at start-up; never reached.
            _ => String::new(),
        };
        out.push_str(&value);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

fn encode(value: &str) -> String {
    crate::mdes::oauth::percent_encode(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(t: &str, uri: &str) -> PushMethod {
        serde_json::from_value(serde_json::json!({"type": t, "uri": uri})).unwrap()
    }

    #[test]
    fn device_picks_app_then_web() {
        let methods = [method("WEB", "https://tr.example/web"), method("IOS", "https://tr.example/ios")];
        assert_eq!(choose_push_method(&methods, Device::Ios).unwrap().uri, "https://tr.example/ios");
        assert_eq!(choose_push_method(&methods, Device::Android).unwrap().uri, "https://tr.example/web");
        assert_eq!(choose_push_method(&methods, Device::Desktop).unwrap().uri, "https://tr.example/web");
        let hostile = [method("WEB", "javascript:alert(1)")];
        assert!(choose_push_method(&hostile, Device::Desktop).is_none());
    }

    fn hand_off<'a>(receipts: &'a [&'a str]) -> HandOff<'a> {
        HandOff {
            trid: "50123197928",
            uri: "https://tr.example/push",
            receipts,
            callback_url: "https://bank.example/provisioning/return/abc?x=1",
            locale: "en_GB",
            complete_website_activation: true,
            complete_issuer_app_activation: false,
            account_holder_data_supplied: false,
            signature: Some("a.b.c"),
            digitization_data: &[],
        }
    }

    #[test]
    fn default_template_is_spec_section_7() {
        let url = hand_off_url(&ProvisioningSettings::default(), &hand_off(&["MCC-1", "MCC-2"]));
        assert_eq!(
            url,
            "https://tr.example/push?pushAccountReceipts=MCC-1,MCC-2\
             &callbackURL=https%3A%2F%2Fbank.example%2Fprovisioning%2Freturn%2Fabc%3Fx%3D1\
             &locale=en_GB&completeWebsiteActivation=true&completeIssuerAppActivation=false\
             &accountHolderDataSupplied=false&signature=a.b.c"
        );
    }

    /// Issue 15 item 3: no `signature` from MDES, no `signature` parameter.
    #[test]
    fn no_signature_no_signature_parameter() {
        let mut h = hand_off(&["MCC-1"]);
        h.signature = None;
        let url = hand_off_url(&ProvisioningSettings::default(), &h);
        assert!(!url.contains("signature"), "{url}");
        assert!(url.ends_with("&accountHolderDataSupplied=false"), "{url}");
        // Nor in an operator's template, wherever it stands.
        let mut settings = ProvisioningSettings::default();
        settings.uri_templates.insert("50123197928".into(), "{uri}{sep}signature={signature}&r={pushAccountReceipts}".into());
        assert_eq!(hand_off_url(&settings, &h), "https://tr.example/push?r=MCC-1");
        settings.uri_templates.insert("50123197928".into(), "{uri}{sep}signature={signature}".into());
        assert_eq!(hand_off_url(&settings, &h), "https://tr.example/push", "no parameter left, no '?'");
    }

    /// Issue 15 item 8: one parameter per receipt, the issuer-app flag and
    /// `callbackRequired`; item 11: digitization data per receipt.
    #[test]
    fn template_placeholders_for_each_receipt_and_flags() {
        let mut settings = ProvisioningSettings::default();
        settings.uri_templates.insert(
            "50123197928".into(),
            "{uri}{sep}pushAccountReceipt={pushAccountReceipt}&callbackRequired={callbackRequired}\
             &completeIssuerAppActivation={completeIssuerAppActivation}&iidd={issuerInitiatedDigitizationData}"
                .into(),
        );
        assert!(settings.validate().is_ok());
        let mut h = hand_off(&["MCC-1", "MCC-2"]);
        h.complete_issuer_app_activation = true;
        assert_eq!(
            hand_off_url(&settings, &h),
            "https://tr.example/push?pushAccountReceipt=MCC-1&pushAccountReceipt=MCC-2&callbackRequired=true\
             &completeIssuerAppActivation=true"
        );
        h.digitization_data = &["eyJh+/=", "eyJi"];
        assert!(hand_off_url(&settings, &h).ends_with("&iidd=eyJh%2B%2F%3D&iidd=eyJi"));
    }

    /// Issue 15 item 2: app links keep their fragment last.
    #[test]
    fn app_scheme_uris_keep_their_fragment_last() {
        let mut h = hand_off(&["MCC-1"]);
        h.uri = "intent://push#Intent;scheme=wallet;package=com.example;end";
        let url = hand_off_url(&ProvisioningSettings::default(), &h);
        assert!(url.starts_with("intent://push?pushAccountReceipts=MCC-1&"), "{url}");
        assert!(url.ends_with("&signature=a.b.c#Intent;scheme=wallet;package=com.example;end"), "{url}");
        let methods = [method("ANDROID", "intent://push#Intent;scheme=w;end"), method("WEB", "https://tr.example/web")];
        assert_eq!(choose_push_method(&methods, Device::Android).unwrap().uri, "intent://push#Intent;scheme=w;end");
        let hostile = [method("ANDROID", "JavaScript:alert(1)"), method("IOS", "data:text/html,x")];
        assert!(choose_push_method(&hostile, Device::Android).is_none());
        assert!(choose_push_method(&hostile, Device::Ios).is_none());
    }

    #[test]
    fn operator_template_per_trid() {
        let mut settings = ProvisioningSettings::default();
        settings.uri_templates.insert("50123197928".into(), "{uri}{sep}r={pushAccountReceipts}&cb={callbackURL}".into());
        let mut h = hand_off(&["MCC-1"]);
        h.uri = "https://tr.example/push?app=1";
        assert_eq!(
            hand_off_url(&settings, &h),
            "https://tr.example/push?app=1&r=MCC-1&cb=https%3A%2F%2Fbank.example%2Fprovisioning%2Freturn%2Fabc%3Fx%3D1"
        );
        assert!(settings.validate().is_ok());
        settings.uri_templates.insert("50123197928".into(), "https://evil.example/?{pushAccountReceipts}".into());
        assert!(settings.validate().is_err(), "a template cannot point elsewhere");
        settings.uri_templates.insert("50123197928".into(), "{uri}?x={nope}".into());
        assert!(settings.validate().is_err());
        // Only a query after the URI, and only what a query carries as is.
        for broken in [
            "{uri}#x{sep}r={pushAccountReceipts}",
            "{uri}@evil.example{sep}r=1",
            "{uri}{uri}",
            "{uri}{sep}x=1 2",
            "{uri}{sep}x=%zz",
            "{uri}{sep}a=1#frag",
            "{uri}{sep}u={uri}",
            "{uri}{sep}x=é",
        ] {
            settings.uri_templates.insert("50123197928".into(), broken.into());
            assert!(settings.validate().is_err(), "{broken}");
        }
        for fine in ["{uri}", "{uri}{sep}x=%20a&y=b:c/d?e", "{uri}{sep}pushAccountReceipt={pushAccountReceipt}"] {
            settings.uri_templates.insert("50123197928".into(), fine.into());
            assert!(settings.validate().is_ok(), "{fine}");
        }
    }
}
