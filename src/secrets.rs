//! The symmetric secrets the portal needs: the session-cookie key, the key
//! that encrypts account numbers at rest, and the token-event key. In production they come from
//! settings (env or file); in the demo they are generated once into the data
//! folder (mode 0600) so a fresh checkout runs with no step and no secret is
//! ever committed.

use std::path::Path;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Settings;

pub struct Secrets {
    pub cookie_key: [u8; 64],
    pub account_number_key: [u8; 32],
    /// Authenticates token events (see `token_events`).
    pub token_event_key: [u8; 32],
}

impl Secrets {
    pub fn resolve(settings: &Settings) -> anyhow::Result<Self> {
        Ok(Self {
            cookie_key: resolve_one::<64>(
                "session.cookie_key",
                settings.session.cookie_key.as_ref(),
                settings,
                "session-cookie.key",
            )?,
            account_number_key: resolve_one::<32>(
                "database.account_number_key",
                settings.database.account_number_key.as_ref(),
                settings,
                "account-number.key",
            )?,
            token_event_key: resolve_one::<32>(
                "token_events.secret",
                settings.token_events.secret.as_ref(),
                settings,
                "token-events.key",
            )?,
        })
    }
}

fn resolve_one<const N: usize>(
    setting: &str,
    configured: Option<&SecretString>,
    settings: &Settings,
    file_name: &str,
) -> anyhow::Result<[u8; N]> {
    if let Some(value) = configured.filter(|v| !v.expose_secret().is_empty()) {
        return parse_hex_key::<N>(value.expose_secret())
            .with_context(|| format!("invalid setting {setting}: must be {} hex digits", N * 2));
    }
    if !settings.demo.enabled {
        bail!("invalid setting {setting}: is required when demo.enabled is false");
    }
    let path = settings.data_dir.join(file_name);
    if path.exists() {
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        return parse_hex_key::<N>(text.trim())
            .with_context(|| format!("{} is corrupt: delete it to generate a new one", path.display()));
    }
    let mut key = [0u8; N];
    rand::fill(&mut key[..]);
    write_private(&path, &hex::encode(key))?;
    tracing::info!(file = %path.display(), "generated demo secret");
    Ok(key)
}

fn parse_hex_key<const N: usize>(text: &str) -> anyhow::Result<[u8; N]> {
    let bytes = hex::decode(text.trim())?;
    bytes.try_into().map_err(|_| anyhow::anyhow!("wrong length"))
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut file, contents.as_bytes())?;
    Ok(())
}
