//! Any answer from MDES (or whatever pretends to be it): every response type,
//! through the client's own reading of status and body, and the catalogue's
//! item-by-item reading of token requestors.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pushprov::mdes::client::parse_response;
use pushprov::mdes::model::{
    AssetResponse, EligibleTokenRequestors, GetEligibleTokenRequestorsResponse, PushAccountResponse,
    PushMultipleAccountsResponse, TokenRequestor, read_token_requestor,
};

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data.split_first() {
        // One byte picks the HTTP status class, the rest is the body.
        Some((s, rest)) => ([200u16, 400, 401, 404, 500, 502, 503][usize::from(*s) % 7], rest),
        None => (200, data),
    };
    let _ = parse_response::<GetEligibleTokenRequestorsResponse>(status, body);
    // The portal's own reading of the catalogue, item by item; every TR it
    // keeps is stored as JSON and must read back the same (else it would
    // vanish from the stored catalogue).
    if let Ok(answer) = parse_response::<EligibleTokenRequestors>(status, body) {
        for tr in &answer.token_requestors {
            let stored = serde_json::to_string(tr).expect("a TR serialises");
            let back: TokenRequestor = serde_json::from_str(&stored).expect("a stored TR reads back");
            assert_eq!(&back, tr);
        }
    }
    if let Ok(item) = serde_json::from_slice::<serde_json::Value>(body) {
        let _ = read_token_requestor(item);
    }
    let _ = parse_response::<AssetResponse>(status, body);
    let _ = parse_response::<PushMultipleAccountsResponse>(status, body);
    let _ = parse_response::<PushAccountResponse>(status, body);
});
