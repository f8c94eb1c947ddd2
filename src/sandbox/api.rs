//! The MDES side of the sandbox: Mastercard's gateway checks (OAuth 1.0a
//! signature, body hash, timestamp, nonce) and the Token Connect operations,
//! answering with the shapes and reason codes of wire contract §2 and §6.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use serde::Serialize;

use super::data::{SandboxData, Scenario};
use super::state::{Receipt, SandboxState};
use crate::mdes::inbound;
use crate::mdes::jws;
use crate::mdes::model::{
    AssetResponse, ErrorWrapper, GatewayError, GatewayErrorResponse, GatewayErrors, GetEligibleTokenRequestorsResponse,
    MdesError, MediaContent, PushAccountReceiptEntry, PushAccountResponse, PushMultipleAccountsResponse, PushSignaturePayload,
    mask, pad_range,
};
use crate::mdes::oauth::{self, OAuthError};

fn json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => HttpResponse::build(status).content_type("application/json").body(bytes),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

fn response_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The gateway's error shape (capitalised keys), as Mastercard sends it.
pub fn gateway_error(status: StatusCode, reason: &str, description: String) -> HttpResponse {
    json(
        status,
        &GatewayErrorResponse {
            errors: GatewayErrors {
                error: vec![GatewayError {
                    source: Some("Gateway".into()),
                    reason_code: reason.into(),
                    description: Some(description),
                    recoverable: Some(false),
                    details: None,
                }],
            },
        },
    )
}

/// A Token Connect `ErrorWrapper`.
pub fn mdes_errors(status: StatusCode, errors: Vec<MdesError>) -> HttpResponse {
    json(status, &ErrorWrapper { response_id: Some(response_id()), errors })
}

fn input_error(reason: &str, description: &str) -> MdesError {
    MdesError {
        source: Some("INPUT".into()),
        reason_code: reason.into(),
        description: Some(description.into()),
        error_code: None,
        recoverable: Some(false),
    }
}

/// MDES API requests that reached the sandbox (every one passes `authenticate`), process-wide.
/// Read by the benchmark (`benches/journey.rs`) to prove page views make no MDES call.
pub static MDES_REQUESTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// What Mastercard's gateway checks before the API sees the request. The
/// error is the finished response, returned as is (never moved around much).
#[allow(clippy::result_large_err)]
fn authenticate(state: &SandboxState, req: &HttpRequest, body: &[u8]) -> Result<(), HttpResponse> {
    MDES_REQUESTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let auth_failed = |d: String| gateway_error(StatusCode::UNAUTHORIZED, "AUTHENTICATION_FAILED", d);
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| auth_failed("Missing or unreadable OAuth Authorization header".into()))?;
    let parsed = oauth::parse_authorization_header(header).map_err(|e| auth_failed(format!("Malformed OAuth header: {e}")))?;
    if parsed.params.consumer_key != state.settings.consumer_key {
        return Err(auth_failed("Unknown oauth_consumer_key".into()));
    }
    let now = oauth::now_secs();
    oauth::check_freshness(&parsed.params, now, state.settings.oauth_max_skew_secs).map_err(|e| match e {
        OAuthError::Stale => auth_failed("oauth_timestamp is outside the accepted window".into()),
        other => auth_failed(format!("{other}")),
    })?;
    // The URL the caller signed: our public origin plus the path and query it asked for.
    let path = req.uri().path_and_query().map_or_else(|| req.path().to_string(), |p| p.as_str().to_string());
    let url = format!("{}{path}", state.public_origin);
    oauth::verify_request(&parsed, req.method().as_str(), &url, body, &state.issuer_key).map_err(|e| match e {
        OAuthError::BodyHashMismatch { calculated, received } => gateway_error(
            StatusCode::BAD_REQUEST,
            "INVALID_BODY_HASH",
            format!(
                "The provided oauth_body_hash does not match the SHA256 hash of the request payload. \
                 Calculated: {calculated}, Received: {received}"
            ),
        ),
        OAuthError::BadSignature { base_string } => {
            auth_failed(format!("OAuth signatures did not match. Acceptable signature base string: {base_string}"))
        }
        other => auth_failed(format!("{other}")),
    })?;
    // Only a verified request spends its nonce: nobody can burn the issuer's nonces.
    if !state.use_nonce(format!("{}\u{0}{}", parsed.params.consumer_key, parsed.params.nonce), now) {
        return Err(auth_failed("oauth_nonce has already been used".into()));
    }
    Ok(())
}

