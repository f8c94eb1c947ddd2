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

pub use handoff::{HandOff, choose_push_method, hand_off_url};
pub use holder::shared_fields;
pub use journey::{Journey, JourneyError, RETURN_PATH, TokenEventError};
pub use outcome::{AccountOutcome, reason_message};
pub use return_report::ReturnReport;
pub use settings::{ProvisioningSettings, StepUp};
