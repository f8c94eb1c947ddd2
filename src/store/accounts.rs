use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};
use crate::domain::{AccountNumber, AccountRange};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Card,
    FinancialAccount,
}

impl AccountKind {
    fn as_db(self) -> &'static str {
        match self {
            Self::Card => "CARD",
            Self::FinancialAccount => "FINANCIAL_ACCOUNT",
        }
    }

    fn from_db(text: &str) -> Result<Self, StoreError> {
        match text {
            "CARD" => Ok(Self::Card),
            "FINANCIAL_ACCOUNT" => Ok(Self::FinancialAccount),
            other => Err(StoreError::Corrupt(format!("unknown account kind {other:?}"))),
        }
    }
}

/// A card or financial account as pages see it: no account number, only the
/// last four digits. The number itself is read by [`Store::account_number`].
#[derive(Debug, Clone)]
pub struct FundingAccount {
    pub public_id: String,
    pub cardholder_id: i64,
    pub kind: AccountKind,
    pub product: String,
    pub funding_type: String,
    pub last4: String,
    pub account_range: String,
    pub expiry_month: Option<i64>,
    pub expiry_year: Option<i64>,
    pub interbank_card_association_id: Option<String>,
    pub country_code: Option<String>,
    pub status: String,
}

impl FundingAccount {
    /// The card system's status of a card or account that may be used.
    pub const ACTIVE: &'static str = "ACTIVE";

    /// Whether it can be pushed at all: active, and not expired (whatever the
    /// card system's status says). The one rule pages and the journey's
    /// choices read.
    pub fn is_pushable(&self, today: time::Date) -> bool {
        self.status == Self::ACTIVE && !self.is_expired(today)
    }

    /// A card is expired after the last day of its expiry month.
    pub fn is_expired(&self, today: time::Date) -> bool {
        match (self.expiry_year, self.expiry_month) {
            (Some(year), Some(month)) => (i64::from(today.year()), i64::from(u8::from(today.month()))) > (year, month),
            _ => false,
        }
    }

    /// "MM/YY", as printed on the card.
    pub fn expiry_display(&self) -> Option<String> {
        match (self.expiry_month, self.expiry_year) {
            (Some(m), Some(y)) => Some(format!("{m:02}/{:02}", y % 100)),
            _ => None,
        }
    }
}

pub struct NewFundingAccount<'a> {
    pub cardholder_id: i64,
    pub kind: AccountKind,
    pub product: &'a str,
    pub funding_type: &'a str,
    pub number: &'a AccountNumber,
    pub account_range: &'a AccountRange,
    pub expiry: Option<(u8, u16)>,
    pub interbank_card_association_id: Option<&'a str>,
    pub country_code: Option<&'a str>,
    pub status: &'a str,
}

const COLUMNS: &str = "public_id, cardholder_id, kind, product, funding_type, last4, account_range, expiry_month, \
    expiry_year, interbank_card_association_id, country_code, status";

impl Store {
    pub async fn insert_funding_account(&self, new: &NewFundingAccount<'_>) -> Result<String, StoreError> {
        let public_id = uuid::Uuid::new_v4().simple().to_string();
        let sealed = self.vault.seal(new.number, &public_id)?;
        sqlx::query(
            "INSERT INTO funding_accounts (public_id, cardholder_id, kind, product, funding_type, \
             account_number_enc, last4, account_range, expiry_month, expiry_year, \
             interbank_card_association_id, country_code, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&public_id)
        .bind(new.cardholder_id)
        .bind(new.kind.as_db())
        .bind(new.product)
        .bind(new.funding_type)
        .bind(&sealed)
        .bind(new.number.last4())
        .bind(new.account_range.as_str())
        .bind(new.expiry.map(|(m, _)| i64::from(m)))
        .bind(new.expiry.map(|(_, y)| i64::from(y)))
        .bind(new.interbank_card_association_id)
        .bind(new.country_code)
        .bind(new.status)
        .bind(self.now_unix())
        .execute(&self.pool)
        .await?;
        Ok(public_id)
    }

    /// The cardholder's cards and accounts, in the order they were added.
    pub async fn funding_accounts(&self, cardholder_id: i64) -> Result<Vec<FundingAccount>, StoreError> {
        funding_accounts_on(&mut *self.pool.acquire().await?, cardholder_id).await
    }

    /// The full number of one of the cardholder's accounts — for the push only.
    /// `None` when the account is not theirs.
    pub async fn account_number(&self, cardholder_id: i64, public_id: &str) -> Result<Option<AccountNumber>, StoreError> {
        let row = sqlx::query("SELECT account_number_enc FROM funding_accounts WHERE cardholder_id = $1 AND public_id = $2")
            .bind(cardholder_id)
            .bind(public_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.vault.open(&r.try_get::<String, _>("account_number_enc")?, public_id)?)),
            None => Ok(None),
        }
    }
}

/// [`Store::funding_accounts`] on a connection already held.
pub(super) async fn funding_accounts_on(conn: &mut AnyConnection, cardholder_id: i64) -> Result<Vec<FundingAccount>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM funding_accounts WHERE cardholder_id = $1 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(cardholder_id).fetch_all(&mut *conn).await?;
    rows.iter().map(account_from_row).collect()
}

fn account_from_row(r: &AnyRow) -> Result<FundingAccount, StoreError> {
    Ok(FundingAccount {
        public_id: r.try_get("public_id")?,
        cardholder_id: r.try_get("cardholder_id")?,
        kind: AccountKind::from_db(&r.try_get::<String, _>("kind")?)?,
        product: r.try_get("product")?,
        funding_type: r.try_get("funding_type")?,
        last4: r.try_get("last4")?,
        account_range: r.try_get("account_range")?,
        expiry_month: r.try_get("expiry_month")?,
        expiry_year: r.try_get("expiry_year")?,
        interbank_card_association_id: r.try_get("interbank_card_association_id")?,
        country_code: r.try_get("country_code")?,
        status: r.try_get("status")?,
    })
}
