//! Layered settings: built-in defaults → optional TOML file → environment
//! (`PUSHPROV__SECTION__KEY`). The defaults alone run the demo: no file needed.
//!
//! Every setting is documented in docs/configuration.md ("Every setting"); keep the
//! two in step.
//!
//! Settings flow one way: a module the portal is built from (`auth`, `mdes`,
//! `catalog`, `provisioning`, `sandbox`, `telemetry`) owns its section's
//! type, and this module only composes them; none of them reads `config`.
//! The sections here are the portal's own: server, database, sessions,
//! issuer, demo, token events — read by `startup` and `web`, above this.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The file read when no `--config` is given (optional: absent is fine).
pub const DEFAULT_CONFIG_FILE: &str = "pushprov.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Folder for the SQLite database and generated demo secrets and keys.
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub session: SessionSettings,
    pub security: crate::auth::SecuritySettings,
    pub issuer: IssuerSettings,
    pub demo: DemoSettings,
    pub log: crate::telemetry::LogSettings,
    pub mdes: crate::mdes::MdesSettings,
    pub catalog: crate::catalog::CatalogSettings,
    pub sandbox: SandboxSettings,
    pub token_events: TokenEventSettings,
    pub provisioning: crate::provisioning::ProvisioningSettings,
}

#[cfg(feature = "sandbox")]
pub use crate::sandbox::SandboxSettings;

/// A build without the sandbox still reads `sandbox.enabled`, to refuse
/// settings that ask for it (its other keys mean nothing there).
#[cfg(not(feature = "sandbox"))]
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SandboxSettings {
    pub enabled: Option<bool>,
}

