//! Which token requestors may receive a set of cards (SPEC §9): every card's
//! account range enabled, a push method usable on this device, and — for more
//! than one card — support for several pushed cards (at most 5).

use crate::mdes::model::{PushMethodType, TokenRequestor, pad_range};
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
    RangeNotEnabled { card: String },
    NoPushMethodForDevice,
    SingleCardOnly,
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
    let usable = device
        .push_methods()
        .iter()
        .any(|t| tr.push_method(t).is_some_and(|m| !m.uri.is_empty()));
    if !usable {
        return Some(Ineligible::NoPushMethodForDevice);
    }
    None
}

/// The token requestors, of `trs`, that can take all of `cards` on `device`.
pub fn eligible_for<'a>(
    trs: &'a [TokenRequestor],
    cards: &[&FundingAccount],
    device: Device,
) -> Vec<&'a TokenRequestor> {
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
