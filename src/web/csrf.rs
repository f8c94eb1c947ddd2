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
        _ => AppError::BadRequest("We could not read that form. Please go back and try again.").into(),
    }
}
