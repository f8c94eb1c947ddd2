//! `POST /token-events`: MDES's word on tokenizations (wire contract §8, [ours]),
//! authenticated by HMAC over timestamp and body (see `crate::token_events`).
//! JSON in, JSON out; no session, no CSRF (the signature is the credential).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use crate::provisioning::TokenEventError;
use crate::token_events::{SIGNATURE_HEADER, TIMESTAMP_HEADER, TokenEvent, verify};

/// Largest event accepted; real ones are a few hundred bytes.
pub const MAX_EVENT_BYTES: usize = 16 * 1024;

fn answer(status: StatusCode, result: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({ "result": result }))
}

#[tracing::instrument(name = "token_event", skip_all)]
pub async fn receive(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if body.len() > MAX_EVENT_BYTES {
        return answer(StatusCode::PAYLOAD_TOO_LARGE, "too large");
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let window = i64::try_from(state.settings.token_events.replay_window_secs).unwrap_or(300);
    if let Err(e) = verify(
        &state.token_event_key,
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        &body,
        state.store.clock().now_unix(),
        window,
    ) {
        tracing::warn!(error = %e, "token event refused: not authenticated");
        return answer(StatusCode::UNAUTHORIZED, "not authenticated");
    }
    let event: TokenEvent = match serde_json::from_slice(&body) {
        Ok(event) => event,
        Err(e) => {
            tracing::warn!(error = %e, "token event refused: not a token event");
            return answer(StatusCode::BAD_REQUEST, "invalid JSON");
        }
    };
    let journey = state.journey();
    match journey.accept_token_event(&event).await {
        Ok(true) => answer(StatusCode::OK, "stored"),
        // A duplicate is normal delivery behaviour: acknowledge it.
        Ok(false) => answer(StatusCode::OK, "duplicate"),
        Err(TokenEventError::Invalid(field)) => {
            tracing::warn!(field, "token event refused: invalid field");
            answer(StatusCode::BAD_REQUEST, &format!("invalid {field}"))
        }
        Err(TokenEventError::Store(e)) => {
            tracing::error!(error = %e, "token event not stored");
            // The sender retries on 5xx.
            answer(StatusCode::SERVICE_UNAVAILABLE, "try again")
        }
    }
}
