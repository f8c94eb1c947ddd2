//! What the portal knows of each pushed account, derived — never stored —
//! from MDES's answer and token events. What the token requestor reported
//! on the browser's return is only its word: it can say "cancelled" (nothing
//! happened), but a success is shown only once a token event says so.

use crate::store::{ProvisioningAccount, StoredTokenEvent};

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
    NotSent { recoverable: bool },
    /// Sent; nothing known yet: finish at the TR.
    Pending,
}

impl AccountOutcome {
    pub fn of(account: &ProvisioningAccount, latest_event: Option<&StoredTokenEvent>) -> Self {
        if account.receipt.is_none() {
            return Self::NotSent { recoverable: account.error_recoverable == Some(true) };
        }
        if let Some(event) = latest_event {
            match event.status.as_str() {
                "ACTIVE" => return Self::Added,
                "DECLINED" => return Self::Declined,
                "INACTIVE" => return Self::NeedsVerification,
                "SUSPENDED" => return Self::Suspended,
                "DELETED" => return Self::Removed,
                _ => {}
            }
        }
        if account.reported_status.as_deref() == Some("CANCELLED") {
            return Self::CancelledAtTr;
        }
        Self::Pending
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

    /// Words for the cardholder; `tr` is the token requestor's name.
    pub fn label(self, tr: &str) -> String {
        match self {
            Self::Added => format!("Added to {tr}"),
            Self::Declined => format!("Declined — it was not added to {tr}"),
            Self::NeedsVerification => format!("Needs verification — finish it in {tr}"),
            Self::Suspended => format!("Suspended in {tr}"),
            Self::Removed => format!("Removed from {tr}"),
            Self::CancelledAtTr => format!("Cancelled at {tr}"),
            Self::NotSent { .. } => format!("Could not be sent to {tr}"),
            Self::Pending => format!("Sent to {tr} — finish there"),
        }
    }
}

/// A cardholder-facing sentence for an MDES reason code; the code itself
/// goes to the log only.
pub fn reason_message(reason: Option<&str>, recoverable: bool) -> &'static str {
    match reason {
        Some("ACCOUNT_INELIGIBLE") => "This card can't be added there. You can still use it as usual.",
        Some("CARD_EXPIRED" | "EXPIRED_CARD") => "This card has expired.",
        _ if recoverable => "Mastercard couldn't process this just now. Please try again in a moment.",
        _ => "This couldn't be completed. Please contact us if you need help.",
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
        }
    }

    fn event(status: &str) -> StoredTokenEvent {
        StoredTokenEvent {
            event_id: "e".into(),
            receipt: "r".into(),
            token_unique_reference: None,
            status: status.into(),
            occurred_at_ms: 0,
        }
    }

    #[test]
    fn token_events_decide_and_the_tr_report_never_claims_success() {
        let sent = account(Some("r"), Some("APPROVED"));
        assert_eq!(AccountOutcome::of(&sent, None), AccountOutcome::Pending, "the TR's word is not proof");
        assert_eq!(AccountOutcome::of(&sent, Some(&event("ACTIVE"))), AccountOutcome::Added);
        assert_eq!(AccountOutcome::of(&sent, Some(&event("DECLINED"))), AccountOutcome::Declined);
        assert_eq!(AccountOutcome::of(&sent, Some(&event("INACTIVE"))), AccountOutcome::NeedsVerification);
        assert_eq!(AccountOutcome::of(&sent, Some(&event("SUSPENDED"))), AccountOutcome::Suspended);
        assert_eq!(AccountOutcome::of(&sent, Some(&event("DELETED"))), AccountOutcome::Removed);
        assert_eq!(AccountOutcome::of(&sent, Some(&event("SOMETHING_NEW"))), AccountOutcome::Pending);
        let cancelled = account(Some("r"), Some("CANCELLED"));
        assert_eq!(AccountOutcome::of(&cancelled, None), AccountOutcome::CancelledAtTr);
        assert_eq!(AccountOutcome::of(&cancelled, Some(&event("ACTIVE"))), AccountOutcome::Added, "events win");
        assert_eq!(AccountOutcome::of(&account(None, None), None), AccountOutcome::NotSent { recoverable: true });
    }
}
