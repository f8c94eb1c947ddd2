//! The handlers, one module per part of the site: they read the request,
//! call the layer below and render a page (its view in `web::views`).

pub mod add;
pub mod cards;
pub mod health;
pub mod logos;
pub mod provisioning;
pub mod sign_in;

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use askama::Template;

use super::AppState;
use super::error::AppError;
use super::session::SignedIn;
pub use super::views::Chrome;
use crate::store::{Cardholder, FundingAccount};

/// The signed-in cardholder. A session naming a cardholder who is not
/// stored is our fault (500), not the visitor's.
pub async fn signed_in_cardholder(state: &AppState, who: &SignedIn) -> Result<Cardholder, AppError> {
    state.store.cardholder(who.cardholder_id).await?.ok_or_else(|| missing(who))
}

/// The signed-in cardholder with their cards and accounts (one pooled
/// connection: every page that lists cards needs both).
pub async fn signed_in_cardholder_with_accounts(
    state: &AppState,
    who: &SignedIn,
) -> Result<(Cardholder, Vec<FundingAccount>), AppError> {
    state.store.cardholder_with_accounts(who.cardholder_id).await?.ok_or_else(|| missing(who))
}

fn missing(who: &SignedIn) -> AppError {
    AppError::Internal(anyhow::anyhow!("signed-in cardholder {} not found", who.cardholder_id))
}

/// Renders a page as an HTML response with the given status.
pub fn html(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(page.render()?))
}

/// A redirect after a form or a link that did something (303: the browser GETs `to`).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// A provisioning record's page.
pub fn record_path(id: &str) -> String {
    format!("/provisioning/{id}")
}

/// A form shown again because its attempts are throttled: says when to
/// come back (sign-in and the step-up before a push).
pub fn with_retry_after(mut response: HttpResponse, retry_after_secs: i64) -> HttpResponse {
    if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
