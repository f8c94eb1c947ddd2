//! The sandbox receiving a pushMultipleAccounts body: JSON, field checks,
//! hex, RSA-OAEP unwrap and AES decryption of whatever arrives.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pushprov::mdes::inbound::{parse_accounts, receive_push};
use pushprov::mdes::keys::PrivateKey;

/// The test-only fixture key (tests/fixtures/mdes): never a real key.
fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/mdes/test-only-encryption-key.pem");
        pushprov::mdes::keys::load_private_key_pem_file(std::path::Path::new(path)).expect("fixture key")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = receive_push(data, key());
    let _ = parse_accounts(data);
});
