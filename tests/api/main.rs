use pushprov_test_support::{helpers, mdes_helpers, on_both_engines, sandbox_helpers, steps, wait};

mod assets;
mod attack_redesign;
mod attack_refactor;
mod bad_answers;
mod cards;
mod catalog;
mod config;
mod errors;
mod hardening;
mod health;
mod journey;
mod mdes_client;
mod races;
mod recovery;
mod security;
mod sessions;
mod sign_in;
mod storage;
mod token_connect;

mod sandbox;
mod sandbox_tr;
