//! One struct per page; each renders one template under `templates/`.

pub mod add;
pub mod cards;
pub mod health;
pub mod logos;
pub mod provisioning;
pub mod sign_in;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::AppState;
use super::assets;
use super::error::AppError;
use super::session::SignedIn;
use crate::config::Settings;
use crate::store::{Cardholder, FundingAccount};

/// What the base layout needs on every page.
pub struct Chrome {
    pub issuer_name: String,
    pub logo_url: String,
    pub css_url: String,
    /// The signed-in cardholder's display name; `None` on public pages.
    pub signed_in_as: Option<String>,
    /// For the sign-out form in the header.
    pub csrf_token: String,
    /// This response's CSP nonce, for our one script tag.
    pub nonce: String,
    /// The session-timeout warning's URL, when signed in.
    pub session_script_url: String,
    pub idle_timeout_secs: u64,
    /// What is left of it now (pages move the idle clock only every few
    /// seconds, see `web::session`): the warning's first countdown.
    pub idle_secs_left: u64,
    /// "5 minutes", or "30 seconds" for short test settings.
    pub idle_timeout_label: String,
}

impl Chrome {
    pub fn anonymous(settings: &Settings) -> Self {
        Self {
            issuer_name: settings.issuer.name.clone(),
            logo_url: settings.issuer.logo_url.clone(),
            css_url: assets::versioned_url("app.css"),
            signed_in_as: None,
            csrf_token: String::new(),
            nonce: String::new(),
            session_script_url: assets::versioned_url("session.js"),
            idle_timeout_secs: settings.session.idle_timeout_secs,
            idle_secs_left: settings.session.idle_timeout_secs,
            idle_timeout_label: duration_label(settings.session.idle_timeout_secs),
        }
    }

    pub fn signed_in(settings: &Settings, display_name: &str, who: &SignedIn) -> Result<Self, AppError> {
        Ok(Self {
            signed_in_as: Some(display_name.to_string()),
            csrf_token: who.session.csrf_token()?,
            nonce: who.nonce.clone(),
            idle_secs_left: who.idle_secs_left,
            ..Self::anonymous(settings)
        })
    }

    /// For error pages rendered without application state.
    pub fn fallback() -> Self {
        Self {
            issuer_name: "Online banking".into(),
            logo_url: String::new(),
            css_url: assets::versioned_url("app.css"),
            signed_in_as: None,
            csrf_token: String::new(),
            nonce: String::new(),
            session_script_url: String::new(),
            idle_timeout_secs: 0,
            idle_secs_left: 0,
            idle_timeout_label: String::new(),
        }
    }
}

fn duration_label(secs: u64) -> String {
    match secs {
        60 => "1 minute".into(),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        1 => "1 second".into(),
        s => format!("{s} seconds"),
    }
}

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