#[cfg(not(feature = "sandbox"))]
impl SandboxSettings {
    pub fn is_enabled(&self, demo: bool) -> bool {
        self.enabled.unwrap_or(demo)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenEventSettings {
    /// 64 hex digits (32 bytes) shared with the sender of token events.
    /// Generated in the demo; required otherwise.
    pub secret: Option<SecretString>,
    /// Events whose timestamp is further than this from now are refused.
    pub replay_window_secs: u64,
}

impl Default for TokenEventSettings {
    fn default() -> Self {
        Self { secret: None, replay_window_secs: 300 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// The address cardholders' browsers use to reach the portal (scheme, host,
    /// port; no path). Defaults to `http://{host}:{port}`.
    pub public_url: Option<String>,
    /// Mark the session cookie `Secure`. Defaults to true when `public_url`
    /// is https; may be false only for a loopback http address.
    pub secure_cookies: Option<bool>,
    /// Largest accepted form body, in bytes.
    pub max_form_bytes: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you
    /// control); otherwise the TCP peer address is used for throttling.
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path` or `postgres://…`. Defaults to `{data_dir}/pushprov.db`.
    pub url: Option<String>,
    pub max_connections: u32,
    /// 32-byte key (hex) that encrypts card and account numbers at rest.
    /// Generated into the data folder in the demo; required otherwise.
    pub account_number_key: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    /// Sign the cardholder out after this long without a request (PSD2 RTS
    /// art. 4(3)(d): at most 300 seconds).
    pub idle_timeout_secs: u64,
    /// Sign the cardholder out this long after sign-in, whatever they do.
    pub absolute_timeout_secs: u64,
    /// 64-byte key (hex) that signs and encrypts the session cookie.
    /// Generated into the data folder in the demo; required otherwise.
    pub cookie_key: Option<SecretString>,
    pub cookie_name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IssuerSettings {
    /// The bank's name, shown in the header and in page titles.
    pub name: String,
    /// URL of the logo shown in the header (the portal's own origin).
    pub logo_url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoSettings {
    /// Demo mode: generate secrets into the data folder and load the demo
    /// cardholders into an empty database. Never in production.
    pub enabled: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            server: ServerSettings::default(),
            database: DatabaseSettings::default(),
            session: SessionSettings::default(),
            security: crate::auth::SecuritySettings::default(),
            issuer: IssuerSettings::default(),
            demo: DemoSettings::default(),
            log: crate::telemetry::LogSettings::default(),
            mdes: crate::mdes::MdesSettings::default(),
            catalog: crate::catalog::CatalogSettings::default(),
            sandbox: SandboxSettings::default(),
            token_events: TokenEventSettings::default(),
            provisioning: crate::provisioning::ProvisioningSettings::default(),
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            public_url: None,
            secure_cookies: None,
            max_form_bytes: 16 * 1024,
            trust_forwarded_for: false,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { url: None, max_connections: 10, account_number_key: None }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self { idle_timeout_secs: 300, absolute_timeout_secs: 1800, cookie_key: None, cookie_name: "pushprov_session".into() }
    }
}

impl Default for IssuerSettings {
    fn default() -> Self {
        Self { name: "Demo Bank".into(), logo_url: "/static/logo.svg".into() }
    }
}

impl Default for DemoSettings {
    fn default() -> Self {
        Self { enabled: true }
    }
}

/// A setting that cannot be used; `Display` is the one line printed at start-up.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting}: {problem}")]
pub struct SettingsError {
    pub setting: String,
    pub problem: String,
}

impl SettingsError {
    fn new(setting: &str, problem: impl Into<String>) -> Self {
        Self { setting: setting.into(), problem: problem.into() }
    }
}

impl Settings {
    /// Defaults, then `file` (or `pushprov.toml` when present), then the
    /// environment. `file`, when named explicitly, must exist.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut builder = config::Config::builder();
        builder = match file {
            Some(path) => builder.add_source(config::File::from(path).required(true)),
            None => builder.add_source(config::File::with_name(DEFAULT_CONFIG_FILE).required(false)),
        };
        let raw = builder
            .add_source(
                config::Environment::with_prefix("PUSHPROV")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    // Lists in the environment are comma-separated.
                    .list_separator(",")
                    .with_list_parse_key("catalog.account_ranges")
                    .with_list_parse_key("provisioning.digitization_data_for"),
            )
            .build()
            .map_err(config_error)?;
        let settings: Settings = raw.try_deserialize().map_err(config_error)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what serde cannot: ranges and combinations.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let public = self.public_url();
        let url = reqwest::Url::parse(&public)
            .map_err(|e| SettingsError::new("server.public_url", format!("{public:?} is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(SettingsError::new("server.public_url", "must be an http(s) address with a host"));
        }
        if url.path() != "/" || url.query().is_some() {
            return Err(SettingsError::new("server.public_url", "must have no path or query"));
        }
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if !self.secure_cookies() && !loopback {
            return Err(SettingsError::new(
                "server.secure_cookies",
                "may be false only when server.public_url is a loopback address",
            ));
        }
        if self.server.max_form_bytes < 1024 {
            return Err(SettingsError::new("server.max_form_bytes", "must be at least 1024"));
        }
        let idle = self.session.idle_timeout_secs;
        if !(1..=300).contains(&idle) {
            return Err(SettingsError::new(
                "session.idle_timeout_secs",
                "must be between 1 and 300 seconds (PSD2 RTS art. 4(3)(d))",
            ));
        }
        if self.session.absolute_timeout_secs < idle {
            return Err(SettingsError::new("session.absolute_timeout_secs", "must be at least session.idle_timeout_secs"));
        }
        if self.session.cookie_name.is_empty()
            || !self.session.cookie_name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(SettingsError::new("session.cookie_name", "must be letters, digits, '_' or '-'"));
        }
        if self.security.max_codes_per_window == 0 {
            return Err(SettingsError::new("security.max_codes_per_window", "must be at least 1"));
        }
        if self.security.max_failures_per_login == 0 || self.security.max_failures_per_address == 0 {
            return Err(SettingsError::new("security.max_failures_per_login", "limits must be at least 1"));
        }
        if self.security.failure_window_secs == 0 {
            return Err(SettingsError::new("security.failure_window_secs", "must be greater than 0"));
        }
        let db = self.database_url();
        if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
            return Err(SettingsError::new("database.url", "must start with sqlite: or postgres://"));
        }
        if self.database.max_connections == 0 {
            return Err(SettingsError::new("database.max_connections", "must be at least 1"));
        }
        if self.issuer.name.trim().is_empty() {
            return Err(SettingsError::new("issuer.name", "must not be empty"));
        }
        if !self.demo.enabled {
            for (name, value) in [
                ("session.cookie_key", &self.session.cookie_key),
                ("database.account_number_key", &self.database.account_number_key),
                ("token_events.secret", &self.token_events.secret),
            ] {
                if value.as_ref().is_none_or(|v| v.expose_secret().is_empty()) {
                    return Err(SettingsError::new(name, "is required when demo.enabled is false"));
                }
            }
        }
        for range in &self.catalog.account_ranges {
            if crate::domain::AccountRange::parse(range).is_err() {
                return Err(SettingsError::new("catalog.account_ranges", format!("{range:?} is not 9 to 19 digits")));
            }
        }
        if self.catalog.check_interval_secs == 0 || self.catalog.lease_secs == 0 {
            return Err(SettingsError::new("catalog.check_interval_secs", "intervals must be greater than 0"));
        }
        self.check_sandbox(cfg!(feature = "sandbox"))?;
        self.mdes.fingerprint.check().map_err(|problem| SettingsError::new("mdes.fingerprint", problem))?;
        self.provisioning.validate().map_err(|(setting, problem)| SettingsError { setting, problem })?;
        tracing_subscriber::EnvFilter::try_new(&self.log.filter).map_err(|e| SettingsError::new("log.filter", e.to_string()))?;
        Ok(())
    }

    /// The sandbox runs only in the demo, and only in a build that has it.
    fn check_sandbox(&self, built_with_sandbox: bool) -> Result<(), SettingsError> {
        // A build without the sandbox says so first, whatever else is set:
        // otherwise an operator is sent to turn the demo on, then refused again.
        let wanted = self.sandbox.enabled == Some(true) || self.sandbox.is_enabled(self.demo.enabled);
        if wanted && !built_with_sandbox {
            return Err(SettingsError::new(
                "sandbox.enabled",
                "this build has no sandbox (built without the `sandbox` feature): set sandbox.enabled = false and \
                 the mdes.* settings, or use a build with the sandbox (docs/production-build.md)",
            ));
        }
        if self.sandbox.enabled == Some(true) && !self.demo.enabled {
            return Err(SettingsError::new("sandbox.enabled", "the sandbox runs only with demo.enabled = true"));
        }
        Ok(())
    }

    pub fn public_url(&self) -> String {
        match &self.server.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}:{}", self.server.host, self.server.port),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.server.secure_cookies.unwrap_or_else(|| self.public_url().starts_with("https://"))
    }

    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("pushprov.db").display()),
        }
    }
}

