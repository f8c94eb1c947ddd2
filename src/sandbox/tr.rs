//! The demo token requestors' web pages (wire contract §1 step 4, §7): what a wallet
//! or merchant does with the browser the issuer sends it. No JavaScript;
//! forms POST to the journey's own URL; the journey lives in memory, keyed by
//! an unguessable id in that URL (no cookie, so nothing collides with the
//! portal's session when mounted on the same origin).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::data::Scenario;
use super::state::{Journey, Receipt, Refusal, SandboxState, Stage};
use crate::mdes::jws;
use crate::mdes::model::PushSignaturePayload;
use crate::mdes::oauth::{now_secs, percent_encode};
use crate::token_events::{self, TokenEvent};

#[derive(Template)]
#[template(path = "sandbox/tr_sign_in.html")]
struct SignInPage<'a> {
    tr_name: &'a str,
    action: String,
    card_count: usize,
}

#[derive(Template)]
#[template(path = "sandbox/tr_terms.html")]
struct TermsPage<'a> {
    tr_name: &'a str,
    action: String,
    cardholder: &'a str,
    cards: Vec<String>,
}

#[derive(Template)]
#[template(path = "sandbox/tr_message.html")]
struct MessagePage<'a> {
    tr_name: &'a str,
    testid: &'a str,
    title: &'a str,
    message: String,
    return_url: Option<String>,
}

fn html(status: StatusCode, page: Result<String, askama::Error>) -> HttpResponse {
    match page {
        Ok(body) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body),
        Err(e) => {
            tracing::error!(error = %e, "sandbox TR template");
            HttpResponse::InternalServerError().finish()
        }
    }
}

fn message(status: StatusCode, tr_name: &str, testid: &str, title: &str, msg: String, ret: Option<String>) -> HttpResponse {
    html(status, MessagePage { tr_name, testid, title, message: msg, return_url: ret }.render())
}

/// The callback URL with the [ours] outcome parameters (wire contract §7).
pub fn callback_with(callback: &str, receipts: &[String], statuses: &[&str]) -> String {
    let join = |items: Vec<String>| items.join(",");
    let sep = if callback.contains('?') { '&' } else { '?' };
    format!(
        "{callback}{sep}pushAccountReceipts={}&status={}",
        join(receipts.iter().map(|r| percent_encode(r)).collect()),
        join(statuses.iter().map(|s| (*s).to_string()).collect())
    )
}

/// Why the query does not match what MDES signed, if it does not.
fn compare(query: &[(String, String)], signed: &PushSignaturePayload) -> Result<Vec<String>, &'static str> {
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let receipts: Vec<String> =
        get("pushAccountReceipts").unwrap_or_default().split(',').filter(|r| !r.is_empty()).map(str::to_string).collect();
    if receipts.is_empty() {
        return Err("no pushAccountReceipts in the address");
    }
    if receipts != signed.push_account_receipts {
        return Err("the receipts in the address are not the ones MDES signed");
    }
    if get("callbackURL") != signed.callback_url.as_deref() {
        return Err("the callbackURL in the address is not the one MDES signed");
    }
    // An unsigned locale only changes wording; a different signed one is tampering.
    if let (Some(q), Some(s)) = (get("locale"), signed.locale.as_deref())
        && q != s
    {
        return Err("the locale in the address is not the one MDES signed");
    }
    // Flags absent from the signature take the spec's defaults.
    let flag = |k: &str, signed: Option<bool>, default: bool| match get(k) {
        None => Ok(()),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "true" | "false" if (v.eq_ignore_ascii_case("true")) == signed.unwrap_or(default) => Ok(()),
            _ => Err(()),
        },
    };
    flag("completeWebsiteActivation", signed.complete_website_activation, true)
        .map_err(|_| "completeWebsiteActivation in the address is not what MDES signed")?;
    flag("accountHolderDataSupplied", signed.account_holder_data_supplied, false)
        .map_err(|_| "accountHolderDataSupplied in the address is not what MDES signed")?;
    Ok(receipts)
}

