//! Content-Security-Policy with a fresh nonce per response. Pages carry no
//! inline script or style; the one script we run (the session-timeout
//! warning, WCAG 2.2.1) is an external file whose tag carries the nonce, so
//! even an injected `<script src>` from our own origin would not run.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

/// This request's nonce, for templates (`Chrome::nonce`).
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// The policy for a response carrying `nonce`.
pub fn policy(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self'; connect-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The policy for responses that never run script (e.g. failures rendered
/// outside this middleware).
pub const NO_SCRIPT_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub async fn with_nonce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse<impl MessageBody>> {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    let nonce = B64.encode(bytes);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.call(req).await?;
    // A handler may set its own, stricter policy (e.g. SVG logos).
    if !res.headers().contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(value) = HeaderValue::from_str(&policy(&nonce))
    {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(res)
}
