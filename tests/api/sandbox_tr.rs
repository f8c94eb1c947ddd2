//! The sandbox's demo token requestor pages (issue 4): the browser hand-off
//! of wire contract §7, each scenario's outcome, refusals, and token events (wire contract §8).

use std::collections::HashMap;
use std::time::Duration;

use pushprov::sandbox::data::trid;
use scraper::{Html, Selector};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::helpers::{location, texts_by_testid};
use crate::sandbox_helpers::{Sandbox, account, push_request, sandbox_app, sandbox_app_with};

const CALLBACK: &str = "https://bank.example/push/callback?ref=abc123";

/// Pushes the cards and returns the receipts and the TR URL the portal would open.
async fn hand_off(sbx: &Sandbox, trid: &str, pans: &[&str]) -> (Vec<String>, String) {
    let accounts = pans.iter().enumerate().map(|(i, p)| account(&format!("acc-{i}"), p)).collect();
    let a = sbx.push(push_request(trid, accounts)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let receipts: Vec<String> = a.body["pushAccountReceipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pushAccountReceipt"].as_str().unwrap_or_else(|| panic!("{e}")).to_string())
        .collect();
    let uri = a.body["availablePushMethods"][0]["uri"].as_str().unwrap();
    let url = tr_url(uri, &receipts.join(","), CALLBACK, a.body["signature"].as_str().unwrap());
    (receipts, url)
}

fn tr_url(uri: &str, receipts: &str, callback: &str, signature: &str) -> String {
    let mut url = reqwest::Url::parse(uri).unwrap();
    url.query_pairs_mut()
        .append_pair("pushAccountReceipts", receipts)
        .append_pair("callbackURL", callback)
        .append_pair("locale", "en_US")
        .append_pair("completeWebsiteActivation", "true")
        .append_pair("accountHolderDataSupplied", "false")
        .append_pair("signature", signature);
    url.to_string()
}

fn form_action(html: &str) -> String {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("form").unwrap();
    doc.select(&sel).next().and_then(|f| f.value().attr("action")).expect("a form").to_string()
}

struct Page {
    status: u16,
    html: String,
}

async fn get(sbx: &Sandbox, url: &str) -> Page {
    let r = sbx.app.client.get(url).send().await.unwrap();
    Page { status: r.status().as_u16(), html: r.text().await.unwrap() }
}

async fn post(sbx: &Sandbox, action: &str, form: &[(&str, &str)]) -> reqwest::Response {
    sbx.app.client.post(sbx.app.url(action)).form(form).send().await.unwrap()
}

/// Opens the TR page and signs in; returns the T&C page and its form action.
async fn sign_in(sbx: &Sandbox, url: &str) -> (Page, String) {
    let page = get(sbx, url).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(texts_by_testid(&page.html, "tr-sign-in-page").len(), 1);
    let action = form_action(&page.html);
    let r = post(sbx, &action, &[("step", "sign_in"), ("name", "Quinn")]).await;
    let page = Page { status: r.status().as_u16(), html: r.text().await.unwrap() };
    (page, action)
}

/// The statuses the TR appends to the callback URL.
fn outcome(location: &str) -> (Vec<String>, Vec<String>) {
    let rest = location.strip_prefix(CALLBACK).unwrap_or_else(|| panic!("not the callback: {location}"));
    let q: HashMap<String, String> = serde_urlencoded::from_str(rest.trim_start_matches('&')).unwrap();
    let split = |k: &str| q[k].split(',').map(str::to_string).collect::<Vec<_>>();
    (split("pushAccountReceipts"), split("status"))
}

