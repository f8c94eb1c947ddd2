//! `MdesClient` against a local stand-in that verifies every signature: each answer shape of
//! wire contract §6 becomes the right typed error, and the retry rules hold.

use std::time::Duration;

use pushprov::mdes::model::{PushFundingAccount, SignatureData};
use pushprov::mdes::{MdesClientError, PushRequest};
use serde_json::json;

use crate::mdes_helpers::{self as h, Reply, json};

const TRID: &str = "50123197928";

fn card(id: &str, pan: &str) -> PushFundingAccount {
    PushFundingAccount::card(id, pan, Some(("12", "29")))
}

fn push(accounts: Vec<PushFundingAccount>) -> PushRequest {
    PushRequest::new(TRID, accounts).with_signature_data(SignatureData {
        callback_url: Some("https://bank.example/provisioning/return/abc".into()),
        locale: Some("en_US".into()),
        complete_website_activation: Some(true),
        account_holder_data_supplied: Some(false),
        ..Default::default()
    })
}

fn ranges() -> Vec<String> {
    vec!["522222222".into(), "545454545".into()]
}

fn receipts_body(entries: serde_json::Value) -> serde_json::Value {
    json!({"responseId": "resp-1", "pushAccountReceipts": entries,
           "availablePushMethods": [{"type": "WEB", "uri": "https://wallet.example/push"}],
           "signature": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "tokenRequestorSignatureSupport": true})
}

#[tokio::test]
async fn eligibility_200_is_parsed_and_the_request_is_signed() {
    let mdes = h::start(|req, _| {
        assert_eq!(req.path, "/mdes/connect/1/0/getEligibleTokenRequestors");
        json(
            200,
            json!({"responseId": "r", "tokenRequestors": [{
            "tokenRequestorId": TRID, "name": "Legal", "consumerFacingEntityName": "Demo Wallet",
            "tokenRequestorType": "WALLET", "enabledAccountRanges": [5222222220000000000u64],
            "availablePushMethods": [{"type": "WEB", "uri": "https://wallet.example/push"}],
            "supportedPushMethods": ["WEB"], "futureField": {"x": 1}}]}),
        )
    });
    let resp = h::client(&mdes.base_url).get_eligible_token_requestors(&ranges()).await.unwrap();
    assert_eq!(resp.token_requestors[0].consumer_facing_entity_name, "Demo Wallet");
    assert!(resp.token_requestors[0].has_enabled_range("522222222"));
    let req = mdes.last();
    assert!(req.signature_ok, "the stand-in verified our OAuth signature");
    let sent: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(sent["accountRanges"], json!(["522222222", "545454545"]));
    assert_eq!(req.request_id.as_deref().map(str::len), Some(36));
}

#[tokio::test]
async fn eligibility_200_with_errors_is_an_error() {
    let mdes = h::start(|_, _| {
        json(
            200,
            json!({"responseId": "r", "tokenRequestors": [], "errors": [{"source": "MDES", "reasonCode": "AUTHORIZATION_FAILED", "recoverable": false}]}),
        )
    });
    let err = h::client(&mdes.base_url).get_eligible_token_requestors(&ranges()).await.unwrap_err();
    assert!(matches!(err, MdesClientError::Mdes { status: 200, .. }), "{err:?}");
    assert_eq!(err.reason_code(), Some("AUTHORIZATION_FAILED"));
    assert!(!err.recoverable());
}

