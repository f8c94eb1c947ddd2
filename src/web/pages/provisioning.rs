//! A provisioning record's pages: the hand-off to the token requestor, the
//! return from it, and the honest confirmation; plus "Where my cards are".

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::add::{device_of, journey_error, logo_url, see_other};
use super::{Chrome, html, signed_in_cardholder, signed_in_cardholder_with_accounts};
use crate::domain::ProvisioningState;
use crate::provisioning::{AccountOutcome, Journey, JourneyError, ReturnReport, reason_message};
use crate::store::{FundingAccount, ProvisioningRecord};
use crate::web::AppState;
use crate::web::csrf::{CsrfField, CsrfForm};
use crate::web::error::AppError;
use crate::web::session::SignedIn;

fn journey(state: &AppState) -> Journey<'_> {
    Journey { store: &state.store, mdes: &state.mdes, settings: &state.settings }
}

/// One account of a record, as listed.
struct AccountLine {
    label: String,
    masked: String,
    outcome_code: &'static str,
    outcome_label: String,
    /// Why it was not sent, in cardholder words.
    problem: Option<&'static str>,
}

/// Which page a record shows.
#[derive(PartialEq, Eq)]
enum View {
    /// Receipts in hand: "You are leaving … for …".
    HandOff,
    /// Sent to the TR earlier; the cardholder is back here without returning.
    HandedOff,
    InProgress,
    /// Still sending after the longest a push can take: the answer never
    /// came (or was never stored). "We could not confirm", *Send again*.
    Unconfirmed,
    Failed,
    Cancelled,
    Confirmation,
}

#[derive(Template)]
#[template(path = "provisioning/show.html")]
struct RecordPage {
    chrome: Chrome,
    id: String,
    view: View,
    tr_name: String,
    tr_logo: String,
    issuer_name: String,
    accounts: Vec<AccountLine>,
    some_not_sent: bool,
    retry_offered: bool,
    failure_message: &'static str,
    start_again_url: String,
}

fn line(
    account: &crate::store::ProvisioningAccount,
    outcome: AccountOutcome,
    funding: &[FundingAccount],
    tr: &str,
) -> AccountLine {
    let card = funding.iter().find(|f| f.public_id == account.funding_account_id);
    AccountLine {
        label: card.map(|c| c.product.clone()).unwrap_or_else(|| "Card".into()),
        masked: card.map(|c| format!("ending {}", c.last4)).unwrap_or_default(),
        outcome_code: outcome.code(),
        outcome_label: outcome.label(tr),
        problem: match outcome {
            AccountOutcome::NotSent { recoverable } => Some(reason_message(account.error_reason.as_deref(), recoverable)),
            _ => None,
        },
    }
}

