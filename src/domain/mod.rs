//! Small types that parse, not validate: once built they are known good.

mod account_number;
mod login;

pub use account_number::{AccountNumber, AccountNumberError, AccountRange};
pub use login::{Login, LoginError};