/// The receipts of an unsigned hand-off: `pushAccountReceipts=a,b` or one
/// `pushAccountReceipt=` per receipt.
fn unsigned_receipts(query: &[(String, String)]) -> Vec<String> {
    query
        .iter()
        .flat_map(|(k, v)| match k.as_str() {
            "pushAccountReceipts" => v.split(',').filter(|r| !r.is_empty()).map(str::to_string).collect(),
            "pushAccountReceipt" if !v.is_empty() => vec![v.clone()],
            _ => Vec::new(),
        })
        .collect()
}

/// GET the push URI: check MDES's signature against the query, then ask the
/// cardholder to sign in.
pub async fn push(state: web::Data<SandboxState>, req: HttpRequest) -> HttpResponse {
    let trid = req.match_info().get("trid").unwrap_or_default().to_string();
    let Some(tr) = state.data.token_requestor(&trid) else {
        return message(
            StatusCode::NOT_FOUND,
            "Sandbox",
            "tr-error",
            "Unknown token requestor",
            "No sandbox token requestor has this id.".into(),
            None,
        );
    };
    let name = tr.consumer_facing_entity_name.as_str();
    let refuse = |why: &str| {
        tracing::warn!(token_requestor_id = %trid, reason = why, "sandbox TR refused a hand-off");
        message(
            StatusCode::BAD_REQUEST,
            name,
            "tr-error",
            "We cannot add your card",
            format!("This request could not be verified: {why}. Nothing was added. Please start again from your bank."),
            None,
        )
    };
    let query: Vec<(String, String)> = match serde_urlencoded::from_str(req.query_string()) {
        Ok(q) => q,
        Err(_) => return refuse("the address is malformed"),
    };
    let signature = query.iter().find(|(k, _)| k == "signature").map(|(_, v)| v.clone());
    let (receipts, callback_url) = if tr.signature_support {
        let Some(signature) = signature else {
            return refuse("there is no MDES signature");
        };
        let verified = match jws::verify(&signature, &state.jwks) {
            Ok(v) => v,
            Err(_) => return refuse("MDES's signature does not verify"),
        };
        let Ok(signed) = serde_json::from_slice::<PushSignaturePayload>(&verified.payload) else {
            return refuse("MDES's signature carries an unreadable payload");
        };
        match compare(&query, &signed) {
            Ok(r) => (r, signed.callback_url.clone()),
            Err(why) => return refuse(why),
        }
    } else {
        // A TR without signature support: MDES sent none, so none may come
        // (an empty `signature=` is a portal bug); the receipts prove
        // themselves when redeemed.
        if signature.is_some() {
            return refuse("a signature was sent to a token requestor that does not support one");
        }
        let receipts = unsigned_receipts(&query);
        if receipts.is_empty() {
            return refuse("no pushAccountReceipts in the address");
        }
        (receipts, query.iter().find(|(k, _)| k == "callbackURL").map(|(_, v)| v.clone()))
    };
    let journey = Journey {
        token_requestor_id: trid.clone(),
        receipts,
        callback_url,
        stage: Stage::SignIn,
        created_at: now_secs(),
        cardholder: String::new(),
    };
    let count = journey.receipts.len();
    let Some(id) = state.start_journey(journey) else {
        return message(StatusCode::SERVICE_UNAVAILABLE, name, "tr-error", "Busy", "Please try again later.".into(), None);
    };
    html(StatusCode::OK, SignInPage { tr_name: name, action: format!("/sandbox/tr/journeys/{id}"), card_count: count }.render())
}

#[derive(Deserialize)]
pub struct StepForm {
    step: String,
    #[serde(default)]
    name: String,
}

