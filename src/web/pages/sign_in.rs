//! Sign-in and sign-out: the sign-in page (`web::views::SignInPage`), the
//! password check (`auth::sign_in`), and the session's end.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{html, see_other, with_retry_after};
use crate::auth::{self, SignInError};
use crate::domain::Login;
use crate::web::AppState;
use crate::web::csrf::{self, ButtonForm, CsrfForm, SignInCsrfForm, csrf_field};
use crate::web::error::AppError;
use crate::web::session::{SignedIn, TypedSession};
use crate::web::views::{Chrome, FormError, SignInNotice, SignInPage};

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    reason: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

csrf_field!(SignInForm);

/// Where to go after signing in: only a path on this site, never elsewhere.
/// No backslash and no control character of any kind: browsers drop tabs
/// and newlines from a `Location`, so `/\t/evil.example` would become
/// `//evil.example` (another site), and a control byte cannot go in a header.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && n.len() <= 2048 =>
        {
            n.to_string()
        }
        _ => "/cards".to_string(),
    }
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = match query.reason.as_deref() {
        Some("expired") => Some(SignInNotice::TimedOut),
        Some("signed-out") => Some(SignInNotice::SignedOut),
        _ => None,
    };
    sign_in_page(&state, &req, StatusCode::OK, safe_next(query.next.as_deref()), String::new(), notice, None)
}

/// The sign-in page; its form token needs no server-side session (see
/// `csrf::sign_in`), so showing it writes nothing.
fn sign_in_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    next: String,
    login: String,
    notice: Option<SignInNotice>,
    error: Option<FormError>,
) -> Result<HttpResponse, AppError> {
    let (csrf_token, cookie) = csrf::sign_in::token(req);
    let page = SignInPage { chrome: Chrome::anonymous(&state.settings), csrf_token, next, login, notice, error };
    let mut response = html(status, &page)?;
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(response)
}

pub async fn submit(
    state: web::Data<AppState>,
    session: TypedSession,
    req: HttpRequest,
    SignInCsrfForm(form): SignInCsrfForm<SignInForm>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(Some(&form.next));
    let retry = |status: StatusCode, error: FormError| -> Result<HttpResponse, AppError> {
        sign_in_page(&state, &req, status, next.clone(), form.login.chars().take(64).collect(), None, Some(error))
    };
    let Ok(login) = Login::parse(&form.login) else {
        return retry(StatusCode::UNAUTHORIZED, FormError::WrongCredentials);
    };
    if form.password.is_empty() || form.password.len() > 1024 {
        return retry(StatusCode::UNAUTHORIZED, FormError::WrongCredentials);
    }
    let address = crate::web::client_address(&req, &state.settings);
    match auth::sign_in(&state.store, &state.settings.security, &login, &form.password, &address).await {
        Ok(cardholder_id) => {
            session.begin(cardholder_id, state.store.clock().now_unix())?;
            tracing::info!(cardholder_id, "signed in");
            Ok(see_other(&next))
        }
        Err(SignInError::WrongCredentials) => {
            tracing::info!(login_len = form.login.len(), "sign-in refused: wrong credentials");
            retry(StatusCode::UNAUTHORIZED, FormError::WrongCredentials)
        }
        Err(SignInError::Throttled { retry_after_secs }) => {
            tracing::warn!(retry_after_secs, "sign-in throttled");
            Ok(with_retry_after(retry(StatusCode::TOO_MANY_REQUESTS, FormError::SignInPaused)?, retry_after_secs))
        }
        Err(e) => Err(AppError::Internal(e.into())),
    }
}

pub async fn sign_out(session: TypedSession, form: CsrfForm<ButtonForm>) -> HttpResponse {
    let _ = form;
    session.end();
    see_other("/login?reason=signed-out")
}

/// Sign-out everywhere: every session of this cardholder, on every device,
/// is deleted on the server (a stolen cookie stops working too).
pub async fn sign_out_everywhere(
    state: web::Data<AppState>,
    who: SignedIn,
    form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let _ = form;
    let ended = state.store.end_sessions_of(who.cardholder_id).await?;
    who.session.end();
    tracing::info!(cardholder_id = who.cardholder_id, sessions = ended, "signed out everywhere");
    Ok(see_other("/login?reason=signed-out"))
}

/// "Stay signed in" from the timeout warning: extending the session is a
/// state change, so it is a POST with the CSRF token in a header.
pub async fn keepalive(mut who: SignedIn, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    let expected = who.session.csrf_token()?;
    if sent.is_empty() || !bool::from(subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), expected.as_bytes())) {
        return Err(AppError::Csrf);
    }
    who.stay_signed_in()?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/cards?x=1")), "/cards?x=1");
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "/a\r\nSet-Cookie: x",
            "/\t/evil.example",
            "/\u{b}",
            "/\u{0}x",
            "/\u{7f}",
            "/\u{85}/evil.example",
            "/cards\\..\\x",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/cards", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/cards");
    }
}
