//! Mastercard MDES Token Connect: wire model, OAuth 1.0a signer, field-level
//! encryption, JWS, and the HTTP client. See `../shared/SPEC.md` §2–§6.
//!
//! Shared by the portal (client side) and the built-in sandbox (server side): the sandbox
//! uses the same model types, [`validate`] for reason codes, [`oauth::verify_request`],
//! [`encryption::decrypt_payload`] and [`jws::sign`].

pub mod keys;
pub mod oauth;
pub mod encryption;
pub mod jws;
