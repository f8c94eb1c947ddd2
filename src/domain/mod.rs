//! Small types that parse, not validate: once built they are known good.

mod account_number;
mod catalogue;
mod login;
mod provisioning_state;

pub use account_number::{AccountNumber, AccountNumberError, AccountRange};
pub use catalogue::{AccountHolderDataType, PushMethod, PushMethodType, TokenRequestor, TokenRequestorType};
pub use login::{Login, LoginError};
pub use provisioning_state::ProvisioningState;
