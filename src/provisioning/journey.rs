//! One concern: the journey's state machine over a provisioning record —
//! create it, push to MDES, hand the browser to the token requestor, take
//! it back, and derive what is known (wire contract §1, §7, §8, §9). Web
//! handlers call these functions; nothing here renders.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::handoff::{HandOff, choose_push_method, hand_off_url};
use super::holder::{holder_data, holder_fields};
use super::outcome::AccountOutcome;
use super::return_report::ReturnReport;
use super::settings::ProvisioningSettings;
use super::status::FailureReason;
use crate::catalog::{Device, Ineligible, why_ineligible};
use crate::domain::{ProvisioningState, TokenRequestor};
use crate::mdes::model::{CardAccountData, FinancialAccountData, FundingAccountData, PushFundingAccount, SignatureData};
use crate::mdes::{MdesClient, PushRequest};
use crate::store::{
    AccountKind, Cardholder, FundingAccount, NewProvisioning, ProvisioningRecord, PushResult, PushedAccount, Store, StoreError,
};

/// Where the TR sends the browser back: `{public_url}{RETURN_PATH}/{token}`.
pub const RETURN_PATH: &str = "/provisioning/return";

#[derive(Debug, thiserror::Error)]
pub enum JourneyError {
    #[error("this token requestor cannot take these cards: {0:?}")]
    Ineligible(Ineligible),
    #[error("card or account not found for this cardholder")]
    UnknownCard,
    #[error("token requestor not in the catalogue")]
    UnknownRequestor,
    #[error("provisioning record not found (or not this cardholder's)")]
    NotFound,
    #[error("this return link was already used")]
    AlreadyUsed,
    #[error("this return link has expired")]
    Expired,
    #[error("a push for this record is still in progress")]
    InProgress,
    #[error("the push failed")]
    PushFailed,
    #[error("retry is not offered for this failure")]
    NotRetryable,
    /// Another push needs a fresh step-up: not this session's, too long
    /// ago, or the record made its allowed number of pushes.
    #[error("a new step-up is needed before pushing again")]
    StepUpRequired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The journey's collaborators, borrowed for one request.
pub struct Journey<'a> {
    pub store: &'a Store,
    pub mdes: &'a MdesClient,
    pub settings: &'a ProvisioningSettings,
    /// The portal's public URL (`server.public_url`): the callback URL is built on it.
    pub public_url: String,
}

/// Who asks for a record to be pushed again: the cardholder, their device,
/// and their session's step-up binding (see [`Journey::may_repush`]).
pub struct Asker<'a> {
    pub cardholder: &'a Cardholder,
    pub device: Device,
    pub binding: &'a str,
}

/// The cardholder's two ways to push a record again from its page; the
/// page's form posts to `…/retry` or `…/resend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushAgain {
    /// *Try again* after a recoverable failure.
    Retry,
    /// *Send again* after an interrupted push.
    Resend,
}

