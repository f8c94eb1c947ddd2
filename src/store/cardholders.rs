use sqlx::Row;
use sqlx::any::AnyRow;

use super::{FundingAccount, Store, StoreError};
use crate::domain::Login;

/// What the bank knows of the cardholder that a token requestor may receive
/// (`accountHolderData`), each field only when the TR supports it.
#[derive(Debug, Clone, Default)]
pub struct AccountHolderData {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone_dial_code: Option<String>,
    pub phone_number: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_city: Option<String>,
    pub address_subdivision: Option<String>,
    pub address_postal_code: Option<String>,
    pub address_country: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Cardholder {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub locale: String,
    pub holder: AccountHolderData,
}

pub struct NewCardholder<'a> {
    pub login: &'a Login,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub locale: &'a str,
    pub holder: &'a AccountHolderData,
}

const COLUMNS: &str = "id, login, display_name, locale, holder_name, email, phone_dial_code, phone_number, \
    address_line1, address_line2, address_city, address_subdivision, address_postal_code, address_country";

impl Store {
    pub async fn insert_cardholder(&self, new: &NewCardholder<'_>) -> Result<i64, StoreError> {
        let h = new.holder;
        let row = sqlx::query(
            "INSERT INTO cardholders (login, password_hash, display_name, locale, holder_name, email, \
             phone_dial_code, phone_number, address_line1, address_line2, address_city, address_subdivision, \
             address_postal_code, address_country, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        )
        .bind(new.login.as_str())
        .bind(new.password_hash)
        .bind(new.display_name)
        .bind(new.locale)
        .bind(h.name.as_deref())
        .bind(h.email.as_deref())
        .bind(h.phone_dial_code.as_deref())
        .bind(h.phone_number.as_deref())
        .bind(h.address_line1.as_deref())
        .bind(h.address_line2.as_deref())
        .bind(h.address_city.as_deref())
        .bind(h.address_subdivision.as_deref())
        .bind(h.address_postal_code.as_deref())
        .bind(h.address_country.as_deref())
        .bind(self.now_unix())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    /// The cardholder's id and password hash, for sign-in.
    pub async fn credentials(&self, login: &Login) -> Result<Option<(i64, String)>, StoreError> {
        let row = sqlx::query("SELECT id, password_hash FROM cardholders WHERE login = $1")
            .bind(login.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("id")?, r.try_get("password_hash")?))).transpose()
    }

    pub async fn cardholder(&self, id: i64) -> Result<Option<Cardholder>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM cardholders WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| cardholder_from_row(&r)).transpose()
    }

    /// The cardholder with their cards and accounts, the two reads on one
    /// pooled connection: every signed-in page needs both.
    pub async fn cardholder_with_accounts(&self, id: i64) -> Result<Option<(Cardholder, Vec<FundingAccount>)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let sql = format!("SELECT {COLUMNS} FROM cardholders WHERE id = $1");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await? else {
            return Ok(None);
        };
        let cardholder = cardholder_from_row(&row)?;
        let accounts = super::accounts::funding_accounts_on(&mut conn, id).await?;
        Ok(Some((cardholder, accounts)))
    }

    pub async fn count_cardholders(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM cardholders").fetch_one(&self.pool).await?;
        Ok(row.try_get("n")?)
    }
}

fn cardholder_from_row(r: &AnyRow) -> Result<Cardholder, StoreError> {
    Ok(Cardholder {
        id: r.try_get("id")?,
        login: r.try_get("login")?,
        display_name: r.try_get("display_name")?,
        locale: r.try_get("locale")?,
        holder: AccountHolderData {
            name: r.try_get("holder_name")?,
            email: r.try_get("email")?,
            phone_dial_code: r.try_get("phone_dial_code")?,
            phone_number: r.try_get("phone_number")?,
            address_line1: r.try_get("address_line1")?,
            address_line2: r.try_get("address_line2")?,
            address_city: r.try_get("address_city")?,
            address_subdivision: r.try_get("address_subdivision")?,
            address_postal_code: r.try_get("address_postal_code")?,
            address_country: r.try_get("address_country")?,
        },
    })
}
