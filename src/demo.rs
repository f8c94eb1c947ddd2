//! Demo cardholders, loaded into an empty database when `demo.enabled` is
//! true (the default). The README lists the logins. These numbers are test
//! numbers in the sandbox's account ranges; they are not real cards.

use crate::auth::hash_password;
use crate::domain::{AccountNumber, AccountRange, Login};
use crate::store::{AccountHolderData, AccountKind, NewCardholder, NewFundingAccount, Store};

/// Demo account ranges (9 digits, as MDES takes them).
pub const CREDIT_RANGE: &str = "520473160";
pub const DEBIT_RANGE: &str = "535522010";
/// A range no sandbox token requestor is enabled for.
pub const UNSERVED_RANGE: &str = "222300001";
/// The financial accounts' range.
pub const ACCOUNT_RANGE: &str = "987650001";
/// The QA cardholder's own range: the sandbox's token requestors with hostile
/// or spec-minimal data serve only this one.
pub const QA_RANGE: &str = "510000901";
/// Quinn's card in [`QA_RANGE`].
pub const QA_SPEC_MINIMAL_CARD: &str = "5100009010018017";

pub struct DemoCardholder {
    pub login: &'static str,
    pub password: &'static str,
    pub display_name: &'static str,
    pub locale: &'static str,
    holder: fn() -> AccountHolderData,
    accounts: &'static [DemoAccount],
}

struct DemoAccount {
    kind: AccountKind,
    product: &'static str,
    funding_type: &'static str,
    number: &'static str,
    range: &'static str,
    expiry: Option<(u8, u16)>,
    status: &'static str,
}

const fn card(
    product: &'static str,
    funding_type: &'static str,
    number: &'static str,
    range: &'static str,
    expiry: (u8, u16),
) -> DemoAccount {
    DemoAccount { kind: AccountKind::Card, product, funding_type, number, range, expiry: Some(expiry), status: "ACTIVE" }
}