async fn record_page(state: &AppState, who: &SignedIn, record: &ProvisioningRecord) -> Result<RecordPage, AppError> {
    let (holder, funding) = signed_in_cardholder_with_accounts(state, who).await?;
    let outcomes = journey(state).outcomes(record).await.map_err(journey_error)?;
    let tr = state.store.token_requestor(&record.trid).await?;
    let mut accounts: Vec<AccountLine> =
        record.accounts.iter().zip(&outcomes).map(|(a, o)| line(a, *o, &funding, &record.tr_name)).collect();
    if record.state == ProvisioningState::PushFailed {
        // The whole push failed: the page's one message says why and what
        // next; per-card lines would repeat it, or contradict it.
        accounts.iter_mut().for_each(|a| a.problem = None);
    }
    let some_not_sent = outcomes.iter().any(|o| matches!(o, AccountOutcome::NotSent { .. }));
    // A card may have been added through an earlier push's receipts whatever
    // became of a later push: then the page says what is known of the cards.
    let known_at_tr = outcomes.iter().any(|o| {
        matches!(
            o,
            AccountOutcome::Added
                | AccountOutcome::Declined
                | AccountOutcome::NeedsVerification
                | AccountOutcome::Suspended
                | AccountOutcome::Removed
        )
    });
    let view = match record.state {
        ProvisioningState::Created | ProvisioningState::PushFailed if known_at_tr => View::Confirmation,
        ProvisioningState::Created if journey(state).interrupted(record) => View::Unconfirmed,
        ProvisioningState::Created => View::InProgress,
        ProvisioningState::PushFailed => View::Failed,
        ProvisioningState::Pushed => View::HandOff,
        ProvisioningState::HandedOff => View::HandedOff,
        ProvisioningState::Returned
            if outcomes.iter().all(|o| matches!(o, AccountOutcome::CancelledAtTr | AccountOutcome::NotSent { .. })) =>
        {
            View::Cancelled
        }
        ProvisioningState::Returned => View::Confirmation,
    };
    if matches!(view, View::InProgress | View::Unconfirmed) {
        // No answer yet: no receipt is not "could not be sent".
        for a in &mut accounts {
            a.problem = None;
            a.outcome_code = "sending";
            a.outcome_label = match view {
                View::InProgress => format!("Being sent to {}", record.tr_name),
                _ => "Not confirmed — nothing added yet".to_string(),
            };
        }
    }
    Ok(RecordPage {
        chrome: Chrome::signed_in(&state.settings, &holder.display_name, who)?,
        id: record.id.clone(),
        view,
        tr_name: record.tr_name.clone(),
        tr_logo: tr.as_ref().map(logo_url).unwrap_or_else(|| crate::web::assets::versioned_url("tr-placeholder.svg")),
        issuer_name: state.settings.issuer.name.clone(),
        accounts,
        some_not_sent,
        retry_offered: record.state == ProvisioningState::PushFailed && record.error_recoverable == Some(true),
        failure_message: reason_message(record.error_reason.as_deref(), record.error_recoverable == Some(true)),
        start_again_url: review_url(record),
    })
}

/// The record's page: whatever its state calls for.
pub async fn show(state: web::Data<AppState>, who: SignedIn, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    // Opening a page never pushes: an interrupted push waits for the
    // cardholder's *Send again*.
    let record = journey(&state).record(&id, who.cardholder_id).await.map_err(journey_error)?;
    let page = record_page(&state, &who, &record).await?;
    let status = match page.view {
        View::Failed => StatusCode::BAD_GATEWAY,
        _ => StatusCode::OK,
    };
    html(status, &page)
}

/// "Continue to <TR>": fresh receipts if needed, then off to the TR.
pub async fn continue_to_tr(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let holder = signed_in_cardholder(&state, &who).await?;
    let binding = who.session.step_up_binding()?;
    match journey(&state).continue_to_tr(&id, &holder, device_of(&req), &binding).await {
        Ok(url) => Ok(see_other(&url)),
        // The record page explains the failure and offers what is possible.
        Err(JourneyError::PushFailed | JourneyError::AlreadyUsed) => Ok(see_other(&format!("/provisioning/{id}"))),
        Err(JourneyError::StepUpRequired) => step_up_again(&state, &who, &id).await,
        Err(e) => Err(journey_error(e)),
    }
}

/// Another push needs the cardholder to confirm it is them: back to the
/// review page for the same token requestor and cards.
async fn step_up_again(state: &AppState, who: &SignedIn, id: &str) -> Result<HttpResponse, AppError> {
    let record = journey(state).record(id, who.cardholder_id).await.map_err(journey_error)?;
    Ok(see_other(&review_url(&record)))
}

fn review_url(record: &ProvisioningRecord) -> String {
    let card_ids: Vec<&str> = record.accounts.iter().map(|a| a.funding_account_id.as_str()).collect();
    format!(
        "/add/review?tr={}&cards={}",
        crate::web::error::percent_encode(&record.trid),
        crate::web::error::percent_encode(&card_ids.join(","))
    )
}

#[derive(Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf_token: String,
}

impl CsrfField for RetryForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Try again after a recoverable failure (offered only then).
pub async fn retry(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    id: web::Path<String>,
    form: CsrfForm<RetryForm>,
) -> Result<HttpResponse, AppError> {
    let _ = form;
    push_again(&state, &who, &req, &id, PushAgain::Retry).await
}

