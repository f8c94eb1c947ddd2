//! One error type for handlers, one error page for everything that fails.
//!
//! A handler's `Err(AppError)` becomes a response carrying an [`ErrorPage`]
//! (the kind of error and, when the handler knew it, the [`Refusal`]);
//! framework errors (404, 405, 413, bad forms) arrive without one.
//! [`render_error_pages`] turns every 4xx/5xx response into the HTML error
//! page, so there is a single place that renders errors, with the issuer's
//! branding. The words are the template's (`templates/errors/error.html`).

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::AppState;
use super::views::Chrome;
use crate::catalog::{Ineligible, MAX_CARDS_PER_PUSH};
use crate::provisioning::JourneyError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// The refusal is what the error page tells the cardholder.
    #[error("bad request: {0:?}")]
    BadRequest(Refusal),
    #[error("form too large")]
    PayloadTooLarge,
    #[error("CSRF token missing or wrong")]
    Csrf,
    /// The thing asked for is gone for good (used or expired link); the
    /// page says what to do next.
    #[error("gone: {0:?}")]
    Gone(Refusal),
    /// Another request is working on the same thing right now.
    #[error("conflict: {0:?}")]
    Conflict(Refusal),
    /// Not signed in (or the session ended): go to the sign-in page.
    #[error("sign-in required")]
    SignInRequired { next: String, expired: bool },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(anyhow::anyhow!("template: {e}"))
    }
}

/// Why a request was refused, as the error page explains it
/// (`data-reason`); the words are the template's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    IncompleteAddress,
    IncompleteForm,
    UnreadableForm,
    /// More card ids than any form of ours sends.
    TooManyChosen,
    SameCardTwice,
    CardNotAddable,
    RequestorUnavailable,
    RequestorGone,
    ChooseRequestorFirst,
    NoCardChosen,
    /// More than `MAX_CARDS_PER_PUSH` cards.
    TooManyCards,
    SingleCardOnly,
    RangeNotEnabled,
    NoPushMethodForDevice,
    NotTokenConnect,
    LinkUsed,
    LinkExpired,
    StillSending,
    StepUpAgain,
    NotSent,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::IncompleteAddress => "incomplete-address",
            Self::IncompleteForm => "incomplete-form",
            Self::UnreadableForm => "unreadable-form",
            Self::TooManyChosen => "too-many-chosen",
            Self::SameCardTwice => "same-card-twice",
            Self::CardNotAddable => "card-not-addable",
            Self::RequestorUnavailable => "requestor-unavailable",
            Self::RequestorGone => "requestor-gone",
            Self::ChooseRequestorFirst => "choose-requestor-first",
            Self::NoCardChosen => "no-card-chosen",
            Self::TooManyCards => "too-many-cards",
            Self::SingleCardOnly => "single-card-only",
            Self::RangeNotEnabled => "range-not-enabled",
            Self::NoPushMethodForDevice => "no-push-method-for-device",
            Self::NotTokenConnect => "not-token-connect",
            Self::LinkUsed => "link-used",
            Self::LinkExpired => "link-expired",
            Self::StillSending => "still-sending",
            Self::StepUpAgain => "step-up-again",
            Self::NotSent => "not-sent",
        }
    }
}

impl From<&Ineligible> for Refusal {
    fn from(why: &Ineligible) -> Self {
        match why {
            Ineligible::NoCards => Self::NoCardChosen,
            Ineligible::TooManyCards => Self::TooManyCards,
            Ineligible::SingleCardOnly => Self::SingleCardOnly,
            Ineligible::RangeNotEnabled { .. } => Self::RangeNotEnabled,
            Ineligible::NoPushMethodForDevice => Self::NoPushMethodForDevice,
            Ineligible::NotTokenConnect => Self::NotTokenConnect,
        }
    }
}

/// Journey errors as the cardholder meets them.
impl From<JourneyError> for AppError {
    fn from(e: JourneyError) -> Self {
        match e {
            JourneyError::Ineligible(why) => Self::BadRequest(Refusal::from(&why)),
            JourneyError::UnknownCard => Self::BadRequest(Refusal::CardNotAddable),
            JourneyError::UnknownRequestor => Self::BadRequest(Refusal::RequestorGone),
            JourneyError::NotFound => Self::NotFound,
            JourneyError::AlreadyUsed => Self::Gone(Refusal::LinkUsed),
            JourneyError::Expired => Self::Gone(Refusal::LinkExpired),
            JourneyError::InProgress => Self::Conflict(Refusal::StillSending),
            JourneyError::StepUpRequired => Self::BadRequest(Refusal::StepUpAgain),
            JourneyError::PushFailed | JourneyError::NotRetryable => Self::BadRequest(Refusal::NotSent),
            JourneyError::Store(e) => Self::Internal(e.into()),
        }
    }
}

/// The kind of error a status is, for the error page's title and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    FormExpired,
    NotFound,
    NotAllowedHere,
    StillWorking,
    Gone,
    TooLarge,
    TooManyAttempts,
    Unavailable,
    OurFault,
    Other,
}

impl ErrorKind {
    fn of(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::BadRequest,
            403 => Self::FormExpired,
            404 => Self::NotFound,
            405 => Self::NotAllowedHere,
            409 => Self::StillWorking,
            410 => Self::Gone,
            413 => Self::TooLarge,
            429 => Self::TooManyAttempts,
            503 => Self::Unavailable,
            _ if status.is_server_error() => Self::OurFault,
            _ => Self::Other,
        }
    }
}

