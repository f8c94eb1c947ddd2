//! Small types that parse, not validate: once built they are known good.

mod account_number;
mod login;
mod provisioning_state;

pub use account_number::{AccountNumber, AccountNumberError, AccountRange};
pub use login::{Login, LoginError};
pub use provisioning_state::ProvisioningState;