#[tokio::test]
async fn accepting_at_the_tr_returns_each_cards_outcome_to_the_callback() {
    let sbx = sandbox_app().await;
    let pans = ["5204731600014792", "5204731600020203", "5204731600030301"];
    let (receipts, url) = hand_off(&sbx, trid::WALLET, &pans).await;
    let (terms, action) = sign_in(&sbx, &url).await;
    assert_eq!(terms.status, 200, "{}", terms.html);
    assert_eq!(texts_by_testid(&terms.html, "tr-card"), ["Card ending 4792", "Card ending 0203", "Card ending 0301"]);
    for pan in pans {
        assert!(!terms.html.contains(pan), "no full PAN on the TR's page");
    }
    let r = post(&sbx, &action, &[("step", "accept")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let (back, statuses) = outcome(&location(&r));
    assert_eq!(back, receipts);
    assert_eq!(statuses, ["APPROVED", "DECLINED", "REQUIRE_ADDITIONAL_AUTHENTICATION"]);
    // The journey is over; its page is gone. (Token events went to the portal's
    // /token-events, which may not exist: that is logged, not a failure.)
    let r = post(&sbx, &action, &[("step", "accept")]).await;
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn the_cardholder_can_cancel_or_decline_at_the_tr() {
    let sbx = sandbox_app().await;
    let (receipts, url) = hand_off(&sbx, trid::MERCHANT, &["5204731600014792"]).await;
    let page = get(&sbx, &url).await;
    assert_eq!(texts_by_testid(&page.html, "tr-cancel").len(), 1);
    let r = post(&sbx, &form_action(&page.html), &[("step", "cancel")]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(outcome(&location(&r)), (receipts, vec!["CANCELLED".to_string()]));

    let (receipts, url) = hand_off(&sbx, trid::MERCHANT, &["5204731600014792"]).await;
    let (terms, action) = sign_in(&sbx, &url).await;
    assert_eq!(texts_by_testid(&terms.html, "tr-decline").len(), 1);
    let r = post(&sbx, &action, &[("step", "decline")]).await;
    assert_eq!(outcome(&location(&r)), (receipts.clone(), vec!["DECLINED".to_string()]));

    let (receipts, url) = hand_off(&sbx, trid::MERCHANT, &["5204731600014792"]).await;
    let (_, action) = sign_in(&sbx, &url).await;
    let r = post(&sbx, &action, &[("step", "cancel")]).await;
    assert_eq!(outcome(&location(&r)), (receipts, vec!["CANCELLED".to_string()]));
}

#[tokio::test]
async fn a_tampered_query_gets_an_error_page_and_no_tokenization() {
    let sbx = sandbox_app().await;
    let a = sbx.push(push_request(trid::WALLET, vec![account("a", "5204731600014792"), account("b", "5355220100044175")])).await;
    let receipts: Vec<String> = a.body["pushAccountReceipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pushAccountReceipt"].as_str().unwrap().to_string())
        .collect();
    let uri = a.body["availablePushMethods"][0]["uri"].as_str().unwrap();
    let sig = a.body["signature"].as_str().unwrap();
    let mut bad_sig = sig.to_string();
    bad_sig.pop();
    bad_sig.push(if sig.ends_with('A') { 'B' } else { 'A' });
    for url in [
        tr_url(uri, &receipts.join(","), "https://evil.example/steal", sig),
        tr_url(uri, &receipts[0], CALLBACK, sig),
        tr_url(uri, &receipts.join(","), CALLBACK, &bad_sig),
        tr_url(uri, &receipts.join(","), CALLBACK, "not-a-jws"),
        tr_url(uri, &receipts.join(","), CALLBACK, sig)
            .replace("completeWebsiteActivation=true", "completeWebsiteActivation=false"),
        format!("{uri}?pushAccountReceipts={}", receipts.join(",")),
    ] {
        let page = get(&sbx, &url).await;
        assert_eq!(page.status, 400, "{url}");
        assert_eq!(texts_by_testid(&page.html, "tr-error").len(), 1, "{}", page.html);
        assert!(texts_by_testid(&page.html, "tr-sign-in").is_empty());
    }
    // The receipts were not spent: the genuine hand-off still works.
    let (terms, _) = sign_in(&sbx, &tr_url(uri, &receipts.join(","), CALLBACK, sig)).await;
    assert_eq!(texts_by_testid(&terms.html, "tr-card").len(), 2);
}

#[tokio::test]
async fn reused_expired_and_unknown_receipts_are_refused() {
    let sbx = sandbox_app().await;
    // Reused: a second visit with the same hand-off after the first redeemed it.
    let (_, url) = hand_off(&sbx, trid::WALLET, &["5204731600014792"]).await;
    let (terms, _) = sign_in(&sbx, &url).await;
    assert_eq!(terms.status, 200);
    let (refused, _) = sign_in(&sbx, &url).await;
    assert_eq!(refused.status, 410);
    assert_eq!(texts_by_testid(&refused.html, "tr-refused").len(), 1);
    assert!(texts_by_testid(&refused.html, "tr-message")[0].contains("already been used"));
    let back = Html::parse_document(&refused.html)
        .select(&Selector::parse("[data-testid=tr-return]").unwrap())
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .unwrap();
    assert!(back.ends_with("&status=ERROR"), "{back}");

    // Expired: the scenario card's receipt is issued with no validity left.
    let (_, url) = hand_off(&sbx, trid::WALLET, &["5355220100080807"]).await;
    let (refused, _) = sign_in(&sbx, &url).await;
    assert_eq!(refused.status, 410);
    assert!(texts_by_testid(&refused.html, "tr-message")[0].contains("expired"));

    // Unknown: a correctly signed hand-off naming a receipt MDES never issued.
    let key = pushprov::mdes::keys::load_private_key_pem_file(&sbx.keys.jws.private_key).unwrap();
    let jwks: pushprov::mdes::jws::Jwks = sbx.app.get("/sandbox/mdes/jwks.json").await.json().await.unwrap();
    let kid = jwks.keys[0].kid.clone().unwrap();
    let payload = pushprov::mdes::model::PushSignaturePayload {
        push_account_receipts: vec!["MCC-00000000-0000-0000-0000-000000000000".into()],
        callback_url: Some(CALLBACK.into()),
        complete_website_activation: Some(true),
        account_holder_data_supplied: Some(false),
        locale: Some("en_US".into()),
    };
    let sig = pushprov::mdes::jws::sign(&serde_json::to_vec(&payload).unwrap(), &key, &kid).unwrap();
    let uri = format!("{}/sandbox/tr/{}/push", sbx.app.address, trid::WALLET);
    let (refused, _) = sign_in(&sbx, &tr_url(&uri, "MCC-00000000-0000-0000-0000-000000000000", CALLBACK, &sig)).await;
    assert_eq!(refused.status, 410);
    assert!(texts_by_testid(&refused.html, "tr-message")[0].contains("not known"));

    // A receipt for one TR is unknown at another.
    let (receipts, _) = hand_off(&sbx, trid::WALLET, &["5204731600014792"]).await;
    let payload = pushprov::mdes::model::PushSignaturePayload { push_account_receipts: receipts.clone(), ..payload };
    let sig = pushprov::mdes::jws::sign(&serde_json::to_vec(&payload).unwrap(), &key, &kid).unwrap();
    let uri = format!("{}/sandbox/tr/{}/push", sbx.app.address, trid::HOSTILE);
    let (refused, _) = sign_in(&sbx, &tr_url(&uri, &receipts[0], CALLBACK, &sig)).await;
    assert_eq!(refused.status, 410);
}

#[tokio::test]
async fn the_hostile_trs_name_is_escaped_and_app_only_uris_open_in_a_browser() {
    let sbx = sandbox_app().await;
    let (_, url) = hand_off(&sbx, trid::HOSTILE, &[pushprov::demo::QA_SPEC_MINIMAL_CARD]).await;
    let page = get(&sbx, &url).await;
    assert_eq!(page.status, 200);
    assert!(!page.html.contains("<script>alert(1)"));
    assert!(texts_by_testid(&page.html, "tr-name")[0].contains("<script>alert(1)</script>"));
    let (_, url) = hand_off(&sbx, trid::APP_ONLY, &["5204731600014792"]).await;
    assert!(url.contains("/app/ios") || url.contains("/app/android"), "{url}");
    let (terms, _) = sign_in(&sbx, &url).await;
    assert_eq!(terms.status, 200);
}

/// An HTTP receiver standing in for the portal's `/token-events`; it answers
/// 404 to the first `refuse_first` requests (as the portal does before issue 6).
async fn event_receiver(
    refuse_first: usize,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<(HashMap<String, String>, Vec<u8>)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token-events", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        for n in 0.. {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (headers, body) = loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (HashMap::new(), Vec::new());
                }
                buf.extend_from_slice(&chunk[..n]);
                let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let headers: HashMap<String, String> = head
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    break (headers, buf[end + 4..end + 4 + len].to_vec());
                }
            };
            if n < refuse_first {
                let _ = sock.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                continue;
            }
            let _ = sock.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
            let _ = tx.send((headers, body));
        }
    });
    (url, rx)
}

