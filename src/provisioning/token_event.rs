//! Token events (wire contract §9): what the token requestor's side says
//! became of a token, the only proof that a card was added. Checked here,
//! stored as they come; `AccountOutcome::of` reads them.

use super::journey::Journey;
use super::status::TokenStatus;
use crate::store::{StoreError, StoredTokenEvent};

impl Journey<'_> {
    /// Stores an authenticated token event. `Ok(true)` when new, `Ok(false)`
    /// for a duplicate; whether the receipt is known yet does not matter —
    /// it may arrive before the push answer is stored.
    pub async fn accept_token_event(&self, event: &crate::token_events::TokenEvent) -> Result<bool, TokenEventError> {
        if TokenStatus::parse(&event.status).is_none() {
            return Err(TokenEventError::Invalid("status"));
        }
        let clean = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic());
        if !clean(&event.event_id, 64) {
            return Err(TokenEventError::Invalid("eventId"));
        }
        if !clean(&event.push_account_receipt, 64) {
            return Err(TokenEventError::Invalid("pushAccountReceipt"));
        }
        if event.token_unique_reference.as_deref().is_some_and(|t| !clean(t, 64)) {
            return Err(TokenEventError::Invalid("tokenUniqueReference"));
        }
        let occurred = time::OffsetDateTime::parse(&event.occurred_at, &time::format_description::well_known::Rfc3339)
            .map_err(|_| TokenEventError::Invalid("occurredAt"))?;
        let occurred_at_ms =
            i64::try_from(occurred.unix_timestamp_nanos() / 1_000_000).map_err(|_| TokenEventError::Invalid("occurredAt"))?;
        let stored = StoredTokenEvent {
            event_id: event.event_id.clone(),
            receipt: event.push_account_receipt.clone(),
            token_unique_reference: event.token_unique_reference.clone(),
            status: event.status.clone(),
            occurred_at_ms,
        };
        let new = self.store.insert_token_event(&stored).await?;
        let known = self.store.receipt_known(&stored.receipt).await?;
        tracing::info!(event_id = %stored.event_id, status = %stored.status, new, known_receipt = known, "token event");
        Ok(new)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenEventError {
    #[error("invalid field {0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}