/// *Send again* after an interrupted push (the cardholder's choice; see
/// `Journey::resend_interrupted_push`).
pub async fn resend(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    id: web::Path<String>,
    form: CsrfForm<RetryForm>,
) -> Result<HttpResponse, AppError> {
    let _ = form;
    push_again(&state, &who, &req, &id, PushAgain::Resend).await
}

/// The cardholder's two ways to push a record again from its page.
enum PushAgain {
    Retry,
    Resend,
}

/// Pushes record `id` again for this session (it must be the one that
/// stepped up, recently), then back to its page; or to the review page to
/// confirm again.
async fn push_again(
    state: &AppState,
    who: &SignedIn,
    req: &HttpRequest,
    id: &str,
    how: PushAgain,
) -> Result<HttpResponse, AppError> {
    let holder = signed_in_cardholder(state, who).await?;
    let binding = who.session.step_up_binding()?;
    let j = journey(state);
    let pushed = match how {
        PushAgain::Retry => j.retry(id, &holder, device_of(req), &binding).await,
        PushAgain::Resend => j.resend_interrupted_push(id, &holder, device_of(req), &binding).await,
    };
    match pushed {
        Ok(_) => Ok(see_other(&format!("/provisioning/{id}"))),
        // Another tab is sending it: its page says so.
        Err(JourneyError::InProgress) if matches!(how, PushAgain::Resend) => Ok(see_other(&format!("/provisioning/{id}"))),
        Err(JourneyError::StepUpRequired) => step_up_again(state, who, id).await,
        Err(e) => Err(journey_error(e)),
    }
}

/// The token requestor sends the browser back here. The id in the path is
/// the record's one-time token; the query is the TR's word, not proof.
pub async fn returned(
    state: web::Data<AppState>,
    who: SignedIn,
    token: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    if token.len() != 43 || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(AppError::NotFound);
    }
    let report = ReturnReport::from_query(req.query_string());
    let id = journey(&state).record_return(&token, who.cardholder_id, &report).await.map_err(journey_error)?;
    Ok(see_other(&format!("/provisioning/{id}")))
}

struct WhereRow {
    label: String,
    masked: String,
    places: Vec<(String, &'static str, String)>,
}

#[derive(Template)]
#[template(path = "cards_where.html")]
struct WherePage {
    chrome: Chrome,
    cards: Vec<WhereRow>,
}

/// Per card, the token requestors it was pushed to and the latest known status.
pub async fn where_my_cards_are(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, AppError> {
    let (holder, funding) = signed_in_cardholder_with_accounts(&state, &who).await?;
    let records = state.store.provisionings_of(holder.id).await?;
    let j = journey(&state);
    let mut places: Vec<(String, String, AccountOutcome)> = Vec::new();
    for record in &records {
        let outcomes = j.outcomes(record).await.map_err(journey_error)?;
        for (account, outcome) in record.accounts.iter().zip(outcomes) {
            // Newest record first: the first seen per (card, TR) is the latest.
            let seen = places.iter().any(|(card, trid, _)| card == &account.funding_account_id && trid == &record.trid);
            if !seen && record.state != ProvisioningState::Created {
                places.push((account.funding_account_id.clone(), record.trid.clone(), outcome));
            }
        }
    }
    let cards = funding
        .iter()
        .map(|card| WhereRow {
            label: card.product.clone(),
            masked: format!("ending {}", card.last4),
            places: places
                .iter()
                .filter(|(id, _, _)| id == &card.public_id)
                .map(|(_, trid, outcome)| {
                    let name = records.iter().find(|r| &r.trid == trid).map(|r| r.tr_name.clone()).unwrap_or_default();
                    let label = outcome.label(&name);
                    (name, outcome.code(), label)
                })
                .collect(),
        })
        .collect();
    let page = WherePage { chrome: Chrome::signed_in(&state.settings, &holder.display_name, &who)?, cards };
    html(StatusCode::OK, &page)
}
