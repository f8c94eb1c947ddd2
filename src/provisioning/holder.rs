//! The cardholder's details a push shares with a token requestor: only the
//! fields it accepts (`supportedAccountHolderData`), only those the
//! cardholder has, and as the review page lists them.

use crate::domain::{AccountHolderDataType, TokenRequestor};
use crate::mdes::model::{AccountHolderAddress, AccountHolderData, PhoneNumber};
use crate::store::Cardholder;

/// The holder fields the TR accepts (wire contract §2: send only those).
pub(super) fn holder_fields(tr: &TokenRequestor) -> Vec<AccountHolderDataType> {
    tr.supported_account_holder_data.iter().filter(|t| !matches!(t, AccountHolderDataType::Other(_))).cloned().collect()
}

/// The holder data to send: the fields the TR accepts that the cardholder
/// has; `None` when that leaves nothing.
pub(super) fn holder_data(cardholder: &Cardholder, fields: &[AccountHolderDataType]) -> Option<AccountHolderData> {
    let data = holder_fields_of(cardholder, fields);
    let empty = data.account_holder_name.is_none()
        && data.account_holder_address.is_none()
        && data.account_holder_email_address.is_none()
        && data.account_holder_mobile_phone_number.is_none();
    (!empty).then_some(data)
}

fn holder_fields_of(cardholder: &Cardholder, fields: &[AccountHolderDataType]) -> AccountHolderData {
    let h = &cardholder.holder;
    let mut data = AccountHolderData::default();
    for field in fields {
        match field {
            AccountHolderDataType::Name => {
                // accountHolderName is at most 27 characters.
                data.account_holder_name = h.name.as_ref().map(|n| n.chars().take(27).collect());
            }
            AccountHolderDataType::Address => {
                if h.address_line1.is_some() {
                    data.account_holder_address = Some(AccountHolderAddress {
                        line1: h.address_line1.clone(),
                        line2: h.address_line2.clone(),
                        city: h.address_city.clone(),
                        country_subdivision: h.address_subdivision.clone(),
                        postal_code: h.address_postal_code.clone(),
                        country: h.address_country.clone(),
                    });
                }
            }
            AccountHolderDataType::EmailAddress => data.account_holder_email_address = h.email.clone(),
            AccountHolderDataType::MobilePhoneNumber => {
                if let (Some(code), Some(number)) = (&h.phone_dial_code, &h.phone_number) {
                    data.account_holder_mobile_phone_number =
                        Some(PhoneNumber { country_dial_in_code: code.clone(), phone_number: number.clone() });
                }
            }
            AccountHolderDataType::Other(_) => {}
        }
    }
    data
}

/// A detail of the cardholder's that a push shares with the token
/// requestor, as the review page lists it (its words are the template's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedField {
    Name,
    PostalAddress,
    Email,
    MobilePhone,
}

impl SharedField {
    /// A stable name for pages and tests (`data-field`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::PostalAddress => "postal-address",
            Self::Email => "email",
            Self::MobilePhone => "mobile-phone",
        }
    }
}

/// The holder fields that will actually be shared with `tr` for this
/// cardholder, for the review page.
pub fn shared_fields(tr: &TokenRequestor, cardholder: &Cardholder) -> Vec<SharedField> {
    let h = &cardholder.holder;
    holder_fields(tr)
        .iter()
        .filter_map(|f| match f {
            AccountHolderDataType::Name if h.name.is_some() => Some(SharedField::Name),
            AccountHolderDataType::Address if h.address_line1.is_some() => Some(SharedField::PostalAddress),
            AccountHolderDataType::EmailAddress if h.email.is_some() => Some(SharedField::Email),
            AccountHolderDataType::MobilePhoneNumber if h.phone_number.is_some() => Some(SharedField::MobilePhone),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::holder_fields;
    use crate::domain::TokenRequestor;

    /// Issue 15 item 4: `accountHolderDataSupplied` is true only when a
    /// holder field is actually in the payload.
    #[test]
    fn holder_data_is_sent_only_with_something_in_it() {
        use crate::store::{AccountHolderData, Cardholder};
        let tr = |fields: &[&str]| -> TokenRequestor {
            serde_json::from_value(serde_json::json!({
                "tokenRequestorId": "50123197928", "name": "T", "consumerFacingEntityName": "T",
                "tokenRequestorType": "WALLET", "enabledAccountRanges": [], "supportedAccountHolderData": fields,
            }))
            .unwrap()
        };
        let holder = |name: Option<&str>, email: Option<&str>| Cardholder {
            id: 1,
            login: "x".into(),
            display_name: "X".into(),
            locale: "en_US".into(),
            holder: AccountHolderData {
                name: name.map(Into::into),
                email: email.map(Into::into),
                ..AccountHolderData::default()
            },
        };
        let wants_name_and_email = holder_fields(&tr(&["NAME", "EMAIL_ADDRESS", "SOMETHING_NEW"]));
        assert!(super::holder_data(&holder(None, None), &wants_name_and_email).is_none(), "nothing to send");
        let sent = super::holder_data(&holder(None, Some("a@b.example")), &wants_name_and_email).unwrap();
        assert_eq!((sent.account_holder_name, sent.account_holder_email_address.as_deref()), (None, Some("a@b.example")));
        assert!(super::holder_data(&holder(Some("A"), Some("a@b.example")), &holder_fields(&tr(&[]))).is_none(), "TR takes none");
        assert!(
            super::holder_data(&holder(Some("A"), None), &holder_fields(&tr(&["ADDRESS"]))).is_none(),
            "TR takes what we lack"
        );
    }
}