#[tokio::test]
async fn eligibility_200_with_errors_beside_token_requestors_keeps_them() {
    let mdes = h::start(|_, _| {
        json(
            200,
            json!({"responseId": "r", "tokenRequestors": [
                {"tokenRequestorId": TRID, "name": "Legal", "consumerFacingEntityName": "Kept",
                 "tokenRequestorType": "WALLET", "enabledAccountRanges": [5222222220000000000u64]},
                {"tokenRequestorId": "50123197929", "name": "Legal", "consumerFacingEntityName": "Malformed",
                 "tokenRequestorType": "WALLET", "enabledAccountRanges": "5222222220000000000"}],
              "errors": [{"source": "MDES", "reasonCode": "SYSTEM_ERROR", "recoverable": true}]}),
        )
    });
    let resp = h::client(&mdes.base_url).get_eligible_token_requestors(&ranges()).await.unwrap();
    assert_eq!(resp.token_requestors.len(), 1);
    assert_eq!(resp.token_requestors[0].consumer_facing_entity_name, "Kept");
    assert_eq!(resp.errors[0].reason_code, "SYSTEM_ERROR");
    assert_eq!(resp.skipped, [(Some("50123197929".to_string()), "enabledAccountRanges a string instead of a list".to_string())]);
}

#[tokio::test]
async fn eligibility_200_without_a_usable_list_is_an_invalid_response() {
    for body in [
        json!({"responseId": "r"}),
        json!({"responseId": "r", "tokenRequestors": null}),
        json!({"responseId": "r", "tokenRequestors": "none"}),
        json!({"responseId": "r", "tokenRequestors": [{"name": "no id"}]}),
    ] {
        let answer = body.clone();
        let mdes = h::start(move |_, _| json(200, answer.clone()));
        let err = h::client(&mdes.base_url).get_eligible_token_requestors(&ranges()).await.unwrap_err();
        assert!(matches!(err, MdesClientError::InvalidResponse { status: 200, .. }), "{body}: {err:?}");
    }
    // An empty list is an answer: no TR is enabled for these ranges.
    let mdes = h::start(|_, _| json(200, json!({"responseId": "r", "tokenRequestors": []})));
    let resp = h::client(&mdes.base_url).get_eligible_token_requestors(&ranges()).await.unwrap();
    assert!(resp.token_requestors.is_empty() && resp.listed);
}

/// `mdes.fingerprint` set to the value Mastercard Developers shows for the key: every
/// encrypted payload carries exactly that value.
#[tokio::test]
async fn a_literal_fingerprint_is_sent_exactly_as_configured() {
    let mdes = h::start(|req, _| {
        let id = h::decrypt_push(&req.body)[0]["pushAccountId"].as_str().unwrap().to_owned();
        json(200, receipts_body(json!([{"pushAccountId": id, "pushAccountReceipt": "MCC-STL-1"}])))
    });
    let mut settings = h::settings(&mdes.base_url);
    // The certificate's SHA-256 as the key page shows it (upper case).
    let key =
        pushprov::mdes::keys::load_encryption_key("mdes.encryption_certificate_path", &settings.encryption_certificate_path)
            .unwrap();
    let copied = key.certificate_fingerprint.clone().unwrap().to_uppercase();
    settings.fingerprint = pushprov::mdes::encryption::FingerprintMode::parse(&copied);
    let client = pushprov::mdes::MdesClient::from_settings(&settings).unwrap();
    client.push_multiple_accounts(&push(vec![card("A1", "5123456789012345")])).await.unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&mdes.last().body).unwrap();
    assert_eq!(sent["pushFundingAccounts"]["encryptedPayload"]["publicKeyFingerprint"], copied.as_str());
    // Another key's SHA-256: refused when the client is built, not at every push.
    settings.fingerprint = pushprov::mdes::encryption::FingerprintMode::parse(&"AB".repeat(32));
    assert!(pushprov::mdes::MdesClient::from_settings(&settings).is_err());
}