/// POST a journey step: `sign_in` (redeems the receipts), then `accept`,
/// `decline` or `cancel`.
pub async fn step(state: web::Data<SandboxState>, path: web::Path<String>, form: web::Form<StepForm>) -> HttpResponse {
    let id = path.into_inner();
    let Some(mut journey) = state.journey(&id) else {
        return message(
            StatusCode::NOT_FOUND,
            "Sandbox",
            "tr-error",
            "This visit has ended",
            "Please start again from your bank.".into(),
            None,
        );
    };
    let tr_name = state
        .data
        .token_requestor(&journey.token_requestor_id)
        .map_or("Sandbox", |t| t.consumer_facing_entity_name.as_str())
        .to_string();
    let action = format!("/sandbox/tr/journeys/{id}");
    let all = |s: &'static str| vec![s; journey.receipts.len()];
    match (form.step.as_str(), journey.stage) {
        ("sign_in", Stage::SignIn) => {
            let name = form.name.trim();
            if name.is_empty() || name.chars().count() > 64 {
                return html(
                    StatusCode::BAD_REQUEST,
                    SignInPage { tr_name: &tr_name, action, card_count: journey.receipts.len() }.render(),
                );
            }
            match state.redeem(&journey.receipts, &journey.token_requestor_id, now_secs()) {
                Ok(redeemed) => {
                    journey.stage = Stage::Terms;
                    journey.cardholder = name.to_string();
                    state.update_journey(&id, journey.clone());
                    let cards = redeemed.iter().map(|r| r.last4.clone()).collect();
                    html(StatusCode::OK, TermsPage { tr_name: &tr_name, action, cardholder: name, cards }.render())
                }
                Err((receipt, refusal)) => {
                    state.end_journey(&id);
                    let why = match refusal {
                        Refusal::Unknown => "is not known",
                        Refusal::AlreadyUsed => "has already been used",
                        Refusal::Expired => "has expired",
                    };
                    tracing::info!(receipt = %crate::telemetry::fingerprint(&receipt), ?refusal, "sandbox TR refused a receipt");
                    let ret = journey.callback_url.as_deref().map(|c| callback_with(c, &journey.receipts, &all("ERROR")));
                    message(
                        StatusCode::GONE,
                        &tr_name,
                        "tr-refused",
                        "Your card could not be added",
                        format!("The receipt from your bank {why}. Please go back to your bank and try again."),
                        ret,
                    )
                }
            }
        }
        ("cancel", _) => finish(&state, &id, &journey, &tr_name, all("CANCELLED"), Vec::new()),
        ("decline", Stage::Terms) => finish(&state, &id, &journey, &tr_name, all("DECLINED"), Vec::new()),
        ("accept", Stage::Terms) => {
            let mut statuses = Vec::new();
            let mut events = Vec::new();
            for r in &journey.receipts {
                let scenario = state.receipt(r).map_or(Scenario::Approved, |x: Receipt| x.scenario);
                let (status, event, token) = match scenario {
                    Scenario::Declined => ("DECLINED", "DECLINED", false),
                    Scenario::AdditionalAuthentication => ("REQUIRE_ADDITIONAL_AUTHENTICATION", "INACTIVE", true),
                    _ => ("APPROVED", "ACTIVE", true),
                };
                statuses.push(status);
                events.push(TokenEvent {
                    event_id: uuid::Uuid::new_v4().to_string(),
                    push_account_receipt: r.clone(),
                    token_unique_reference: token
                        .then(|| format!("DSBXMC{}", uuid::Uuid::new_v4().simple().to_string().to_uppercase())),
                    status: event.into(),
                    occurred_at: time::OffsetDateTime::now_utc()
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                });
            }
            finish(&state, &id, &journey, &tr_name, statuses, events)
        }
        _ => message(
            StatusCode::BAD_REQUEST,
            &tr_name,
            "tr-error",
            "That step is not available now",
            "Please use the buttons on the page.".into(),
            None,
        ),
    }
}

