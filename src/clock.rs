//! Where the portal reads "now". Every timeout and age (sessions, sign-in
//! throttling, step-up codes, receipts, token events, the catalogue) is
//! measured against the one [`Clock`] the application was built with, so that
//! tests can move time instead of waiting for it.
//!
//! In production it is always the system clock: no setting chooses it. Only
//! code that builds the application itself (the test support) can hand it a
//! [`ManualClock`].
//!
//! Not on this clock, on purpose: what other parties compare with their own
//! clocks (the OAuth `oauth_timestamp` sent to Mastercard, and the built-in
//! sandbox, which stands in for Mastercard and the wallets), and I/O timeouts
//! (tokio timers: how long to wait for a peer is real time).
//!
//! Known gaps (issue 16's closing note): the sandbox signs token events with
//! the system time, so a test that moves this clock past
//! `token_events.replay_window_secs` sees the sandbox's events refused; the
//! catalogue's refresh schedule sleeps in real time between checks; and a
//! push's `dataValidUntilTimestamp` follows this clock while its OAuth
//! timestamp follows the system's (the same in production).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// "Now", as the system says or as a test set it. Cheap to clone; clones
/// read the same time.
#[derive(Clone, Default)]
pub struct Clock(Source);

#[derive(Clone, Default)]
enum Source {
    #[default]
    System,
    Manual(Arc<Manual>),
}

/// Time frozen at its start, moved only by [`ManualClock::advance`].
struct Manual {
    started_at: OffsetDateTime,
    started: Instant,
    advanced_ms: AtomicU64,
}

impl Manual {
    fn advanced(&self) -> Duration {
        Duration::from_millis(self.advanced_ms.load(Ordering::Acquire))
    }
}

impl Clock {
    /// The system's clock: what production always uses.
    pub fn system() -> Self {
        Self(Source::System)
    }

    /// The time of day in UTC.
    pub fn now(&self) -> OffsetDateTime {
        match &self.0 {
            Source::System => OffsetDateTime::now_utc(),
            Source::Manual(m) => m.started_at + m.advanced(),
        }
    }

    /// Whole seconds since the Unix epoch: how the store keeps times.
    pub fn now_unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// A monotonic reading, for in-memory ages (the catalogue cache) that
    /// must not jump with the time of day.
    pub fn instant(&self) -> Instant {
        match &self.0 {
            Source::System => Instant::now(),
            Source::Manual(m) => m.started + m.advanced(),
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Source::System => f.write_str("Clock::System"),
            Source::Manual(_) => write!(f, "Clock::Manual({})", self.now()),
        }
    }
}

/// The handle that moves a manual clock: tests keep it, the application
/// gets [`ManualClock::clock`]. It starts at the system's time (so demo data
/// and card expiry dates read as they would today) and then stands still.
#[derive(Clone)]
pub struct ManualClock(Arc<Manual>);

impl ManualClock {
    pub fn new() -> Self {
        Self(Arc::new(Manual { started_at: OffsetDateTime::now_utc(), started: Instant::now(), advanced_ms: AtomicU64::new(0) }))
    }

    /// The clock to build the application with; it reads this handle's time.
    pub fn clock(&self) -> Clock {
        Clock(Source::Manual(self.0.clone()))
    }

    /// Moves time forward by `secs` seconds, at once.
    pub fn advance(&self, secs: u64) {
        self.0.advanced_ms.fetch_add(secs.saturating_mul(1000), Ordering::AcqRel);
    }

    pub fn now_unix(&self) -> i64 {
        self.clock().now_unix()
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_advanced() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let (at, instant) = (clock.now_unix(), clock.instant());
        assert_eq!((clock.now_unix(), clock.instant()), (at, instant));
        manual.advance(90);
        assert_eq!(clock.now_unix(), at + 90);
        assert_eq!(clock.instant() - instant, Duration::from_secs(90));
        assert_eq!(clock.clone().now_unix(), manual.now_unix(), "clones read the same time");
    }

    #[test]
    fn the_system_clock_is_the_default() {
        let before = OffsetDateTime::now_utc().unix_timestamp();
        let now = Clock::default().now_unix();
        assert!(now >= before && now <= OffsetDateTime::now_utc().unix_timestamp());
    }
}
