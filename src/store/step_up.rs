//! Step-up one-time codes, one live code per cardholder, in the database so
//! that parallel requests and several instances see one count: how many
//! codes were issued in the window (each is an SMS in production) and how
//! many checks the live code has had. Only the code's SHA-256 is kept (and,
//! in demo mode only, the code itself, which the demo shows on the page).

use sqlx::Row;

use super::{Store, StoreError};

/// Checks one code may have before it is spent.
pub const TRIES_PER_CODE: i64 = 3;

/// What asking for a code gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeIssue {
    /// A new code was stored; send it.
    Issued,
    /// A live code for the same purpose exists: nothing sent again. Carries
    /// the demo code when there is one.
    StillLive { demo_code: Option<String> },
    /// Too many codes in the window: none issued.
    Throttled,
}

/// A new code to store.
pub struct NewCode<'a> {
    pub cardholder_id: i64,
    pub code_hash: &'a str,
    pub purpose: &'a str,
    pub demo_code: Option<&'a str>,
    pub now: i64,
    pub valid_secs: i64,
    pub window_secs: i64,
    pub max_per_window: i64,
}

/// A code a form offers: whose, for what, and which form (a double click sends the same form
/// twice; only that form's repeat is confirmed again).
pub struct CodeUse<'a> {
    pub cardholder_id: i64,
    pub code_hash: &'a str,
    pub purpose: &'a str,
    pub submission_id: &'a str,
}

impl Store {
    /// Stores a new code unless a live one (unexpired, unspent, same
    /// purpose) exists or `max_per_window` codes were issued in the window.
    /// One conditional upsert: of many parallel requests one issues.
    pub async fn issue_step_up_code(&self, new: &NewCode<'_>) -> Result<CodeIssue, StoreError> {
        let window_start = new.now.saturating_sub(new.window_secs);
        let done = sqlx::query(
            "INSERT INTO step_up_codes (cardholder_id, code_hash, purpose, demo_code, expires_at, tries, issued, window_started_at) \
             VALUES ($1, $2, $3, $4, $5, 0, 1, $6) \
             ON CONFLICT (cardholder_id) DO UPDATE SET code_hash = $2, purpose = $3, demo_code = $4, expires_at = $5, tries = 0, \
               issued = CASE WHEN step_up_codes.window_started_at <= $7 THEN 1 ELSE step_up_codes.issued + 1 END, \
               window_started_at = CASE WHEN step_up_codes.window_started_at <= $7 THEN $6 ELSE step_up_codes.window_started_at END \
             WHERE NOT (step_up_codes.code_hash IS NOT NULL AND step_up_codes.expires_at > $6 \
                        AND step_up_codes.tries < $8 AND step_up_codes.purpose = $3) \
               AND (step_up_codes.window_started_at <= $7 OR step_up_codes.issued < $9)",
        )
        .bind(new.cardholder_id)
        .bind(new.code_hash)
        .bind(new.purpose)
        .bind(new.demo_code)
        .bind(new.now.saturating_add(new.valid_secs))
        .bind(new.now)
        .bind(window_start)
        .bind(TRIES_PER_CODE)
        .bind(new.max_per_window)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(CodeIssue::Issued);
        }
        let row = sqlx::query(
            "SELECT demo_code FROM step_up_codes WHERE cardholder_id = $1 AND code_hash IS NOT NULL \
             AND expires_at > $2 AND tries < $3 AND purpose = $4",
        )
        .bind(new.cardholder_id)
        .bind(new.now)
        .bind(TRIES_PER_CODE)
        .bind(new.purpose)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => CodeIssue::StillLive { demo_code: r.try_get("demo_code")? },
            None => CodeIssue::Throttled,
        })
    }

    /// One check of `code_hash` for `purpose` against the live code, in one
    /// statement: it counts a try, and when the hash and purpose match it
    /// uses the code up for the form `submission_id`. True for a match — for
    /// exactly one of any number of parallel checks, and never after the
    /// code's [`TRIES_PER_CODE`] tries — and for the same form again (a double
    /// click) once its code is used. (The stored value is a hash of the code,
    /// so comparing it in SQL tells a timing observer nothing about the code.)
    pub async fn check_step_up_code(&self, code: &CodeUse<'_>, now: i64) -> Result<bool, StoreError> {
        // (`auth::check_code` looks for the same form's used code first, before
        // any attempt is counted; the look after this statement covers a twin
        // request that used it meanwhile.)
        let row = sqlx::query(
            "UPDATE step_up_codes SET tries = tries + 1, \
               used_hash = CASE WHEN code_hash = $4 AND purpose = $5 THEN code_hash ELSE used_hash END, \
               used_by = CASE WHEN code_hash = $4 AND purpose = $5 THEN $6 ELSE used_by END, \
               demo_code = CASE WHEN code_hash = $4 AND purpose = $5 THEN NULL ELSE demo_code END, \
               code_hash = CASE WHEN code_hash = $4 AND purpose = $5 THEN NULL ELSE code_hash END \
             WHERE cardholder_id = $1 AND code_hash IS NOT NULL AND expires_at > $2 AND tries < $3 \
             RETURNING code_hash",
        )
        .bind(code.cardholder_id)
        .bind(now)
        .bind(TRIES_PER_CODE)
        .bind(code.code_hash)
        .bind(code.purpose)
        .bind(code.submission_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(r) = row
            && r.try_get::<Option<String>, _>("code_hash")?.is_none()
        {
            return Ok(true);
        }
        // No live code, or another one: the same form may have used its code
        // between the first look and now.
        self.step_up_code_used_by(code, now).await
    }

    /// Whether the form `submission_id` already used `code_hash` for
    /// `purpose` (a double click): then it is confirmed again, uncounted.
    pub async fn step_up_code_used_by(&self, code: &CodeUse<'_>, now: i64) -> Result<bool, StoreError> {
        let again = sqlx::query(
            "SELECT 1 AS n FROM step_up_codes WHERE cardholder_id = $1 AND used_hash = $2 AND used_by = $3 \
             AND purpose = $4 AND expires_at > $5",
        )
        .bind(code.cardholder_id)
        .bind(code.code_hash)
        .bind(code.submission_id)
        .bind(code.purpose)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(again.is_some())
    }
}
