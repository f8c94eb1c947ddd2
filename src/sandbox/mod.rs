//! The built-in MDES sandbox and demo token requestors: a real counterpart
//! reached over HTTP exactly like Mastercard, never called as a library by
//! the portal. See docs/sandbox.md.
//!
//! It stands beside the portal: it uses the MDES wire model (`mdes`), the
//! token-event contract (`token_events`) and logging (`telemetry`), and
//! reads no portal module or setting. What it needs of the portal (where
//! token events go, the demo issuer's ranges, …) is handed to it in a
//! [`SandboxSetup`] when it is mounted or run alone. It is compiled only
//! with the `sandbox` cargo feature (on by default): a production build
//! (`--no-default-features`) leaves it out (docs/production-build.md).

// Declared only under the feature (lib.rs); this holds that line to it: a
// no-sandbox build that compiled the sandbox anyway fails here.
#[cfg(not(feature = "sandbox"))]
compile_error!("the sandbox is built only with the `sandbox` feature");

pub mod api;
pub mod data;
pub mod keys;
pub mod png;
pub mod state;
pub mod tr;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::mdes::MdesSettings;
pub use data::{DemoIssuer, SandboxData, Scenario};
pub use keys::SandboxKeys;
pub use state::{SandboxState, routes};

/// `pushprov sandbox`: the sandbox on its own server (`server.host`,
/// `sandbox.port`), for tests and for a portal running elsewhere. Returns the
/// bound port and the server to await.
pub fn run_standalone(setup: &SandboxSetup) -> anyhow::Result<(u16, actix_web::dev::Server)> {
    use actix_web::{App, HttpServer, http::header, middleware::DefaultHeaders};
    let address = format!("{}:{}", setup.host, setup.settings.port);
    let listener = std::net::TcpListener::bind(&address)
        .map_err(|e| anyhow::anyhow!("cannot listen on {address} (setting sandbox.port): {e}"))?;
    let port = listener.local_addr()?.port();
    let origin = setup.settings.public_url.clone().unwrap_or_else(|| format!("http://{}:{port}", setup.host));
    let state = SandboxState::build(setup, &origin, true)?;
    tracing::info!(mdes_base_url = %format!("{origin}{MOUNT_PATH}"), "sandbox is serving");
    let server = HttpServer::new(move || {
        // No `form-action`: the TR's last POST redirects to the issuer's
        // callback on another origin, which that directive would block.
        let headers = DefaultHeaders::new()
            .add((header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"))
            .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .add((header::REFERRER_POLICY, "no-referrer"))
            .add((header::CACHE_CONTROL, "no-store"));
        App::new()
            .wrap(headers)
            .wrap(tracing_actix_web::TracingLogger::<crate::telemetry::RedactedRootSpan>::new())
            .configure(routes(state.clone()))
    })
    .listen(listener)?
    .shutdown_timeout(5)
    .run();
    Ok((port, server))
}

/// Where the sandbox's MDES endpoints live below the portal when mounted.
pub const MOUNT_PATH: &str = "/sandbox/mdes";

/// What the portal hands the sandbox to mount it or run it alone: its own
/// settings, and what it needs to know of the portal's.
pub struct SandboxSetup {
    pub settings: SandboxSettings,
    /// The generated keys' folder (`sandbox.keys_dir`, or `{data_dir}/keys`).
    pub keys_dir: PathBuf,
    /// Standalone, it listens on this host (`server.host`) and `sandbox.port`.
    pub host: String,
    /// Where the demo TRs POST token events (`sandbox.token_events_url`, or
    /// the portal's own).
    pub token_events_url: String,
    /// Signs the token events (`token_events.secret`).
    pub token_event_key: [u8; 32],
    /// The issuer the built-in data set serves.
    pub issuer: DemoIssuer,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxSettings {
    /// Mount the sandbox in the portal's server and point the portal's MDES
    /// client at it. Defaults to `demo.enabled`; never on in production.
    pub enabled: Option<bool>,
    /// Folder of the generated sandbox and demo-issuer keys; defaults to
    /// `{data_dir}/keys`.
    pub keys_dir: Option<PathBuf>,
    /// The consumer key the demo issuer signs with.
    pub consumer_key: String,
    /// `pushprov sandbox` (standalone) listens on `server.host` and this port.
    pub port: u16,
    /// Standalone: the sandbox's address as callers see it (scheme, host,
    /// port); OAuth signatures are checked against it and the TR push URIs
    /// are built from it. Defaults to `http://{server.host}:{sandbox.port}`.
    /// Mounted, the portal's `server.public_url` is used.
    pub public_url: Option<String>,
    /// Where token events are POSTed. Defaults to
    /// `{server.public_url}/token-events` (the portal).
    pub token_events_url: Option<String>,
    /// A JSON file replacing the built-in data set (`pushprov sandbox data`
    /// prints the built-in one).
    pub data_file: Option<PathBuf>,
    /// How long the "slow MDES" scenario waits before answering.
    pub slow_delay_ms: u64,
    /// Validity of receipts issued in the "receipt expired" scenario (0: they
    /// are expired when issued).
    pub expired_receipt_validity_secs: u64,
    /// Accepted distance between `oauth_timestamp` and the sandbox's clock.
    pub oauth_max_skew_secs: u64,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            enabled: None,
            keys_dir: None,
            consumer_key: "pushprov-demo-issuer".into(),
            port: 8090,
            public_url: None,
            token_events_url: None,
            data_file: None,
            slow_delay_ms: 3000,
            expired_receipt_validity_secs: 0,
            oauth_max_skew_secs: 300,
        }
    }
}

impl SandboxSettings {
    pub fn is_enabled(&self, demo: bool) -> bool {
        self.enabled.unwrap_or(demo)
    }

    /// The data set: the file in `data_file`, else the built-in one for `issuer`.
    pub fn load_data(&self, issuer: DemoIssuer) -> anyhow::Result<SandboxData> {
        let data = match &self.data_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("invalid setting sandbox.data_file: {}: {e}", path.display()))?;
                serde_json::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("invalid setting sandbox.data_file: {}: {e}", path.display()))?
            }
            None => SandboxData::built_in(issuer),
        };
        data.validate().map_err(|e| anyhow::anyhow!("invalid sandbox data: {e}"))?;
        Ok(data)
    }

    pub fn keys_dir(&self, data_dir: &Path) -> PathBuf {
        self.keys_dir.clone().unwrap_or_else(|| data_dir.join("keys"))
    }

    /// The portal's MDES settings when it talks to the mounted sandbox at
    /// `public_url`: the operator's timeouts and crypto options, the
    /// sandbox's address, consumer key and generated keys.
    pub fn portal_mdes_settings(&self, base: &MdesSettings, public_url: &str, keys: &SandboxKeys) -> MdesSettings {
        MdesSettings {
            base_url: format!("{}{MOUNT_PATH}", public_url.trim_end_matches('/')),
            consumer_key: self.consumer_key.clone(),
            signing_key_path: keys.issuer_signing.private_key.clone(),
            signing_key_password: None,
            signing_key_alias: None,
            encryption_certificate_path: keys.encryption.certificate.clone(),
            ..base.clone()
        }
    }
}
