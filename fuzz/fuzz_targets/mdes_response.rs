//! Any answer from MDES (or whatever pretends to be it): every response type,
//! through the client's own reading of status and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pushprov::mdes::client::parse_response;
use pushprov::mdes::model::{
    AssetResponse, GetEligibleTokenRequestorsResponse, PushAccountResponse, PushMultipleAccountsResponse,
};

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data.split_first() {
        // One byte picks the HTTP status class, the rest is the body.
        Some((s, rest)) => ([200u16, 400, 401, 404, 500, 502, 503][usize::from(*s) % 7], rest),
        None => (200, data),
    };
    let _ = parse_response::<GetEligibleTokenRequestorsResponse>(status, body);
    let _ = parse_response::<AssetResponse>(status, body);
    let _ = parse_response::<PushMultipleAccountsResponse>(status, body);
    let _ = parse_response::<PushAccountResponse>(status, body);
});
