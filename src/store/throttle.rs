//! Counting failed sign-ins, per login and per client address, in a fixed
//! window. Kept in the database so every instance sees the same counts.

use sqlx::Row;

use super::{Store, StoreError};

#[derive(Debug, Clone, Copy)]
pub enum FailureScope {
    Login,
    Address,
}

impl FailureScope {
    fn as_db(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Address => "address",
        }
    }
}

impl Store {
    /// Failures recorded for `subject` in the window that started within
    /// `window_secs` before `now`.
    pub async fn sign_in_failures(
        &self,
        scope: FailureScope,
        subject: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT failures FROM sign_in_failures WHERE scope = $1 AND subject = $2 AND window_started_at > $3",
        )
        .bind(scope.as_db())
        .bind(subject)
        .bind(now - window_secs)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => r.try_get("failures")?,
            None => 0,
        })
    }

    /// Adds one failure; a window older than `window_secs` starts afresh.
    pub async fn record_sign_in_failure(
        &self,
        scope: FailureScope,
        subject: &str,
        now: i64,
        window_secs: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sign_in_failures (scope, subject, failures, window_started_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (scope, subject) DO UPDATE SET \
               failures = CASE WHEN sign_in_failures.window_started_at <= $4 THEN 1 \
                               ELSE sign_in_failures.failures + 1 END, \
               window_started_at = CASE WHEN sign_in_failures.window_started_at <= $4 THEN $3 \
                                        ELSE sign_in_failures.window_started_at END",
        )
        .bind(scope.as_db())
        .bind(subject)
        .bind(now)
        .bind(now - window_secs)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn clear_sign_in_failures(&self, scope: FailureScope, subject: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_failures WHERE scope = $1 AND subject = $2")
            .bind(scope.as_db())
            .bind(subject)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
