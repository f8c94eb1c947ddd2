//! The typed session: what we keep in it, and the `SignedIn` extractor that
//! enforces the idle and absolute timeouts on the server.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::future::{Ready, ready};

use super::AppState;
use super::error::AppError;

const CARDHOLDER_ID: &str = crate::store::CARDHOLDER_SESSION_KEY;
const SIGNED_IN_AT: &str = "signed_in_at";
const LAST_SEEN_AT: &str = "last_seen_at";
const CSRF_TOKEN: &str = "csrf_token";

/// Typed access to the session state; no other code names session keys.
pub struct TypedSession(Session);

impl TypedSession {
    pub fn new(session: Session) -> Self {
        Self(session)
    }

    /// Sign-in: a new session key (no fixation), a new CSRF token, and the
    /// cardholder's id with the times the timeouts are measured from (`now`,
    /// by the application's clock).
    pub fn begin(&self, cardholder_id: i64, now: i64) -> Result<(), AppError> {
        self.0.renew();
        self.0.clear();
        self.insert(CARDHOLDER_ID, cardholder_id)?;
        self.insert(SIGNED_IN_AT, now)?;
        self.insert(LAST_SEEN_AT, now)?;
        self.csrf_token()?;
        Ok(())
    }

    /// Sign-out: the state is deleted from the store and the cookie removed.
    pub fn end(&self) {
        self.0.purge();
    }

    /// The CSRF token of this session, created on first use.
    pub fn csrf_token(&self) -> Result<String, AppError> {
        if let Some(token) = self.get::<String>(CSRF_TOKEN) {
            return Ok(token);
        }
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        self.insert(CSRF_TOKEN, &token)?;
        Ok(token)
    }

    /// What ties a push record to the session that stepped up for it: the
    /// SHA-256 of this session's CSRF token (a per-session secret, renewed at
    /// sign-in). Stored with the record before its first push, so it holds
    /// even if the instance dies before this response is sent.
    pub fn step_up_binding(&self) -> Result<String, AppError> {
        use sha2::{Digest, Sha256};
        Ok(hex::encode(Sha256::digest(self.csrf_token()?.as_bytes())))
    }

    /// The token stored in the session, if any (never creates one).
    pub fn existing_csrf_token(&self) -> Option<String> {
        self.get(CSRF_TOKEN)
    }

    fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        // A value that does not deserialize is treated as absent.
        self.0.get(key).ok().flatten()
    }

    fn insert<T: serde::Serialize>(&self, key: &str, value: T) -> Result<(), AppError> {
        self.0.insert(key, value).map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(req.get_session())))
    }
}

/// A signed-in cardholder. Extracting it checks the session's idle and
/// absolute timeouts; a missing or ended session redirects to sign-in and
/// comes back to the page asked for.
pub struct SignedIn {
    pub cardholder_id: i64,
    pub session: TypedSession,
    /// This response's CSP nonce (see `web::csp`).
    pub nonce: String,
    /// Seconds until the server ends the session for inactivity, for the
    /// timeout warning.
    pub idle_secs_left: u64,
    /// When this request was checked against the timeouts (Unix seconds).
    now: i64,
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(signed_in(req))
    }
}

fn signed_in(req: &HttpRequest) -> Result<SignedIn, AppError> {
    let state =
        req.app_data::<web::Data<AppState>>().ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
    let session = TypedSession(req.get_session());
    // Only GET pages are worth coming back to after signing in again.
    let next = if req.method() == actix_web::http::Method::GET {
        match req.query_string() {
            "" => req.path().to_string(),
            q => format!("{}?{q}", req.path()),
        }
    } else {
        "/cards".to_string()
    };
    let Some(cardholder_id) = session.get::<i64>(CARDHOLDER_ID) else {
        return Err(AppError::SignInRequired { next, expired: false });
    };
    let now = state.store.clock().now_unix();
    let signed_in_at = session.get::<i64>(SIGNED_IN_AT).unwrap_or(0);
    let last_seen_at = session.get::<i64>(LAST_SEEN_AT).unwrap_or(0);
    let limits = &state.settings.session;
    let idle = now.saturating_sub(last_seen_at) > i64::try_from(limits.idle_timeout_secs).unwrap_or(i64::MAX);
    let too_old = now.saturating_sub(signed_in_at) > i64::try_from(limits.absolute_timeout_secs).unwrap_or(i64::MAX);
    if idle || too_old {
        tracing::info!(cardholder_id, idle, too_old, "session timed out");
        session.end();
        return Err(AppError::SignInRequired { next, expired: true });
    }
    // Moving the idle clock is a session write (a database UPDATE). Pages
    // move it at most every `idle / 20` seconds (15 s at the 300 s maximum),
    // so a cardholder clicking through pages costs no write per page; the
    // session then ends up to that much early, never late, and the page
    // tells the timeout warning the time really left.
    let idle_secs = i64::try_from(limits.idle_timeout_secs).unwrap_or(i64::MAX);
    let last_seen_at = if now.saturating_sub(last_seen_at) >= idle_secs / 20 {
        session.insert(LAST_SEEN_AT, now)?;
        now
    } else {
        last_seen_at
    };
    let idle_secs_left = u64::try_from(idle_secs.saturating_sub(now.saturating_sub(last_seen_at))).unwrap_or(0);
    let nonce = req.extensions().get::<super::csp::CspNonce>().map(|n| n.0.clone()).unwrap_or_default();
    Ok(SignedIn { cardholder_id, session, nonce, idle_secs_left, now })
}

impl SignedIn {
    /// "Stay signed in": the idle clock restarts now (this request's time),
    /// whatever the page throttling above skipped.
    pub fn stay_signed_in(&mut self) -> Result<(), AppError> {
        self.session.insert(LAST_SEEN_AT, self.now)
    }
}
