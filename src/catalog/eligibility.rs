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
