//! Token events: signature headers and JSON as anyone may send them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pushprov::token_events::{TokenEvent, verify};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let (timestamp, signature, body) = (parts.next(), parts.next(), parts.next().unwrap_or(""));
    let _ = verify(b"secret", timestamp, signature, body.as_bytes(), 1_800_000_000, 300);
    let _ = serde_json::from_slice::<TokenEvent>(data);
});
