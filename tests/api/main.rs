mod helpers;
mod steps;
mod mdes_helpers;

mod assets;
mod bad_answers;
mod cards;
mod catalog;
mod config;
mod errors;
mod health;
mod journey;
mod recovery;
mod mdes_client;
mod security;
mod races;
mod hardening;
mod token_connect;
mod sessions;
mod sign_in;
mod storage;

mod sandbox;
mod sandbox_helpers;
mod sandbox_tr;
