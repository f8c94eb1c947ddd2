//! The URL the browser is sent to at the token requestor (SPEC §7).

use super::settings::{DEFAULT_URI_TEMPLATE, ProvisioningSettings};
use crate::catalog::Device;
use crate::mdes::model::PushMethod;

/// Picks the push method for the device: the platform's app method when the
/// TR has one, else WEB. Only URIs that MDES gave are ever used.
pub fn choose_push_method(methods: &[PushMethod], device: Device) -> Option<&PushMethod> {
    device.push_methods().iter().find_map(|wanted| {
        methods
            .iter()
            .find(|m| &m.method_type == wanted && is_usable_uri(&m.uri))
    })
}

/// An absolute http(s) URI (apps' universal links are https too), without
/// anything a browser would treat as script.
fn is_usable_uri(uri: &str) -> bool {
    match reqwest::Url::parse(uri) {
        Ok(url) => matches!(url.scheme(), "https" | "http") && url.host_str().is_some(),
        Err(_) => false,
    }
}

pub struct HandOff<'a> {
    pub trid: &'a str,
    pub uri: &'a str,
    pub receipts: &'a [&'a str],
    pub callback_url: &'a str,
    pub locale: &'a str,
    pub complete_website_activation: bool,
    pub account_holder_data_supplied: bool,
    pub signature: Option<&'a str>,
}

/// Fills the TR's template (or the default) with percent-encoded values.
pub fn hand_off_url(settings: &ProvisioningSettings, h: &HandOff<'_>) -> String {
    let template = settings.uri_templates.get(h.trid).map(String::as_str).unwrap_or(DEFAULT_URI_TEMPLATE);
    let receipts: Vec<String> = h.receipts.iter().map(|r| encode(r)).collect();
    let sep = if h.uri.contains('?') { "&" } else { "?" };
    let mut out = String::with_capacity(template.len() + 512);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else { break };
        let name = &rest[open + 1..open + close];
        let value = match name {
            // The URI as MDES gave it (validated when chosen), not encoded.
            "uri" => h.uri.to_string(),
            "sep" => sep.to_string(),
            // Receipts are joined by a literal comma [ours].
            "pushAccountReceipts" => receipts.join(","),
            "callbackURL" => encode(h.callback_url),
            "locale" => encode(h.locale),
            "completeWebsiteActivation" => h.complete_website_activation.to_string(),
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
            account_holder_data_supplied: false,
            signature: Some("a.b.c"),
        }
    }

    #[test]
    fn default_template_is_spec_section_7() {
        let url = hand_off_url(&ProvisioningSettings::default(), &hand_off(&["MCC-1", "MCC-2"]));
        assert_eq!(
            url,
            "https://tr.example/push?pushAccountReceipts=MCC-1,MCC-2\
             &callbackURL=https%3A%2F%2Fbank.example%2Fprovisioning%2Freturn%2Fabc%3Fx%3D1\
             &locale=en_GB&completeWebsiteActivation=true&accountHolderDataSupplied=false&signature=a.b.c"
        );
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
    }
}
