use actix_web::HttpMessage;
use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

/// Logs to stdout, as text or JSON lines. `RUST_LOG` overrides the filter.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let result = if settings.json { builder.json().try_init() } else { builder.try_init() };
    // Already initialised (tests start several apps in one process): keep the first.
    let _ = result;
}

/// The root span of every HTTP request, as `tracing-actix-web`'s default but
/// with the target redacted: a return link's one-time token (in its path)
/// and every query value not known to be harmless (receipts, callback URLs,
/// signatures, `next`…) never reach a log line. Every event logged during a
/// request carries this span's fields, so this is the one place that needs it.
pub struct RedactedRootSpan;

impl tracing_actix_web::RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        let target = redact_target(request.path(), request.query_string());
        let request_id = request.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string()).unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.target = %target,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
            request_id = %request_id,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// A short, one-way reference to a secret (a receipt, a token) for logs: the
/// same value gives the same reference, and the value cannot be had back.
pub fn fingerprint(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256:{}", &hex::encode(Sha256::digest(secret.as_bytes()))[..12])
}

/// Query keys whose values are safe in logs: selections and page states,
/// never tokens, receipts, URLs or free text.
const LOGGED_QUERY_KEYS: &[&str] = &["tr", "cards", "reason", "error"];

/// Paths whose last segment is a secret (the return link's one-time token).
const SECRET_PATH_PREFIXES: &[&str] = &[crate::provisioning::RETURN_PATH];

/// `path?query` as it may be logged: see [`RedactedRootSpan`].
pub fn redact_target(path: &str, query: &str) -> String {
    let mut out = match SECRET_PATH_PREFIXES.iter().find(|p| path.starts_with(&format!("{p}/"))) {
        Some(prefix) => format!("{prefix}/[redacted]"),
        None => path.to_string(),
    };
    if !query.is_empty() {
        let parts: Vec<String> = query
            .split('&')
            .map(|pair| {
                let key = pair.split('=').next().unwrap_or("");
                if LOGGED_QUERY_KEYS.contains(&key) && key.len() < pair.len() {
                    pair.to_string()
                } else if LOGGED_QUERY_KEYS.contains(&key) || key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    format!("{key}=[redacted]")
                } else {
                    "[redacted]".to_string()
                }
            })
            .collect();
        out.push('?');
        out.push_str(&parts.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_target;

    #[test]
    fn secrets_in_targets_are_redacted() {
        let token = "aB3dEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";
        assert_eq!(redact_target(&format!("/provisioning/return/{token}"), ""), "/provisioning/return/[redacted]");
        assert_eq!(
            redact_target(&format!("/provisioning/return/{token}"), "pushAccountReceipts=MCC-1&status=APPROVED"),
            "/provisioning/return/[redacted]?pushAccountReceipts=[redacted]&status=[redacted]"
        );
        assert_eq!(redact_target("/add/review", "tr=50100000001&cards=a,b"), "/add/review?tr=50100000001&cards=a,b");
        assert_eq!(
            redact_target("/sandbox/tr/50100000001/push", "pushAccountReceipts=R&callbackURL=http%3A%2F%2Fx%2Fprovisioning%2Freturn%2FT&signature=eyJ"),
            "/sandbox/tr/50100000001/push?pushAccountReceipts=[redacted]&callbackURL=[redacted]&signature=[redacted]"
        );
        assert_eq!(redact_target("/login", "next=/cards%3Ftoken%3Dx"), "/login?next=[redacted]");
        // A key that is itself odd is not echoed either.
        assert_eq!(redact_target("/x", "MCC-secret%20receipt"), "/x?[redacted]");
        assert_eq!(redact_target("/cards", ""), "/cards");
    }
}