/// What the error page says; attached to error responses as an extension.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub kind: ErrorKind,
    /// Said instead of the kind's own message, when the handler knew why.
    pub refusal: Option<Refusal>,
}

impl ErrorPage {
    fn for_status(status: StatusCode) -> Self {
        Self { kind: ErrorKind::of(status), refusal: None }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::Gone(_) => StatusCode::GONE,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::SignInRequired { .. } => StatusCode::SEE_OTHER,
            Self::Internal(e) if crate::store::is_database_unavailable(e.as_ref()) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::SignInRequired { next, expired } = self {
            let mut location = String::from("/login?");
            if *expired {
                location.push_str("reason=expired&");
            }
            location.push_str("next=");
            location.push_str(&percent_encode(next));
            return HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish();
        }
        let status = self.status_code();
        let mut page = ErrorPage::for_status(status);
        match self {
            Self::Internal(e) => tracing::error!(error = ?e, "request failed"),
            Self::BadRequest(refusal) | Self::Gone(refusal) | Self::Conflict(refusal) => {
                tracing::info!(error = %self, "request refused");
                page.refusal = Some(*refusal);
            }
            other => tracing::info!(error = %other, "request refused"),
        }
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(retry_after());
        }
        let mut response = response.finish();
        response.extensions_mut().insert(page);
        response
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorTemplate<'a> {
    chrome: Chrome,
    status: u16,
    page: &'a ErrorPage,
    max_cards: usize,
}

/// `ErrorHandlers` hook: give every 4xx/5xx response the HTML error page.
pub fn render_error_pages<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    let page = res.response().extensions().get::<ErrorPage>().cloned();
    let ours = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    if page.is_none() && ours {
        // A page of ours sent with an error status (e.g. the sign-in form
        // again with 401), or a JSON API answer: already what the client
        // should get.
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let page = page.unwrap_or_else(|| ErrorPage::for_status(status));
    let (req, res) = res.into_parts();
    let chrome = match req.app_data::<web::Data<AppState>>() {
        Some(state) => Chrome::anonymous(&state.settings),
        None => Chrome::fallback(),
    };
    let mut res = res.set_body(BoxBody::new(error_html(status, &page, chrome)));
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    headers.remove(header::CONTENT_LENGTH);
    let res = ServiceResponse::new(req, res).map_body(|_, body| EitherBody::right(body));
    Ok(ErrorHandlerResponse::Response(res))
}

/// Middleware errors (e.g. the session store failing) arrive as `Err`,
/// which `ErrorHandlers` passes through untouched and actix would answer in
/// plain text. This turns them into [`MiddlewareFailure`], which renders the
/// same error page (and carries the security headers itself, since
/// `DefaultHeaders` does not touch an `Err`).
pub async fn errors_to_pages(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse<impl MessageBody>> {
    // An Arc clone, not a clone of the request (that would break routing).
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (result, database_unavailable) = crate::store::watch_availability(next.call(req)).await;
    result.map_err(|e| {
        let mut status = e.as_response_error().status_code();
        if status == StatusCode::INTERNAL_SERVER_ERROR && database_unavailable {
            status = StatusCode::SERVICE_UNAVAILABLE;
        }
        tracing::error!(error = %e, %status, "request failed in middleware");
        MiddlewareFailure { status, state }.into()
    })
}

pub struct MiddlewareFailure {
    status: StatusCode,
    state: Option<web::Data<AppState>>,
}

impl std::fmt::Debug for MiddlewareFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MiddlewareFailure({})", self.status)
    }
}

impl std::fmt::Display for MiddlewareFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "middleware failure ({})", self.status)
    }
}

impl ResponseError for MiddlewareFailure {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let (chrome, hsts) = match &self.state {
            Some(state) => (Chrome::anonymous(&state.settings), state.settings.secure_cookies()),
            None => (Chrome::fallback(), false),
        };
        let html = error_html(self.status, &ErrorPage::for_status(self.status), chrome);
        let mut response = HttpResponse::build(self.status);
        response.content_type("text/html; charset=utf-8");
        for header in super::security_header_list(hsts) {
            response.insert_header(header);
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(retry_after());
        }
        response.body(html)
    }
}

/// How long a client should wait before retrying while the portal is
/// temporarily unavailable (the database restarting, typically).
pub(crate) fn retry_after() -> (header::HeaderName, header::HeaderValue) {
    (header::RETRY_AFTER, header::HeaderValue::from_static("30"))
}

fn error_html(status: StatusCode, page: &ErrorPage, chrome: Chrome) -> String {
    ErrorTemplate { chrome, status: status.as_u16(), page, max_cards: MAX_CARDS_PER_PUSH }
        .render()
        .unwrap_or_else(|_| format!("<!doctype html><title>{0}</title><h1>{0}</h1>", status.as_u16()))
}

/// What a query value in one of our own addresses percent-encodes: everything but RFC 3986's
/// unreserved characters and `/`, which stays readable so that a return path shows as
/// `next=/cards` in the address bar (a `/` needs no escape inside a query, RFC 3986 §3.4).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// Percent-encodes a value for a query string (RFC 3986 unreserved and `/` kept).
pub fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handler_meeting_an_unreachable_database_answers_503_with_retry_after() {
        let outage = AppError::from(crate::store::StoreError::from(sqlx::Error::PoolTimedOut));
        assert_eq!(outage.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(outage.error_response().headers().get(header::RETRY_AFTER).unwrap(), "30");
        let fault = AppError::from(crate::store::StoreError::from(sqlx::Error::RowNotFound));
        assert_eq!(fault.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(fault.error_response().headers().get(header::RETRY_AFTER).is_none());
    }
}