/// 256 random bits: the one-time, unguessable id in the callback URL.
fn new_callback_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Journey<'_> {
    /// Unix seconds by the application's clock (see `crate::clock`).
    fn now(&self) -> i64 {
        self.store.clock().now_unix()
    }

    fn callback_url(&self, token: &str) -> String {
        format!("{}{RETURN_PATH}/{token}", self.public_url)
    }

    /// Creates the record and pushes. A second submit of the same review
    /// form (`submission_id`) returns the first record and pushes nothing.
    pub async fn start(
        &self,
        cardholder: &Cardholder,
        tr: &TokenRequestor,
        cards: &[&FundingAccount],
        device: Device,
        submission_id: &str,
        step_up_binding: &str,
    ) -> Result<String, JourneyError> {
        if let Some(id) = self.store.provisioning_by_submission(cardholder.id, submission_id).await? {
            tracing::info!(provisioning = %id, "repeated submission: no second push");
            return Ok(id);
        }
        if let Some(why) = why_ineligible(tr, cards, device) {
            return Err(JourneyError::Ineligible(why));
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let request_id = crate::mdes::request::new_request_id();
        let token = new_callback_token();
        let accounts: Vec<(String, String)> =
            cards.iter().enumerate().map(|(i, c)| (format!("PA{}", i + 1), c.public_id.clone())).collect();
        let holder_supplied = holder_data(cardholder, &holder_fields(tr)).is_some();
        let new = NewProvisioning {
            id: &id,
            callback_token: &token,
            submission_id,
            cardholder_id: cardholder.id,
            trid: &tr.token_requestor_id,
            tr_name: &tr.consumer_facing_entity_name,
            request_id: &request_id,
            locale: &cardholder.locale,
            holder_data_supplied: holder_supplied,
            step_up_binding,
            accounts: &accounts,
        };
        if let Err(e) = self.store.insert_provisioning(&new).await {
            // Two submits racing: the other one won the unique constraint.
            if let Some(id) = self.store.provisioning_by_submission(cardholder.id, submission_id).await? {
                return Ok(id);
            }
            return Err(e.into());
        }
        tracing::info!(provisioning = %id, %request_id, trid = %tr.token_requestor_id, cards = cards.len(), "provisioning created");
        let record = self.store.provisioning(&id).await?.ok_or(JourneyError::NotFound)?;
        self.push(&record, cardholder, tr, &token, device).await?;
        Ok(id)
    }

    /// Sends the record's accounts to MDES (state `Created`) and stores the
    /// answer: `Pushed` with receipts, or `PushFailed` with the reason.
    /// A span with the record and its requestId (what MDES support asks
    /// for); arguments are skipped, they hold card data.
    #[tracing::instrument(name = "push", skip_all, fields(provisioning = %record.id, request_id = %record.request_id))]
    async fn push(
        &self,
        record: &ProvisioningRecord,
        cardholder: &Cardholder,
        tr: &TokenRequestor,
        callback_token: &str,
        device: Device,
    ) -> Result<(), JourneyError> {
        // Only fields the TR accepts and the cardholder has: an empty
        // `accountHolderData` is not sent, and then the flag says false.
        let holder = holder_data(cardholder, &holder_fields(tr));
        let mut accounts = Vec::with_capacity(record.accounts.len());
        let funding = self.store.funding_accounts(cardholder.id).await?;
        for account in &record.accounts {
            let card = funding.iter().find(|f| f.public_id == account.funding_account_id).ok_or(JourneyError::UnknownCard)?;
            let number = self.store.account_number(cardholder.id, &card.public_id).await?.ok_or(JourneyError::UnknownCard)?;
            let data = match card.kind {
                AccountKind::Card => FundingAccountData {
                    card_account_data: Some(CardAccountData {
                        account_number: number.expose().to_string(),
                        expiry_month: card.expiry_month.map(|m| format!("{m:02}")),
                        expiry_year: card.expiry_year.map(|y| format!("{:02}", y % 100)),
                    }),
                    ..FundingAccountData::default()
                },
                AccountKind::FinancialAccount => FundingAccountData {
                    financial_account_data: Some(FinancialAccountData {
                        financial_account_id: number.expose().to_string(),
                        interbank_card_association_id: card.interbank_card_association_id.clone().unwrap_or_default(),
                        country_code: card.country_code.clone().unwrap_or_default(),
                    }),
                    ..FundingAccountData::default()
                },
            };
            accounts.push(PushFundingAccount {
                push_account_id: account.push_account_id.clone(),
                funding_account_data: FundingAccountData {
                    account_holder_data: holder.clone(),
                    // Mastercard recommends the data be valid for 30 minutes.
                    data_valid_until_timestamp: valid_until(self.store.clock().now(), 30 * 60),
                    ..data
                },
            });
        }
        let settings = self.settings;
        let holder_data_supplied = holder.is_some();
        let mut request = PushRequest::new(tr.token_requestor_id.clone(), accounts)
            .with_signature_data(SignatureData {
                callback_url: Some(self.callback_url(callback_token)),
                complete_website_activation: Some(settings.complete_website_activation),
                complete_issuer_app_activation: Some(settings.complete_issuer_app_activation),
                account_holder_data_supplied: Some(holder_data_supplied),
                locale: Some(record.locale.clone()),
                ..SignatureData::default()
            })
            .with_validity_period(settings.receipts_validity_minutes);
        if wants_digitization_data(settings, tr) {
            request.request_issuer_initiated_digitization_data = Some(true);
        }
        let pushed_at = self.now();
        match self.mdes.push_multiple_accounts_as(&request, record.request_id.clone()).await {
            Ok(outcome) => {
                // MDES's answer names the TR's push methods; the catalogue's
                // are the fallback. Only these URIs are ever handed off to.
                let from_response = choose_push_method(&outcome.response.available_push_methods, device);
                let method = from_response.or_else(|| choose_push_method(&tr.available_push_methods, device));
                let Some(method) = method else {
                    // Receipts were issued, but there is no way to take the
                    // browser to the TR from here: nothing is handed off.
                    tracing::warn!(provisioning = %record.id, request_id = %record.request_id, "no usable push method for this device in the push answer or the catalogue");
                    self.store.record_push_failure(&record.id, FailureReason::NoPushMethod.code(), false).await?;
                    return Ok(());
                };
                let entries = &outcome.response.push_account_receipts;
                let result = PushResult {
                    push_method: method.method_type.as_str(),
                    push_uri: &method.uri,
                    // A JWS is base64url and dots: anything else (empty,
                    // blanks) is no JWS — never hand off `signature=` with it.
                    signature: outcome.response.signature.as_deref().filter(|s| looks_like_jws(s)),
                    receipts_expire_at: pushed_at + i64::from(settings.receipts_validity_minutes) * 60,
                    holder_data_supplied,
                    accounts: record
                        .accounts
                        .iter()
                        .map(|a| {
                            let entry = entries.iter().find(|e| e.push_account_id == a.push_account_id);
                            let receipt = entry
                                .and_then(|e| e.push_account_receipt.as_deref())
                                .filter(|r| usable_receipt(r))
                                // One receipt is one card: a second card with the same one got none.
                                .filter(|r| {
                                    !entries.iter().take_while(|e| e.push_account_id != a.push_account_id).any(|e| {
                                        e.push_account_receipt.as_deref() == Some(r)
                                            && record.accounts.iter().any(|x| x.push_account_id == e.push_account_id)
                                    })
                                });
                            let error = entry.and_then(|e| e.errors.first());
                            let reason = match (receipt, error) {
                                (Some(_), _) => None,
                                (None, Some(e)) => Some(e.reason_code.as_str()),
                                (None, None) => Some(FailureReason::NoReceipt.code()),
                            };
                            let recoverable = reason.map(|_| error.is_some_and(|e| e.recoverable == Some(true)));
                            let digitization_data = receipt
                                .and(entry.and_then(|e| e.issuer_initiated_digitization_data.as_deref()))
                                .filter(|d| !d.is_empty() && d.len() <= 5000);
                            PushedAccount {
                                push_account_id: a.push_account_id.as_str(),
                                receipt,
                                error_reason: reason,
                                recoverable,
                                digitization_data,
                            }
                        })
                        .collect(),
                };
                let issued = result.accounts.iter().filter(|a| a.receipt.is_some()).count();
                if issued == 0 {
                    // HTTP 200 yet no receipt for any of our accounts (every
                    // one refused, or entries whose pushAccountId matches
                    // none): nothing to hand off — a failure, never a
                    // hand-off with no receipts.
                    let first = result.accounts.iter().find(|a| a.error_reason.is_some());
                    let reason = first.and_then(|a| a.error_reason).unwrap_or(FailureReason::NoReceipt.code());
                    let recoverable = first.and_then(|a| a.recoverable).unwrap_or(false);
                    tracing::warn!(provisioning = %record.id, request_id = %record.request_id, reason, "push answered without a receipt for any account");
                    self.store.record_push_failure(&record.id, reason, recoverable).await?;
                    return Ok(());
                }
                self.store.record_push_result(&record.id, &result).await?;
                tracing::info!(provisioning = %record.id, request_id = %record.request_id, issued, failed = result.accounts.len() - issued, "push stored");
                Ok(())
            }
            Err(e) => {
                // MDES's reasonCode is stored as MDES sent it (`EXPIRED_CARD`
                // too, as the accounts' reasons are); ours when it sent none.
                let reason =
                    e.reason_code().map_or_else(|| FailureReason::of_client_error(&e).code().to_string(), str::to_string);
                tracing::warn!(provisioning = %record.id, request_id = %record.request_id, error = %e, recoverable = e.recoverable(), "push failed");
                self.store.record_push_failure(&record.id, &reason, e.recoverable()).await?;
                Ok(())
            }
        }
    }

    /// A record of this cardholder's (others' records do not exist for them).
    pub async fn record(&self, id: &str, cardholder_id: i64) -> Result<ProvisioningRecord, JourneyError> {
        match self.store.provisioning(id).await? {
            Some(record) if record.cardholder_id == cardholder_id => Ok(record),
            _ => Err(JourneyError::NotFound),
        }
    }

    /// Whether the session with `binding` may push `record` again without a
    /// new step-up: only the session that stepped up for it (the binding
    /// stored with the record before its first push), within
    /// `provisioning.repush_window_secs` of the step-up.
    fn may_repush(&self, record: &ProvisioningRecord, binding: &str) -> bool {
        let window = i64::try_from(self.settings.repush_window_secs).unwrap_or(i64::MAX);
        let same_session = record
            .step_up_binding
            .as_deref()
            .is_some_and(|b| !binding.is_empty() && bool::from(subtle::ConstantTimeEq::ct_eq(b.as_bytes(), binding.as_bytes())));
        same_session && record.stepped_up_at.is_some_and(|at| self.now().saturating_sub(at) <= window)
    }

    /// Pushes again for fresh receipts from `record.state`, then returns the
    /// updated record (its state says whether the push worked). Only for the
    /// session that stepped up, recently ([`Journey::may_repush`]), and while
    /// the record has pushes left; otherwise `StepUpRequired`.
    async fn repush(
        &self,
        record: &ProvisioningRecord,
        asker: &Asker<'_>,
        same_request: bool,
    ) -> Result<ProvisioningRecord, JourneyError> {
        let max_pushes = self.pushes_allowed(record, asker.binding)?;
        let request_id = if same_request { record.request_id.clone() } else { crate::mdes::request::new_request_id() };
        if !self.store.begin_repush(&record.id, record.state, &request_id, max_pushes).await? {
            // Another request changed it first: pushing, or it used the last push.
            let now = self.store.provisioning(&record.id).await?.ok_or(JourneyError::NotFound)?;
            return Err(if now.push_count >= max_pushes && now.state != ProvisioningState::Created {
                JourneyError::StepUpRequired
            } else {
                JourneyError::InProgress
            });
        }
        tracing::info!(provisioning = %record.id, %request_id, from = record.state.as_str(), "pushing again for fresh receipts");
        self.push_claimed(&record.id, asker).await
    }

    /// The number of pushes `record` may make in all, when the session with
    /// `binding` may push it again at all ([`Journey::may_repush`]) and it
    /// has pushes left; otherwise `StepUpRequired`.
    fn pushes_allowed(&self, record: &ProvisioningRecord, binding: &str) -> Result<i64, JourneyError> {
        let max_pushes = i64::from(self.settings.max_pushes_per_record);
        if !self.may_repush(record, binding) || record.push_count >= max_pushes {
            tracing::info!(provisioning = %record.id, push_count = record.push_count, "another push needs a new step-up");
            return Err(JourneyError::StepUpRequired);
        }
        Ok(max_pushes)
    }

    /// Pushes record `id`, just claimed in state `Created` by this request,
    /// and returns it as stored afterwards.
    async fn push_claimed(&self, id: &str, asker: &Asker<'_>) -> Result<ProvisioningRecord, JourneyError> {
        let record = self.store.provisioning(id).await?.ok_or(JourneyError::NotFound)?;
        let tr = self.store.token_requestor(&record.trid).await?.ok_or(JourneyError::UnknownRequestor)?;
        let token = self.store.callback_token(id).await?.ok_or(JourneyError::NotFound)?;
        self.push(&record, asker.cardholder, &tr, &token, asker.device).await?;
        self.store.provisioning(id).await?.ok_or(JourneyError::NotFound)
    }

    /// How long a push can take at most (every attempt timing out, plus
    /// back-off); a record still `Created` after this (and a margin) was cut
    /// off before its answer was stored: its process died mid-push.
    pub fn push_deadline_secs(&self) -> i64 {
        i64::try_from(self.mdes.longest_push().as_secs()).unwrap_or(i64::MAX / 2) + 2
    }

    /// Whether `record` is a push cut off before its answer was stored (its
    /// instance died, or the answer never came): still `Created` after the
    /// longest a push can take. Its page says "we could not confirm" and
    /// offers *Send again*; opening a page never pushes by itself.
    pub fn interrupted(&self, record: &ProvisioningRecord) -> bool {
        record.state == ProvisioningState::Created && self.now().saturating_sub(record.updated_at) > self.push_deadline_secs()
    }

    /// *Send again* for an interrupted push (docs/operations.md "When something dies"),
    /// by the cardholder's choice, in the session that stepped up for it and
    /// within the record's pushes. A new requestId by default — the only
    /// behaviour the spec documents; with `provisioning.resend_same_request_id`
    /// the same one **[ours]**: whether MDES reconciles a repeated requestId
    /// is not public. The compare-and-set on `updated_at` lets one tab or
    /// instance resend. Returns the record as it now is.
    async fn resend_interrupted_push(
        &self,
        record: ProvisioningRecord,
        asker: &Asker<'_>,
    ) -> Result<ProvisioningRecord, JourneyError> {
        if record.state != ProvisioningState::Created {
            return Ok(record);
        }
        if !self.interrupted(&record) {
            return Err(JourneyError::InProgress);
        }
        let max_pushes = self.pushes_allowed(&record, asker.binding)?;
        let fresh = (!self.settings.resend_same_request_id).then(crate::mdes::request::new_request_id);
        if !self.store.claim_interrupted_push(&record.id, record.updated_at, fresh.as_deref(), max_pushes).await? {
            // Another tab or instance resends it: show what is stored.
            return self.store.provisioning(&record.id).await?.ok_or(JourneyError::NotFound);
        }
        tracing::warn!(provisioning = %record.id, same_request_id = fresh.is_none(), "resending a push whose answer was never stored");
        self.push_claimed(&record.id, asker).await
    }

    /// The cardholder continues to the TR: fresh receipts when they expire
    /// soon (or were already handed off once), then the hand-off URL.
    #[tracing::instrument(skip_all, fields(provisioning = %id))]
    pub async fn continue_to_tr(&self, id: &str, asker: &Asker<'_>) -> Result<String, JourneyError> {
        let mut record = self.record(id, asker.cardholder.id).await?;
        let margin = i64::try_from(self.settings.refresh_margin_secs).unwrap_or(i64::MAX);
        let stale = record.receipts_expire_at.is_none_or(|at| at - self.now() <= margin);
        match record.state {
            ProvisioningState::Pushed if !stale => {}
            // Receipts never go to a TR twice: the back button and a second
            // "continue" get fresh ones.
            ProvisioningState::Pushed | ProvisioningState::HandedOff => {
                record = self.repush(&record, asker, false).await?;
                if record.state != ProvisioningState::Pushed {
                    return Err(JourneyError::PushFailed);
                }
            }
            // Its page offers *Send again*.
            ProvisioningState::Created if self.interrupted(&record) => return Err(JourneyError::PushFailed),
            ProvisioningState::Created => return Err(JourneyError::InProgress),
            ProvisioningState::PushFailed => return Err(JourneyError::PushFailed),
            ProvisioningState::Returned => return Err(JourneyError::AlreadyUsed),
        }
        let uri = record.push_uri.clone().ok_or(JourneyError::PushFailed)?;
        let receipts: Vec<&str> = record.accounts.iter().filter_map(|a| a.receipt.as_deref()).collect();
        let digitization_data: Vec<&str> = record
            .accounts
            .iter()
            .filter_map(|a| {
                let current = a.receipt.as_deref()?;
                a.issued.iter().find(|i| i.receipt == current)?.digitization_data.as_deref()
            })
            .collect();
        if !self.store.record_hand_off(&record.id).await? {
            return Err(JourneyError::InProgress);
        }
        let token = self.store.callback_token(&record.id).await?.ok_or(JourneyError::NotFound)?;
        let callback_url = self.callback_url(&token);
        tracing::info!(provisioning = %record.id, method = record.push_method.as_deref().unwrap_or(""), "handed off to the token requestor");
        Ok(hand_off_url(
            self.settings,
            &HandOff {
                trid: &record.trid,
                uri: &uri,
                receipts: &receipts,
                callback_url: &callback_url,
                locale: &record.locale,
                complete_website_activation: self.settings.complete_website_activation,
                complete_issuer_app_activation: self.settings.complete_issuer_app_activation,
                account_holder_data_supplied: record.holder_data_supplied,
                signature: record.signature.as_deref(),
                digitization_data: &digitization_data,
            },
        ))
    }

    /// Pushes record `id` again, as the cardholder asked from its page (never
    /// a silent repeat); returns the record as it now is.
    #[tracing::instrument(skip_all, fields(provisioning = %id, how = ?how))]
    pub async fn push_again(&self, id: &str, asker: &Asker<'_>, how: PushAgain) -> Result<ProvisioningRecord, JourneyError> {
        let record = self.record(id, asker.cardholder.id).await?;
        match how {
            PushAgain::Retry => self.retry(record, asker).await,
            PushAgain::Resend => self.resend_interrupted_push(record, asker).await,
        }
    }

    /// Retry after a recoverable failure.
    async fn retry(&self, record: ProvisioningRecord, asker: &Asker<'_>) -> Result<ProvisioningRecord, JourneyError> {
        if record.state != ProvisioningState::PushFailed || record.error_recoverable != Some(true) {
            return Err(JourneyError::NotRetryable);
        }
        // When MDES's answer never arrived (timeout, 5xx without an MDES
        // error, a garbled answer) the push may have been processed; with
        // `resend_same_request_id` [ours] the retry resends the SAME
        // requestId for MDES to reconcile. By default, and always after a
        // definite MDES answer, a new request.
        let outcome_unknown = record.error_reason.as_deref().map(FailureReason::from_code).is_some_and(|r| r.answer_unknown());
        let same_request = outcome_unknown && self.settings.resend_same_request_id;
        self.repush(&record, asker, same_request).await
    }

    /// The browser is back from the TR with the record's one-time token.
    pub async fn record_return(&self, token: &str, cardholder_id: i64, report: &ReturnReport) -> Result<String, JourneyError> {
        let record = self
            .store
            .provisioning_by_callback_token(token)
            .await?
            .filter(|r| r.cardholder_id == cardholder_id)
            .ok_or(JourneyError::NotFound)?;
        // Receipts were handed off before when any push issued one: then a
        // return is expected even while a later push runs (`Created`) or
        // after it failed (`PushFailed`) — the tab with the earlier receipts.
        let ever_issued = record.accounts.iter().any(|a| !a.issued.is_empty());
        let from = match record.state {
            ProvisioningState::HandedOff | ProvisioningState::Pushed => record.state,
            ProvisioningState::Created | ProvisioningState::PushFailed if ever_issued => record.state,
            ProvisioningState::Returned => return Err(JourneyError::AlreadyUsed),
            _ => return Err(JourneyError::NotFound),
        };
        let grace = i64::try_from(self.settings.return_grace_secs).unwrap_or(900);
        if record.receipts_expire_at.is_some_and(|at| self.now() > at + grace) {
            return Err(JourneyError::Expired);
        }
        let (overall, per_receipt) = read_report(&record, report);
        if !self.store.record_return(&record.id, from, overall.as_deref(), &per_receipt).await? {
            return Err(JourneyError::AlreadyUsed);
        }
        tracing::info!(provisioning = %record.id, reported = overall.as_deref().unwrap_or("-"), "browser returned from the token requestor");
        Ok(record.id)
    }

    /// Each account of the record with what is known of it, from every
    /// receipt the record was given (see [`AccountOutcome::of`]).
    pub async fn outcomes(&self, record: &ProvisioningRecord) -> Result<Vec<AccountOutcome>, JourneyError> {
        let receipts = all_receipts(record);
        let events = self.store.latest_token_events(&receipts).await?;
        let now = self.now();
        Ok(record.accounts.iter().map(|a| AccountOutcome::of(a, &events, now)).collect())
    }
}

