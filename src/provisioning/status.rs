//! The codes the journey reads from others, as types: what a token event
//! says of a token, what the token requestor reported on the way back, and
//! why a push failed. Each keeps the code it is stored and sent as; the
//! store keeps the code, and nothing above this module compares strings.

use crate::mdes::MdesClientError;

/// A token's status in a token event (wire contract §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Inactive,
    Suspended,
    Deleted,
    Declined,
}

impl TokenStatus {
    /// `None` for a status the portal does not know: such an event is refused
    /// when it arrives, and ignored if ever stored.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "ACTIVE" => Some(Self::Active),
            "INACTIVE" => Some(Self::Inactive),
            "SUSPENDED" => Some(Self::Suspended),
            "DELETED" => Some(Self::Deleted),
            "DECLINED" => Some(Self::Declined),
            _ => None,
        }
    }
}

/// What the token requestor reported for a receipt on the browser's return
/// (**[ours]**, wire contract §7): its word only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrStatus {
    Approved,
    Declined,
    RequireAdditionalAuthentication,
    Cancelled,
    Error,
}

impl TrStatus {
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "APPROVED" => Some(Self::Approved),
            "DECLINED" => Some(Self::Declined),
            "REQUIRE_ADDITIONAL_AUTHENTICATION" => Some(Self::RequireAdditionalAuthentication),
            "CANCELLED" => Some(Self::Cancelled),
            "ERROR" => Some(Self::Error),
            _ => None,
        }
    }

    /// Whether a stored report (`reported_status`) says the cardholder cancelled.
    pub fn is_cancelled(stored: Option<&str>) -> bool {
        stored.and_then(Self::parse) == Some(Self::Cancelled)
    }
}

/// Why a push issued no receipt for an account (or for any): MDES's own
/// `reasonCode`, or one of ours when MDES gave none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    AccountIneligible,
    CardExpired,
    /// Receipts, but no push method this device can use (ours).
    NoPushMethod,
    /// An answer without a receipt for the account (ours).
    NoReceipt,
    /// The answer never came or could not be read (ours): MDES may have
    /// processed the push.
    Timeout,
    Unreachable,
    HttpError,
    InvalidResponse,
    Transport,
    Error,
    /// Any other `reasonCode` from MDES, as it sent it.
    Mdes(String),
}

impl FailureReason {
    /// The reason as stored (`provisioning_accounts.error_reason`).
    pub fn from_code(code: &str) -> Self {
        match code {
            "ACCOUNT_INELIGIBLE" => Self::AccountIneligible,
            // MDES documents both spellings.
            "CARD_EXPIRED" | "EXPIRED_CARD" => Self::CardExpired,
            "NO_PUSH_METHOD" => Self::NoPushMethod,
            "NO_RECEIPT" => Self::NoReceipt,
            "TIMEOUT" => Self::Timeout,
            "UNREACHABLE" => Self::Unreachable,
            "HTTP_ERROR" => Self::HttpError,
            "INVALID_RESPONSE" => Self::InvalidResponse,
            "TRANSPORT" => Self::Transport,
            "ERROR" => Self::Error,
            other => Self::Mdes(other.to_string()),
        }
    }

    /// A failed call to MDES: its `reasonCode` when it sent one, else the
    /// kind of failure.
    pub fn of_client_error(e: &MdesClientError) -> Self {
        if let Some(code) = e.reason_code() {
            return Self::from_code(code);
        }
        match e {
            MdesClientError::Timeout => Self::Timeout,
            MdesClientError::Connect => Self::Unreachable,
            MdesClientError::Http { .. } => Self::HttpError,
            MdesClientError::InvalidResponse { .. } => Self::InvalidResponse,
            MdesClientError::Transport(_) => Self::Transport,
            _ => Self::Error,
        }
    }

    /// The code stored and logged. `CardExpired` keeps MDES's first spelling.
    pub fn code(&self) -> &str {
        match self {
            Self::AccountIneligible => "ACCOUNT_INELIGIBLE",
            Self::CardExpired => "CARD_EXPIRED",
            Self::NoPushMethod => "NO_PUSH_METHOD",
            Self::NoReceipt => "NO_RECEIPT",
            Self::Timeout => "TIMEOUT",
            Self::Unreachable => "UNREACHABLE",
            Self::HttpError => "HTTP_ERROR",
            Self::InvalidResponse => "INVALID_RESPONSE",
            Self::Transport => "TRANSPORT",
            Self::Error => "ERROR",
            Self::Mdes(code) => code,
        }
    }

    /// Whether MDES's answer never arrived (a timeout, a 5xx without an MDES
    /// error, a garbled answer): then the push may have been processed.
    pub fn answer_unknown(&self) -> bool {
        matches!(
            self,
            Self::Timeout | Self::Unreachable | Self::HttpError | Self::InvalidResponse | Self::Transport | Self::Error
        )
    }
}

/// What the cardholder is told about a failure: a code; the words are the
/// templates' (`templates/parts.html`, `problem`). The reason itself goes to
/// the log only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// The card can't be added there; it still works as usual.
    CardIneligible,
    CardExpired,
    /// The TR can't be reached from this device; try another.
    NoPushMethod,
    /// Mastercard could not process it just now: try again.
    TryAgain,
    /// Nothing to try: contact the bank.
    ContactUs,
}

impl Problem {
    /// The problem for a stored failure `reason` (`None`: no reason stored).
    pub fn of(reason: Option<&str>, recoverable: bool) -> Self {
        match reason.map(FailureReason::from_code) {
            Some(FailureReason::AccountIneligible) => Self::CardIneligible,
            Some(FailureReason::CardExpired) => Self::CardExpired,
            Some(FailureReason::NoPushMethod) => Self::NoPushMethod,
            _ if recoverable => Self::TryAgain,
            _ => Self::ContactUs,
        }
    }

    /// A stable name for pages and tests (`data-problem`).
    pub fn code(self) -> &'static str {
        match self {
            Self::CardIneligible => "card-ineligible",
            Self::CardExpired => "card-expired",
            Self::NoPushMethod => "no-push-method",
            Self::TryAgain => "try-again",
            Self::ContactUs => "contact-us",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_codes_read_back_as_they_were_written() {
        for code in ["ACCOUNT_INELIGIBLE", "NO_PUSH_METHOD", "NO_RECEIPT", "TIMEOUT", "HTTP_ERROR", "ERROR", "SOMETHING_NEW"] {
            assert_eq!(FailureReason::from_code(code).code(), code);
        }
        assert_eq!(FailureReason::from_code("EXPIRED_CARD"), FailureReason::CardExpired);
        assert!(FailureReason::from_code("TRANSPORT").answer_unknown());
        assert!(!FailureReason::from_code("ACCOUNT_INELIGIBLE").answer_unknown());
        assert_eq!(Problem::of(Some("CARD_EXPIRED"), true), Problem::CardExpired);
        assert_eq!(Problem::of(Some("SOMETHING_NEW"), true), Problem::TryAgain);
        assert_eq!(Problem::of(None, false), Problem::ContactUs);
        assert!(TrStatus::is_cancelled(Some("CANCELLED")) && !TrStatus::is_cancelled(Some("APPROVED")));
        assert_eq!(TokenStatus::parse("ACTIVE"), Some(TokenStatus::Active));
        assert_eq!(TokenStatus::parse("active"), None);
    }
}
