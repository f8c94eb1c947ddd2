//! View models: what each page shows, as values and codes. Each page's
//! template turns them into words (`templates/`, shared pieces and the words
//! for codes in `templates/parts.html`), so an issuer can reword or
//! translate a page without touching Rust. Every code here is also a
//! `data-*` attribute on the page, which tests read instead of the words.

mod account;
mod add;
mod chrome;
mod record;

pub use account::{CardRow, MyCardsPage, SignInNotice, SignInPage};
pub use add::{CardsPage, IntroPage, RequestorsPage, ReviewPage};
pub use chrome::Chrome;
pub use record::{RecordPage, WherePage};

use crate::domain::{TokenRequestor, TokenRequestorType};
use crate::provisioning::{AccountOutcome, Problem};
use crate::store::FundingAccount;

/// A card or account as a line names it: its product and last four digits
/// ("Gold card ending 4792"); never more of the number.
pub struct CardLabel {
    /// `None` when the card is no longer the cardholder's (the template
    /// says "Card").
    pub product: Option<String>,
    pub last4: Option<String>,
}

impl CardLabel {
    pub fn new(account: &FundingAccount) -> Self {
        Self { product: Some(account.product.clone()), last4: Some(account.last4.clone()) }
    }

    /// The card `public_id` among `funding`, or an unnamed card.
    pub fn find(funding: &[FundingAccount], public_id: &str) -> Self {
        funding.iter().find(|f| f.public_id == public_id).map_or(Self { product: None, last4: None }, Self::new)
    }
}

/// A card or account in a choice list.
pub struct CardChoice {
    pub id: String,
    pub label: CardLabel,
    /// For `data-last4` (browser tests pick a card by its last four digits).
    pub last4: String,
}

impl CardChoice {
    pub fn new(account: &FundingAccount) -> Self {
        Self { id: account.public_id.clone(), label: CardLabel::new(account), last4: account.last4.clone() }
    }
}

/// What a card's status is, for "My cards".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardStatus {
    Active,
    Blocked,
    Closed,
    Expired,
    /// A status the portal does not know: shown as unavailable.
    Unavailable,
}

impl CardStatus {
    /// An expired card is expired whatever the bank's status says.
    pub fn of(account: &FundingAccount, today: time::Date) -> Self {
        if account.is_expired(today) {
            return Self::Expired;
        }
        match account.status.as_str() {
            FundingAccount::ACTIVE => Self::Active,
            "BLOCKED" => Self::Blocked,
            "CLOSED" => Self::Closed,
            _ => Self::Unavailable,
        }
    }

    /// A stable name for pages and tests (`data-status`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Blocked => "blocked",
            Self::Closed => "closed",
            Self::Expired => "expired",
            Self::Unavailable => "unavailable",
        }
    }

    /// The style it is shown in (`status-…` in app.css).
    pub fn css_class(self) -> &'static str {
        match self {
            Self::Active => "status-active",
            Self::Blocked | Self::Unavailable => "status-blocked",
            Self::Closed => "status-closed",
            Self::Expired => "status-expired",
        }
    }
}

/// Cards and accounts that can be pushed at all: active and not expired.
pub fn pushable(accounts: &[FundingAccount], today: time::Date) -> Vec<&FundingAccount> {
    accounts.iter().filter(|a| a.is_pushable(today)).collect()
}

/// What kind of token requestor it is, for its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestorKind {
    Wallet,
    Merchant,
    Other,
}

impl RequestorKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Wallet => "wallet",
            Self::Merchant => "merchant",
            Self::Other => "other",
        }
    }
}

/// A token requestor as the cardholder sees it: logo, full name, kind.
pub struct RequestorRow {
    pub trid: String,
    pub name: String,
    pub kind: RequestorKind,
    pub logo_url: String,
    /// Where choosing it leads.
    pub next_url: String,
}

impl RequestorRow {
    pub fn new(tr: &TokenRequestor, next_url: String) -> Self {
        Self {
            trid: tr.token_requestor_id.clone(),
            name: tr.consumer_facing_entity_name.clone(),
            kind: match tr.token_requestor_type {
                TokenRequestorType::Wallet => RequestorKind::Wallet,
                TokenRequestorType::Merchant => RequestorKind::Merchant,
                TokenRequestorType::Other(_) => RequestorKind::Other,
            },
            logo_url: logo_url(Some(tr)),
            next_url,
        }
    }
}

/// The TR's logo, or the placeholder when it has none (or is unknown).
pub fn logo_url(tr: Option<&TokenRequestor>) -> String {
    match tr.and_then(|tr| tr.image_asset_id.as_ref()) {
        Some(id) => format!("/logos/{id}"),
        None => crate::web::assets::versioned_url("tr-placeholder.svg"),
    }
}

/// What went wrong with a form the cardholder sent: the page comes back
/// with this in its error summary (`data-error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    WrongCredentials,
    SignInPaused,
    WrongPassword,
    WrongCode,
    TooManyTries,
    CodesPaused,
    NoCardChosen,
}

impl FormError {
    pub fn code(self) -> &'static str {
        match self {
            Self::WrongCredentials => "wrong-credentials",
            Self::SignInPaused => "sign-in-paused",
            Self::WrongPassword => "wrong-password",
            Self::WrongCode => "wrong-code",
            Self::TooManyTries => "too-many-tries",
            Self::CodesPaused => "codes-paused",
            Self::NoCardChosen => "no-card-chosen",
        }
    }
}

/// Which page a provisioning record shows (`data-view`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordView {
    /// Receipts in hand: "You are leaving … for …".
    HandOff,
    /// Sent to the TR earlier; the cardholder is back here without returning.
    HandedOff,
    InProgress,
    /// Still sending after the longest a push can take: the answer never
    /// came (or was never stored). "We could not confirm", *Send again*.
    Unconfirmed,
    Failed,
    Cancelled,
    Confirmation,
}

impl RecordView {
    pub fn code(self) -> &'static str {
        match self {
            Self::HandOff => "hand-off",
            Self::HandedOff => "handed-off",
            Self::InProgress => "in-progress",
            Self::Unconfirmed => "unconfirmed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Confirmation => "confirmation",
        }
    }
}

/// What a record's page says of one card (`data-outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStatus {
    Known(AccountOutcome),
    /// The push is under way: no receipt yet is not "could not be sent".
    BeingSent,
    /// The push was cut off: nothing is known, nothing added yet.
    NotConfirmed,
}

impl LineStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Known(outcome) => outcome.code(),
            Self::BeingSent | Self::NotConfirmed => "sending",
        }
    }
}

/// One account of a record, as its page lists it.
pub struct AccountLine {
    pub card: CardLabel,
    pub status: LineStatus,
    /// Why it was not sent.
    pub problem: Option<Problem>,
}

/// A token requestor a card was pushed to, and what is known there.
pub struct Place {
    pub tr_name: String,
    pub outcome: AccountOutcome,
}

/// A card on "Where my cards are".
pub struct WhereRow {
    pub card: CardLabel,
    pub places: Vec<Place>,
}
