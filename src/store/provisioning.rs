//! One concern, so one file past 500 lines: the SQL of the provisioning record's life.
//!
//! Provisioning records, their accounts, and token events. Every state
//! change is a compare-and-set on the current state, so two requests racing
//! (a double click, two tabs, two instances) cannot both apply.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};
use crate::domain::ProvisioningState;

#[derive(Debug, Clone)]
pub struct ProvisioningAccount {
    pub push_account_id: String,
    pub funding_account_id: String,
    /// The receipt of the latest push (the one handed off next).
    pub receipt: Option<String>,
    pub error_reason: Option<String>,
    pub error_recoverable: Option<bool>,
    /// What the TR reported on return for the latest receipt (not proof).
    pub reported_status: Option<String>,
    /// Every receipt any push of the record issued for this account, oldest
    /// first (the latest among them). An earlier one still works at the TR
    /// until it expires, so outcomes are derived from all of them.
    pub issued: Vec<IssuedReceipt>,
}

/// A receipt as issued by one push.
#[derive(Debug, Clone)]
pub struct IssuedReceipt {
    pub receipt: String,
    pub expires_at: i64,
    /// `issuerInitiatedDigitizationData` MDES gave with it (proprietary path).
    pub digitization_data: Option<String>,
    /// What the TR reported on return for it (not proof).
    pub reported_status: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ProvisioningRecord {
    pub id: String,
    pub cardholder_id: i64,
    pub trid: String,
    pub tr_name: String,
    pub state: ProvisioningState,
    pub request_id: String,
    pub push_count: i64,
    pub locale: String,
    pub holder_data_supplied: bool,
    pub push_method: Option<String>,
    pub push_uri: Option<String>,
    pub signature: Option<String>,
    pub receipts_expire_at: Option<i64>,
    pub error_reason: Option<String>,
    pub error_recoverable: Option<bool>,
    pub reported_by_tr: Option<String>,
    pub returned_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// SHA-256 of the CSRF token of the session that stepped up for it.
    pub step_up_binding: Option<String>,
    pub stepped_up_at: Option<i64>,
    pub accounts: Vec<ProvisioningAccount>,
}

pub struct NewProvisioning<'a> {
    pub id: &'a str,
    pub callback_token: &'a str,
    pub submission_id: &'a str,
    pub cardholder_id: i64,
    pub trid: &'a str,
    pub tr_name: &'a str,
    pub request_id: &'a str,
    pub locale: &'a str,
    pub holder_data_supplied: bool,
    /// The session that confirmed the push (see `TypedSession::step_up_binding`).
    pub step_up_binding: &'a str,
    /// `(pushAccountId, funding account public id)` in push order.
    pub accounts: &'a [(String, String)],
}

/// What MDES answered to a push, per account.
pub struct PushResult<'a> {
    pub push_method: &'a str,
    pub push_uri: &'a str,
    pub signature: Option<&'a str>,
    pub receipts_expire_at: i64,
    /// `accountHolderDataSupplied` as sent on this push: the flag handed off
    /// with its receipts.
    pub holder_data_supplied: bool,
    pub accounts: Vec<PushedAccount<'a>>,
}

/// One account of a push answer.
pub struct PushedAccount<'a> {
    pub push_account_id: &'a str,
    pub receipt: Option<&'a str>,
    pub error_reason: Option<&'a str>,
    pub recoverable: Option<bool>,
    /// `issuerInitiatedDigitizationData`, when asked for and given.
    pub digitization_data: Option<&'a str>,
}

/// A token event as stored.
#[derive(Debug, Clone)]
pub struct StoredTokenEvent {
    pub event_id: String,
    pub receipt: String,
    pub token_unique_reference: Option<String>,
    pub status: String,
    pub occurred_at_ms: i64,
}

const COLUMNS: &str = "id, cardholder_id, trid, tr_name, state, request_id, push_count, locale, holder_data_supplied, \
    push_method, push_uri, signature, receipts_expire_at, error_reason, error_recoverable, reported_by_tr, returned_at, \
    created_at, updated_at, step_up_binding, stepped_up_at";

/// Only the token's SHA-256 is looked up, so an index leak opens no record.
fn callback_token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn flag(value: Option<i64>) -> Option<bool> {
    value.map(|v| v != 0)
}

