use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;

use super::{Chrome, html};
use crate::store::{AccountKind, FundingAccount};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::session::SignedIn;

/// A card or account as listed: never more than the last four digits.
struct CardRow {
    id: String,
    kind_label: &'static str,
    product: String,
    masked: String,
    expiry: Option<String>,
    status_label: &'static str,
    status_class: &'static str,
}

impl CardRow {
    fn new(account: &FundingAccount, today: time::Date) -> Self {
        let (status_label, status_class) = if account.is_expired(today) {
            ("Expired", "status-expired")
        } else {
            match account.status.as_str() {
                "ACTIVE" => ("Active", "status-active"),
                "BLOCKED" => ("Blocked", "status-blocked"),
                "CLOSED" => ("Closed", "status-closed"),
                _ => ("Unavailable", "status-blocked"),
            }
        };
        Self {
            id: account.public_id.clone(),
            kind_label: match account.kind {
                AccountKind::Card => "Card",
                AccountKind::FinancialAccount => "Account",
            },
            product: account.product.clone(),
            masked: format!("ending {}", account.last4),
            expiry: account.expiry_display(),
            status_label,
            status_class,
        }
    }
}

#[derive(Template)]
#[template(path = "cards.html")]
struct CardsPage {
    chrome: Chrome,
    display_name: String,
    cards: Vec<CardRow>,
}

pub async fn home(session: actix_session::Session) -> HttpResponse {
    let signed_in = session.get::<i64>(crate::store::CARDHOLDER_SESSION_KEY).ok().flatten().is_some();
    let to = if signed_in { "/cards" } else { "/login" };
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

pub async fn my_cards(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, AppError> {
    let (cardholder, accounts) = super::signed_in_cardholder_with_accounts(&state, &who).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let cards = accounts.iter().map(|a| CardRow::new(a, today)).collect();
    let page = CardsPage {
        chrome: Chrome::signed_in(&state.settings, &cardholder.display_name, &who)?,
        display_name: cardholder.display_name,
        cards,
    };
    html(StatusCode::OK, &page)
}
