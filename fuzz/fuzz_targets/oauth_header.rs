//! The sandbox's gateway: parsing an `Authorization: OAuth …` header and
//! building the base string it would verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pushprov::mdes::oauth::{normalize_url, parse_authorization_header, percent_decode};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_authorization_header(text);
        let _ = percent_decode(text);
        let _ = normalize_url(text);
    }
});
