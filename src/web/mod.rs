//! HTTP: routes, extractors (session, CSRF), pages, error pages, security
//! headers and static assets. Handlers stay thin: they read input, call the
//! layer below and render a page.

pub mod assets;
pub mod csp;
pub mod csrf;
pub mod error;
pub mod pages;
pub mod session;
pub mod token_events;
pub mod views;

use std::sync::Arc;

use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, ErrorHandlers};
use actix_web::web;

use crate::config::Settings;
use crate::mdes::MdesClient;
use crate::provisioning::Journey;
use crate::store::Store;

/// What every handler may reach.
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub mdes: Arc<MdesClient>,
    /// Authenticates `POST /token-events`.
    pub token_event_key: [u8; 32],
    /// Signs the sign-in form's CSRF token (`csrf::sign_in`).
    pub sign_in_form_key: [u8; 32],
}

impl AppState {
    /// The journey's collaborators for one request. It is handed its own
    /// settings and the public URL, never the whole configuration.
    pub fn journey(&self) -> Journey<'_> {
        Journey {
            store: &self.store,
            mdes: &self.mdes,
            settings: &self.settings.provisioning,
            public_url: self.settings.public_url(),
        }
    }
}

/// Routes that need no session: health checks, static files, logos, token
/// events (server to server). Outside the session middleware they cost no
/// session read, and they still answer while the database is down — so the
/// error page of an outage keeps its stylesheet.
pub fn routes_without_session(cfg: &mut web::ServiceConfig) {
    cfg.service(pages::health::healthz)
        .service(pages::health::readyz)
        .route("/static/{name:.*}", web::get().to(assets::serve))
        .service(web::resource("/logos/{asset_id}").get(pages::logos::logo))
        .service(
            web::resource(crate::token_events::PATH)
                .app_data(web::PayloadConfig::default().limit(token_events::MAX_EVENT_BYTES))
                .post(token_events::receive),
        );
}

/// The cardholder's pages (inside the session and CSP-nonce middleware).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").get(pages::cards::home))
        .service(web::resource("/login").get(pages::sign_in::show).post(pages::sign_in::submit))
        .service(web::resource("/logout").post(pages::sign_in::sign_out))
        .service(web::resource("/logout/everywhere").post(pages::sign_in::sign_out_everywhere))
        .service(web::resource("/session/keepalive").post(pages::sign_in::keepalive))
        .service(web::resource("/cards").get(pages::cards::my_cards))
        .service(web::resource("/cards/where").get(pages::provisioning::where_my_cards_are))
        .service(web::resource("/add").get(pages::add::intro))
        .service(web::resource("/add/cards").get(pages::add::cards))
        .service(web::resource("/add/cards/chosen").get(pages::add::cards_chosen))
        .service(web::resource("/add/requestors").get(pages::add::requestors))
        .service(web::resource("/add/review").get(pages::add::review))
        .service(web::resource("/add/push").post(pages::add::push))
        .service(web::resource("/provisioning/return/{token}").get(pages::provisioning::returned))
        .service(web::resource("/provisioning/{id}").get(pages::provisioning::show))
        .service(web::resource("/provisioning/{id}/continue").get(pages::provisioning::continue_to_tr))
        // `retry` or `resend` (`provisioning::PushAgain`).
        .service(web::resource("/provisioning/{id}/{again:retry|resend}").post(pages::provisioning::push_again));
}

/// The client's address as every throttle counts it: the TCP peer, or —
/// with `server.trust_forwarded_for`, behind the bank's own proxy — the
/// *last* `X-Forwarded-For` entry, the one that proxy added for the peer it
/// saw. Earlier entries come from the client and can say anything (a proxy
/// that appends keeps them), so they never count; an entry that is not an
/// IP address counts as the peer. An IPv4-mapped IPv6 address counts as the
/// IPv4 one, and IPv6 addresses by their /64 (one subscriber's network).
pub fn client_address(req: &actix_web::HttpRequest, settings: &Settings) -> String {
    throttle_key(client_ip(req, settings))
}

fn client_ip(req: &actix_web::HttpRequest, settings: &Settings) -> Option<std::net::IpAddr> {
    if settings.server.trust_forwarded_for {
        let last = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .last();
        if let Some(last) = last.and_then(|v| v.parse::<std::net::IpAddr>().ok()) {
            return Some(last);
        }
    }
    req.peer_addr().map(|a| a.ip())
}

fn throttle_key(ip: Option<std::net::IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Some(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".into(),
    }
}

/// Turns every 4xx/5xx into the HTML error page.
pub fn error_pages<B: actix_web::body::MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(error::render_error_pages)
}

/// Headers on every response. Pages use no inline script or style, so the
/// policy allows only our own origin.
pub fn security_header_list(hsts: bool) -> Vec<(header::HeaderName, &'static str)> {
    let mut headers = vec![
        // Responses that pass the nonce middleware get its policy instead.
        (header::CONTENT_SECURITY_POLICY, csp::NO_SCRIPT_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=(), payment=()"),
        (header::HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        // Pages show account data: never keep them in a shared or back/forward cache.
        (header::CACHE_CONTROL, "no-store"),
    ];
    if hsts {
        headers.push((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"));
    }
    headers
}

pub fn security_headers(hsts: bool) -> DefaultHeaders {
    security_header_list(hsts).into_iter().fold(DefaultHeaders::new(), |headers, h| headers.add(h))
}

#[cfg(test)]
mod tests {
    #[test]
    fn throttles_count_ipv6_by_network_and_mapped_ipv4_as_ipv4() {
        let key = |s: &str| super::throttle_key(Some(s.parse().unwrap()));
        assert_eq!(key("10.99.0.1"), key("::ffff:10.99.0.1"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::2"), "one /64");
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
    }
}