#[tokio::test]
async fn push_200_sends_encrypted_accounts_and_returns_receipts() {
    let mdes = h::start(|req, _| {
        let accounts = h::decrypt_push(&req.body);
        let ids: Vec<&str> = accounts.as_array().unwrap().iter().map(|a| a["pushAccountId"].as_str().unwrap()).collect();
        let entries: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| json!({"pushAccountId": id, "pushAccountReceipt": format!("MCC-STL-{i}")}))
            .collect();
        json(200, receipts_body(json!(entries)))
    });
    let out = h::client(&mdes.base_url)
        .push_multiple_accounts(&push(vec![card("A1", "5123456789012345"), card("A2", "5454545454545454")]))
        .await
        .unwrap();
    assert_eq!(out.receipts(), vec![("A1", "MCC-STL-0"), ("A2", "MCC-STL-1")]);
    assert!(out.failures.is_empty());
    assert_eq!(out.attempts, 1);
    let req = mdes.last();
    assert!(req.signature_ok);
    assert_eq!(req.request_id.as_deref(), Some(out.request_id.as_str()));
    assert!(!String::from_utf8_lossy(&req.body).contains("5123456789012345"), "PAN only inside the encrypted payload");
    let accounts = h::decrypt_push(&req.body);
    assert_eq!(accounts[0]["fundingAccountData"]["cardAccountData"]["accountNumber"], "5123456789012345");
    let sent: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(sent["tokenRequestorId"], TRID);
    assert_eq!(sent["signatureData"]["callbackURL"], "https://bank.example/provisioning/return/abc");
    assert_eq!(sent["pushFundingAccounts"]["encryptedPayload"]["oaepHashingAlgorithm"], "SHA512");
}

#[tokio::test]
async fn push_with_per_account_errors_half_succeeds_or_fails_whole() {
    let mdes = h::start(|req, _| {
        let n = h::decrypt_push(&req.body).as_array().unwrap().len();
        let failing = json!({"pushAccountId": "A2", "errors": [{"source": "MDES", "reasonCode": "ACCOUNT_INELIGIBLE", "recoverable": false}]});
        if n == 2 {
            json(200, receipts_body(json!([{"pushAccountId": "A1", "pushAccountReceipt": "MCC-STL-1"}, failing])))
        } else {
            json(
                200,
                json!({"responseId": "r", "pushAccountReceipts": [{"pushAccountId": "A1", "errors": [{"reasonCode": "ACCOUNT_INELIGIBLE", "recoverable": true}]}]}),
            )
        }
    });
    let client = h::client(&mdes.base_url);
    let half =
        client.push_multiple_accounts(&push(vec![card("A1", "5123456789012345"), card("A2", "5123456789012346")])).await.unwrap();
    assert_eq!(half.receipts(), vec![("A1", "MCC-STL-1")]);
    assert_eq!(half.failures.len(), 1);
    assert_eq!(half.failures[0].push_account_id, "A2");
    assert_eq!(half.failures[0].errors[0].reason_code, "ACCOUNT_INELIGIBLE");
    assert!(!half.failures[0].recoverable());

    let err = client.push_multiple_accounts(&push(vec![card("A1", "5123456789012345")])).await.unwrap_err();
    assert!(
        matches!(&err, MdesClientError::AllAccountsFailed { failures, .. } if failures[0].push_account_id == "A1"),
        "{err:?}"
    );
    assert_eq!(err.reason_code(), Some("ACCOUNT_INELIGIBLE"));
    assert!(err.recoverable());
}