pub async fn jwks(state: web::Data<SandboxState>) -> HttpResponse {
    json(StatusCode::OK, &state.jwks)
}

pub async fn eligibility(state: web::Data<SandboxState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(r) = authenticate(&state, &req, &body) {
        return r;
    }
    let request = match inbound::receive_eligibility(&body) {
        Ok(r) => r,
        Err(e) => return mdes_errors(StatusCode::BAD_REQUEST, vec![e]),
    };
    // MDES right-pads each range to 19 digits and needs an exact match.
    let asked: Vec<u64> = request.account_ranges.iter().filter_map(|r| pad_range(r)).collect();
    let token_requestors = state
        .data
        .token_requestors
        .iter()
        .map(|tr| SandboxData::to_wire(tr, &state.site_base))
        .filter(|tr| tr.enabled_account_ranges.iter().any(|r| asked.contains(r)))
        .collect();
    // The spec: "responseId … matching the requestId supplied in the request".
    let answer = GetEligibleTokenRequestorsResponse {
        response_id: Some(request.request_id.clone()),
        token_requestors,
        errors: Vec::new(),
    };
    let extras: Vec<_> =
        state.data.eligibility_extras.iter().filter(|e| pad_range(&e.range).is_some_and(|r| asked.contains(&r))).collect();
    if extras.is_empty() {
        return json(StatusCode::OK, &answer);
    }
    // What a typed answer cannot say: raw errors and malformed entries.
    let mut value = serde_json::to_value(&answer).unwrap_or_default();
    for extra in extras {
        if let Some(list) = value.get_mut("tokenRequestors").and_then(|v| v.as_array_mut()) {
            list.extend(extra.token_requestors.iter().cloned());
        }
        let errors = value.as_object_mut().map(|o| o.entry("errors").or_insert_with(|| serde_json::json!([])));
        if let Some(list) = errors.and_then(|v| v.as_array_mut()) {
            list.extend(extra.errors.iter().cloned());
        }
    }
    json(StatusCode::OK, &value)
}

pub async fn asset(state: web::Data<SandboxState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Err(r) = authenticate(&state, &req, b"") {
        return r;
    }
    let Some(tr) = state.data.token_requestors.iter().find(|t| t.image_asset_id == *path) else {
        return mdes_errors(StatusCode::NOT_FOUND, vec![input_error("INVALID_FIELD_VALUE", "Unknown AssetId")]);
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let color = super::png::parse_color(&tr.logo.color).unwrap_or([128, 128, 128]);
    let svg = tr.logo.svg.clone().unwrap_or_else(|| super::png::logo_svg(&tr.logo.color));
    let size = Some(super::png::SIZE.to_string());
    json(
        StatusCode::OK,
        &AssetResponse {
            media_contents: vec![
                MediaContent { media_type: "image/svg+xml".into(), data: b64.encode(svg), height: None, width: None },
                MediaContent {
                    media_type: "image/png".into(),
                    data: b64.encode(super::png::logo_png_cached(color).as_slice()),
                    height: size.clone(),
                    width: size,
                },
            ],
        },
    )
}

pub async fn push_multiple_accounts(state: web::Data<SandboxState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(r) = authenticate(&state, &req, &body) {
        return r;
    }
    // A push to the singular name (pushAccount's field) is not this API's JSON (wire contract §3).
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
        && v.get("pushFundingAccount").is_some()
        && v.get("pushFundingAccounts").is_none()
    {
        return mdes_errors(
            StatusCode::BAD_REQUEST,
            vec![input_error("INVALID_JSON", "pushFundingAccount is not a field of pushMultipleAccounts")],
        );
    }
    match push(&state, &body).await {
        Ok(response) => json(StatusCode::OK, &response),
        Err(r) => r,
    }
}

/// The deprecated single-account push: `pushFundingAccount` holds the
/// encrypted one-item array; answered with one `pushAccountReceipt`.
pub async fn push_account(state: web::Data<SandboxState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(r) = authenticate(&state, &req, &body) {
        return r;
    }
    let mut value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ => return mdes_errors(StatusCode::BAD_REQUEST, vec![input_error("INVALID_JSON", "Request body is not a JSON object")]),
    };
    let Some(single) = value.as_object_mut().and_then(|o| o.remove("pushFundingAccount")) else {
        return mdes_errors(
            StatusCode::BAD_REQUEST,
            vec![input_error("MISSING_REQUIRED_FIELD", "Missing Required Field - pushFundingAccount")],
        );
    };
    value["pushFundingAccounts"] = single;
    let Ok(rewritten) = serde_json::to_vec(&value) else {
        return HttpResponse::InternalServerError().finish();
    };
    match push(&state, &rewritten).await {
        Ok(r) => {
            let mut errors = r.errors;
            errors.extend(r.push_account_receipts.iter().flat_map(|e| e.errors.clone()));
            json(
                StatusCode::OK,
                &PushAccountResponse {
                    response_id: r.response_id,
                    push_account_receipt: r.push_account_receipts.into_iter().find_map(|e| e.push_account_receipt),
                    available_push_methods: r.available_push_methods,
                    errors,
                },
            )
        }
        Err(r) => r,
    }
}