/// Ends the journey: token events go out in the background (their delivery
/// never holds up or fails the cardholder's journey), and the browser goes
/// back to the issuer's callback URL.
fn finish(
    state: &web::Data<SandboxState>,
    id: &str,
    journey: &Journey,
    tr_name: &str,
    statuses: Vec<&str>,
    events: Vec<TokenEvent>,
) -> HttpResponse {
    state.end_journey(id);
    if !events.is_empty() {
        actix_web::rt::spawn(deliver(state.clone(), events));
    }
    match &journey.callback_url {
        Some(callback) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, callback_with(callback, &journey.receipts, &statuses)))
            .finish(),
        None => message(
            StatusCode::OK,
            tr_name,
            "tr-done",
            "Done",
            format!("Outcome: {}. Your bank gave no address to return to.", statuses.join(", ")),
            None,
        ),
    }
}

/// POSTs each event (wire contract §8, `token_events` contract), retrying twice.
pub async fn deliver(state: web::Data<SandboxState>, events: Vec<TokenEvent>) {
    for event in events {
        let Ok(body) = serde_json::to_vec(&event) else { continue };
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(200 * 2u64.pow(attempt))).await;
            }
            let timestamp = i64::try_from(now_secs()).unwrap_or_default();
            let sent = token_events::signed_request(
                &state.http,
                &state.token_events_url,
                &state.token_event_key,
                timestamp,
                body.clone(),
            )
            .send()
            .await;
            match sent {
                Ok(r) if r.status().is_success() => {
                    tracing::info!(receipt = %crate::telemetry::fingerprint(&event.push_account_receipt), status = %event.status, "token event delivered");
                    break;
                }
                Ok(r) => tracing::warn!(
                    receipt = %crate::telemetry::fingerprint(&event.push_account_receipt), http_status = r.status().as_u16(), attempt,
                    url = %state.token_events_url, "token event refused"
                ),
                Err(e) => tracing::warn!(
                    receipt = %crate::telemetry::fingerprint(&event.push_account_receipt), error = %e, attempt,
                    url = %state.token_events_url, "token event not delivered"
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_gets_receipts_and_statuses() {
        let r = vec!["MCC-1".to_string(), "MCC-2".to_string()];
        assert_eq!(
            callback_with("https://b.example/cb?id=7", &r, &["APPROVED", "DECLINED"]),
            "https://b.example/cb?id=7&pushAccountReceipts=MCC-1,MCC-2&status=APPROVED,DECLINED"
        );
        assert_eq!(
            callback_with("https://b.example/cb", &r[..1], &["CANCELLED"]),
            "https://b.example/cb?pushAccountReceipts=MCC-1&status=CANCELLED"
        );
    }

    #[test]
    fn query_must_match_signature() {
        let signed = PushSignaturePayload {
            push_account_receipts: vec!["A".into(), "B".into()],
            callback_url: Some("https://b/cb".into()),
            complete_website_activation: Some(false),
            account_holder_data_supplied: None,
            locale: Some("en_US".into()),
        };
        let q = |pairs: &[(&str, &str)]| pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        let good = [
            ("pushAccountReceipts", "A,B"),
            ("callbackURL", "https://b/cb"),
            ("locale", "en_US"),
            ("completeWebsiteActivation", "false"),
        ];
        assert!(compare(&q(&good), &signed).is_ok());
        assert!(compare(&q(&[("pushAccountReceipts", "A"), ("callbackURL", "https://b/cb")]), &signed).is_err());
        assert!(compare(&q(&[("pushAccountReceipts", "A,B"), ("callbackURL", "https://evil/cb")]), &signed).is_err());
        assert!(
            compare(
                &q(&[("pushAccountReceipts", "A,B"), ("callbackURL", "https://b/cb"), ("completeWebsiteActivation", "true")]),
                &signed
            )
            .is_err()
        );
        assert!(
            compare(&q(&[("pushAccountReceipts", "A,B"), ("callbackURL", "https://b/cb"), ("locale", "fr_FR")]), &signed)
                .is_err()
        );
        assert!(
            compare(
                &q(&[("pushAccountReceipts", "A,B"), ("callbackURL", "https://b/cb"), ("accountHolderDataSupplied", "true")]),
                &signed
            )
            .is_err()
        );
    }
}
