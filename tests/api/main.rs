mod helpers;
mod mdes_helpers;

mod assets;
mod cards;
mod config;
mod errors;
mod health;
mod mdes_client;
mod sessions;
mod sign_in;
mod storage;

mod sandbox;
mod sandbox_helpers;
mod sandbox_tr;
