//! Passwords and sign-in: argon2id verification, constant-time whatever the
//! login, and throttling of failures per login and per client address. The
//! step-up before a push (`step_up`) is checked and counted the same way.
//!
//! Argon2id parameters: m = 19 456 KiB, t = 2, p = 1 (OWASP's first choice).

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::Deserialize;

use crate::domain::Login;
use crate::store::{AttemptEnd, FailureScope, Store, StoreError};

pub mod step_up;

/// `security.*`: the sign-in and step-up throttles' limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecuritySettings {
    /// Failed sign-ins for one login within the window before it is locked.
    pub max_failures_per_login: u32,
    /// Failed sign-ins from one address within the window before it is locked.
    pub max_failures_per_address: u32,
    /// Length of the throttling window, in seconds.
    pub failure_window_secs: u64,
    /// One-time step-up codes issued to one cardholder within the window
    /// (each is an SMS in production) before issuing pauses.
    pub max_codes_per_window: u32,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self { max_failures_per_login: 5, max_failures_per_address: 20, failure_window_secs: 900, max_codes_per_window: 5 }
    }
}

fn argon2() -> Argon2<'static> {
    pin_mmap_threshold();
    let params = Params::new(19_456, 2, 1, None).expect("argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Each argon2 call allocates its 19 MiB of memory and frees it at the end. glibc raises its
/// mmap threshold (up to 32 MiB) after the first such free, so later buffers come from its
/// per-thread malloc arenas (up to 8 per core) and stay there: the journey benchmark's process
/// held 849 MiB after 1,000 sign-ins (7.5 GiB before checks were bounded to one per core).
/// Pinning the threshold at 1 MiB keeps large buffers in their own mappings, returned to the
/// system when freed: 34 MiB. (Same effect as `MALLOC_MMAP_THRESHOLD_=1048576`.) Allocations
/// of 1 MiB or more are rare elsewhere in the portal; each now costs an mmap/munmap.
#[allow(unsafe_code)] // the one unsafe call of the portal: a C function of glibc
fn pin_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: mallopt only tunes the allocator; glibc makes it thread-safe.
        ONCE.call_once(|| unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        });
    }
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt);
    Ok(argon2().hash_password_with_salt(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("hashing: {e}"))?.to_string())
}

/// A hash to verify against when the login is unknown, so that an unknown
/// login costs the same time as a wrong password (no account enumeration).
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never matches").expect("hashing works"))
}

fn verify(password: &str, hash: &str) -> bool {
    // argon2's verifier compares the digests in constant time.
    PasswordHash::new(hash).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Permits for concurrent argon2 checks (sign-in and password step-up): one per core.
///
/// Each check needs 19 MiB and tens of milliseconds of CPU. Unbounded, 64 cardholders signing
/// in at once ran 64 checks at once on the blocking pool: 64 × 19 MiB live (and kept by the
/// allocator afterwards — 7.5 GiB RSS in the benchmark at 64), and the page handlers got
/// a sliver of the CPU. Queuing here costs no throughput (the cores are busy either way) and
/// bounds both memory and the CPU argon2 can take from pages. (`benches/journey.rs` measures it.)
fn argon2_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get())))
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("wrong login or password")]
    WrongCredentials,
    #[error("too many failed attempts")]
    Throttled { retry_after_secs: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password check failed: {0}")]
    Internal(String),
}

/// Who is trying: the login (or the signed-in cardholder's login) and the
/// client address (`crate::web::client_address`, one rule for every throttle).
pub struct Attempter<'a> {
    pub login: &'a str,
    pub address: &'a str,
}

/// Runs one authentication `check` (a password or a one-time code) for
/// `who`, counted against the limits *before* it runs: per login in `scope`
/// (passwords and codes are counted apart, so a right password forgives no
/// wrong codes) and per address. When either limit is reached the check does
/// not run at all (`Throttled`). A wrong answer (`Ok(None)`) becomes a failure
/// in both; a right one (`Ok(Some(_))`) forgives that scope's failures of
/// the login.
///
/// The whole of it runs as a task of its own: a client that drops the
/// connection mid-check cancels the request, not the accounting, so no
/// reservation is left holding a slot until the window ends.
pub async fn guarded<T: Send + 'static>(
    store: &Store,
    limits: &SecuritySettings,
    who: &Attempter<'_>,
    scope: FailureScope,
    check: impl std::future::Future<Output = Result<Option<T>, SignInError>> + Send + 'static,
) -> Result<Option<T>, SignInError> {
    let store = store.clone();
    let (login, address) = (who.login.to_string(), who.address.to_string());
    let window = i64::try_from(limits.failure_window_secs).unwrap_or(i64::MAX / 2);
    let by_login = i64::from(limits.max_failures_per_login);
    let by_address = i64::from(limits.max_failures_per_address);
    let task = tokio::spawn(async move {
        let now = store.clock().now_unix();
        if !store.reserve_attempt(scope, &login, now, window, by_login).await? {
            let left = store.attempt_window_left(scope, &login, now, window).await?;
            return Err(SignInError::Throttled { retry_after_secs: left.max(1) });
        }
        if !store.reserve_attempt(FailureScope::Address, &address, now, window, by_address).await? {
            store.end_attempt(scope, &login, AttemptEnd::Released).await?;
            let left = store.attempt_window_left(FailureScope::Address, &address, now, window).await?;
            return Err(SignInError::Throttled { retry_after_secs: left.max(1) });
        }
        let result = check.await;
        let (login_end, address_end) = match &result {
            Ok(Some(_)) => (AttemptEnd::Cleared, AttemptEnd::Released),
            Ok(None) => (AttemptEnd::Failed, AttemptEnd::Failed),
            Err(_) => (AttemptEnd::Released, AttemptEnd::Released),
        };
        store.end_attempt(scope, &login, login_end).await?;
        store.end_attempt(FailureScope::Address, &address, address_end).await?;
        result
    });
    task.await.map_err(|e| SignInError::Internal(e.to_string()))?
}

/// Checks a password against the stored hash of `login` (argon2id, off the
/// async workers, one check per core); an unknown login is checked against a
/// decoy so it costs the same time. Returns the cardholder id when it matches.
async fn check_password(store: Store, login: Login, password: String) -> Result<Option<i64>, SignInError> {
    let credentials = store.credentials(&login).await?;
    let hash = credentials.as_ref().map(|(_, h)| h.clone()).unwrap_or_else(|| decoy_hash().to_string());
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers, and run at most
    // one check per core at a time (see `argon2_slots`).
    let _slot = argon2_slots().acquire().await.map_err(|e| SignInError::Internal(e.to_string()))?;
    let matches =
        tokio::task::spawn_blocking(move || verify(&password, &hash)).await.map_err(|e| SignInError::Internal(e.to_string()))?;
    Ok(credentials.filter(|_| matches).map(|(id, _)| id))
}

/// Checks a login and password, counted and throttled (see [`guarded`]);
/// returns the cardholder id. Sign-in and the step-up password both use it.
pub async fn sign_in(
    store: &Store,
    limits: &SecuritySettings,
    login: &Login,
    password: &str,
    address: &str,
) -> Result<i64, SignInError> {
    let who = Attempter { login: login.as_str(), address };
    let check = check_password(store.clone(), login.clone(), password.to_string());
    guarded(store, limits, &who, FailureScope::Login, check).await?.ok_or(SignInError::WrongCredentials)
}
