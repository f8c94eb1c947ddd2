//! pushprov: an issuer web portal for Mastercard MDES Token Connect push
//! provisioning. Every "now" is read from the one [`clock::Clock`] the
//! store carries. See docs/code-layout.md and docs/wire-contract.md.
//!
//! Data flows one way (a module uses only those after it):
//!
//! - `main`, `startup` (wiring; mounts the sandbox), `secrets`, `demo`
//! - `web` (pages and handlers), then `config` (composes every section)
//! - `auth`, `provisioning`, `catalog` (the portal's rules)
//! - `store` (the database: portal types only), `mdes` (the wire model and
//!   client; the catalogue refresh maps its types to the portal's)
//! - `domain` (portal types: card numbers, logins, the catalogue, states),
//!   with `clock`, `telemetry` and `token_events` (time; logging; the
//!   token-event contract)
//!
//! `sandbox` stands beside them, behind the `sandbox` cargo feature: it uses
//! `mdes`, `token_events`, `telemetry` and `domain` only, and is handed what
//! it needs of the portal when it is mounted.

pub mod auth;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod mdes;
pub mod provisioning;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod secrets;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod token_events;
pub mod web;
