//! The Token Connect HTTP client: one reqwest client, every call signed (wire contract §4), pushes
//! encrypted (wire contract §3), every answer read for errors, even on 200 (wire contract §6).
//! One concern, so one file past 500 lines: the calls, their retry rules and how each answer
//! becomes a typed error are read together.
//!
//! Retry rules, and why:
//! - getEligibleTokenRequestors and getAsset only read: retried on connection errors,
//!   timeouts and 5xx, with exponential back-off.
//! - pushMultipleAccounts creates receipts: retried only when the connection was never
//!   established (so MDES cannot have seen it), with the same body and `requestId`. After a
//!   timeout or 5xx MDES may have acted, so the error is returned and the caller decides
//!   (a new push, with a new requestId, is a cardholder decision).

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::encryption::{EncryptionError, Encryptor};
use super::keys::{self, KeyError};
use super::model::{
    AssetResponse, EligibleTokenRequestors, ErrorWrapper, GatewayErrorResponse, MdesError, PushMultipleAccountsResponse,
    drop_control_text, json_error_kind,
};
use super::oauth::{OAuthError, Signer};
use super::request::{self, PushBuildError, PushRequest};
use super::settings::MdesSettings;
use super::validate::FieldError;

/// Largest response body we read (assets are logos; anything bigger is not MDES).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// Why a call failed. `reason_code()` and `recoverable()` drive what the cardholder is offered.
#[derive(Debug, thiserror::Error)]
pub enum MdesClientError {
    /// Our own check refused the request before anything was sent.
    #[error("request not sent: {0}")]
    InvalidRequest(#[from] FieldError),
    #[error("request not sent: {0}")]
    Encryption(#[from] EncryptionError),
    #[error("request not sent: {0}")]
    Signing(#[from] OAuthError),
    /// Mastercard's API gateway refused the call (authentication, body hash), HTTP 4xx.
    #[error("MDES gateway answered HTTP {status}: {}", summary(errors))]
    Gateway { status: u16, errors: Vec<MdesError> },
    /// Token Connect refused or failed the call: an ErrorWrapper (non-200) or `errors[]` on 200.
    #[error("MDES answered HTTP {status} with errors: {}", summary(errors))]
    Mdes { status: u16, response_id: Option<String>, errors: Vec<MdesError> },
    /// A push where no account got a receipt; each account's errors are listed.
    #[error("no account was pushed: {}", account_summary(failures))]
    AllAccountsFailed { response_id: Option<String>, failures: Vec<AccountFailure> },
    /// Non-2xx without a recognisable error body (5xx, proxy error page, ...).
    #[error("MDES answered HTTP {status} ({detail})")]
    Http { status: u16, detail: &'static str },
    /// A 2xx whose body is not the expected JSON (HTML page, truncated JSON, ...).
    #[error("MDES answered HTTP {status} with an unreadable body ({detail})")]
    InvalidResponse { status: u16, detail: String },
    #[error("MDES did not answer in time")]
    Timeout,
    #[error("could not connect to MDES")]
    Connect,
    #[error("transport error talking to MDES: {0}")]
    Transport(String),
}

fn summary(errors: &[MdesError]) -> String {
    let codes: Vec<&str> = errors.iter().map(|e| e.reason_code.as_str()).collect();
    if codes.is_empty() { "no details".into() } else { codes.join(", ") }
}

fn account_summary(failures: &[AccountFailure]) -> String {
    failures.iter().map(|f| format!("{}: {}", f.push_account_id, summary(&f.errors))).collect::<Vec<_>>().join("; ")
}

impl MdesClientError {
    /// The first MDES/gateway reason code, if MDES gave one.
    pub fn reason_code(&self) -> Option<&str> {
        match self {
            MdesClientError::Gateway { errors, .. } | MdesClientError::Mdes { errors, .. } => {
                errors.first().map(|e| e.reason_code.as_str())
            }
            MdesClientError::AllAccountsFailed { failures, .. } => {
                failures.iter().flat_map(|f| f.errors.first()).map(|e| e.reason_code.as_str()).next()
            }
            MdesClientError::InvalidRequest(f) => Some(f.reason_code.as_str()),
            _ => None,
        }
    }

    /// Whether trying again later may work: MDES's own `recoverable` flag when it sent one
    /// (all errors must say so), true for timeouts, connection failures and 5xx.
    pub fn recoverable(&self) -> bool {
        let all = |errors: &[MdesError]| !errors.is_empty() && errors.iter().all(|e| e.recoverable == Some(true));
        match self {
            MdesClientError::Gateway { errors, .. } | MdesClientError::Mdes { errors, .. } => all(errors),
            MdesClientError::AllAccountsFailed { failures, .. } => failures.iter().all(|f| all(&f.errors)),
            MdesClientError::Http { status, .. } => *status >= 500 || *status == 429,
            MdesClientError::Timeout | MdesClientError::Connect | MdesClientError::Transport(_) => true,
            MdesClientError::InvalidResponse { .. } => true,
            MdesClientError::InvalidRequest(_) | MdesClientError::Encryption(_) | MdesClientError::Signing(_) => false,
        }
    }
}

/// One account MDES did not issue a receipt for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFailure {
    pub push_account_id: String,
    pub errors: Vec<MdesError>,
}

impl AccountFailure {
    pub fn recoverable(&self) -> bool {
        !self.errors.is_empty() && self.errors.iter().all(|e| e.recoverable == Some(true))
    }
}

/// A push that got at least one receipt. `failures` lists accounts that did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOutcome {
    /// The `requestId` sent (persist it: MDES support asks for it).
    pub request_id: String,
    /// HTTP attempts made (more than 1 only after connection failures).
    pub attempts: u32,
    pub response: PushMultipleAccountsResponse,
    pub failures: Vec<AccountFailure>,
}

impl PushOutcome {
    /// `(pushAccountId, receipt)` for each account that got one, in MDES's order.
    pub fn receipts(&self) -> Vec<(&str, &str)> {
        self.response
            .push_account_receipts
            .iter()
            .filter_map(|r| r.push_account_receipt.as_deref().map(|rc| (r.push_account_id.as_str(), rc)))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RetryPolicy {
    /// Read-only: retry on anything transient.
    Idempotent,
    /// Retry only if the request cannot have reached the server.
    ConnectOnly,
}

/// Built once from [`MdesSettings`]; cheap to clone and share.
#[derive(Clone)]
pub struct MdesClient {
    http: reqwest::Client,
    base_url: String,
    signer: Arc<Signer>,
    encryptor: Arc<Encryptor>,
    retries: u32,
    backoff: Duration,
    /// The longest one attempt can take: connecting, then the whole call.
    attempt_limit: Duration,
}

impl std::fmt::Debug for MdesClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MdesClient").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

/// Start-up failure of [`MdesClient::from_settings`]; one line naming the setting.
#[derive(Debug, thiserror::Error)]
pub enum MdesSetupError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("{0}")]
    Config(String),
}

impl MdesClient {
    /// Loads the keys named in the settings and builds the client. Fails with one clear line
    /// (missing file, wrong password, malformed key, bad option).
    pub fn from_settings(settings: &MdesSettings) -> Result<Self, MdesSetupError> {
        use secrecy::ExposeSecret as _;
        if settings.consumer_key.trim().is_empty() {
            return Err(MdesSetupError::Config("mdes.consumer_key: setting is empty".into()));
        }
        let key = keys::load_signing_key(
            "mdes.signing_key_path",
            &settings.signing_key_path,
            settings.signing_key_password.as_ref().map(|p| p.expose_secret()),
            settings.signing_key_alias.as_deref(),
        )?;
        settings.fingerprint.check().map_err(|problem| MdesSetupError::Config(format!("mdes.fingerprint: {problem}")))?;
        let cert = keys::load_encryption_key("mdes.encryption_certificate_path", &settings.encryption_certificate_path)?;
        let encryptor = Encryptor::new(&cert, settings.encryption_options())
            .map_err(|e| MdesSetupError::Config(format!("mdes.cipher/mdes.fingerprint/mdes.aes_key_bits: {e}")))?;
        Self::new(settings, Signer::new(settings.consumer_key.clone(), key), encryptor)
    }

    /// With already-loaded keys (tests, or the sandbox's generated demo keys).
    pub fn new(settings: &MdesSettings, signer: Signer, encryptor: Encryptor) -> Result<Self, MdesSetupError> {
        let base_url = settings.base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(MdesSetupError::Config(format!("mdes.base_url: not an http(s) URL: {base_url:?}")));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
            .timeout(Duration::from_millis(settings.request_timeout_ms))
            .user_agent(concat!("pushprov/", env!("CARGO_PKG_VERSION")))
            // MDES never redirects; following one would re-send a signed body elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            // Drop idle connections before a server's keep-alive (often 5 s, as in
            // actix-web) can close them under a request: a push sent on a connection
            // the server is closing fails and is never resent. A new connection after
            // a few idle seconds costs little next to a push.
            .pool_idle_timeout(Duration::from_secs(4))
            .build()
            .map_err(|e| MdesSetupError::Config(format!("mdes: HTTP client: {e}")))?;
        Ok(MdesClient {
            http,
            base_url,
            signer: Arc::new(signer),
            encryptor: Arc::new(encryptor),
            retries: settings.retries,
            backoff: Duration::from_millis(settings.retry_backoff_ms),
            attempt_limit: Duration::from_millis(settings.connect_timeout_ms + settings.request_timeout_ms),
        })
    }

    /// The longest a push can take: every attempt timing out, plus the
    /// back-off. A push is attempted at most twice (a retry only when it
    /// never reached MDES).
    pub fn longest_push(&self) -> Duration {
        2 * self.attempt_limit + self.backoff
    }

    /// `POST /connect/1/0/getEligibleTokenRequestors` for 1–25 ranges of 9–19 digits.
    ///
    /// The token requestors are read one by one: a malformed item is left out (listed in
    /// `skipped`), not the whole answer. `errors` beside token requestors are returned with
    /// them (and logged): the TRs MDES did return are kept. An answer with `errors` and no
    /// token requestor, or with no `tokenRequestors` list at all, or whose every item is
    /// malformed, is an error: it says nothing the catalogue could be replaced with.
    pub async fn get_eligible_token_requestors(
        &self,
        account_ranges: &[String],
    ) -> Result<EligibleTokenRequestors, MdesClientError> {
        let request_id = request::new_request_id();
        let req = request::eligibility_request(request_id.clone(), account_ranges)?;
        let body = serde_json::to_vec(&req).map_err(|_| EncryptionError::NotJson)?;
        let (status, bytes, _) = self
            .send(
                "getEligibleTokenRequestors",
                Method::POST,
                "/connect/1/0/getEligibleTokenRequestors",
                Some(body),
                &request_id,
                RetryPolicy::Idempotent,
            )
            .await?;
        let resp: EligibleTokenRequestors = interpret(status, &bytes)?;
        if !resp.errors.is_empty() {
            if resp.token_requestors.is_empty() {
                return Err(MdesClientError::Mdes {
                    status: status.as_u16(),
                    response_id: resp.response_id,
                    errors: resp.errors,
                });
            }
            tracing::warn!(
                %request_id,
                errors = %summary(&resp.errors),
                token_requestors = resp.token_requestors.len(),
                "MDES answered getEligibleTokenRequestors with errors beside token requestors; keeping those"
            );
        }
        if !resp.listed {
            return Err(MdesClientError::InvalidResponse { status: status.as_u16(), detail: "no tokenRequestors list".into() });
        }
        if resp.token_requestors.is_empty() && !resp.skipped.is_empty() {
            return Err(MdesClientError::InvalidResponse {
                status: status.as_u16(),
                detail: format!("none of the {} token requestors could be read", resp.skipped.len()),
            });
        }
        Ok(resp)
    }

    /// `GET /issuer-assets/1/0/asset/tokenrequestor/{assetId}`. Asset ids are opaque: 1–64
    /// characters of `[A-Za-z0-9._~-]` (anything else is refused, not encoded, so a hostile id
    /// cannot change the path).
    pub async fn get_asset(&self, asset_id: &str) -> Result<AssetResponse, MdesClientError> {
        let ok = !asset_id.is_empty()
            && asset_id.len() <= 64
            && asset_id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
            && asset_id != "."
            && asset_id != "..";
        if !ok {
            return Err(FieldError::new(
                super::validate::ReasonCode::InvalidFieldFormat,
                "assetId",
                "1 to 64 URL-safe characters",
            )
            .into());
        }
        let request_id = request::new_request_id();
        let path = format!("/issuer-assets/1/0/asset/tokenrequestor/{asset_id}");
        let (status, bytes, _) = self.send("getAsset", Method::GET, &path, None, &request_id, RetryPolicy::Idempotent).await?;
        let resp: AssetResponse = interpret(status, &bytes)?;
        Ok(resp)
    }

    /// `POST /connect/1/0/pushMultipleAccounts`: validates, encrypts, signs, sends once (see the
    /// module docs for the single safe retry). `Ok` when at least one account got a receipt.
    pub async fn push_multiple_accounts(&self, push: &PushRequest) -> Result<PushOutcome, MdesClientError> {
        self.push_multiple_accounts_as(push, request::new_request_id()).await
    }

    /// The same with a `requestId` chosen by the caller, who persists it before the call (a
    /// provisioning record names the request MDES support will ask about).
    pub async fn push_multiple_accounts_as(
        &self,
        push: &PushRequest,
        request_id: String,
    ) -> Result<PushOutcome, MdesClientError> {
        let wire = push.to_wire(request_id.clone(), &self.encryptor).map_err(|e| match e {
            PushBuildError::Invalid(f) => MdesClientError::InvalidRequest(f),
            PushBuildError::Encryption(e) => MdesClientError::Encryption(e),
        })?;
        // Encrypt first, then hash exactly these bytes (wire contract §3): they are reused on a retry.
        let body = serde_json::to_vec(&wire).map_err(|_| EncryptionError::NotJson)?;
        let (status, bytes, attempts) = self
            .send(
                "pushMultipleAccounts",
                Method::POST,
                "/connect/1/0/pushMultipleAccounts",
                Some(body),
                &request_id,
                RetryPolicy::ConnectOnly,
            )
            .await?;
        let response: PushMultipleAccountsResponse = interpret(status, &bytes)?;
        let failures: Vec<AccountFailure> = response
            .push_account_receipts
            .iter()
            .filter(|r| r.push_account_receipt.is_none() || !r.errors.is_empty())
            .map(|r| AccountFailure { push_account_id: r.push_account_id.clone(), errors: r.errors.clone() })
            .collect();
        let issued = response.push_account_receipts.iter().any(|r| r.push_account_receipt.is_some());
        if !issued {
            if !response.errors.is_empty() || failures.is_empty() {
                let errors = if response.errors.is_empty() {
                    vec![MdesError {
                        reason_code: "NO_RECEIPT".into(),
                        description: Some("MDES issued no receipt".into()),
                        ..Default::default()
                    }]
                } else {
                    response.errors
                };
                return Err(MdesClientError::Mdes { status: status.as_u16(), response_id: response.response_id, errors });
            }
            return Err(MdesClientError::AllAccountsFailed { response_id: response.response_id, failures });
        }
        tracing::info!(request_id = %request_id, receipts = response.push_account_receipts.len() - failures.len(), failed = failures.len(), "MDES push answered");
        Ok(PushOutcome { request_id, attempts, response, failures })
    }

    /// Signs and sends, retrying per `policy`. Returns status, body and attempts made.
    // Every call to MDES is a span named after its operation and carrying its requestId (what
    // MDES support asks for); the body is never recorded (skip_all): it may hold card data.
    #[tracing::instrument(name = "mdes", skip_all, fields(operation = operation, request_id = request_id, method = %method))]
    async fn send(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        request_id: &str,
        policy: RetryPolicy,
    ) -> Result<(StatusCode, Vec<u8>, u32), MdesClientError> {
        let url = format!("{}{}", self.base_url, path);
        let max_attempts = match policy {
            RetryPolicy::Idempotent => 1 + self.retries,
            // One retry at most: a connection that failed twice means MDES is unreachable.
            RetryPolicy::ConnectOnly => 1 + self.retries.min(1),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let auth = self.signer.authorization_header(method.as_str(), &url, body.as_deref().unwrap_or_default())?;
            let mut rb = self
                .http
                .request(method.clone(), &url)
                .header(reqwest::header::AUTHORIZATION, auth)
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(b) = &body {
                rb = rb.header(reqwest::header::CONTENT_TYPE, "application/json; charset=UTF-8").body(b.clone());
            }
            let outcome = match rb.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    match read_limited(resp).await {
                        Ok(bytes) => Ok((status, bytes)),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(classify(e)),
            };
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let retry = attempt < max_attempts
                && match (&outcome, policy) {
                    (Err(MdesClientError::Connect), _) => true,
                    (Err(_), RetryPolicy::Idempotent) => true,
                    (Ok((status, _)), RetryPolicy::Idempotent) => {
                        status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
                    }
                    _ => false,
                };
            match &outcome {
                Ok((status, _)) => {
                    tracing::info!(%request_id, operation, attempt, status = status.as_u16(), elapsed_ms, "MDES call")
                }
                Err(e) => {
                    tracing::warn!(%request_id, operation, attempt, elapsed_ms, error = %e, will_retry = retry, "MDES call failed")
                }
            }
            if !retry {
                return outcome.map(|(s, b)| (s, b, attempt));
            }
            tokio::time::sleep(self.backoff.saturating_mul(1 << (attempt - 1).min(6))).await;
        }
    }
}

fn classify(e: reqwest::Error) -> MdesClientError {
    // Connect first: a connect timeout also never reached the server.
    if e.is_connect() {
        MdesClientError::Connect
    } else if e.is_timeout() {
        MdesClientError::Timeout
    } else {
        // Without the URL: it is ours, and error chains can be long.
        MdesClientError::Transport(e.without_url().to_string())
    }
}

async fn read_limited(mut resp: reqwest::Response) -> Result<Vec<u8>, MdesClientError> {
    let status = resp.status().as_u16();
    let mut out = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > MAX_BODY {
                    return Err(MdesClientError::InvalidResponse { status, detail: "body too large".into() });
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) if e.is_timeout() => return Err(MdesClientError::Timeout),
            // The body broke off mid-way: treat like truncated JSON.
            Err(_) => {
                return Err(MdesClientError::InvalidResponse {
                    status,
                    detail: "connection closed while reading the body".into(),
                });
            }
        }
    }
}

