//! The built-in MDES sandbox (issue 4), driven over HTTP: Mastercard's own
//! Python libraries for the proof, then every gateway and Token Connect error.

use pushprov::demo::{CREDIT_RANGE, DEBIT_RANGE, UNSERVED_RANGE};
use pushprov::mdes::jws::{self, Jwks};
use pushprov::mdes::model::PushSignaturePayload;
use pushprov::sandbox::data::trid;
use serde_json::{Value, json};

use crate::sandbox_helpers::{account, first_error, push_request, sandbox_app, sandbox_app_with};

const ALICE_APPROVED: &str = "5204731600014792";
const QUINN_DECLINED: &str = "5204731600020203";

async fn jwks(sbx: &crate::sandbox_helpers::Sandbox) -> Jwks {
    let resp = sbx.app.get("/sandbox/mdes/jwks.json").await;
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn official_libraries_push_gets_receipts_and_a_jws_that_verifies_against_the_jwks() {
    let sbx = sandbox_app().await;
    let request = push_request(trid::WALLET, vec![account("card-1", ALICE_APPROVED), account("card-2", QUINN_DECLINED)]);
    let cert = sbx.encryption_cert();
    let out =
        sbx.official("POST", "/connect/1/0/pushMultipleAccounts", Some(request.clone()), &["--cert", &cert, "--send"]).await;
    assert_eq!(out["status"], 200, "{out}");
    let body = &out["body"];
    assert!(body.get("errors").is_none(), "{body}");
    let receipts: Vec<String> = body["pushAccountReceipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pushAccountReceipt"].as_str().expect("a receipt per account").to_string())
        .collect();
    assert_eq!(receipts.len(), 2);
    assert!(receipts.iter().all(|r| r.starts_with("MCC-") && r.len() <= 64));
    assert_eq!(body["pushAccountReceipts"][0]["pushAccountId"], "card-1");
    let web = body["availablePushMethods"].as_array().unwrap().iter().find(|m| m["type"] == "WEB").unwrap();
    assert_eq!(web["uri"], format!("{}/sandbox/tr/{}/push", sbx.app.address, trid::WALLET));

    let signature = body["signature"].as_str().expect("a JWS");
    let verified = jws::verify(signature, &jwks(&sbx).await).expect("JWS verifies against the published JWKS");
    assert!(verified.header.kid.is_some());
    let payload: PushSignaturePayload = serde_json::from_slice(&verified.payload).unwrap();
    assert_eq!(payload.push_account_receipts, receipts);
    assert_eq!(payload.callback_url.as_deref(), Some("https://bank.example/push/callback?ref=abc123"));
    assert_eq!(payload.locale.as_deref(), Some("en_US"));

    // The other fingerprint form and digest the library offers are accepted too.
    let out = sbx
        .official(
            "POST",
            "/connect/1/0/pushMultipleAccounts",
            Some(push_request(trid::MERCHANT, vec![account("only", ALICE_APPROVED)])),
            &["--cert", &cert, "--send", "--fingerprint", "public_key", "--digest", "SHA-256"],
        )
        .await;
    assert_eq!(out["status"], 200, "{out}");
    assert!(out["body"]["pushAccountReceipts"][0]["pushAccountReceipt"].is_string());
}

