//! What the portal knows of each pushed account, derived — never stored —
//! from MDES's answer and token events. What the token requestor reported
//! on the browser's return is only its word: it can say "cancelled" (nothing
//! happened), but a success is shown only once a token event says so.

use super::status::{TokenStatus, TrStatus};
use crate::store::{IssuedReceipt, ProvisioningAccount, StoredTokenEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountOutcome {
    /// A token is active: the card is in the wallet.
    Added,
    Declined,
    /// A token exists but the cardholder must verify it at the TR.
    NeedsVerification,
    Suspended,
    Removed,
    /// The cardholder cancelled at the TR (its report, no token event).
    CancelledAtTr,
    /// MDES did not issue a receipt for it.
    NotSent {
        recoverable: bool,
    },
    /// Sent; nothing known yet: finish at the TR.
    Pending,
}

impl AccountOutcome {
    /// What is known of `account` at `now`, from `events` (the latest token
    /// event of each receipt; others' are ignored) and the TR's reports.
    ///
    /// Every receipt the record was ever given counts: a re-push for fresh
    /// receipts does not stop the TR from using an earlier one. An active
    /// token on any receipt means the card was added; otherwise the newest
    /// event says what happened. A cancellation reported by the TR counts
    /// only when no earlier receipt can still be used (each was reported
    /// cancelled too, or has expired).
    pub fn of(account: &ProvisioningAccount, events: &[StoredTokenEvent], now: i64) -> Self {
        let mine: Vec<&StoredTokenEvent> =
            events.iter().filter(|e| account.issued.iter().any(|i| i.receipt == e.receipt)).collect();
        let known: Vec<(TokenStatus, i64)> =
            mine.iter().filter_map(|e| Some((TokenStatus::parse(&e.status)?, e.occurred_at_ms))).collect();
        if known.iter().any(|(status, _)| *status == TokenStatus::Active) {
            return Self::Added;
        }
        if let Some((status, _)) = known.iter().max_by_key(|(_, at)| *at) {
            return Self::of_token(*status);
        }
        let Some(current) = account.receipt.as_deref() else {
            return Self::NotSent { recoverable: account.error_recoverable == Some(true) };
        };
        let cancelled = |r: &IssuedReceipt| TrStatus::is_cancelled(r.reported_status.as_deref());
        // `reported_status` is the current receipt's (store::with_accounts).
        let current_cancelled = TrStatus::is_cancelled(account.reported_status.as_deref());
        let earlier_settled = account.issued.iter().filter(|i| i.receipt != current).all(|i| cancelled(i) || i.expires_at < now);
        if current_cancelled && earlier_settled {
            return Self::CancelledAtTr;
        }
        Self::Pending
    }

    fn of_token(status: TokenStatus) -> Self {
        match status {
            TokenStatus::Active => Self::Added,
            TokenStatus::Declined => Self::Declined,
            TokenStatus::Inactive => Self::NeedsVerification,
            TokenStatus::Suspended => Self::Suspended,
            TokenStatus::Deleted => Self::Removed,
        }
    }

    /// Whether the token requestor has said something of the card (a token
    /// event): then it is what the page shows, whatever a later push did.
    pub fn known_at_tr(self) -> bool {
        matches!(self, Self::Added | Self::Declined | Self::NeedsVerification | Self::Suspended | Self::Removed)
    }

    /// A stable name for pages and tests (`data-outcome`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Declined => "declined",
            Self::NeedsVerification => "needs-verification",
            Self::Suspended => "suspended",
            Self::Removed => "removed",
            Self::CancelledAtTr => "cancelled",
            Self::NotSent { .. } => "not-sent",
            Self::Pending => "pending",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(receipt: Option<&str>, reported: Option<&str>) -> ProvisioningAccount {
        ProvisioningAccount {
            push_account_id: "A1".into(),
            funding_account_id: "f".into(),
            receipt: receipt.map(str::to_string),
            error_reason: None,
            error_recoverable: Some(true),
            reported_status: reported.map(str::to_string),
            issued: receipt
                .map(|r| IssuedReceipt {
                    receipt: r.into(),
                    expires_at: 1_000,
                    reported_status: reported.map(str::to_string),
                    digitization_data: None,
                })
                .into_iter()
                .collect(),
        }
    }

    fn event_on(receipt: &str, status: &str, at: i64) -> StoredTokenEvent {
        StoredTokenEvent {
            event_id: format!("e-{receipt}-{at}"),
            receipt: receipt.into(),
            token_unique_reference: None,
            status: status.into(),
            occurred_at_ms: at,
        }
    }

    fn event(status: &str) -> StoredTokenEvent {
        event_on("r", status, 0)
    }

    #[test]
    fn token_events_decide_and_the_tr_report_never_claims_success() {
        let sent = account(Some("r"), Some("APPROVED"));
        let of =
            |a: &ProvisioningAccount, e: Option<StoredTokenEvent>| AccountOutcome::of(a, &e.into_iter().collect::<Vec<_>>(), 0);
        assert_eq!(of(&sent, None), AccountOutcome::Pending, "the TR's word is not proof");
        assert_eq!(of(&sent, Some(event("ACTIVE"))), AccountOutcome::Added);
        assert_eq!(of(&sent, Some(event("DECLINED"))), AccountOutcome::Declined);
        assert_eq!(of(&sent, Some(event("INACTIVE"))), AccountOutcome::NeedsVerification);
        assert_eq!(of(&sent, Some(event("SUSPENDED"))), AccountOutcome::Suspended);
        assert_eq!(of(&sent, Some(event("DELETED"))), AccountOutcome::Removed);
        assert_eq!(of(&sent, Some(event("SOMETHING_NEW"))), AccountOutcome::Pending);
        let cancelled = account(Some("r"), Some("CANCELLED"));
        assert_eq!(of(&cancelled, None), AccountOutcome::CancelledAtTr);
        assert_eq!(of(&cancelled, Some(event("ACTIVE"))), AccountOutcome::Added, "events win");
        assert_eq!(of(&account(None, None), None), AccountOutcome::NotSent { recoverable: true });
        assert_eq!(of(&sent, Some(event_on("someone-elses", "ACTIVE", 0))), AccountOutcome::Pending, "only our receipts");
    }

    /// Issue 14 item 5: receipts A (handed off first) and B (a re-push). The
    /// cardholder accepted with A and cancelled with B.
    #[test]
    fn every_receipt_a_record_was_given_counts() {
        let mut account = account(Some("B"), Some("CANCELLED"));
        account
            .issued
            .insert(0, IssuedReceipt { receipt: "A".into(), expires_at: 1_000, reported_status: None, digitization_data: None });
        let events = vec![event_on("A", "ACTIVE", 10)];
        assert_eq!(AccountOutcome::of(&account, &events, 500), AccountOutcome::Added, "a token is active through A");
        assert_eq!(AccountOutcome::of(&account, &[], 500), AccountOutcome::Pending, "A can still be used: not cancelled");
        assert_eq!(AccountOutcome::of(&account, &[], 1_001), AccountOutcome::CancelledAtTr, "A expired unused");
        // The newest event wins, unless a token is active on some receipt.
        let events = vec![event_on("A", "DECLINED", 10), event_on("B", "INACTIVE", 20)];
        assert_eq!(AccountOutcome::of(&account, &events, 500), AccountOutcome::NeedsVerification);
        let events = vec![event_on("A", "ACTIVE", 10), event_on("B", "DECLINED", 20)];
        assert_eq!(AccountOutcome::of(&account, &events, 500), AccountOutcome::Added);
        // The latest push issued nothing, but the earlier receipt made a token.
        let mut failed_repush = account.clone();
        failed_repush.receipt = None;
        assert_eq!(AccountOutcome::of(&failed_repush, &[event_on("A", "ACTIVE", 1)], 500), AccountOutcome::Added);
    }
}
