use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

/// Logs to stdout, as text or JSON lines. `RUST_LOG` overrides the filter.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let result = if settings.json { builder.json().try_init() } else { builder.try_init() };
    // Already initialised (tests start several apps in one process): keep the first.
    let _ = result;
}
