//! The step-up before a push (PSD2 SCA): the cardholder proves again that it
//! is them, with the sign-in password or a one-time code. Both are counted
//! and throttled as sign-in is ([`super::guarded`]): per login and per client
//! address, the address by the one rule every throttle uses
//! (`crate::web::client_address`, which honours `server.trust_forwarded_for`).

use super::SecuritySettings;
use super::{Attempter, SignInError, guarded};
use crate::domain::Login;
use crate::store::{Cardholder, CodeIssue, CodeUse, FailureScope, Store, StoreError};

/// How long a step-up code is valid.
pub const CODE_VALID_SECS: i64 = 300;

/// The push a step-up confirms: this token requestor and these cards, from
/// this review form (`submission_id`). A code shown for one review cannot
/// confirm a push of something else.
pub struct Push<'a> {
    pub trid: &'a str,
    pub card_ids: &'a [String],
    pub submission_id: &'a str,
}

/// What the cardholder gave on the review form.
pub enum Answer<'a> {
    Password(&'a str),
    Code(&'a str),
}

/// The step-up code for a review page.
pub enum ReviewCode {
    /// A code can be entered: sent now or still live. `demo_code` is the
    /// code itself, only in the demo (where the page shows it, as an SMS
    /// would deliver it).
    Ready { demo_code: Option<String> },
    /// Too many codes were sent: none can be entered for now.
    Paused,
}

/// The code for the review page of a push of `card_ids` to `trid`. One
/// live code per cardholder: showing the page again sends no new code while
/// the last one can still be used (each is an SMS).
pub async fn code_for_review(
    store: &Store,
    limits: &SecuritySettings,
    cardholder_id: i64,
    trid: &str,
    card_ids: &[String],
    demo: bool,
) -> Result<ReviewCode, StoreError> {
    let purpose = code_purpose(trid, card_ids);
    let (issued, to_send) = issue_code(store, limits, cardholder_id, &purpose, demo).await?;
    // Outside the demo `to_send` goes out by SMS (not built here).
    Ok(match issued {
        CodeIssue::Issued => {
            tracing::info!(cardholder_id, "step-up code issued");
            ReviewCode::Ready { demo_code: to_send.filter(|_| demo) }
        }
        CodeIssue::StillLive { demo_code } => ReviewCode::Ready { demo_code: demo_code.filter(|_| demo) },
        CodeIssue::Throttled => {
            tracing::warn!(cardholder_id, "step-up codes paused: too many issued");
            ReviewCode::Paused
        }
    })
}

/// Checks the cardholder's `answer` for `push`: `Ok(true)` when it is them,
/// `Ok(false)` for a wrong answer, `Err(Throttled)` when too many failed.
/// `address` is the client's, as `crate::web::client_address` gives it.
pub async fn confirm(
    store: &Store,
    limits: &SecuritySettings,
    cardholder: &Cardholder,
    address: &str,
    push: &Push<'_>,
    answer: Answer<'_>,
) -> Result<bool, SignInError> {
    match answer {
        Answer::Password(password) => {
            let login = Login::parse(&cardholder.login).map_err(|e| SignInError::Internal(e.to_string()))?;
            match super::sign_in(store, limits, &login, password, address).await {
                Ok(_) => Ok(true),
                Err(SignInError::WrongCredentials) => Ok(false),
                Err(e) => Err(e),
            }
        }
        Answer::Code(code) => {
            let who = Attempter { login: &cardholder.login, address };
            let purpose = code_purpose(push.trid, push.card_ids);
            check_code(store, limits, &who, cardholder.id, &purpose, push.submission_id, code).await
        }
    }
}

/// What a code confirms: the TR and the cards, in any order.
fn code_purpose(trid: &str, card_ids: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut cards = card_ids.to_vec();
    cards.sort();
    hex::encode(Sha256::digest(format!("{trid}\n{}", cards.join(",")).as_bytes()))
}

fn code_hash(code: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// A step-up code for the review page: a new one (returned, to send), the
/// live one left as it is, or none because too many were issued.
async fn issue_code(
    store: &Store,
    limits: &SecuritySettings,
    cardholder_id: i64,
    purpose: &str,
    demo: bool,
) -> Result<(CodeIssue, Option<String>), StoreError> {
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    let hash = code_hash(&code);
    let new = crate::store::NewCode {
        cardholder_id,
        code_hash: &hash,
        purpose,
        demo_code: demo.then_some(code.as_str()),
        now: store.clock().now_unix(),
        valid_secs: CODE_VALID_SECS,
        window_secs: i64::try_from(limits.failure_window_secs).unwrap_or(i64::MAX / 2),
        max_per_window: i64::from(limits.max_codes_per_window),
    };
    let issued = store.issue_step_up_code(&new).await?;
    let sent = matches!(issued, CodeIssue::Issued).then_some(code);
    Ok((issued, sent))
}

/// Checks a step-up code for `purpose`, counted like a password (per login,
/// in codes' own scope, and per address; see [`guarded`]) and against the
/// code's own tries. A right code is used up by the form `submission_id`: of
/// other requests carrying it only that same form's (a double click) is
/// confirmed again, and it pushes nothing twice (the record is per form).
async fn check_code(
    store: &Store,
    limits: &SecuritySettings,
    who: &Attempter<'_>,
    cardholder_id: i64,
    purpose: &str,
    submission_id: &str,
    code: &str,
) -> Result<bool, SignInError> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        // Not a code at all: nothing to count it against, nothing checked.
        return Ok(false);
    }
    let (store2, hash, purpose, submission) = (store.clone(), code_hash(code), purpose.to_string(), submission_id.to_string());
    let offered = CodeUse { cardholder_id, code_hash: &hash, purpose: &purpose, submission_id: &submission };
    // A double click: the same form with the code it already used is
    // confirmed again before any attempt is counted.
    if store.step_up_code_used_by(&offered, store.clock().now_unix()).await? {
        return Ok(true);
    }
    let check = async move {
        let offered = CodeUse { cardholder_id, code_hash: &hash, purpose: &purpose, submission_id: &submission };
        let matched = store2.check_step_up_code(&offered, store2.clock().now_unix()).await?;
        Ok(matched.then_some(()))
    };
    Ok(guarded(store, limits, who, FailureScope::Code, check).await?.is_some())
}
