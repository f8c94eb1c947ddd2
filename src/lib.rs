//! pushprov: an issuer web portal for Mastercard MDES Token Connect push
//! provisioning. Data flows one way: `web` → (`auth`, `store`); `mdes` talks
//! to Mastercard. Every "now" is read from the one [`clock::Clock`] the
//! store carries. See the README ("Code layout") and `docs/wire-contract.md`.

pub mod auth;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod mdes;
pub mod provisioning;
pub mod sandbox;
pub mod secrets;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod token_events;
pub mod web;
