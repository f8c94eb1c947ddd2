//! "Add to a wallet or merchant": choosing token requestors and cards.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Chrome, html};
use crate::catalog::{Device, eligible_for};
use crate::mdes::model::{TokenRequestor, TokenRequestorType};
use crate::store::FundingAccount;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::session::SignedIn;

/// A token requestor as the cardholder sees it: logo, full name, kind.
pub struct RequestorRow {
    pub trid: String,
    pub name: String,
    pub kind_label: &'static str,
    pub logo_url: String,
}

impl RequestorRow {
    pub fn new(tr: &TokenRequestor) -> Self {
        Self {
            trid: tr.token_requestor_id.clone(),
            name: tr.consumer_facing_entity_name.clone(),
            kind_label: match tr.token_requestor_type {
                TokenRequestorType::Wallet => "Wallet",
                TokenRequestorType::Merchant => "Merchant",
                TokenRequestorType::Other(_) => "Other service",
            },
            logo_url: match &tr.image_asset_id {
                Some(id) => format!("/logos/{id}"),
                None => crate::web::assets::versioned_url("tr-placeholder.svg"),
            },
        }
    }
}

/// Cards and accounts that can be pushed at all: active and not expired.
pub fn pushable(accounts: &[FundingAccount]) -> Vec<&FundingAccount> {
    let today = time::OffsetDateTime::now_utc().date();
    accounts.iter().filter(|a| a.status == "ACTIVE" && !a.is_expired(today)).collect()
}

pub fn device_of(req: &HttpRequest) -> Device {
    let ua = req.headers().get(actix_web::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    Device::from_user_agent(ua)
}

#[derive(Template)]
#[template(path = "add/requestors.html")]
struct RequestorsPage {
    chrome: Chrome,
    requestors: Vec<RequestorRow>,
}

/// Every token requestor that can take at least one of the cardholder's
/// cards on this device.
pub async fn requestors(state: web::Data<AppState>, who: SignedIn, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let cardholder = state.store.cardholder(who.cardholder_id).await?.ok_or(AppError::NotFound)?;
    let accounts = state.store.funding_accounts(cardholder.id).await?;
    let cards = pushable(&accounts);
    let catalogue = state.store.token_requestors().await?;
    let device = device_of(&req);
    let requestors = catalogue
        .iter()
        .filter(|tr| cards.iter().any(|card| !eligible_for(std::slice::from_ref(*tr), &[*card], device).is_empty()))
        .map(RequestorRow::new)
        .collect();
    let page = RequestorsPage {
        chrome: Chrome::signed_in(&state.settings, &cardholder.display_name, who.session.csrf_token()?),
        requestors,
    };
    html(StatusCode::OK, &page)
}
