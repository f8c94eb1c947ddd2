//! The cardholder's own pages: sign-in and "My cards" (`templates/sign_in.html`,
//! `templates/cards.html`).

use askama::Template;

use super::{CardStatus, Chrome, FormError};
use crate::store::{AccountKind, FundingAccount};

/// Why the sign-in page is shown (`data-notice`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInNotice {
    /// Signed out after the idle timeout.
    TimedOut,
    SignedOut,
}

impl SignInNotice {
    pub fn code(self) -> &'static str {
        match self {
            Self::TimedOut => "timed-out",
            Self::SignedOut => "signed-out",
        }
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub chrome: Chrome,
    pub csrf_token: String,
    pub next: String,
    pub login: String,
    pub notice: Option<SignInNotice>,
    pub error: Option<FormError>,
}

/// A card or account as listed: never more than the last four digits.
pub struct CardRow {
    pub id: String,
    pub kind: AccountKind,
    pub product: String,
    pub last4: String,
    pub expiry: Option<String>,
    pub status: CardStatus,
}

impl CardRow {
    pub fn new(account: &FundingAccount, today: time::Date) -> Self {
        Self {
            id: account.public_id.clone(),
            kind: account.kind,
            product: account.product.clone(),
            last4: account.last4.clone(),
            expiry: account.expiry_display(),
            status: CardStatus::of(account, today),
        }
    }
}

#[derive(Template)]
#[template(path = "cards.html")]
pub struct MyCardsPage {
    pub chrome: Chrome,
    pub display_name: String,
    pub cards: Vec<CardRow>,
}