/// The TR's report on `record`, or nothing (logged) when it does not match.
fn read_report(record: &ProvisioningRecord, report: &ReturnReport) -> (Option<String>, Vec<(String, String)>) {
    // The TR may report on any receipt the record was given, earlier ones too.
    let ours = all_receipts(record);
    match report.matching(&ours) {
        Some((overall, per_receipt)) => (Some(overall), per_receipt),
        None => {
            if report.receipts.is_some() || report.status.is_some() {
                tracing::warn!(provisioning = %record.id, "return parameters do not match the record; ignored");
            }
            (None, Vec::new())
        }
    }
}

/// A `pushAccountReceipt` the hand-off can carry: 1–64 characters a URL
/// carries as they are and that no template joins on (no comma).
fn usable_receipt(receipt: &str) -> bool {
    (1..=64).contains(&receipt.len()) && receipt.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
}

/// Whether `signature` has the shape of a compact JWS (three base64url parts).
fn looks_like_jws(signature: &str) -> bool {
    signature.split('.').count() == 3
        && signature.len() <= 16_384
        && signature.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.=".contains(&b))
        && signature.split('.').take(2).all(|part| !part.is_empty())
}

/// Every receipt any push of `record` issued.
fn all_receipts(record: &ProvisioningRecord) -> Vec<&str> {
    record.accounts.iter().flat_map(|a| a.issued.iter().map(|i| i.receipt.as_str())).collect()
}