/// Decrypts, validates and answers a push; `Err` is a complete error response.
async fn push(state: &SandboxState, body: &[u8]) -> Result<PushMultipleAccountsResponse, HttpResponse> {
    let bad = |e: MdesError| mdes_errors(StatusCode::BAD_REQUEST, vec![e]);
    let received = inbound::receive_push(body, &state.decryption_key).map_err(bad)?;
    if !state.fingerprints.contains(&received.fingerprint.to_ascii_lowercase()) {
        return Err(bad(input_error("CRYPTOGRAPHY_ERROR", "publicKeyFingerprint does not name this sandbox's encryption key")));
    }
    let request = &received.request;
    let trid = request.token_requestor_id.as_str();
    let Some(tr) = state.data.token_requestor(trid) else {
        return Err(bad(input_error("INVALID_FIELD_VALUE", "Invalid Field Value - tokenRequestorId is not known")));
    };
    if received.accounts.len() > 1 && !tr.supports_multiple_pushed_cards {
        return Err(bad(input_error(
            "INVALID_FIELD_VALUE",
            "Invalid Field Value - this token requestor does not support multiple pushed cards",
        )));
    }
    let numbers: Vec<String> = received
        .accounts
        .iter()
        .map(|a| {
            let f = &a.funding_account_data;
            f.card_account_data
                .as_ref()
                .map(|c| c.account_number.clone())
                .or_else(|| f.financial_account_data.as_ref().map(|d| d.financial_account_id.clone()))
                .unwrap_or_default()
        })
        .collect();
    let scenarios: Vec<Scenario> = numbers.iter().map(|n| state.data.scenario_for(n)).collect();
    tracing::info!(
        token_requestor_id = trid,
        accounts = ?numbers.iter().map(|n| mask(n)).collect::<Vec<_>>(),
        ?scenarios,
        "sandbox pushMultipleAccounts"
    );
    if scenarios.contains(&Scenario::MdesUnavailable) {
        return Err(mdes_errors(
            StatusCode::SERVICE_UNAVAILABLE,
            vec![MdesError {
                source: Some("MDES".into()),
                reason_code: "SERVICE_UNAVAILABLE".into(),
                description: Some("MDES is temporarily unavailable".into()),
                error_code: None,
                recoverable: Some(true),
            }],
        ));
    }
    if scenarios.contains(&Scenario::SlowMdes) {
        tokio::time::sleep(std::time::Duration::from_millis(state.settings.slow_delay_ms)).await;
    }
    let now = oauth::now_secs();
    let validity_secs = u64::from(request.push_account_receipts_validity_period.unwrap_or(15)) * 60;
    let (this_year, this_month) = {
        let today = time::OffsetDateTime::now_utc();
        (today.year(), u8::from(today.month()))
    };
    let mut entries = Vec::new();
    let mut issued = Vec::new();
    for ((account, number), scenario) in received.accounts.iter().zip(&numbers).zip(&scenarios) {
        let mut entry = PushAccountReceiptEntry { push_account_id: account.push_account_id.clone(), ..Default::default() };
        let expired = account.funding_account_data.card_account_data.as_ref().is_some_and(|c| {
            match (c.expiry_month.as_deref().map(str::parse::<u8>), c.expiry_year.as_deref().map(str::parse::<i32>)) {
                (Some(Ok(m)), Some(Ok(y))) => (2000 + y, m) < (this_year, this_month),
                _ => false,
            }
        });
        let error = if !SandboxData::covers(tr, number) {
            Some(mdes_error("ACCOUNT_INELIGIBLE", "The account is not eligible for this token requestor", false))
        } else if expired {
            Some(input_error("INVALID_FIELD_VALUE", "Invalid Field Value - the card has expired"))
        } else {
            match scenario {
                Scenario::MdesErrorRecoverable => {
                    Some(mdes_error("SERVICE_UNAVAILABLE", "Temporary MDES error, try again", true))
                }
                Scenario::MdesErrorNotRecoverable => {
                    Some(mdes_error("AUTHORIZATION_FAILED", "The push was not authorized", false))
                }
                _ => None,
            }
        };
        match error {
            Some(e) => entry.errors.push(e),
            None => {
                let id = format!("MCC-{}", uuid::Uuid::new_v4());
                let valid_for = if *scenario == Scenario::ReceiptExpired {
                    state.settings.expired_receipt_validity_secs
                } else {
                    validity_secs
                };
                let receipt = Receipt {
                    token_requestor_id: trid.to_string(),
                    last4: number.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect(),
                    scenario: *scenario,
                    expires_at: now + valid_for,
                    redeemed: false,
                };
                if state.issue_receipt(id.clone(), receipt, now) {
                    if tr.issuer_initiated_digitization && request.request_issuer_initiated_digitization_data == Some(true) {
                        // What real MDES gives: base64 of a fundingAccountInfo object.
                        let info = serde_json::json!({ "fundingAccountInfo": { "pushAccountReceipt": id } });
                        entry.issuer_initiated_digitization_data =
                            Some(base64::engine::general_purpose::STANDARD.encode(info.to_string()));
                    }
                    entry.push_account_receipt = Some(id.clone());
                    issued.push(id);
                } else {
                    entry.errors.push(mdes_error("SERVICE_UNAVAILABLE", "Too many receipts outstanding", true));
                }
            }
        }
        entries.push(entry);
    }
    let mut response = PushMultipleAccountsResponse {
        response_id: Some(request.request_id.clone()),
        // With the receipts, the URIs of the TR's interfaces (also for a TR
        // whose catalogue entry lists none).
        available_push_methods: SandboxData::push_methods(tr, &state.site_base),
        token_requestor_signature_support: Some(tr.signature_support),
        ..Default::default()
    };
    if issued.is_empty() {
        // Nothing issued: the first account's error is also the call's error.
        response.errors = entries.iter().flat_map(|e| e.errors.first().cloned()).take(1).collect();
    } else if tr.signature_support {
        let payload = PushSignaturePayload::new(issued, request.signature_data.as_ref());
        let signed = serde_json::to_vec(&payload).ok().and_then(|bytes| jws::sign(&bytes, &state.jws_key, &state.kid).ok());
        match signed {
            Some(s) => response.signature = Some(s),
            None => {
                tracing::error!("sandbox could not sign the push");
                return Err(HttpResponse::InternalServerError().finish());
            }
        }
    }
    response.push_account_receipts = entries;
    Ok(response)
}

fn mdes_error(reason: &str, description: &str, recoverable: bool) -> MdesError {
    MdesError {
        source: Some("MDES".into()),
        reason_code: reason.into(),
        description: Some(description.into()),
        error_code: None,
        recoverable: Some(recoverable),
    }
}
