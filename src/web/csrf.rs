//! CSRF protection for every POST: the synchronizer-token pattern. Each
//! session holds a random token; every form carries it in a hidden
//! `csrf_token` field; [`CsrfForm`] — the only way our handlers read a POSTed
//! form — refuses the request with 403 unless the two match.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::error::AppError;
use super::session::TypedSession;

/// A form that carries the session's CSRF token.
pub trait CsrfField {
    fn csrf_token(&self) -> &str;
}

/// Implements [`CsrfField`] for forms that carry the token in a
/// `csrf_token` field (all of ours).
macro_rules! csrf_field {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::web::csrf::CsrfField for $form {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        })+
    };
}
pub(crate) use csrf_field;

/// A form with nothing but its CSRF token: a button that does one thing
/// (sign out, try again).
#[derive(serde::Deserialize)]
pub struct ButtonForm {
    #[serde(default)]
    csrf_token: String,
}

csrf_field!(ButtonForm);

/// A URL-encoded form whose CSRF token has been checked.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + CsrfField + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<T>::from_request(req, payload);
        let session = TypedSession::from_request(req, &mut Payload::None);
        Box::pin(async move {
            let session = session.await?;
            let web::Form(form) = form.await?;
            let expected = session.existing_csrf_token().ok_or(AppError::Csrf)?;
            let sent = form.csrf_token();
            if sent.is_empty() || !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
                return Err(AppError::Csrf.into());
            }
            Ok(CsrfForm(form))
        })
    }
}

/// Maps form-parsing failures to our error pages: 413 when too large, 400 otherwise.
pub fn form_error(err: actix_web::error::UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::UrlencodedError;
    tracing::info!(error = %err, "form refused");
    match err {
        UrlencodedError::Overflow { .. } => AppError::PayloadTooLarge.into(),
        _ => AppError::BadRequest(super::error::Refusal::UnreadableForm).into(),
    }
}

/// The sign-in form's CSRF protection, with no server-side session: a signed
/// double-submit token. The browser holds a random nonce in a `SameSite=Strict`,
/// `HttpOnly` cookie scoped to `/login`; the form carries HMAC(key, nonce).
/// A forged cross-site POST has neither, and the token cannot be made
/// without the server's key. So showing the sign-in page writes nothing to
/// the database (a row per anonymous visit was a free way to fill it).
pub mod sign_in {
    use actix_web::cookie::{Cookie, SameSite};
    use actix_web::{HttpRequest, web};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{KeyInit, Mac};
    use subtle::ConstantTimeEq;

    use crate::web::AppState;

    const NONCE_BYTES: usize = 32;

    fn cookie_name(state: &AppState) -> String {
        format!("{}_signin", state.settings.session.cookie_name)
    }

    /// The key that signs sign-in form tokens, derived from the session
    /// cookie key (one secret to manage; a separate key per use).
    pub fn derive_key(cookie_key: &[u8]) -> [u8; 32] {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(cookie_key).expect("HMAC takes any key length");
        mac.update(b"pushprov sign-in form token v1");
        mac.finalize().into_bytes().into()
    }

    fn token_for(key: &[u8; 32], nonce: &str) -> String {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(nonce.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    fn well_formed(nonce: &str) -> bool {
        URL_SAFE_NO_PAD.decode(nonce).is_ok_and(|b| b.len() == NONCE_BYTES)
    }

    /// The form token for this browser, and the cookie to set when it had
    /// no (valid) nonce yet.
    pub fn token(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return (String::new(), None);
        };
        if let Some(nonce) = req.cookie(&cookie_name(state)).map(|c| c.value().to_string()).filter(|n| well_formed(n)) {
            return (token_for(&state.sign_in_form_key, &nonce), None);
        }
        let mut bytes = [0u8; NONCE_BYTES];
        rand::fill(&mut bytes);
        let nonce = URL_SAFE_NO_PAD.encode(bytes);
        let cookie = Cookie::build(cookie_name(state), nonce.clone())
            .path("/login")
            .http_only(true)
            .secure(state.settings.secure_cookies())
            .same_site(SameSite::Strict)
            .max_age(actix_web::cookie::time::Duration::hours(12))
            .finish();
        (token_for(&state.sign_in_form_key, &nonce), Some(cookie))
    }

    /// Whether `sent` is the token for this browser's nonce (constant time).
    pub fn check(req: &HttpRequest, sent: &str) -> bool {
        let Some(state) = req.app_data::<web::Data<AppState>>() else { return false };
        let Some(nonce) = req.cookie(&cookie_name(state)).map(|c| c.value().to_string()).filter(|n| well_formed(n)) else {
            return false;
        };
        let expected = token_for(&state.sign_in_form_key, &nonce);
        !sent.is_empty() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
    }
}

/// A URL-encoded sign-in form whose signed double-submit token
/// ([`sign_in`]) has been checked.
pub struct SignInCsrfForm<T>(pub T);

impl<T: DeserializeOwned + CsrfField + 'static> FromRequest for SignInCsrfForm<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<T>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let web::Form(form) = form.await?;
            if !sign_in::check(&req, form.csrf_token()) {
                return Err(AppError::Csrf.into());
            }
            Ok(SignInCsrfForm(form))
        })
    }
}