/// Whether the push asks MDES for `issuerInitiatedDigitizationData`: only for
/// a TR the bank listed (a proprietary agreement) that says it supports it.
fn wants_digitization_data(settings: &ProvisioningSettings, tr: &TokenRequestor) -> bool {
    tr.support_issuer_initiated_digitization_data == Some(true)
        && settings.digitization_data_for.iter().any(|t| t == &tr.token_requestor_id)
}

/// `dataValidUntilTimestamp`: ISO 8601 in UTC with milliseconds (MDES takes
/// 20–29 characters; nanoseconds would make 30).
fn valid_until(now: time::OffsetDateTime, secs: i64) -> Option<String> {
    let at = now + time::Duration::seconds(secs);
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.format(&format).ok()
}

#[cfg(test)]
mod tests {
    /// Issue 15 item 5: receipts are handed off with five minutes left at least.
    #[test]
    fn receipts_go_to_the_tr_with_time_for_a_sign_up() {
        let settings = super::ProvisioningSettings::default();
        assert!(settings.refresh_margin_secs >= 300);
        assert!(!settings.complete_issuer_app_activation && !settings.resend_same_request_id);
        // The default fits the shortest documented validity, 5 minutes.
        let mut short = settings.clone();
        short.receipts_validity_minutes = 5;
        assert!(short.validate().is_ok());
        short.refresh_margin_secs = 301;
        assert!(short.validate().is_err(), "a margin longer than the receipts' life");
    }

