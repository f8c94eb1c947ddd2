/// Where a provisioning record stands. The outcome shown to the cardholder
/// (added, declined, needs verification, …) is not a state: it is derived
/// from token events, which may arrive at any time and in any order.
///
/// ```text
///            ┌──────────── re-push (fresh receipts) / retry ───────────┐
///            ▼                                                         │
///  Created ──push ok──▶ Pushed ──continue──▶ HandedOff ──return──▶ Returned
///     │                   │  ▲                  │
///     └──push failed──▶ PushFailed ◀──re-push failed┘
/// ```
/// `Created` means a push is in flight (or was cut off): the request id is
/// already stored, so MDES support can trace it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProvisioningState {
    Created,
    Pushed,
    PushFailed,
    HandedOff,
    Returned,
}

impl ProvisioningState {
    pub const ALL: [Self; 5] = [Self::Created, Self::Pushed, Self::PushFailed, Self::HandedOff, Self::Returned];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::Pushed => "PUSHED",
            Self::PushFailed => "PUSH_FAILED",
            Self::HandedOff => "HANDED_OFF",
            Self::Returned => "RETURNED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The transitions the journey may make; everything else is refused.
    pub fn can_become(self, next: Self) -> bool {
        use ProvisioningState::*;
        matches!(
            (self, next),
            (Created, Pushed)
                | (Created, PushFailed)
                // A push cut off before its answer was stored may be sent again.
                | (Created, Created)
                // Fresh receipts before handing off, or when the cardholder
                // continues again after coming back with the back button.
                | (Pushed, Created)
                | (HandedOff, Created)
                // Retry after a recoverable failure.
                | (PushFailed, Created)
                | (Pushed, HandedOff)
                | (HandedOff, Returned)
                // A TR may send the browser back without the cardholder ever
                // passing our hand-off page again (e.g. a second tab).
                | (Pushed, Returned)
                // A tab still at the TR with the receipts of an earlier push
                // comes back while a later push runs or after it failed.
                | (Created, Returned)
                | (PushFailed, Returned)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::ProvisioningState::{self, *};

    #[test]
    fn names_round_trip() {
        for state in ProvisioningState::ALL {
            assert_eq!(ProvisioningState::parse(state.as_str()), Some(state));
        }
        assert_eq!(ProvisioningState::parse("ADDED"), None);
    }

    #[test]
    fn only_the_journey_transitions_are_allowed() {
        let allowed = [
            (Created, Pushed),
            (Created, PushFailed),
            (Created, Created),
            (Pushed, Created),
            (HandedOff, Created),
            (PushFailed, Created),
            (Pushed, HandedOff),
            (HandedOff, Returned),
            (Pushed, Returned),
            (Created, Returned),
            (PushFailed, Returned),
        ];
        for from in ProvisioningState::ALL {
            for to in ProvisioningState::ALL {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
        // In particular: nothing leaves Returned, and a failure is never "handed off".
        assert!(ProvisioningState::ALL.iter().all(|s| !Returned.can_become(*s)));
        assert!(!PushFailed.can_become(HandedOff));
    }
}
