/// A sign-in name as typed, normalised for lookup: trimmed and lower-cased.
/// Anything else (odd Unicode, SQL-looking text) is just an unknown login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LoginError {
    #[error("the login is empty")]
    Empty,
    #[error("the login is longer than 64 characters")]
    TooLong,
}

impl Login {
    pub fn parse(text: &str) -> Result<Self, LoginError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(LoginError::Empty);
        }
        if text.chars().count() > 64 {
            return Err(LoginError::TooLong);
        }
        Ok(Self(text.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
