//! Counting authentication attempts (sign-in, step-up password, one-time
//! code), per login and per client address, in a fixed window. Kept in the
//! database so every instance sees the same counts.
//!
//! An attempt is *reserved* before the password or code is checked: one
//! conditional increment of `in_flight`, made only while failures plus
//! attempts under way are below the limit. Of 50 guesses sent at once, only
//! `limit` get a reservation; the rest are refused without being checked.
//! When the check is done the reservation becomes a failure, or is released.

use super::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureScope {
    /// Password guesses for a login (sign-in and step-up).
    Login,
    /// One-time code guesses for a login: a right password forgives none.
    Code,
    /// Any guess from a client address.
    Address,
}

impl FailureScope {
    fn as_db(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Code => "code",
            Self::Address => "address",
        }
    }
}

/// Reservations older than this (none newer) are taken to be of an instance
/// that died mid-check: no password or code check takes a minute.
pub const STALE_AFTER_SECS: i64 = 60;

/// How a reserved attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptEnd {
    /// Wrong password or code: the reservation becomes a failure.
    Failed,
    /// Right, for this scope's subject: its earlier failures are forgiven.
    Cleared,
    /// Not checked after all (another scope refused it, or an error): the
    /// reservation is given back and nothing else changes.
    Released,
}

impl Store {
    /// Reserves one attempt for `subject` if failures plus attempts under way
    /// in the window are below `limit`. A window older than `window_secs`
    /// starts afresh (and forgets what it held).
    pub async fn reserve_attempt(
        &self,
        scope: FailureScope,
        subject: &str,
        now: i64,
        window_secs: i64,
        limit: i64,
    ) -> Result<bool, StoreError> {
        let window_start = now.saturating_sub(window_secs);
        // Attempts under way count only while some were reserved in the last
        // STALE_AFTER_SECS: an instance that died mid-check never ends its
        // reservations, and they must not hold the login for the window.
        let stale_before = now.saturating_sub(STALE_AFTER_SECS);
        let done = sqlx::query(
            "INSERT INTO sign_in_failures (scope, subject, failures, in_flight, window_started_at, in_flight_at) \
             VALUES ($1, $2, 0, 1, $3, $3) \
             ON CONFLICT (scope, subject) DO UPDATE SET \
               failures = CASE WHEN sign_in_failures.window_started_at <= $4 THEN 0 ELSE sign_in_failures.failures END, \
               in_flight = CASE WHEN sign_in_failures.window_started_at <= $4 OR sign_in_failures.in_flight_at <= $6 THEN 1 \
                                ELSE sign_in_failures.in_flight + 1 END, \
               in_flight_at = $3, \
               window_started_at = CASE WHEN sign_in_failures.window_started_at <= $4 THEN $3 \
                                        ELSE sign_in_failures.window_started_at END \
             WHERE sign_in_failures.window_started_at <= $4 \
                OR sign_in_failures.failures \
                   + CASE WHEN sign_in_failures.in_flight_at <= $6 THEN 0 ELSE sign_in_failures.in_flight END < $5",
        )
        .bind(scope.as_db())
        .bind(subject)
        .bind(now)
        .bind(window_start)
        .bind(limit)
        .bind(stale_before)
        .execute(&self.pool)
        .await?;
        // A first attempt with a limit of 0 was inserted: take it back.
        if done.rows_affected() == 1 && limit <= 0 {
            self.end_attempt(scope, subject, AttemptEnd::Released).await?;
            return Ok(false);
        }
        Ok(done.rows_affected() == 1)
    }

    /// Ends an attempt reserved with [`Store::reserve_attempt`].
    pub async fn end_attempt(&self, scope: FailureScope, subject: &str, end: AttemptEnd) -> Result<(), StoreError> {
        let set = match end {
            AttemptEnd::Failed => "failures = failures + 1",
            AttemptEnd::Cleared => "failures = 0",
            AttemptEnd::Released => "failures = failures",
        };
        let sql = format!(
            "UPDATE sign_in_failures SET {set}, in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END \
             WHERE scope = $1 AND subject = $2"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(scope.as_db()).bind(subject).execute(&self.pool).await?;
        Ok(())
    }

    /// `(failures, attempts under way)` for `subject` as stored (whatever the
    /// window): for operators and tests.
    pub async fn attempt_counts(&self, scope: FailureScope, subject: &str) -> Result<(i64, i64), StoreError> {
        use sqlx::Row;
        let row = sqlx::query("SELECT failures, in_flight FROM sign_in_failures WHERE scope = $1 AND subject = $2")
            .bind(scope.as_db())
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok((r.try_get("failures")?, r.try_get("in_flight")?)),
            None => Ok((0, 0)),
        }
    }

    /// Seconds until `subject`'s window ends (0 when there is none).
    pub async fn attempt_window_left(
        &self,
        scope: FailureScope,
        subject: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<i64, StoreError> {
        use sqlx::Row;
        let row = sqlx::query("SELECT window_started_at FROM sign_in_failures WHERE scope = $1 AND subject = $2")
            .bind(scope.as_db())
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?;
        let started: i64 = match row {
            Some(r) => r.try_get("window_started_at")?,
            None => return Ok(0),
        };
        Ok(started.saturating_add(window_secs).saturating_sub(now).max(0))
    }
}