#[tokio::test]
async fn error_wrapper_400_carries_reason_and_recoverable() {
    let mdes = h::start(|_, _| {
        json(
            400,
            json!({"responseId": "5d", "errors": [{"source": "INPUT", "reasonCode": "INVALID_FIELD_LENGTH", "description": "Invalid Field Length - x", "errorCode": "1234", "recoverable": false}]}),
        )
    });
    let err = h::client(&mdes.base_url).push_multiple_accounts(&push(vec![card("A1", "5123456789012345")])).await.unwrap_err();
    match &err {
        MdesClientError::Mdes { status, response_id, errors } => {
            assert_eq!((*status, response_id.as_deref()), (400, Some("5d")));
            assert_eq!(errors[0].error_code.as_deref(), Some("1234"));
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(err.reason_code(), Some("INVALID_FIELD_LENGTH"));
    assert!(!err.recoverable());
    assert_eq!(mdes.hits(), 1);
}

#[tokio::test]
async fn gateway_401_when_the_signature_is_wrong() {
    // The stand-in's verifier, not a script, refuses: the client signs with another key.
    let mdes = h::start(|_, _| json(200, json!({"tokenRequestors": []})));
    let err = h::client_with_wrong_signing_key(&mdes.base_url).get_eligible_token_requestors(&ranges()).await.unwrap_err();
    assert!(matches!(&err, MdesClientError::Gateway { status: 401, .. }), "{err:?}");
    assert_eq!(err.reason_code(), Some("AUTHENTICATION_FAILED"));
    assert!(!err.recoverable());
    assert!(err.to_string().contains("AUTHENTICATION_FAILED"));
    assert_eq!(mdes.hits(), 1, "4xx is not retried");
}

#[tokio::test]
async fn gateway_400_invalid_body_hash_when_the_body_changes_in_transit() {
    let mdes = h::start_with(h::Gateway { alter_body: true }, |_, _| json(200, json!({})));
    let err = h::client(&mdes.base_url).push_multiple_accounts(&push(vec![card("A1", "5123456789012345")])).await.unwrap_err();
    assert!(matches!(&err, MdesClientError::Gateway { status: 400, .. }), "{err:?}");
    assert_eq!(err.reason_code(), Some("INVALID_BODY_HASH"));
}

#[tokio::test]
async fn server_errors_retry_reads_but_never_a_push() {
    let mdes = h::start(|_, n| {
        if n < 3 {
            json(503, json!({}))
        } else {
            json(200, json!({"mediaContents": [{"type": "image/png", "data": "iVBORw0KGgo=", "height": "192", "width": "192"}]}))
        }
    });
    let client = h::client(&mdes.base_url);
    let asset = client.get_asset("3789637f-32a1-4810-a138-4bf34501c509").await.unwrap();
    assert_eq!(asset.media_contents[0].media_type, "image/png");
    assert_eq!(mdes.hits(), 3, "two retries, then success");
    assert_eq!(mdes.last().path, "/mdes/issuer-assets/1/0/asset/tokenrequestor/3789637f-32a1-4810-a138-4bf34501c509");
    assert_eq!(mdes.last().method, "GET");
    assert!(mdes.last().signature_ok);

    let always_500 = h::start(|_, _| json(500, json!({})));
    let err =
        h::client(&always_500.base_url).push_multiple_accounts(&push(vec![card("A1", "5123456789012345")])).await.unwrap_err();
    assert!(matches!(err, MdesClientError::Http { status: 500, .. }), "{err:?}");
    assert!(err.recoverable());
    // The stand-in counts a request before it answers, and a retry would
    // have been made before the error came back: the count is final.
    assert_eq!(always_500.hits(), 1, "a push that reached MDES is never repeated");

    let err = h::client(&always_500.base_url).get_eligible_token_requestors(&ranges()).await.unwrap_err();
    assert!(matches!(err, MdesClientError::Http { status: 500, .. }));
    assert_eq!(always_500.hits(), 1 + 3, "reads: 1 + 2 retries");
}

fn raw_http(status: &str, content_type: &str, body: &str) -> Reply {
    Reply::Raw(format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
}

#[tokio::test]
async fn html_error_pages_and_truncated_json_are_typed_errors() {
    let mdes = h::start(|req, _| {
        match req.path.rsplit('/').next().unwrap() {
        "html502" => raw_http("502 Bad Gateway", "text/html", "<html><body>502 Bad Gateway</body></html>\r\n"),
        "html200" => raw_http("200 OK", "text/html", "<!DOCTYPE html><p>Please sign in</p>\r\n"),
        "truncated" => Reply::Json(200, "{\"mediaContents\":[{\"type\":\"image/png\",\"da".into()),
        "cut" => Reply::Raw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{\"mediaContents\":[".into()),
        _ => json(404, json!({})),
    }
    });
    let client = h::client(&mdes.base_url);
    let err = client.get_asset("html502").await.unwrap_err();
    assert!(matches!(err, MdesClientError::Http { status: 502, detail: "HTML error page" }), "{err:?}");
    let err = client.get_asset("html200").await.unwrap_err();
    assert!(matches!(&err, MdesClientError::InvalidResponse { status: 200, detail } if detail.contains("HTML")), "{err:?}");
    let err = client.get_asset("truncated").await.unwrap_err();
    assert!(matches!(&err, MdesClientError::InvalidResponse { status: 200, detail } if detail.contains("truncated")), "{err:?}");
    let err = client.get_asset("cut").await.unwrap_err();
    assert!(matches!(&err, MdesClientError::InvalidResponse { .. }), "{err:?}");
    let err = client.get_asset("other").await.unwrap_err();
    assert!(matches!(err, MdesClientError::Http { status: 404, .. }), "{err:?}");
}

#[tokio::test]
async fn timeouts_are_typed_and_a_timed_out_push_is_not_repeated() {
    // A stand-in far slower than the client's (short) request timeout.
    let mdes = h::start(|_, _| Reply::After(Duration::from_millis(1_500), Box::new(json(200, json!({})))));
    let quick = pushprov::mdes::MdesSettings { request_timeout_ms: 200, ..h::settings(&mdes.base_url) };
    let client = pushprov::mdes::MdesClient::from_settings(&quick).unwrap();
    let err = client.push_multiple_accounts(&push(vec![card("A1", "5123456789012345")])).await.unwrap_err();
    assert!(matches!(err, MdesClientError::Timeout), "{err:?}");
    assert!(err.recoverable());
    // Counted on arrival; a retry would have come before the error.
    assert_eq!(mdes.hits(), 1);
}

#[tokio::test]
async fn connection_refused_is_typed_and_a_push_is_retried_with_the_same_request_id() {
    // Nothing listens: reads give up after their retries with Connect.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/mdes", gone.local_addr().unwrap());
    drop(gone);
    let err = h::client(&base).get_eligible_token_requestors(&ranges()).await.unwrap_err();
    assert!(matches!(err, MdesClientError::Connect), "{err:?}");
    assert!(err.recoverable());

    // MDES comes up while the client backs off: the push goes through on the second attempt,
    // byte-identical, with the requestId it was built with.
    let mdes = h::start_later(Duration::from_millis(150), |req, _| {
        let id = h::decrypt_push(&req.body)[0]["pushAccountId"].as_str().unwrap().to_owned();
        json(200, receipts_body(json!([{"pushAccountId": id, "pushAccountReceipt": "MCC-STL-9"}])))
    });
    let mut s = h::settings(&mdes.base_url);
    s.retry_backoff_ms = 600;
    let client = pushprov::mdes::MdesClient::from_settings(&s).unwrap();
    let out = client.push_multiple_accounts(&push(vec![card("A1", "5123456789012345")])).await.unwrap();
    assert_eq!(out.attempts, 2);
    assert_eq!(mdes.hits(), 1);
    assert_eq!(mdes.last().request_id.as_deref(), Some(out.request_id.as_str()));
    assert!(mdes.last().signature_ok);
}

#[tokio::test]
async fn invalid_requests_are_refused_before_sending() {
    let mdes = h::start(|_, _| json(200, json!({})));
    let client = h::client(&mdes.base_url);
    let six = (0..6).map(|i| card(&format!("A{i}"), "5123456789012345")).collect();
    let err = client.push_multiple_accounts(&push(six)).await.unwrap_err();
    assert_eq!(err.reason_code(), Some("INVALID_FIELD_VALUE"));
    let err = client.push_multiple_accounts(&PushRequest::new("123", vec![card("A", "5123456789012345")])).await.unwrap_err();
    assert_eq!(err.reason_code(), Some("INVALID_FIELD_LENGTH"));
    let err = client.get_eligible_token_requestors(&["1234".into()]).await.unwrap_err();
    assert!(matches!(err, MdesClientError::InvalidRequest(_)));
    let err = client.get_asset("../../connect/1/0/pushMultipleAccounts").await.unwrap_err();
    assert!(matches!(err, MdesClientError::InvalidRequest(_)));
    assert_eq!(mdes.hits(), 0);
}
