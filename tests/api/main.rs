mod helpers;

mod assets;
mod cards;
mod config;
mod errors;
mod health;
mod sessions;
mod sign_in;
mod storage;
