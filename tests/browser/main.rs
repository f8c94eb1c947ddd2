//! Real-browser tests: the push provisioning journey in headless Chromium,
//! driven through chromedriver, against the portal and its built-in sandbox
//! started in-process on port 0 (docs/testing.md "Browser tests").
//!
//! Every page of every journey is checked by [`driver::Browser::step`]: no
//! CSP violation or blocked navigation in the browser console, a screenshot,
//! and zero axe-core WCAG 2.1 A/AA violations.

use pushprov_test_support::{helpers, wait};

mod driver;
mod harness;
mod journeys;
mod keyboard;
