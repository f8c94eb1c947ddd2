//! The push provisioning journey as a state machine over one persisted
//! record per push (wire contract §1, §7, §8, §9): create the record, push to MDES,
//! hand the browser to the token requestor, take it back, and say honestly
//! what is known. Web handlers call these functions; nothing here renders.

mod handoff;
mod holder;
mod journey;
mod outcome;
mod return_report;
mod settings;
mod status;
mod token_event;

pub use handoff::{HandOff, choose_push_method, hand_off_url};
pub use holder::{SharedField, shared_fields};
pub use journey::{Asker, Journey, JourneyError, PushAgain, RETURN_PATH};
pub use outcome::AccountOutcome;
pub use return_report::ReturnReport;
pub use settings::{ProvisioningSettings, StepUp};
pub use status::{FailureReason, Problem, TokenStatus, TrStatus};
pub use token_event::TokenEventError;

#[cfg(test)]
mod tests {
    /// The return link's one-time token never reaches a log: logging, which
    /// names no portal module, redacts below this same path.
    #[test]
    fn logging_redacts_the_return_path() {
        assert!(crate::telemetry::SECRET_PATH_PREFIXES.contains(&super::RETURN_PATH));
    }
}
