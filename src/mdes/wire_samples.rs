//! The sample exchange in `tests/fixtures/token-connect/`, read through the wire model, the
//! shape checks and the decryption the sandbox uses. The samples are ours: written from
//! `docs/wire-contract.md` with our own values; the push payload was encrypted by Mastercard's
//! official `mastercard-client-encryption` and the push answer's JWS made with `cryptography`
//! (`scripts/golden/samples.py`). See that folder's README.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

use super::encryption::decrypt_request;
use super::jws::{self, Jwk, Jwks};
use super::keys;
use super::model::*;
use super::validate;

fn sample(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/token-connect").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sample_json(name: &str) -> Value {
    serde_json::from_str(&sample(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn test_key(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mdes").join(name)
}

#[test]
fn parses_the_sample_push_exchange() {
    // The request as sent: the accounts encrypted, the rest in clear.
    let sent = sample("push-request-encrypted.json");
    let req: PushMultipleAccountsRequest = serde_json::from_str(&sent).unwrap();
    assert_eq!(req.request_id, "ea5a0de2-9720-4ed2-9010-0b6603071d7b");
    assert_eq!(req.token_requestor_id, "50100000001");
    assert_eq!(req.push_account_receipts_validity_period, Some(15));
    let payload = &req.push_funding_accounts.encrypted_payload;
    assert_eq!(payload.oaep_hashing_algorithm.as_deref(), Some("SHA512"));
    assert_eq!(payload.iv.as_deref().map(str::len), Some(32), "16-byte IV, hex");
    let cert = keys::load_encryption_key("c", &test_key("test-only-encryption-cert.pem")).unwrap();
    assert_eq!(
        Some(&payload.public_key_fingerprint),
        cert.certificate_fingerprint.as_ref(),
        "the library's fingerprint is ours: SHA-256 of the certificate DER"
    );
    validate::validate_push_wire(&req).unwrap();
    let sd = req.signature_data.as_ref().unwrap();
    assert_eq!(
        sd.callback_url.as_deref(),
        Some("https://bank.example/provisioning/return/IsdYcqSZoyVAYQIBGYOUZOPA1ZJd8GAlKb5VcbHVynE")
    );
    assert_eq!(sd.complete_issuer_app_activation, Some(false));
    assert_eq!(sd.complete_website_activation, Some(true));
    assert_eq!(sd.account_holder_data_supplied, Some(true));
    assert_eq!(sd.locale.as_deref(), Some("en_GB"));

    // Decrypted with the key MDES would hold, it is exactly the plaintext sample.
    let plain = sample_json("push-request.json");
    let mut decrypted: Value = serde_json::from_str(&sent).unwrap();
    let key = keys::load_private_key_pem_file(&test_key("test-only-encryption-key.pem")).unwrap();
    decrypt_request(&mut decrypted, &key).unwrap();
    assert_eq!(decrypted, plain);

    // The accounts: within the spec's limits, and written back to the very same JSON (every
    // name and nesting of ours is the spec's).
    let items = &plain["pushFundingAccounts"]["encryptedPayload"]["encryptedData"];
    let accounts: Vec<PushFundingAccount> = serde_json::from_value(items.clone()).unwrap();
    validate::validate_push_request(&req, &accounts).unwrap();
    assert_eq!(serde_json::to_value(&accounts).unwrap(), *items);
    assert_eq!(serde_json::to_value(sd).unwrap(), plain["signatureData"]);
    let card = &accounts[0];
    assert_eq!(card.push_account_id, "PA1");
    let card_data = card.funding_account_data.card_account_data.as_ref().unwrap();
    assert_eq!(card_data.account_number, "5204731600010105");
    assert_eq!((card_data.expiry_month.as_deref(), card_data.expiry_year.as_deref()), (Some("12"), Some("30")));
    let holder = card.funding_account_data.account_holder_data.as_ref().unwrap();
    assert_eq!(holder.account_holder_name.as_deref(), Some("Quinn Tester"));
    assert_eq!(holder.account_holder_address.as_ref().unwrap().country.as_deref(), Some("GBR"));
    assert_eq!(holder.account_holder_mobile_phone_number.as_ref().unwrap().country_dial_in_code, "44");
    let account = &accounts[1];
    assert_eq!(account.push_account_id, "PA2");
    let financial = account.funding_account_data.financial_account_data.as_ref().unwrap();
    assert_eq!(financial.interbank_card_association_id, "4817");
    assert_eq!(account.funding_account_data.data_valid_until_timestamp.as_deref(), Some("2026-12-01T11:30:00+01:00"));

    // The answer: the push half succeeded (a receipt for the card, an error for the account).
    let resp: PushMultipleAccountsResponse = serde_json::from_str(&sample("push-response.json")).unwrap();
    assert_eq!(resp.response_id.as_deref(), Some(req.request_id.as_str()), "responseId matches the requestId");
    let [issued, refused] = &resp.push_account_receipts[..] else {
        panic!("two receipt entries: {:?}", resp.push_account_receipts)
    };
    assert_eq!(issued.push_account_id, "PA1");
    assert_eq!(issued.push_account_receipt.as_deref(), Some("MCC-STL-35B41EFB-8A46-45C4-8768-6077B1279A46"));
    assert!(issued.errors.is_empty());
    assert_eq!(refused.push_account_id, "PA2");
    assert_eq!(refused.push_account_receipt, None);
    assert_eq!(refused.errors[0].source.as_deref(), Some("MDES"));
    assert_eq!(refused.errors[0].reason_code, "ACCOUNT_INELIGIBLE");
    assert_eq!(refused.errors[0].recoverable, Some(false));
    let methods: Vec<(&PushMethodType, &str)> =
        resp.available_push_methods.iter().map(|m| (&m.method_type, m.uri.as_str())).collect();
    assert_eq!(
        methods,
        [
            (&PushMethodType::Web, "https://wallet.example.com/connect/push"),
            (&PushMethodType::Android, "intent://push#Intent;scheme=examplewallet;package=com.example.wallet;end"),
            (&PushMethodType::Ios, "examplewallet://push"),
        ]
    );
    assert_eq!(resp.token_requestor_signature_support, Some(true));
    assert!(resp.errors.is_empty());

    // MDES's signature covers the issued receipts and the request's signatureData, byte for
    // byte what `PushSignaturePayload` says MDES signs.
    let signer = keys::load_private_key_pem_file(&test_key("test-only-signing-key.pem")).unwrap();
    let jwks = Jwks { keys: vec![Jwk::from_public_key(&signer.to_public_key(), "test-only-signing")] };
    let verified = jws::verify(resp.signature.as_deref().unwrap(), &jwks).unwrap();
    assert_eq!(verified.header.alg, "RS256");
    let receipts: Vec<String> = resp.push_account_receipts.iter().filter_map(|r| r.push_account_receipt.clone()).collect();
    assert_eq!(
        String::from_utf8(verified.payload).unwrap(),
        serde_json::to_string(&PushSignaturePayload::new(receipts, Some(sd))).unwrap()
    );
}

#[test]
fn parses_the_sample_catalogue_answer() {
    let raw = sample_json("eligible-token-requestors.json");
    let r: GetEligibleTokenRequestorsResponse = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(r.response_id.as_deref(), Some("c142d1f7-b42b-4220-8459-e5cb91e20998"));
    assert!(r.errors.is_empty());
    let [wallet, shop, not_connected] = &r.token_requestors[..] else { panic!("three TRs: {:?}", r.token_requestors) };

    // Every field the spec lists, each under its own name: written back, it is the sample.
    assert_eq!(serde_json::to_value(wallet).unwrap(), raw["tokenRequestors"][0]);
    assert_eq!(wallet.consumer_facing_entity_name, "Sandbox Wallet");
    assert_eq!(wallet.name, "Sandbox Wallet Ltd");
    assert_eq!(wallet.token_requestor_type, TokenRequestorType::Wallet);
    assert_eq!(wallet.wallet_id.as_deref(), Some("216"));
    assert_eq!(wallet.enabled_account_ranges, [5_204_731_600_000_000_000, 5_355_220_100_000_000_000], "19-digit JSON integers");
    assert!(wallet.has_enabled_range("520473160") && wallet.has_enabled_range("535522010"));
    assert_eq!(wallet.supported_push_methods, [PushMethodType::Web, PushMethodType::Android, PushMethodType::Ios]);
    assert_eq!(wallet.push_method(&PushMethodType::Ios).map(|m| m.uri.as_str()), Some("examplewallet://push"));
    assert_eq!(wallet.supports_multiple_pushed_cards, Some(true));
    assert_eq!(wallet.supported_account_holder_data.len(), 4);
    assert_eq!(wallet.supports_card_holder_authentication, Some(false));
    assert_eq!(wallet.supports_token_connect, Some(true));
    assert_eq!(wallet.support_issuer_initiated_digitization_data, Some(false));

    // In Token Connect with the conditional fields only: push methods without URIs, no logo,
    // no holder data accepted (an empty list).
    assert_eq!(shop.token_requestor_type, TokenRequestorType::Merchant);
    assert_eq!(shop.supported_push_methods, [PushMethodType::Web]);
    assert!(shop.available_push_methods.is_empty());
    assert_eq!((shop.image_asset_id.as_ref(), shop.wallet_id.as_ref()), (None, None));
    assert_eq!(shop.supports_multiple_pushed_cards, Some(false));
    assert!(shop.supported_account_holder_data.is_empty());
    assert_eq!(shop.supports_token_connect, None);

    // Not in Token Connect: none of the conditional Token Connect fields.
    assert_eq!(not_connected.supports_token_connect, Some(false));
    assert!(not_connected.supported_push_methods.is_empty());
    assert!(not_connected.available_push_methods.is_empty());
    assert_eq!(not_connected.supports_multiple_pushed_cards, None);
}

#[test]
fn parses_the_sample_asset() {
    let a: AssetResponse = serde_json::from_str(&sample("asset.json")).unwrap();
    let [svg, png] = &a.media_contents[..] else { panic!("two media contents: {:?}", a.media_contents) };
    assert_eq!(svg.media_type, "image/svg+xml");
    assert_eq!((svg.height.as_ref(), svg.width.as_ref()), (None, None));
    assert_eq!(png.media_type, "image/png");
    assert_eq!((png.height.as_deref(), png.width.as_deref()), (Some("192"), Some("192")));
    // The PNG is what its fields say: 192×192 (IHDR width and height).
    let bytes = base64::engine::general_purpose::STANDARD.decode(&png.data).unwrap();
    assert_eq!(&bytes[12..16], b"IHDR");
    assert_eq!((&bytes[16..20], &bytes[20..24]), (&192u32.to_be_bytes()[..], &192u32.to_be_bytes()[..]));
}
