//! What the base layout (`templates/base.html`) needs on every page.

use crate::config::Settings;
use crate::web::assets;
use crate::web::error::AppError;
use crate::web::session::SignedIn;

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
        }
    }
}
