//! Mastercard MDES Token Connect: wire model, OAuth 1.0a signer, field-level
//! encryption, JWS, and the HTTP client. See `../shared/SPEC.md` §2–§6.