#[tokio::test]
async fn official_libraries_get_eligible_token_requestors_and_assets() {
    let sbx = sandbox_app().await;
    let ask = |ranges: Vec<&str>| json!({"requestId": "req-1", "accountRanges": ranges});
    let out = sbx.official("POST", "/connect/1/0/getEligibleTokenRequestors", Some(ask(vec![CREDIT_RANGE])), &["--send"]).await;
    assert_eq!(out["status"], 200, "{out}");
    let trs = out["body"]["tokenRequestors"].as_array().unwrap();
    let ids: Vec<&str> = trs.iter().map(|t| t["tokenRequestorId"].as_str().unwrap()).collect();
    assert!(ids.contains(&trid::WALLET) && ids.contains(&trid::APP_ONLY));
    assert!(!ids.contains(&trid::HOSTILE), "hostile data serves only the QA range");
    assert!(!ids.contains(&trid::DEBIT_ONLY), "the debit-only TR is not enabled for the credit range");
    let wallet = trs.iter().find(|t| t["tokenRequestorId"] == trid::WALLET).unwrap();
    // 19-digit JSON integers, the range right-padded with zeros.
    assert!(wallet["enabledAccountRanges"].as_array().unwrap().contains(&json!(5204731600000000000u64)));
    assert_eq!(wallet["supportedAccountHolderData"].as_array().unwrap().len(), 4);
    let app_only = trs.iter().find(|t| t["tokenRequestorId"] == trid::APP_ONLY).unwrap();
    assert!(app_only["availablePushMethods"].as_array().unwrap().iter().all(|m| m["type"] != "WEB"));
    let out = sbx
        .official("POST", "/connect/1/0/getEligibleTokenRequestors", Some(ask(vec![pushprov::demo::QA_RANGE])), &["--send"])
        .await;
    // As the spec says: responseId matches requestId. For the QA range the
    // answer also carries what the spec allows beside good TRs: an error,
    // and entries a portal must skip (no id; every field of a wrong type).
    assert_eq!(out["body"]["responseId"], "req-1");
    assert_eq!(out["body"]["errors"][0]["reasonCode"], "PARTIAL_RESULT", "{out}");
    let trs = out["body"]["tokenRequestors"].as_array().unwrap();
    assert!(trs.iter().any(|t| t.get("tokenRequestorId").is_none()), "an entry without an id");
    assert!(trs.iter().any(|t| t["tokenRequestorId"].is_number()), "an entry with a numeric id");
    let hostile = trs.iter().find(|t| t["tokenRequestorId"] == trid::HOSTILE).unwrap();
    assert_eq!(hostile["consumerFacingEntityName"].as_str().unwrap().chars().count(), 100);
    assert!(hostile["consumerFacingEntityName"].as_str().unwrap().contains("<script>"));

    // A 19-digit range matches exactly; the unserved range matches nothing.
    let padded = format!("{DEBIT_RANGE:0<19}");
    let out = sbx.official("POST", "/connect/1/0/getEligibleTokenRequestors", Some(ask(vec![&padded])), &["--send"]).await;
    let ids: Vec<Value> =
        out["body"]["tokenRequestors"].as_array().unwrap().iter().map(|t| t["tokenRequestorId"].clone()).collect();
    assert!(ids.contains(&json!(trid::DEBIT_ONLY)));
    let out = sbx.official("POST", "/connect/1/0/getEligibleTokenRequestors", Some(ask(vec![UNSERVED_RANGE])), &["--send"]).await;
    assert_eq!(out["body"]["tokenRequestors"], json!([]));

    // Logos: PNG 192×192 and SVG; the hostile TR's SVG carries a script.
    let asset = hostile["imageAssetId"].as_str().unwrap();
    let out = sbx.official("GET", &format!("/issuer-assets/1/0/asset/tokenrequestor/{asset}"), None, &["--send"]).await;
    assert_eq!(out["status"], 200, "{out}");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let media = out["body"]["mediaContents"].as_array().unwrap();
    let png = media.iter().find(|m| m["type"] == "image/png").unwrap();
    assert_eq!((png["width"].as_str(), png["height"].as_str()), (Some("192"), Some("192")));
    let bytes = b64.decode(png["data"].as_str().unwrap()).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 192);
    let svg = media.iter().find(|m| m["type"] == "image/svg+xml").unwrap();
    let svg = String::from_utf8(b64.decode(svg["data"].as_str().unwrap()).unwrap()).unwrap();
    assert!(svg.contains("<script>"));
    let unknown = sbx.call("GET", "/issuer-assets/1/0/asset/tokenrequestor/nope", Vec::new()).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn the_gateway_refuses_bad_signatures_body_hashes_stale_and_replayed_requests() {
    let sbx = sandbox_app().await;
    let op = "/connect/1/0/getEligibleTokenRequestors";
    let body = json!({"requestId": "r", "accountRanges": [CREDIT_RANGE]});
    let signed = sbx.official("POST", op, Some(body.clone()), &[]).await;
    let auth = signed["authorization"].as_str().unwrap().to_string();
    let bytes = signed["body"].as_str().unwrap().as_bytes().to_vec();

    // Body altered after signing.
    let mut altered = bytes.clone();
    altered.push(b' ');
    let a = sbx.send("POST", op, Some(&auth), altered).await;
    assert_eq!((a.status, first_error(&a.body)), (400, ("Gateway".into(), "INVALID_BODY_HASH".into())), "{}", a.body);
    assert!(a.body["Errors"]["Error"][0]["Description"].as_str().unwrap().contains("Calculated: "));

    // Signed for another path: the gateway tells which base string it expected.
    let a = sbx.send("POST", "/connect/1/0/pushMultipleAccounts", Some(&auth), bytes.clone()).await;
    assert_eq!((a.status, first_error(&a.body)), (401, ("Gateway".into(), "AUTHENTICATION_FAILED".into())));
    let description = a.body["Errors"]["Error"][0]["Description"].as_str().unwrap();
    let port = sbx.app.address.rsplit(':').next().unwrap();
    assert!(
        description.contains(&format!(
            "Acceptable signature base string: POST&http%3A%2F%2F127.0.0.1%3A{port}%2Fsandbox%2Fmdes%2Fconnect%2F1%2F0%2FpushMultipleAccounts&oauth_body_hash%3D"
        )),
        "{description}"
    );
    assert_eq!(a.body["Errors"]["Error"][0]["Recoverable"], false);

    // The genuine request passes once; replaying its nonce fails.
    let a = sbx.send("POST", op, Some(&auth), bytes.clone()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = sbx.send("POST", op, Some(&auth), bytes.clone()).await;
    assert_eq!((a.status, first_error(&a.body).1.as_str()), (401, "AUTHENTICATION_FAILED"));
    assert!(a.body.to_string().contains("nonce"));

    // Stale timestamp, unknown consumer key, no header.
    let url = sbx.mdes_url(op);
    let old = pushprov::mdes::oauth::now_secs() - 3600;
    let stale = sbx.signer.authorization_header_with("POST", &url, &bytes, "abcdefghABCDEFGH", old).unwrap();
    let a = sbx.send("POST", op, Some(&stale), bytes.clone()).await;
    assert_eq!((a.status, first_error(&a.body).1.as_str()), (401, "AUTHENTICATION_FAILED"));
    assert!(a.body.to_string().contains("oauth_timestamp"));
    let key = pushprov::mdes::keys::load_private_key_pem_file(&sbx.keys.issuer_signing.private_key).unwrap();
    let stranger = pushprov::mdes::oauth::Signer::new("someone-else", key).authorization_header("POST", &url, &bytes).unwrap();
    let a = sbx.send("POST", op, Some(&stranger), bytes.clone()).await;
    assert_eq!((a.status, first_error(&a.body).1.as_str()), (401, "AUTHENTICATION_FAILED"));
    let a = sbx.send("POST", op, None, bytes.clone()).await;
    assert_eq!((a.status, first_error(&a.body).1.as_str()), (401, "AUTHENTICATION_FAILED"));
    // Signed with a key that is not the issuer's.
    let other = pushprov::mdes::keys::load_private_key_pem_file(&sbx.keys.jws.private_key).unwrap();
    let forged = pushprov::mdes::oauth::Signer::new(sbx.app.settings.sandbox.consumer_key.clone(), other)
        .authorization_header("POST", &url, &bytes)
        .unwrap();
    let a = sbx.send("POST", op, Some(&forged), bytes).await;
    assert_eq!((a.status, first_error(&a.body).1.as_str()), (401, "AUTHENTICATION_FAILED"));
}

#[tokio::test]
async fn every_input_error_has_its_reason_code() {
    let sbx = sandbox_app().await;
    let op = "/connect/1/0/pushMultipleAccounts";
    let code = |a: crate::sandbox_helpers::Answer| {
        assert_eq!(a.status, 400, "{}", a.body);
        assert!(a.body["responseId"].is_string());
        first_error(&a.body)
    };
    let input = |c: &str| ("INPUT".to_string(), c.to_string());
    assert_eq!(code(sbx.call("POST", op, b"{not json".to_vec()).await), input("INVALID_JSON"));
    assert_eq!(
        code(sbx.call("POST", "/connect/1/0/getEligibleTokenRequestors", br#"{"requestId":"r"}"#.to_vec()).await),
        input("MISSING_REQUIRED_FIELD")
    );
    assert_eq!(
        code(
            sbx.call("POST", "/connect/1/0/getEligibleTokenRequestors", br#"{"requestId":"r","accountRanges":["52"]}"#.to_vec())
                .await
        ),
        input("INVALID_FIELD_LENGTH")
    );
    let mut r = push_request(trid::WALLET, vec![account("a", ALICE_APPROVED)]);
    r["tokenRequestorId"] = json!("5010000000");
    assert_eq!(code(sbx.push(r).await), input("INVALID_FIELD_LENGTH"));
    let mut r = push_request(trid::WALLET, vec![account("a", ALICE_APPROVED)]);
    r["pushAccountReceiptsValidityPeriod"] = json!(20);
    assert_eq!(code(sbx.push(r).await), input("INVALID_FIELD_VALUE"));
    let mut r = push_request(trid::WALLET, vec![account("a", ALICE_APPROVED)]);
    r["signatureData"]["locale"] = json!("en-US");
    assert_eq!(code(sbx.push(r).await), input("INVALID_FIELD_FORMAT"));
    // Decrypted data that is not an array of accounts.
    let r = json!({"requestId": "r", "tokenRequestorId": trid::WALLET,
        "pushFundingAccounts": {"encryptedPayload": {"encryptedData": {"pushAccountId": "a"}}}});
    assert_eq!(code(sbx.push(r).await), input("INVALID_FIELD_FORMAT"));
    // A PAN that is not digits.
    let r = push_request(trid::WALLET, vec![account("a", "52047316000147XX")]);
    assert!(matches!(code(sbx.push(r).await).1.as_str(), "INVALID_FIELD_FORMAT" | "INVALID_FIELD_VALUE"));
    // Ciphertext that does not decrypt.
    let mut r = push_request(trid::WALLET, vec![account("a", ALICE_APPROVED)]);
    sbx.encryptor.encrypt_request(&mut r).unwrap();
    r["pushFundingAccounts"]["encryptedPayload"]["encryptedKey"] = json!("ab".repeat(256));
    assert_eq!(code(sbx.call("POST", op, serde_json::to_vec(&r).unwrap()).await), input("CRYPTOGRAPHY_ERROR"));
    // A fingerprint that does not name the sandbox's key.
    let mut r = push_request(trid::WALLET, vec![account("a", ALICE_APPROVED)]);
    sbx.encryptor.encrypt_request(&mut r).unwrap();
    r["pushFundingAccounts"]["encryptedPayload"]["publicKeyFingerprint"] = json!("00".repeat(32));
    assert_eq!(code(sbx.call("POST", op, serde_json::to_vec(&r).unwrap()).await), input("CRYPTOGRAPHY_ERROR"));
    // The singular field name of the deprecated API.
    let mut r = push_request(trid::WALLET, vec![account("a", ALICE_APPROVED)]);
    sbx.encryptor.encrypt_request(&mut r).unwrap();
    let payload = r.as_object_mut().unwrap().remove("pushFundingAccounts").unwrap();
    r["pushFundingAccount"] = payload;
    assert_eq!(code(sbx.call("POST", op, serde_json::to_vec(&r).unwrap()).await), input("INVALID_JSON"));
    // Unknown TR; two cards to a single-card TR.
    assert_eq!(
        code(sbx.push(push_request("50199999999", vec![account("a", ALICE_APPROVED)])).await),
        input("INVALID_FIELD_VALUE")
    );
    let two = vec![account("a", ALICE_APPROVED), account("b", QUINN_DECLINED)];
    let a = sbx.push(push_request(trid::MERCHANT, two)).await;
    assert!(a.body.to_string().contains("multiple"), "{}", a.body);
    assert_eq!(code(a), input("INVALID_FIELD_VALUE"));
}

#[tokio::test]
async fn accounts_fail_one_by_one_ineligible_expired_and_mdes_errors() {
    let sbx = sandbox_app().await;
    let accounts = vec![
        account("ok", ALICE_APPROVED),
        account("unserved", "2223000010034566"),
        json!({"pushAccountId": "expired", "fundingAccountData": {"cardAccountData":
            {"accountNumber": "5204731600098761", "expiryMonth": "03", "expiryYear": "25"}}}),
        account("recoverable", "5204731600040409"),
        account("fatal", "5204731600050507"),
    ];
    let a = sbx.push(push_request(trid::WALLET, accounts)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let entries = a.body["pushAccountReceipts"].as_array().unwrap();
    let entry = |id: &str| entries.iter().find(|e| e["pushAccountId"] == id).unwrap().clone();
    assert!(entry("ok")["pushAccountReceipt"].is_string());
    let err = |id: &str| {
        let e = entry(id);
        assert!(e.get("pushAccountReceipt").is_none(), "{e}");
        e["errors"][0].clone()
    };
    assert_eq!(err("unserved")["reasonCode"], "ACCOUNT_INELIGIBLE");
    assert_eq!(err("expired")["reasonCode"], "INVALID_FIELD_VALUE");
    assert_eq!((err("recoverable")["source"].clone(), err("recoverable")["recoverable"].clone()), (json!("MDES"), json!(true)));
    assert_eq!(
        (err("fatal")["reasonCode"].clone(), err("fatal")["recoverable"].clone()),
        (json!("AUTHORIZATION_FAILED"), json!(false))
    );
    assert!(a.body["signature"].is_string(), "one receipt was issued, so the push is signed");

    // A credit card to the debit-only TR is ineligible; with no receipt at all, errors[] says so too.
    let a = sbx.push(push_request(trid::DEBIT_ONLY, vec![account("c", ALICE_APPROVED)])).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["pushAccountReceipts"][0]["errors"][0]["reasonCode"], "ACCOUNT_INELIGIBLE");
    assert_eq!(a.body["errors"][0]["reasonCode"], "ACCOUNT_INELIGIBLE");
    assert!(a.body.get("signature").is_none());
    let a = sbx.push(push_request(trid::DEBIT_ONLY, vec![account("d", "5355220100044175")])).await;
    assert!(a.body["pushAccountReceipts"][0]["pushAccountReceipt"].is_string(), "{}", a.body);

    // Recoverable MDES error alone: HTTP 200 with errors.
    let a = sbx.push(push_request(trid::WALLET, vec![account("r", "5204731600040409")])).await;
    assert_eq!((a.status, a.body["errors"][0]["recoverable"].clone()), (200, json!(true)));
}

#[tokio::test]
async fn slow_and_unavailable_mdes() {
    let sbx = sandbox_app_with(|s| s.sandbox.slow_delay_ms = 400).await;
    let started = std::time::Instant::now();
    let a = sbx.push(push_request(trid::WALLET, vec![account("s", "5204731600060605")])).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(400));
    assert!(a.body["pushAccountReceipts"][0]["pushAccountReceipt"].is_string(), "{}", a.body);
    let a = sbx.push(push_request(trid::WALLET, vec![account("u", "5204731600070703")])).await;
    assert_eq!(a.status, 503);
    assert_eq!((a.body["errors"][0]["source"].clone(), a.body["errors"][0]["recoverable"].clone()), (json!("MDES"), json!(true)));
}

#[tokio::test]
async fn deprecated_push_account_answers_one_receipt() {
    let sbx = sandbox_app().await;
    let mut r = push_request(trid::MERCHANT, vec![account("a", ALICE_APPROVED)]);
    sbx.encryptor.encrypt_request(&mut r).unwrap();
    let payload = r.as_object_mut().unwrap().remove("pushFundingAccounts").unwrap();
    r["pushFundingAccount"] = payload;
    let a = sbx.call("POST", "/connect/1/0/pushAccount", serde_json::to_vec(&r).unwrap()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body["pushAccountReceipt"].as_str().unwrap().starts_with("MCC-"));
}

#[tokio::test]
async fn the_data_set_comes_from_a_file_when_configured() {
    let mut data = pushprov::sandbox::SandboxData::built_in(pushprov::startup::demo_issuer());
    data.token_requestors.truncate(1);
    data.token_requestors[0].consumer_facing_entity_name = "QA Wallet from a file".into();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sandbox.json");
    std::fs::write(&path, serde_json::to_string(&data).unwrap()).unwrap();
    let sbx = sandbox_app_with(|s| s.sandbox.data_file = Some(path.clone())).await;
    let a = sbx
        .call("POST", "/connect/1/0/getEligibleTokenRequestors", br#"{"requestId":"r","accountRanges":["520473160"]}"#.to_vec())
        .await;
    let trs = a.body["tokenRequestors"].as_array().unwrap();
    assert_eq!(trs.len(), 1);
    assert_eq!(trs[0]["consumerFacingEntityName"], "QA Wallet from a file");
}

#[test]
fn pushprov_sandbox_data_prints_the_built_in_data_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pushprov"))
        .args(["sandbox", "data"])
        .current_dir(dir.path())
        .env("PUSHPROV__DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let data: pushprov::sandbox::SandboxData = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(data.token_requestors.len(), 10);
    assert!(data.test_cards.iter().any(|c| c.account_number == QUINN_DECLINED));
}

#[tokio::test]
async fn the_sandbox_runs_alone_on_its_own_port() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = crate::helpers::test_settings(dir.path(), crate::helpers::Engine::Sqlite).await;
    settings.sandbox.port = 0;
    let setup = pushprov::startup::sandbox_setup(&settings, [7u8; 32]);
    let (port, server) = pushprov::sandbox::run_standalone(&setup).unwrap();
    tokio::spawn(server);
    let keys = pushprov::sandbox::SandboxKeys::ensure(&settings.sandbox.keys_dir(&settings.data_dir)).unwrap();
    let key = pushprov::mdes::keys::load_private_key_pem_file(&keys.issuer_signing.private_key).unwrap();
    let signer = pushprov::mdes::oauth::Signer::new(settings.sandbox.consumer_key.clone(), key);
    let base = format!("http://127.0.0.1:{port}/sandbox/mdes");
    let url = format!("{base}/connect/1/0/getEligibleTokenRequestors");
    let body = br#"{"requestId":"r","accountRanges":["535522010"]}"#;
    let resp = reqwest::Client::new()
        .post(&url)
        .header("authorization", signer.authorization_header("POST", &url, body).unwrap())
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let v: Value = resp.json().await.unwrap();
    let uri = v["tokenRequestors"][0]["availablePushMethods"][0]["uri"].as_str().unwrap().to_string();
    assert!(uri.starts_with(&format!("http://127.0.0.1:{port}/sandbox/tr/")), "{uri}");
    let jwks = reqwest::get(format!("{base}/jwks.json")).await.unwrap();
    assert_eq!(jwks.status().as_u16(), 200);
}

#[tokio::test]
async fn the_portals_own_mdes_client_is_accepted_by_the_mounted_sandbox() {
    use pushprov::mdes::model::{PushFundingAccount, SignatureData};
    let sbx = sandbox_app().await;
    let mut settings = sbx.app.settings.clone();
    settings.server.port = sbx.app.address.rsplit(':').next().unwrap().parse().unwrap();
    let client = pushprov::startup::mdes_client(&settings).unwrap();
    let eligible = client.get_eligible_token_requestors(&[CREDIT_RANGE.to_string()]).await.unwrap();
    assert_eq!(eligible.token_requestors.len(), 3, "wallet, shop, app-only: the others serve other ranges");
    let wallet = eligible.token_requestors.iter().find(|t| t.token_requestor_id == trid::WALLET).unwrap();
    assert!(wallet.covers_card(ALICE_APPROVED, &[CREDIT_RANGE.to_string()]));
    let asset = client.get_asset(wallet.image_asset_id.as_deref().unwrap()).await.unwrap();
    assert_eq!(asset.media_contents.len(), 2);
    let card = |id: &str, pan: &str| PushFundingAccount::card(id, pan, Some(("09", "29")));
    let push = pushprov::mdes::PushRequest::new(trid::WALLET, vec![card("a", ALICE_APPROVED), card("b", "2223000010034566")])
        .with_signature_data(SignatureData {
            callback_url: Some("http://127.0.0.1/callback/1".into()),
            locale: Some("en_GB".into()),
            ..Default::default()
        });
    let outcome = client.push_multiple_accounts(&push).await.unwrap();
    assert_eq!(outcome.receipts().len(), 1, "half a success: one receipt");
    assert_eq!(outcome.failures.len(), 1);
    assert_eq!(outcome.failures[0].errors[0].reason_code, "ACCOUNT_INELIGIBLE");
    let jwks = jwks(&sbx).await;
    jws::verify(outcome.response.signature.as_deref().unwrap(), &jwks).unwrap();
    // A recoverable MDES error reaches the client as such.
    let err = client
        .push_multiple_accounts(&pushprov::mdes::PushRequest::new(trid::WALLET, vec![card("c", "5204731600040409")]))
        .await
        .unwrap_err();
    assert!(err.recoverable(), "{err:?}");
}

#[test]
fn production_never_runs_the_sandbox() {
    let mut settings = pushprov::config::Settings::default();
    settings.demo.enabled = false;
    settings.session.cookie_key = Some("a".repeat(128).into());
    settings.database.account_number_key = Some("b".repeat(64).into());
    settings.token_events.secret = Some("c".repeat(64).into());
    assert!(!settings.sandbox.is_enabled(settings.demo.enabled), "off by default in production");
    settings.validate().expect("valid production settings");
    settings.sandbox.enabled = Some(true);
    assert_eq!(settings.validate().unwrap_err().setting, "sandbox.enabled");
}
