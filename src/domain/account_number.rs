use std::fmt;

/// A card PAN or a financial account id: the secret a push carries.
///
/// It never prints whole: `Debug` and `Display` show only the last four
/// digits, so a stray `{:?}` in a log line cannot leak it (PCI DSS 3.4.1).
/// The full value is reached only through [`AccountNumber::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct AccountNumber(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountNumberError {
    #[error("an account number is 9 to 19 digits")]
    Length,
    #[error("an account number has digits only")]
    NotDigits,
    #[error("the card number fails the Luhn check")]
    Luhn,
}

impl AccountNumber {
    /// A card PAN: 12–19 digits with a valid Luhn check digit.
    pub fn parse_pan(text: &str) -> Result<Self, AccountNumberError> {
        let value = Self::parse_digits(text)?;
        if value.0.len() < 12 {
            return Err(AccountNumberError::Length);
        }
        if !luhn_ok(&value.0) {
            return Err(AccountNumberError::Luhn);
        }
        Ok(value)
    }

    /// A financial account id: 9–19 digits (MDES `financialAccountId`).
    pub fn parse_digits(text: &str) -> Result<Self, AccountNumberError> {
        nine_to_nineteen_digits(text).map(Self)
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// The full number, for encryption at rest and into an MDES payload only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the number belongs to the issuer's account range.
    pub fn in_range(&self, range: &AccountRange) -> bool {
        self.0.starts_with(range.as_str())
    }
}

impl fmt::Debug for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountNumber(…{})", self.last4())
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "•••• {}", self.last4())
    }
}

/// An issuer account range as MDES knows it: 9–19 digits. MDES right-pads a
/// range with zeros to 19 digits and matches token requestors' enabled ranges
/// exactly on that padded value (wire contract §2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountRange(String);

impl AccountRange {
    pub fn parse(text: &str) -> Result<Self, AccountNumberError> {
        nine_to_nineteen_digits(text).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The range right-padded with zeros to 19 digits, as MDES compares it.
    pub fn padded(&self) -> u64 {
        let padded = format!("{:0<19}", self.0);
        // 19 digits always fit: u64::MAX has 20.
        padded.parse().unwrap_or(u64::MAX)
    }
}

/// 9–19 ASCII digits: what MDES takes for an account number and for an account range alike.
fn nine_to_nineteen_digits(text: &str) -> Result<String, AccountNumberError> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AccountNumberError::NotDigits);
    }
    if !(9..=19).contains(&text.len()) {
        return Err(AccountNumberError::Length);
    }
    Ok(text.to_string())
}

fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_whole_number() {
        let pan = AccountNumber::parse_pan("5204731600014792").unwrap();
        assert_eq!(format!("{pan}"), "•••• 4792");
        assert_eq!(format!("{pan:?}"), "AccountNumber(…4792)");
        assert!(!format!("{pan:?}{pan}").contains("520473"));
    }

    #[test]
    fn rejects_bad_numbers() {
        assert_eq!(AccountNumber::parse_pan("5204731600014793"), Err(AccountNumberError::Luhn));
        assert_eq!(AccountNumber::parse_pan("52047316x0014792"), Err(AccountNumberError::NotDigits));
        assert_eq!(AccountNumber::parse_pan("12345678"), Err(AccountNumberError::Length));
        assert_eq!(AccountNumber::parse_digits("12345678901234567890"), Err(AccountNumberError::Length));
    }

    #[test]
    fn belongs_to_the_range_it_starts_with() {
        let pan = AccountNumber::parse_pan("5204731600014792").unwrap();
        assert!(pan.in_range(&AccountRange::parse("520473160").unwrap()));
        assert!(!pan.in_range(&AccountRange::parse("520473161").unwrap()));
    }

    #[test]
    fn ranges_pad_to_nineteen_digits() {
        let range = AccountRange::parse("520473160").unwrap();
        assert_eq!(range.padded(), 5_204_731_600_000_000_000);
        assert!(AccountRange::parse("52047316").is_err());
        assert!(AccountRange::parse("52047316a").is_err());
        assert!(AccountRange::parse("52047316000000000000").is_err());
    }
}