pub const CARDHOLDERS: &[DemoCardholder] = &[
    DemoCardholder {
        login: "alice",
        password: "alice-demo-2026",
        display_name: "Alice Martin",
        locale: "en_GB",
        holder: || AccountHolderData {
            name: Some("Alice Martin".into()),
            email: Some("alice.martin@example.com".into()),
            phone_dial_code: Some("44".into()),
            phone_number: Some("7700900123".into()),
            address_line1: Some("12 Harbour Street".into()),
            address_line2: Some("Flat 3".into()),
            address_city: Some("Bristol".into()),
            address_subdivision: Some("BST".into()),
            address_postal_code: Some("BS1 4RW".into()),
            address_country: Some("GBR".into()),
        },
        accounts: &[
            card("World Mastercard Credit", "CREDIT", "5204731600014792", CREDIT_RANGE, (9, 2029)),
            card("Mastercard Debit", "DEBIT", "5355220100044175", DEBIT_RANGE, (4, 2030)),
            card("Mastercard Business Credit", "CREDIT", "5204731600022316", CREDIT_RANGE, (12, 2028)),
            card("Mastercard Travel Credit", "CREDIT", "2223000010034566", UNSERVED_RANGE, (6, 2029)),
            card("Mastercard Gold Credit (replaced)", "CREDIT", "5204731600098761", CREDIT_RANGE, (3, 2025)),
            DemoAccount {
                kind: AccountKind::FinancialAccount,
                product: "Everyday Current Account",
                funding_type: "ACCOUNT",
                number: "987650001234567",
                range: ACCOUNT_RANGE,
                expiry: None,
                status: "ACTIVE",
            },
        ],
    },
    DemoCardholder {
        login: "bruno",
        password: "bruno-demo-2026",
        display_name: "Bruno Keller",
        locale: "de_DE",
        holder: || AccountHolderData {
            name: Some("Bruno Keller".into()),
            email: Some("bruno.keller@example.com".into()),
            ..AccountHolderData::default()
        },
        accounts: &[
            card("Mastercard Debit", "DEBIT", "5355220100077886", DEBIT_RANGE, (1, 2031)),
            card("Mastercard Standard Credit", "CREDIT", "5204731600055506", CREDIT_RANGE, (7, 2029)),
            card("Mastercard Debit (old)", "DEBIT", "5355220100020209", DEBIT_RANGE, (10, 2024)),
        ],
    },
    // QA: one card per card-driven sandbox scenario (`sandbox::SandboxData`'s
    // test cards; docs/sandbox.md "Scenarios" has the table).
    DemoCardholder {
        login: "quinn",
        password: "quinn-demo-2026",
        display_name: "Quinn Tester",
        locale: "en_US",
        holder: || AccountHolderData {
            name: Some("Quinn Tester".into()),
            email: Some("quinn.tester@example.com".into()),
            phone_dial_code: Some("1".into()),
            phone_number: Some("2025550143".into()),
            address_line1: Some("1 Test Avenue".into()),
            address_city: Some("Springfield".into()),
            address_subdivision: Some("IL".into()),
            address_postal_code: Some("62701".into()),
            address_country: Some("USA".into()),
            ..AccountHolderData::default()
        },
        accounts: &[
            card("Test card — approved", "CREDIT", "5204731600010105", CREDIT_RANGE, (12, 2030)),
            card("Test card — declined", "CREDIT", "5204731600020203", CREDIT_RANGE, (12, 2030)),
            card("Test card — additional authentication", "CREDIT", "5204731600030301", CREDIT_RANGE, (12, 2030)),
            card("Test card — MDES error, recoverable", "CREDIT", "5204731600040409", CREDIT_RANGE, (12, 2030)),
            card("Test card — MDES error, not recoverable", "CREDIT", "5204731600050507", CREDIT_RANGE, (12, 2030)),
            card("Test card — slow MDES", "CREDIT", "5204731600060605", CREDIT_RANGE, (12, 2030)),
            card("Test card — MDES unavailable", "CREDIT", "5204731600070703", CREDIT_RANGE, (12, 2030)),
            card("Test card — receipt expired", "DEBIT", "5355220100080807", DEBIT_RANGE, (12, 2030)),
            card("Test card — spec-minimal token requestors", "CREDIT", QA_SPEC_MINIMAL_CARD, QA_RANGE, (12, 2030)),
        ],
    },
];

/// Every demo account number (tests prove none reaches a page or a log).
pub fn all_account_numbers() -> Vec<&'static str> {
    CARDHOLDERS.iter().flat_map(|c| c.accounts.iter().map(|a| a.number)).collect()
}

/// Loads the demo cardholders when the database has none. Returns how many
/// were loaded (0 when the database already had cardholders).
pub async fn seed_if_empty(store: &Store) -> anyhow::Result<usize> {
    if store.count_cardholders().await? > 0 {
        return Ok(0);
    }
    for demo in CARDHOLDERS {
        let login = Login::parse(demo.login)?;
        let password_hash = hash_password(demo.password)?;
        let id = store
            .insert_cardholder(&NewCardholder {
                login: &login,
                password_hash: &password_hash,
                display_name: demo.display_name,
                locale: demo.locale,
                holder: &(demo.holder)(),
            })
            .await?;
        for account in demo.accounts {
            let number = match account.kind {
                AccountKind::Card => AccountNumber::parse_pan(account.number)?,
                AccountKind::FinancialAccount => AccountNumber::parse_digits(account.number)?,
            };
            let range = AccountRange::parse(account.range)?;
            anyhow::ensure!(number.in_range(&range), "demo account outside its range");
            let is_account = account.kind == AccountKind::FinancialAccount;
            store
                .insert_funding_account(&NewFundingAccount {
                    cardholder_id: id,
                    kind: account.kind,
                    product: account.product,
                    funding_type: account.funding_type,
                    number: &number,
                    account_range: &range,
                    expiry: account.expiry,
                    interbank_card_association_id: is_account.then_some("1234"),
                    country_code: is_account.then_some("GBR"),
                    status: account.status,
                })
                .await?;
        }
    }
    tracing::info!(cardholders = CARDHOLDERS.len(), "loaded demo cardholders");
    Ok(CARDHOLDERS.len())
}
