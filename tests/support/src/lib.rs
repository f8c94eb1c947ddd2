//! Test support shared by every test target (`tests/api`, `tests/browser`,
//! `tests/multi`, `tests/leaks`) and the journey benchmark.
//!
//! - [`helpers`]: the real application on port 0 with a fresh SQLite file or
//!   PostgreSQL database, and a cookie-keeping client that does not follow
//!   redirects; [`on_both_engines!`] runs a test body on both engines.
//! - [`steps`]: the journey's steps as a browser takes them.
//! - [`mdes_helpers`]: a scriptable HTTP/1.1 stand-in for MDES.
//! - [`logs`]: log lines kept in memory, to assert on.
//! - [`golden`]: Mastercard's official Python libraries, through `scripts/golden`.
//! - [`sandbox_helpers`]: the built-in sandbox driven through Mastercard's
//!   official Python libraries (`scripts/golden`).
//! - [`wait`]: the one way a test waits for an event that happens on its
//!   own; time itself is moved on the app's manual clock (`app.clock`).

pub mod golden;
pub mod helpers;
pub mod logs;
pub mod mdes_helpers;
pub mod sandbox_helpers;
pub mod steps;
pub mod wait;

/// The repository's root folder: fixtures and scripts are found from here.
pub fn repository_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