/// `config` names the key in most of its messages; keep them to one line.
fn config_error(e: config::ConfigError) -> SettingsError {
    let text = e.to_string().replace('\n', " ");
    let setting = text
        .split_once("for key `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(key, _)| key.to_string())
        .unwrap_or_else(|| "(configuration)".into());
    SettingsError { setting, problem: text }
}

#[cfg(test)]
mod tests {
    use super::Settings;

    /// A production build (`--no-default-features`) starts only with settings
    /// that do not ask for the sandbox: the demo turns it on unless told not to.
    #[test]
    fn a_build_without_the_sandbox_refuses_settings_that_ask_for_it() {
        let mut settings = Settings::default();
        assert!(settings.check_sandbox(true).is_ok());
        let refused = settings.check_sandbox(false).unwrap_err();
        assert_eq!(refused.setting, "sandbox.enabled");
        assert!(refused.to_string().contains("this build has no sandbox"), "{refused}");
        settings.sandbox.enabled = Some(false);
        assert!(settings.check_sandbox(false).is_ok(), "the demo against a real MDES");
        settings.sandbox.enabled = Some(true);
        settings.demo.enabled = false;
        assert!(settings.check_sandbox(true).is_err(), "the sandbox only in the demo");
    }

    /// Attack on issue 16 item 4: a production build (`--no-default-features`)
    /// asked for the sandbox outside the demo (`sandbox.enabled = true`,
    /// `demo.enabled = false`) must say what it says for the defaults — this
    /// build has no sandbox. It says "the sandbox runs only with
    /// demo.enabled = true" instead, sending the operator to turn the demo
    /// on, which the same build then refuses with the other line.
    #[test]
    fn a_build_without_the_sandbox_says_so_whatever_else_is_set() {
        let mut settings = Settings::default();
        settings.demo.enabled = false;
        settings.sandbox.enabled = Some(true);
        let refused = settings.check_sandbox(false).unwrap_err();
        assert_eq!(refused.setting, "sandbox.enabled");
        assert!(refused.to_string().contains("this build has no sandbox"), "{refused}");
    }
}