#[tokio::test]
async fn token_events_are_posted_signed_with_the_shared_secret_and_retried() {
    // The first delivery is refused: the sandbox retries instead of losing the event.
    let (url, mut events) = event_receiver(1).await;
    let sbx = sandbox_app_with(|s| s.sandbox.token_events_url = Some(url)).await;
    let (receipts, tr) = hand_off(&sbx, trid::WALLET, &["5204731600014792", "5204731600020203"]).await;
    let (_, action) = sign_in(&sbx, &tr).await;
    let r = post(&sbx, &action, &[("step", "accept")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let secret = pushprov::secrets::Secrets::resolve(&sbx.app.settings).unwrap().token_event_key;
    let mut got = HashMap::new();
    for _ in 0..2 {
        let (headers, body) = tokio::time::timeout(Duration::from_secs(5), events.recv()).await.expect("an event").unwrap();
        let now = pushprov::mdes::oauth::now_secs() as i64;
        pushprov::token_events::verify(
            &secret,
            headers.get("x-pushprov-timestamp").map(String::as_str),
            headers.get("x-pushprov-signature").map(String::as_str),
            &body,
            now,
            300,
        )
        .expect("correctly signed event");
        let event: pushprov::token_events::TokenEvent = serde_json::from_slice(&body).unwrap();
        got.insert(event.push_account_receipt.clone(), event);
    }
    let approved = &got[&receipts[0]];
    assert_eq!(approved.status, "ACTIVE");
    assert!(approved.token_unique_reference.is_some());
    assert_eq!(got[&receipts[1]].status, "DECLINED");
    let _: Value = serde_json::to_value(approved).unwrap();
}
