//! A provisioning record's pages: the hand-off to the token requestor, the
//! return from it, and the honest confirmation; plus "Where my cards are".
//! The pages are `web::views::{RecordPage, WherePage}`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::add::device_of;
use super::{html, record_path, see_other, signed_in_cardholder, signed_in_cardholder_with_accounts};
use crate::domain::ProvisioningState;
use crate::provisioning::{AccountOutcome, Asker, Journey, JourneyError, Problem, PushAgain, ReturnReport};
use crate::store::ProvisioningRecord;
use crate::web::AppState;
use crate::web::csrf::{ButtonForm, CsrfForm};
use crate::web::error::AppError;
use crate::web::session::SignedIn;
use crate::web::views::{
    AccountLine, CardLabel, Chrome, LineStatus, Place, RecordPage, RecordView, WherePage, WhereRow, logo_url,
};

fn journey(state: &AppState) -> Journey<'_> {
    state.journey()
}

/// Which page `record` shows, given what is known of its cards.
fn view_of(state: &AppState, record: &ProvisioningRecord, outcomes: &[AccountOutcome]) -> RecordView {
    // A card may have been added through an earlier push's receipts whatever
    // became of a later push: then the page says what is known of the cards.
    let known_at_tr = outcomes.iter().any(|o| o.known_at_tr());
    let all_cancelled = outcomes.iter().all(|o| matches!(o, AccountOutcome::CancelledAtTr | AccountOutcome::NotSent { .. }));
    match record.state {
        ProvisioningState::Created | ProvisioningState::PushFailed if known_at_tr => RecordView::Confirmation,
        ProvisioningState::Created if journey(state).interrupted(record) => RecordView::Unconfirmed,
        ProvisioningState::Created => RecordView::InProgress,
        ProvisioningState::PushFailed => RecordView::Failed,
        ProvisioningState::Pushed => RecordView::HandOff,
        ProvisioningState::HandedOff => RecordView::HandedOff,
        ProvisioningState::Returned if all_cancelled => RecordView::Cancelled,
        ProvisioningState::Returned => RecordView::Confirmation,
    }
}

async fn record_page(state: &AppState, who: &SignedIn, record: &ProvisioningRecord) -> Result<RecordPage, AppError> {
    let (holder, funding) = signed_in_cardholder_with_accounts(state, who).await?;
    let outcomes = journey(state).outcomes(record).await?;
    let tr = state.store.token_requestor(&record.trid).await?;
    let view = view_of(state, record, &outcomes);
    let accounts = record
        .accounts
        .iter()
        .zip(&outcomes)
        .map(|(account, &outcome)| AccountLine {
            card: CardLabel::find(&funding, &account.funding_account_id),
            status: match view {
                RecordView::InProgress => LineStatus::BeingSent,
                RecordView::Unconfirmed => LineStatus::NotConfirmed,
                _ => LineStatus::Known(outcome),
            },
            // No answer yet: no receipt is not "could not be sent". When the
            // whole push failed, the page's one message says why and what
            // next; per-card lines would repeat it, or contradict it.
            problem: match (outcome, view, record.state) {
                (_, RecordView::InProgress | RecordView::Unconfirmed, _) | (_, _, ProvisioningState::PushFailed) => None,
                (AccountOutcome::NotSent { recoverable }, _, _) => {
                    Some(Problem::of(account.error_reason.as_deref(), recoverable))
                }
                _ => None,
            },
        })
        .collect();
    Ok(RecordPage {
        chrome: Chrome::signed_in(&state.settings, &holder.display_name, who)?,
        id: record.id.clone(),
        view,
        tr_name: record.tr_name.clone(),
        tr_logo: logo_url(tr.as_ref()),
        issuer_name: state.settings.issuer.name.clone(),
        accounts,
        some_not_sent: outcomes.iter().any(|o| matches!(o, AccountOutcome::NotSent { .. })),
        retry_offered: record.state == ProvisioningState::PushFailed && record.error_recoverable == Some(true),
        failure: Problem::of(record.error_reason.as_deref(), record.error_recoverable == Some(true)),
        start_again_url: review_url(record),
    })
}

