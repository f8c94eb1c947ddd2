//! Which token requestors may receive a set of cards (wire contract §9): every card's
//! account range enabled, a push method usable on this device, and — for more
//! than one card — support for several pushed cards (at most 5).

use crate::domain::{PushMethodType, TokenRequestor};
use crate::mdes::model::pad_range;
use crate::store::FundingAccount;

/// At most this many cards in one push (MDES's limit).
pub const MAX_CARDS_PER_PUSH: usize = 5;

/// The browser's platform, from its User-Agent: it decides which push
/// method (app or web) the hand-off uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Desktop,
    Ios,
    Android,
}

impl Device {
    pub fn from_user_agent(user_agent: &str) -> Self {
        if user_agent.contains("iPhone") || user_agent.contains("iPad") || user_agent.contains("iPod") {
            Self::Ios
        } else if user_agent.contains("Android") {
            Self::Android
        } else {
            Self::Desktop
        }
    }

    /// Push methods usable here, best first: the platform's app, then the web.
    pub fn push_methods(self) -> &'static [PushMethodType] {
        match self {
            Self::Desktop => &[PushMethodType::Web],
            Self::Ios => &[PushMethodType::Ios, PushMethodType::Web],
            Self::Android => &[PushMethodType::Android, PushMethodType::Web],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ineligible {
    NoCards,
    TooManyCards,
    RangeNotEnabled {
        card: String,
    },
    NoPushMethodForDevice,
    SingleCardOnly,
    /// `supportsTokenConnect: false`: it does not take pushes.
    NotTokenConnect,
}

/// Why `tr` cannot take `cards` on `device`, or `None` when it can.
pub fn why_ineligible(tr: &TokenRequestor, cards: &[&FundingAccount], device: Device) -> Option<Ineligible> {
    if cards.is_empty() {
        return Some(Ineligible::NoCards);
    }
    if cards.len() > MAX_CARDS_PER_PUSH {
        return Some(Ineligible::TooManyCards);
    }
    if cards.len() > 1 && tr.supports_multiple_pushed_cards != Some(true) {
        return Some(Ineligible::SingleCardOnly);
    }
    for card in cards {
        let enabled = pad_range(&card.account_range).is_some_and(|r| tr.enabled_account_ranges.contains(&r));
        if !enabled {
            return Some(Ineligible::RangeNotEnabled { card: card.public_id.clone() });
        }
    }
    if tr.supports_token_connect == Some(false) {
        return Some(Ineligible::NotTokenConnect);
    }
    if !reachable_on(tr, device) {
        return Some(Ineligible::NoPushMethodForDevice);
    }
    None
}

/// Whether `tr` says it takes pushes by a method usable on `device`. Its
/// `supportedPushMethods` (the conditional list that says it takes part in
/// Token Connect) is enough: the URIs come with the push answer, and the
/// catalogue's `availablePushMethods` — which MDES need not send — are only
/// a fallback, usable when their URI passes [`usable_push_uri`].
fn reachable_on(tr: &TokenRequestor, device: Device) -> bool {
    device.push_methods().iter().any(|t| {
        tr.supported_push_methods.contains(t)
            || tr.available_push_methods.iter().any(|m| &m.method_type == t && usable_push_method_uri(t, &m.uri))
    })
}

/// Schemes a push URI may never have: they run code, read local data or
/// open the browser's own pages.
const REFUSED_SCHEMES: &[&str] = &[
    "javascript",
    "data",
    "vbscript",
    "file",
    "blob",
    "filesystem",
    "view-source",
    "about",
    "chrome",
    "chrome-extension",
    "edge",
    "opera",
];

/// [`usable_push_uri`] for a method of `method_type`: a WEB method's URI
/// must be a web page (http or https); app methods may use their schemes.
pub fn usable_push_method_uri(method_type: &PushMethodType, uri: &str) -> bool {
    usable_push_uri(uri)
        && (*method_type != PushMethodType::Web || reqwest::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
}

/// The one rule for a push method's URI, for eligibility and the hand-off
/// alike. ANDROID and IOS URIs are app links or custom schemes
/// (`intent://…`, `walletapp://push`), so any scheme is accepted except
/// [`REFUSED_SCHEMES`]. A URI with any whitespace, control character,
/// non-ASCII or other character RFC 3986 does not allow as is is refused
/// outright: browsers drop some (`java\tscript:` is `javascript:`), and it
/// goes verbatim into a `Location` header. http(s) needs a host.
pub fn usable_push_uri(uri: &str) -> bool {
    // Only characters a URI may carry as they are (RFC 3986): it goes into
    // a `Location` header verbatim.
    let unfit = |c: char| !c.is_ascii_graphic() || "\"<>\\^`{|}".contains(c);
    if uri.is_empty() || uri.len() > 2048 || uri.chars().any(unfit) {
        return false;
    }
    let Ok(url) = reqwest::Url::parse(uri) else { return false };
    let scheme = url.scheme().to_ascii_lowercase();
    if REFUSED_SCHEMES.contains(&scheme.as_str()) {
        return false;
    }
    match scheme.as_str() {
        "http" | "https" => url.host_str().is_some_and(|h| !h.is_empty()),
        _ => true,
    }
}

/// The token requestors, of `trs`, that can take all of `cards` on `device`.
pub fn eligible_for<'a>(trs: &'a [TokenRequestor], cards: &[&FundingAccount], device: Device) -> Vec<&'a TokenRequestor> {
    trs.iter().filter(|tr| why_ineligible(tr, cards, device).is_none()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AccountKind;

    fn tr(ranges: &[u64], methods: &[(&str, &str)], multi: Option<bool>) -> TokenRequestor {
        let methods: Vec<_> = methods.iter().map(|(t, uri)| serde_json::json!({"type": t, "uri": uri})).collect();
        serde_json::from_value(serde_json::json!({
            "tokenRequestorId": "50123197928",
            "consumerFacingEntityName": "Wallet",
            "tokenRequestorType": "WALLET",
            "enabledAccountRanges": ranges,
            "availablePushMethods": methods,
            "supportsMultiplePushedCards": multi,
        }))
        .unwrap()
    }

    fn card(id: &str, range: &str) -> FundingAccount {
        FundingAccount {
            public_id: id.into(),
            cardholder_id: 1,
            kind: AccountKind::Card,
            product: "Card".into(),
            funding_type: "CREDIT".into(),
            last4: "0000".into(),
            account_range: range.into(),
            expiry_month: Some(1),
            expiry_year: Some(2099),
            interbank_card_association_id: None,
            country_code: None,
            status: "ACTIVE".into(),
        }
    }

    const CREDIT: u64 = 5_204_731_600_000_000_000;
    const DEBIT: u64 = 5_355_220_100_000_000_000;
    const WEB: (&str, &str) = ("WEB", "https://tr.example/push");

    #[test]
    fn eligible_when_every_rule_holds() {
        let (a, b) = (card("a", "520473160"), card("b", "535522010"));
        let wallet = tr(&[CREDIT, DEBIT], &[WEB], Some(true));
        assert_eq!(why_ineligible(&wallet, &[&a, &b], Device::Desktop), None);
    }

    #[test]
    fn every_card_range_must_be_enabled_exactly_after_padding() {
        let (a, b) = (card("a", "520473160"), card("b", "535522010"));
        let credit_only = tr(&[CREDIT], &[WEB], Some(true));
        assert_eq!(
            why_ineligible(&credit_only, &[&a, &b], Device::Desktop),
            Some(Ineligible::RangeNotEnabled { card: "b".into() })
        );
        // Compared on the 19-digit padded value: a sub-range is a different range.
        let sub_range = card("c", "5204731601");
        assert!(matches!(why_ineligible(&credit_only, &[&sub_range], Device::Desktop), Some(Ineligible::RangeNotEnabled { .. })));
        let same_when_padded = card("d", "5204731600");
        assert_eq!(why_ineligible(&credit_only, &[&same_when_padded], Device::Desktop), None);
    }

    #[test]
    fn needs_a_push_method_usable_on_this_device() {
        let a = card("a", "520473160");
        let app_only = tr(&[CREDIT], &[("IOS", "https://tr.example/ios"), ("ANDROID", "https://tr.example/and")], None);
        assert_eq!(why_ineligible(&app_only, &[&a], Device::Desktop), Some(Ineligible::NoPushMethodForDevice));
        assert_eq!(why_ineligible(&app_only, &[&a], Device::Ios), None);
        assert_eq!(why_ineligible(&app_only, &[&a], Device::Android), None);
        // A phone falls back to the web method when the TR has no app method for it.
        let web_only = tr(&[CREDIT], &[WEB], None);
        assert_eq!(why_ineligible(&web_only, &[&a], Device::Ios), None);
        // A method without a URI is not usable.
        let empty_uri = tr(&[CREDIT], &[("WEB", "")], None);
        assert_eq!(why_ineligible(&empty_uri, &[&a], Device::Desktop), Some(Ineligible::NoPushMethodForDevice));
    }

    /// Issue 15 item 1: the catalogue need not carry URIs. `supportedPushMethods`
    /// alone makes a TR eligible; `supportsTokenConnect: false` excludes it.
    #[test]
    fn supported_push_methods_alone_are_enough() {
        let a = card("a", "520473160");
        let minimal: TokenRequestor = serde_json::from_value(serde_json::json!({
            "tokenRequestorId": "50123197928",
            "name": "Minimal Ltd",
            "consumerFacingEntityName": "Minimal",
            "tokenRequestorType": "WALLET",
            "enabledAccountRanges": [CREDIT],
            "supportedPushMethods": ["WEB", "ANDROID"],
        }))
        .unwrap();
        assert_eq!(why_ineligible(&minimal, &[&a], Device::Desktop), None);
        assert_eq!(why_ineligible(&minimal, &[&a], Device::Android), None);
        assert_eq!(why_ineligible(&minimal, &[&a], Device::Ios), None, "falls back to WEB");
        let android_only = TokenRequestor { supported_push_methods: vec![PushMethodType::Android], ..minimal.clone() };
        assert_eq!(why_ineligible(&android_only, &[&a], Device::Desktop), Some(Ineligible::NoPushMethodForDevice));
        let not_tc = TokenRequestor { supports_token_connect: Some(false), ..minimal.clone() };
        assert_eq!(why_ineligible(&not_tc, &[&a], Device::Desktop), Some(Ineligible::NotTokenConnect));
        let said_yes = TokenRequestor { supports_token_connect: Some(true), ..minimal };
        assert_eq!(why_ineligible(&said_yes, &[&a], Device::Desktop), None);
    }

    /// Issue 15 item 2: app links and custom schemes are push URIs; schemes
    /// that run code or read local data are not, however they are written.
    #[test]
    fn one_rule_for_push_uris() {
        for good in [
            "https://tr.example/push",
            "http://127.0.0.1:8080/x",
            "intent://push#Intent;scheme=wallet;package=com.example;end",
            "walletapp://push",
            "WalletApp://push?x=1",
        ] {
            assert!(usable_push_uri(good), "{good}");
        }
        for bad in [
            "",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "javascript\n:alert(1)",
            "data:text/html,<script>",
            "DATA:text/html,x",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "FILE:///c:/x",
            "blob:https://tr.example/uuid",
            "https://",
            "not a uri",
            "/relative",
            "https://tr.example/\u{0}",
            "https://tr.example/\"quoted\"",
            "https://tr.example/<x>",
            "https://tr.example/ü",
            "walletapp://push?x={y}",
        ] {
            assert!(!usable_push_uri(bad), "{bad:?}");
        }
        let a = card("a", "520473160");
        let hostile = tr(&[CREDIT], &[("WEB", "javascript:alert(1)")], None);
        assert_eq!(why_ineligible(&hostile, &[&a], Device::Desktop), Some(Ineligible::NoPushMethodForDevice));
        for not_a_web_page in [
            "walletapp://push",
            "tel:+15551234",
            "mailto:x@example.com",
            "view-source:https://tr.example/",
            "about:blank",
            "chrome://settings",
            "filesystem:https://tr.example/x",
        ] {
            assert!(!usable_push_method_uri(&PushMethodType::Web, not_a_web_page), "{not_a_web_page}");
        }
        assert!(usable_push_method_uri(&PushMethodType::Ios, "walletapp://push"));
        assert!(!usable_push_method_uri(&PushMethodType::Android, "view-source:https://tr.example/"));
        let app_scheme = tr(&[CREDIT], &[("ANDROID", "intent://push#Intent;scheme=w;end")], None);
        assert_eq!(why_ineligible(&app_scheme, &[&a], Device::Android), None);
    }

    #[test]
    fn several_cards_need_multiple_pushed_cards_support() {
        let (a, b) = (card("a", "520473160"), card("b", "520473160"));
        for multi in [None, Some(false)] {
            let single = tr(&[CREDIT], &[WEB], multi);
            assert_eq!(why_ineligible(&single, &[&a, &b], Device::Desktop), Some(Ineligible::SingleCardOnly));
            assert_eq!(why_ineligible(&single, &[&a], Device::Desktop), None);
        }
    }

    #[test]
    fn at_most_five_cards() {
        let cards: Vec<_> = (0..6).map(|i| card(&i.to_string(), "520473160")).collect();
        let refs: Vec<_> = cards.iter().collect();
        let wallet = tr(&[CREDIT], &[WEB], Some(true));
        assert_eq!(why_ineligible(&wallet, &refs, Device::Desktop), Some(Ineligible::TooManyCards));
        assert_eq!(why_ineligible(&wallet, &refs[..5], Device::Desktop), None);
        assert_eq!(why_ineligible(&wallet, &[], Device::Desktop), Some(Ineligible::NoCards));
    }

    #[test]
    fn device_from_user_agent() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15";
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile";
        let desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120";
        assert_eq!(Device::from_user_agent(iphone), Device::Ios);
        assert_eq!(Device::from_user_agent(android), Device::Android);
        assert_eq!(Device::from_user_agent(desktop), Device::Desktop);
    }
}
