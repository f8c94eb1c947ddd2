//! Waiting for something that happens on its own: a background task of the
//! app (the catalogue's first refresh, the sandbox wallet's token events), a
//! child process, a request in flight. Never for time to pass: the app's
//! time is the test's [`pushprov::clock::ManualClock`], moved with
//! `app.clock.advance(secs)`. Each check runs again every few milliseconds
//! until it holds, and the test fails naming what never happened.

use std::time::{Duration, Instant};

/// How long an event may take on a loaded machine before the test fails.
/// Only reached when something is broken; a passing test waits for the
/// event alone.
const LIMIT: Duration = Duration::from_secs(20);
/// Often enough to add little to a test, seldom enough not to load the app.
const EVERY: Duration = Duration::from_millis(50);

/// Waits until `check` returns `Ok`, and returns its value; panics naming
/// `what` and the last `Err` (what was seen instead) if it does not within
/// [`LIMIT`].
pub async fn until_ok<T, E: std::fmt::Debug>(what: &str, check: impl AsyncFnMut() -> Result<T, E>) -> T {
    within(LIMIT, check).await.unwrap_or_else(|seen| panic!("waited {LIMIT:?} for {what}; last saw {seen:?}"))
}

/// Runs `check` until it returns `Ok`, for at most `limit`; then the last
/// `Err`. For callers that report a failure their own way (the browser
/// harness saves a screenshot first).
pub async fn within<T, E>(limit: Duration, mut check: impl AsyncFnMut() -> Result<T, E>) -> Result<T, E> {
    let started = Instant::now();
    loop {
        match check().await {
            Ok(value) => return Ok(value),
            Err(seen) if started.elapsed() >= limit => return Err(seen),
            Err(_) => tokio::time::sleep(EVERY).await,
        }
    }
}

/// Waits until `check` holds; panics naming `what` if it does not within [`LIMIT`].
pub async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    until_ok(what, async || if check().await { Ok(()) } else { Err("not yet") }).await
}
