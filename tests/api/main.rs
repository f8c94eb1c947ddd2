mod mdes_client;
mod mdes_helpers;
