//! Mastercard MDES Token Connect: wire model, OAuth 1.0a signer, field-level
//! encryption, JWS, and the HTTP client. The wire contract they follow, with every choice of
//! ours marked, is `docs/wire-contract.md` (§2–§6; comments cite it as "wire contract §n").
//!
//! Shared by the portal (client side) and the built-in sandbox (server side):
//! - portal: [`MdesSettings`] → [`MdesClient::from_settings`], then
//!   [`MdesClient::get_eligible_token_requestors`], [`MdesClient::get_asset`],
//!   [`MdesClient::push_multiple_accounts`] with a [`PushRequest`].
//! - sandbox: [`inbound::receive_push`] / [`inbound::receive_eligibility`] (parse, validate,
//!   decrypt, MDES reason codes), the same [`model`] types, [`validate`],
//!   [`oauth::parse_authorization_header`] + [`oauth::verify_request`],
//!   [`encryption::decrypt_request`], [`jws::sign`] and [`keys::generate_demo_keys`].

pub mod client;
pub mod encryption;
pub mod inbound;
pub mod jws;
pub mod keys;
pub mod model;
pub mod oauth;
pub mod request;
pub mod settings;
pub mod validate;
#[cfg(test)]
mod wire_samples;

pub use client::{AccountFailure, MdesClient, MdesClientError, MdesSetupError, PushOutcome};
pub use request::PushRequest;
pub use settings::MdesSettings;
pub use validate::{FieldError, ReasonCode};