/// Turns a status and body into `T` or the matching typed error.
/// How the client reads any MDES answer (status and body) — public so the
/// fuzz target exercises exactly this code.
pub fn parse_response<T: DeserializeOwned>(status: u16, bytes: &[u8]) -> Result<T, MdesClientError> {
    let status = StatusCode::from_u16(status).map_err(|_| MdesClientError::Http { status, detail: "invalid status" })?;
    interpret(status, bytes)
}

fn interpret<T: DeserializeOwned>(status: StatusCode, bytes: &[u8]) -> Result<T, MdesClientError> {
    let code = status.as_u16();
    // Text with control characters reads as absent (see `drop_control_text`).
    let parsed = serde_json::from_slice::<serde_json::Value>(bytes).map(|mut value| {
        drop_control_text(&mut value);
        value
    });
    if status.is_success() {
        let invalid = |detail: String| MdesClientError::InvalidResponse { status: code, detail };
        let value = parsed.map_err(|e| {
            invalid(if looks_like_html(bytes) {
                "HTML instead of JSON".to_owned()
            } else if e.is_eof() {
                "truncated JSON".to_owned()
            } else {
                format!("invalid JSON: {}", json_error_kind(&e))
            })
        })?;
        return serde_json::from_value(value).map_err(|e| invalid(format!("invalid JSON: {}", json_error_kind(&e))));
    }
    let parsed = parsed.ok();
    if let Some(gw) = parsed.clone().and_then(|v| serde_json::from_value::<GatewayErrorResponse>(v).ok())
        && !gw.errors.error.is_empty()
    {
        return Err(MdesClientError::Gateway { status: code, errors: gw.errors.error.iter().map(MdesError::from).collect() });
    }
    if let Some(w) = parsed.and_then(|v| serde_json::from_value::<ErrorWrapper>(v).ok())
        && !w.errors.is_empty()
    {
        return Err(MdesClientError::Mdes { status: code, response_id: w.response_id, errors: w.errors });
    }
    let detail = if looks_like_html(bytes) {
        "HTML error page"
    } else if status.is_server_error() {
        "server error"
    } else {
        "no error details"
    };
    Err(MdesClientError::Http { status: code, detail })
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(256)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let t = head.trim_start();
    t.starts_with("<!doctype html") || t.starts_with("<html") || t.starts_with('<')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_up_errors_are_one_line_naming_the_setting() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mdes");
        let mut s = MdesSettings {
            consumer_key: "ck".into(),
            signing_key_path: fixtures.join("test-only-signing.p12"),
            signing_key_password: Some("wrong".to_owned().into()),
            encryption_certificate_path: fixtures.join("test-only-encryption-cert.pem"),
            ..MdesSettings::default()
        };
        let e = MdesClient::from_settings(&s).unwrap_err().to_string();
        assert!(e.starts_with("mdes.signing_key_path: wrong password for PKCS#12 file"), "{e}");
        s.signing_key_password = Some("test-only-password".to_owned().into());
        s.encryption_certificate_path = fixtures.join("nope.pem");
        let e = MdesClient::from_settings(&s).unwrap_err().to_string();
        assert!(e.starts_with("mdes.encryption_certificate_path: cannot read file"), "{e}");
        s.encryption_certificate_path = fixtures.join("test-only-encryption-cert.pem");
        s.base_url = "ftp://x".into();
        assert!(MdesClient::from_settings(&s).unwrap_err().to_string().starts_with("mdes.base_url: not an http(s) URL"));
        s.fingerprint = super::super::encryption::FingerprintMode::parse("4c:4e:ad");
        let e = MdesClient::from_settings(&s).unwrap_err().to_string();
        assert!(e.starts_with("mdes.fingerprint: not hex digits only") && !e.contains('\n'), "{e}");
        s.fingerprint = super::super::encryption::FingerprintMode::parse(&"ab".repeat(32));
        s.base_url = "http://127.0.0.1:1/mdes/".into();
        let e = MdesClient::from_settings(&s).unwrap_err().to_string();
        assert!(e.contains("mdes.fingerprint") && e.contains("neither") && !e.contains('\n'), "another key's SHA-256: {e}");
        s.fingerprint = super::super::encryption::FingerprintMode::parse(&"ab".repeat(20));
        assert!(MdesClient::from_settings(&s).is_ok(), "a shorter value cannot be checked: taken as written");
        s.consumer_key = " ".into();
        assert!(MdesClient::from_settings(&s).unwrap_err().to_string().contains("mdes.consumer_key"));
    }

    #[test]
    fn interpret_maps_each_shape() {
        let ok: Result<AssetResponse, _> = interpret(StatusCode::OK, br#"{"mediaContents":[]}"#);
        assert!(ok.is_ok());
        let e = interpret::<AssetResponse>(StatusCode::OK, b"<html><body>oops</body></html>").unwrap_err();
        assert!(matches!(&e, MdesClientError::InvalidResponse { detail, .. } if detail.contains("HTML")), "{e}");
        let e = interpret::<AssetResponse>(StatusCode::OK, br#"{"mediaContents":[{"type":"#).unwrap_err();
        assert!(matches!(&e, MdesClientError::InvalidResponse { detail, .. } if detail.contains("truncated")), "{e}");
        let e = interpret::<AssetResponse>(
            StatusCode::UNAUTHORIZED,
            br#"{"Errors":{"Error":[{"Source":"Gateway","ReasonCode":"AUTHENTICATION_FAILED","Recoverable":false}]}}"#,
        )
        .unwrap_err();
        assert_eq!(e.reason_code(), Some("AUTHENTICATION_FAILED"));
        assert!(!e.recoverable());
        let e = interpret::<AssetResponse>(
            StatusCode::BAD_REQUEST,
            br#"{"responseId":"r","errors":[{"source":"INPUT","reasonCode":"INVALID_FIELD_LENGTH","recoverable":true}]}"#,
        )
        .unwrap_err();
        assert!(matches!(e, MdesClientError::Mdes { status: 400, .. }));
        assert!(e.recoverable());
        // Text with a control character is dropped from error bodies too (a reason code is
        // stored; PostgreSQL refuses a NUL).
        let e = interpret::<AssetResponse>(
            StatusCode::BAD_REQUEST,
            b"{\"errors\":[{\"reasonCode\":\"BAD\\u0000\",\"recoverable\":true}]}",
        )
        .unwrap_err();
        assert_eq!(e.reason_code(), Some(""));
        let ok: PushMultipleAccountsResponse = interpret(StatusCode::OK, b"{\"signature\":\"a.b.c\\r\\n\",\"pushAccountReceipts\":[{\"pushAccountId\":\"PA1\",\"pushAccountReceipt\":\"MCC-1\"}]}").unwrap();
        assert_eq!((ok.signature, ok.push_account_receipts.len()), (None, 1));
        let e = interpret::<AssetResponse>(StatusCode::BAD_GATEWAY, b"<html>Bad gateway</html>").unwrap_err();
        assert!(matches!(e, MdesClientError::Http { status: 502, detail: "HTML error page" }));
        assert!(e.recoverable());
    }
}