    /// Attack findings: a blank "signature" was handed on; a receipt with a
    /// comma split into two in the hand-off.
    #[test]
    fn only_jws_shaped_signatures_and_url_safe_receipts_are_handed_on() {
        for jws in ["eyJh.eyJi.c2ln", "eyJhbGciOiJSUzI1NiJ9.eyJ4IjoxfQ.abc-_"] {
            assert!(super::looks_like_jws(jws), "{jws}");
        }
        for not_jws in ["", "   ", "\t", "\u{0}", "a.b", ".b.c", "a b.c.d", "eyJh.eyJi.c2ln\n"] {
            assert!(!super::looks_like_jws(not_jws), "{not_jws:?}");
        }
        assert!(super::usable_receipt("MCC-STL-35B41EFB-8A46-45C4-8768-6077B1279A46"));
        for bad in ["", "MCC-a,b", "MCC a", "MCC-é", "<b>", &"A".repeat(65)] {
            assert!(!super::usable_receipt(bad), "{bad:?}");
        }
    }

    #[test]
    fn data_valid_until_fits_mdes_limits() {
        let at = super::valid_until(time::OffsetDateTime::now_utc(), 1800).unwrap();
        assert!((20..=29).contains(&at.len()), "{at}");
        assert!(at.ends_with('Z'));
    }
}
