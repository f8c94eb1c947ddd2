use actix_web::HttpMessage;
use serde::Deserialize;
use tracing_subscriber::EnvFilter;

/// `log.*`: owned here, composed by `config` (telemetry reads no other module).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `tracing` filter, e.g. `info` or `pushprov=debug,info`.
    pub filter: String,
    /// One JSON object per line instead of text.
    pub json: bool,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { filter: "info".into(), json: false }
    }
}

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
        // As the default builder, but an error's text goes through
        // `redact_text` (a sign-in redirect's `next` can hold a return link).
        let (status, error) = match outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        span.record("http.status_code", i64::from(status.as_u16()));
        match error {
            Some(error) => {
                let error = error.as_response_error();
                let details = redact_text(&format!("{error:?}"));
                span.record("exception.message", tracing::field::display(redact_text(&error.to_string())));
                span.record("exception.details", tracing::field::display(&details));
                span.record("otel.status_code", if status.is_server_error() { "ERROR" } else { "OK" });
                // The event tracing-actix-web's `emit_event_on_error` would
                // log (that feature is off: it logs the text unredacted).
                let _inside = span.enter();
                if status.is_server_error() {
                    tracing::error!(error = %details, "request failed");
                } else if status.is_client_error() {
                    tracing::warn!(error = %details, "request refused");
                } else {
                    // Redirects (to sign in) are routine.
                    tracing::debug!(error = %details, "request redirected");
                }
            }
            None => {
                span.record("otel.status_code", "OK");
            }
        }
    }
}

/// Free text (an error's message or details) as it may be logged: every
/// return link's token and whatever follows it up to the next quote or
/// space is replaced.
pub fn redact_text(text: &str) -> String {
    const MARK: &str = "provisioning/return/";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(found) = lower[at..].find(MARK) {
        let start = at + found + MARK.len();
        out.push_str(&text[at..start]);
        out.push_str("[redacted]");
        let end = text[start..].find(|c: char| c == '"' || c.is_whitespace()).map_or(text.len(), |e| start + e);
        at = end;
    }
    out.push_str(&text[at..]);
    out
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

/// Paths whose last segment is a secret: the return link's one-time token
/// (`provisioning::RETURN_PATH`, written out so that logging, which the
/// sandbox uses too, depends on no portal module; a test there holds the two
/// together).
pub const SECRET_PATH_PREFIXES: &[&str] = &["/provisioning/return"];

/// `path?query` as it may be logged: see [`RedactedRootSpan`]. Paths are
/// matched as a mistyped or hostile request may write them too: in any case,
/// with doubled slashes.
pub fn redact_target(path: &str, query: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let secret_after = SECRET_PATH_PREFIXES.iter().find_map(|prefix| {
        let prefix: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
        let matches = segments.len() > prefix.len() && segments.iter().zip(&prefix).all(|(s, p)| s.eq_ignore_ascii_case(p));
        matches.then_some(prefix.len())
    });
    let mut out = match secret_after {
        Some(keep) => format!("/{}/[redacted]", segments[..keep].join("/")),
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
            redact_target(
                "/sandbox/tr/50100000001/push",
                "pushAccountReceipts=R&callbackURL=http%3A%2F%2Fx%2Fprovisioning%2Freturn%2FT&signature=eyJ"
            ),
            "/sandbox/tr/50100000001/push?pushAccountReceipts=[redacted]&callbackURL=[redacted]&signature=[redacted]"
        );
        assert_eq!(redact_target("/login", "next=/cards%3Ftoken%3Dx"), "/login?next=[redacted]");
        // A key that is itself odd is not echoed either.
        assert_eq!(redact_target("/x", "MCC-secret%20receipt"), "/x?[redacted]");
        assert_eq!(redact_target("/cards", ""), "/cards");
        // Mistyped or hostile spellings of the return path.
        assert_eq!(redact_target(&format!("/Provisioning/RETURN/{token}"), ""), "/Provisioning/RETURN/[redacted]");
        assert_eq!(redact_target(&format!("/provisioning//return/{token}/x"), ""), "/provisioning/return/[redacted]");
    }

    #[test]
    fn return_links_in_error_text_are_redacted() {
        let details = r#"SignInRequired { next: "/provisioning/return/aB3dEf_-9?pushAccountReceipts=MCC-1&status=APPROVED", expired: true }"#;
        assert_eq!(super::redact_text(details), r#"SignInRequired { next: "/provisioning/return/[redacted]", expired: true }"#);
        assert_eq!(super::redact_text("GET /PROVISIONING/RETURN/x y"), "GET /PROVISIONING/RETURN/[redacted] y");
        assert_eq!(super::redact_text("nothing here"), "nothing here");
    }
}