/// The record's page: whatever its state calls for.
#[tracing::instrument(name = "record_page", skip_all, fields(provisioning = %id))]
pub async fn show(state: web::Data<AppState>, who: SignedIn, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    // Opening a page never pushes: an interrupted push waits for the
    // cardholder's *Send again*.
    let record = journey(&state).record(&id, who.cardholder_id).await?;
    let page = record_page(&state, &who, &record).await?;
    let status = match page.view {
        RecordView::Failed => StatusCode::BAD_GATEWAY,
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
    let asker = Asker { cardholder: &holder, device: device_of(&req), binding: &binding };
    match journey(&state).continue_to_tr(&id, &asker).await {
        Ok(url) => Ok(see_other(&url)),
        // The record page explains the failure and offers what is possible.
        Err(JourneyError::PushFailed | JourneyError::AlreadyUsed) => Ok(see_other(&record_path(&id))),
        Err(JourneyError::StepUpRequired) => step_up_again(&state, &who, &id).await,
        Err(e) => Err(e.into()),
    }
}

/// Another push needs the cardholder to confirm it is them: back to the
/// review page for the same token requestor and cards.
async fn step_up_again(state: &AppState, who: &SignedIn, id: &str) -> Result<HttpResponse, AppError> {
    let record = journey(state).record(id, who.cardholder_id).await?;
    Ok(see_other(&review_url(&record)))
}

fn review_url(record: &ProvisioningRecord) -> String {
    let card_ids: Vec<&str> = record.accounts.iter().map(|a| a.funding_account_id.as_str()).collect();
    let cards = card_ids.join(",");
    // Pairs of strings always encode.
    let query = serde_urlencoded::to_string([("tr", record.trid.as_str()), ("cards", cards.as_str())]).unwrap_or_default();
    format!("/add/review?{query}")
}

/// *Try again* after a recoverable failure (offered only then), or *Send
/// again* after an interrupted push (see `Journey::push_again`): the record
/// is pushed again for this session (it must be the one that stepped up,
/// recently), then back to its page; or to the review page to confirm again.
pub async fn push_again(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
    path: web::Path<(String, PushAgain)>,
    form: CsrfForm<ButtonForm>,
) -> Result<HttpResponse, AppError> {
    let _ = form;
    let (id, how) = path.into_inner();
    let holder = signed_in_cardholder(&state, &who).await?;
    let binding = who.session.step_up_binding()?;
    let asker = Asker { cardholder: &holder, device: device_of(&req), binding: &binding };
    match journey(&state).push_again(&id, &asker, how).await {
        Ok(_) => Ok(see_other(&record_path(&id))),
        // Another tab is sending it: its page says so.
        Err(JourneyError::InProgress) if how == PushAgain::Resend => Ok(see_other(&record_path(&id))),
        Err(JourneyError::StepUpRequired) => step_up_again(&state, &who, &id).await,
        Err(e) => Err(e.into()),
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
    let id = journey(&state).record_return(&token, who.cardholder_id, &report).await?;
    Ok(see_other(&record_path(&id)))
}

/// Per card, the token requestors it was pushed to and the latest known status.
#[tracing::instrument(skip_all)]
pub async fn where_my_cards_are(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, AppError> {
    let (holder, funding) = signed_in_cardholder_with_accounts(&state, &who).await?;
    let records = state.store.provisionings_of(holder.id).await?;
    let j = journey(&state);
    let mut places: Vec<(String, String, AccountOutcome)> = Vec::new();
    for record in &records {
        let outcomes = j.outcomes(record).await?;
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
            card: CardLabel::new(card),
            places: places
                .iter()
                .filter(|(id, _, _)| id == &card.public_id)
                .map(|(_, trid, outcome)| Place {
                    tr_name: records.iter().find(|r| &r.trid == trid).map(|r| r.tr_name.clone()).unwrap_or_default(),
                    outcome: *outcome,
                })
                .collect(),
        })
        .collect();
    let page = WherePage { chrome: Chrome::signed_in(&state.settings, &holder.display_name, &who)?, cards };
    html(StatusCode::OK, &page)
}