impl Store {
    /// Persists a new record (state `Created`) and its accounts, before the push.
    pub async fn insert_provisioning(&self, new: &NewProvisioning<'_>) -> Result<(), StoreError> {
        let now = self.now_unix();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO provisionings (id, callback_token_hash, submission_id, cardholder_id, trid, tr_name, state, \
             request_id, push_count, locale, holder_data_supplied, created_at, updated_at, callback_token_enc, \
             step_up_binding, stepped_up_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, $11, $12, $13, $11)",
        )
        .bind(new.id)
        .bind(callback_token_hash(new.callback_token))
        .bind(new.submission_id)
        .bind(new.cardholder_id)
        .bind(new.trid)
        .bind(new.tr_name)
        .bind(ProvisioningState::Created.as_str())
        .bind(new.request_id)
        .bind(new.locale)
        .bind(i64::from(new.holder_data_supplied))
        .bind(now)
        .bind(self.vault.seal_text(new.callback_token, new.id)?)
        .bind(new.step_up_binding)
        .execute(&mut *tx)
        .await?;
        for (position, (push_account_id, funding_account_id)) in new.accounts.iter().enumerate() {
            sqlx::query(
                "INSERT INTO provisioning_accounts (provisioning_id, position, push_account_id, funding_account_id) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(new.id)
            .bind(i64::try_from(position).unwrap_or(0))
            .bind(push_account_id)
            .bind(funding_account_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn provisioning(&self, id: &str) -> Result<Option<ProvisioningRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM provisionings WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        match row {
            Some(row) => Ok(Some(self.with_accounts(record_from_row(&row)?).await?)),
            None => Ok(None),
        }
    }

    pub async fn provisioning_by_callback_token(&self, token: &str) -> Result<Option<ProvisioningRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM provisionings WHERE callback_token_hash = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(callback_token_hash(token)).fetch_optional(&self.pool).await?;
        match row {
            Some(row) => Ok(Some(self.with_accounts(record_from_row(&row)?).await?)),
            None => Ok(None),
        }
    }

    /// The record a review form already created (double submit).
    pub async fn provisioning_by_submission(
        &self,
        cardholder_id: i64,
        submission_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT id FROM provisionings WHERE cardholder_id = $1 AND submission_id = $2")
            .bind(cardholder_id)
            .bind(submission_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(r.try_get("id")?)).transpose()
    }

    /// The cardholder's records, newest first.
    pub async fn provisionings_of(&self, cardholder_id: i64) -> Result<Vec<ProvisioningRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM provisionings WHERE cardholder_id = $1 ORDER BY created_at DESC, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(cardholder_id).fetch_all(&self.pool).await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            records.push(self.with_accounts(record_from_row(&row)?).await?);
        }
        Ok(records)
    }

    async fn with_accounts(&self, mut record: ProvisioningRecord) -> Result<ProvisioningRecord, StoreError> {
        let rows = sqlx::query(
            "SELECT push_account_id, funding_account_id, receipt, error_reason, error_recoverable \
             FROM provisioning_accounts WHERE provisioning_id = $1 ORDER BY position",
        )
        .bind(&record.id)
        .fetch_all(&self.pool)
        .await?;
        let issued = sqlx::query(
            "SELECT push_account_id, receipt, expires_at, reported_status, digitization_data FROM provisioning_receipts \
             WHERE provisioning_id = $1 ORDER BY issued_at, receipt",
        )
        .bind(&record.id)
        .fetch_all(&self.pool)
        .await?;
        let mut accounts = Vec::with_capacity(rows.len());
        for r in &rows {
            let push_account_id: String = r.try_get("push_account_id")?;
            let receipt: Option<String> = r.try_get("receipt")?;
            let mut mine = Vec::new();
            for i in &issued {
                if i.try_get::<String, _>("push_account_id")? == push_account_id {
                    mine.push(IssuedReceipt {
                        receipt: i.try_get("receipt")?,
                        expires_at: i.try_get("expires_at")?,
                        reported_status: i.try_get("reported_status")?,
                        digitization_data: i.try_get("digitization_data")?,
                    });
                }
            }
            let reported_status =
                mine.iter().find(|i| Some(&i.receipt) == receipt.as_ref()).and_then(|i| i.reported_status.clone());
            accounts.push(ProvisioningAccount {
                push_account_id,
                funding_account_id: r.try_get("funding_account_id")?,
                receipt,
                error_reason: r.try_get("error_reason")?,
                error_recoverable: flag(r.try_get("error_recoverable")?),
                reported_status,
                issued: mine,
            });
        }
        record.accounts = accounts;
        Ok(record)
    }

    /// `from` → `Created` with `request_id`, before another push (fresh
    /// receipts, or a retry). False when the record was not in `from`.
    /// The callback link stays the same: a tab still at the TR with the
    /// earlier receipts comes back to the same record.
    /// Refused (false) too once the record made `max_pushes` pushes.
    pub async fn begin_repush(
        &self,
        id: &str,
        from: ProvisioningState,
        request_id: &str,
        max_pushes: i64,
    ) -> Result<bool, StoreError> {
        debug_assert!(from.can_become(ProvisioningState::Created));
        let done = sqlx::query(
            "UPDATE provisionings SET state = $1, request_id = $2, \
             push_count = push_count + 1, error_reason = NULL, error_recoverable = NULL, updated_at = $3 \
             WHERE id = $4 AND state = $5 AND push_count < $6",
        )
        .bind(ProvisioningState::Created.as_str())
        .bind(request_id)
        .bind(self.now_unix())
        .bind(id)
        .bind(from.as_str())
        .bind(max_pushes)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// `Created` → `Created`: claims a push that was cut off before its
    /// answer was stored (process killed, connection lost) for a resend,
    /// with `new_request_id` or, when `None`, the same one. The compare-and-set
    /// is on `updated_at` as read, so of two tabs or two instances only one
    /// resends; refused too once the record made `max_pushes` pushes.
    pub async fn claim_interrupted_push(
        &self,
        id: &str,
        seen_updated_at: i64,
        new_request_id: Option<&str>,
        max_pushes: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE provisionings SET push_count = push_count + 1, updated_at = $1, request_id = COALESCE($6, request_id) \
             WHERE id = $2 AND state = $3 AND updated_at = $4 AND push_count < $5",
        )
        .bind(self.now_unix().max(seen_updated_at + 1))
        .bind(id)
        .bind(ProvisioningState::Created.as_str())
        .bind(seen_updated_at)
        .bind(max_pushes)
        .bind(new_request_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// `Created` → `Pushed`, with the receipts and per-account errors.
    pub async fn record_push_result(&self, id: &str, result: &PushResult<'_>) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE provisionings SET state = $1, push_method = $2, push_uri = $3, signature = $4, \
             receipts_expire_at = $5, updated_at = $6, holder_data_supplied = $9 WHERE id = $7 AND state = $8",
        )
        .bind(ProvisioningState::Pushed.as_str())
        .bind(result.push_method)
        .bind(result.push_uri)
        .bind(result.signature)
        .bind(result.receipts_expire_at)
        .bind(self.now_unix())
        .bind(id)
        .bind(ProvisioningState::Created.as_str())
        .bind(i64::from(result.holder_data_supplied))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let now = self.now_unix();
        for account in &result.accounts {
            sqlx::query(
                "UPDATE provisioning_accounts SET receipt = $1, error_reason = $2, error_recoverable = $3 \
                 WHERE provisioning_id = $4 AND push_account_id = $5",
            )
            .bind(account.receipt)
            .bind(account.error_reason)
            .bind(account.recoverable.map(i64::from))
            .bind(id)
            .bind(account.push_account_id)
            .execute(&mut *tx)
            .await?;
            if let Some(receipt) = account.receipt {
                // A receipt MDES hands out twice (a resend with the same
                // requestId) is the same receipt: kept once.
                sqlx::query(
                    "INSERT INTO provisioning_receipts (receipt, provisioning_id, push_account_id, issued_at, expires_at, \
                     digitization_data) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (receipt) DO NOTHING",
                )
                .bind(receipt)
                .bind(id)
                .bind(account.push_account_id)
                .bind(now)
                .bind(result.receipts_expire_at)
                .bind(account.digitization_data)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// `Created` → `PushFailed`.
    pub async fn record_push_failure(&self, id: &str, reason: &str, recoverable: bool) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE provisionings SET state = $1, error_reason = $2, error_recoverable = $3, updated_at = $4 \
             WHERE id = $5 AND state = $6",
        )
        .bind(ProvisioningState::PushFailed.as_str())
        .bind(reason)
        .bind(i64::from(recoverable))
        .bind(self.now_unix())
        .bind(id)
        .bind(ProvisioningState::Created.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// `Pushed` → `HandedOff`.
    pub async fn record_hand_off(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE provisionings SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
            .bind(ProvisioningState::HandedOff.as_str())
            .bind(self.now_unix())
            .bind(id)
            .bind(ProvisioningState::Pushed.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// `from` (HandedOff or Pushed) → `Returned`, storing what the TR reported
    /// (overall and per receipt) as its word, not as fact.
    pub async fn record_return(
        &self,
        id: &str,
        from: ProvisioningState,
        reported: Option<&str>,
        per_receipt: &[(String, String)],
    ) -> Result<bool, StoreError> {
        debug_assert!(from.can_become(ProvisioningState::Returned));
        let now = self.now_unix();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE provisionings SET state = $1, reported_by_tr = $2, returned_at = $3, updated_at = $3 \
             WHERE id = $4 AND state = $5",
        )
        .bind(ProvisioningState::Returned.as_str())
        .bind(reported)
        .bind(now)
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        for (receipt, status) in per_receipt {
            sqlx::query("UPDATE provisioning_receipts SET reported_status = $1 WHERE provisioning_id = $2 AND receipt = $3")
                .bind(status)
                .bind(id)
                .bind(receipt)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The record's current callback token (to rebuild its return URL).
    pub async fn callback_token(&self, id: &str) -> Result<Option<String>, StoreError> {
        let row =
            sqlx::query("SELECT callback_token_enc FROM provisionings WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        match row {
            Some(r) => Ok(Some(self.vault.open_text(&r.try_get::<String, _>("callback_token_enc")?, id)?)),
            None => Ok(None),
        }
    }

    /// Stores a token event; false when its id was seen before (a duplicate).
    pub async fn insert_token_event(&self, event: &StoredTokenEvent) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO token_events (event_id, receipt, token_unique_reference, status, occurred_at_ms, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(&event.event_id)
        .bind(&event.receipt)
        .bind(event.token_unique_reference.as_deref())
        .bind(&event.status)
        .bind(event.occurred_at_ms)
        .bind(self.now_unix())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The latest event (by when it happened) for each of `receipts`.
    pub async fn latest_token_events(&self, receipts: &[&str]) -> Result<Vec<StoredTokenEvent>, StoreError> {
        let mut latest = Vec::new();
        for receipt in receipts {
            let row = sqlx::query(
                "SELECT event_id, receipt, token_unique_reference, status, occurred_at_ms FROM token_events \
                 WHERE receipt = $1 ORDER BY occurred_at_ms DESC, event_id DESC LIMIT 1",
            )
            .bind(*receipt)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(r) = row {
                latest.push(StoredTokenEvent {
                    event_id: r.try_get("event_id")?,
                    receipt: r.try_get("receipt")?,
                    token_unique_reference: r.try_get("token_unique_reference")?,
                    status: r.try_get("status")?,
                    occurred_at_ms: r.try_get("occurred_at_ms")?,
                });
            }
        }
        Ok(latest)
    }

    /// Whether any push issued this receipt.
    pub async fn receipt_known(&self, receipt: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM provisioning_receipts WHERE receipt = $1")
            .bind(receipt)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }
}

fn record_from_row(r: &AnyRow) -> Result<ProvisioningRecord, StoreError> {
    let state: String = r.try_get("state")?;
    Ok(ProvisioningRecord {
        id: r.try_get("id")?,
        cardholder_id: r.try_get("cardholder_id")?,
        trid: r.try_get("trid")?,
        tr_name: r.try_get("tr_name")?,
        state: ProvisioningState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("unknown state {state:?}")))?,
        request_id: r.try_get("request_id")?,
        push_count: r.try_get("push_count")?,
        locale: r.try_get("locale")?,
        holder_data_supplied: r.try_get::<i64, _>("holder_data_supplied")? != 0,
        push_method: r.try_get("push_method")?,
        push_uri: r.try_get("push_uri")?,
        signature: r.try_get("signature")?,
        receipts_expire_at: r.try_get("receipts_expire_at")?,
        error_reason: r.try_get("error_reason")?,
        error_recoverable: flag(r.try_get("error_recoverable")?),
        reported_by_tr: r.try_get("reported_by_tr")?,
        returned_at: r.try_get("returned_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        step_up_binding: r.try_get("step_up_binding")?,
        stepped_up_at: r.try_get("stepped_up_at")?,
        accounts: Vec::new(),
    })
}
