//! Token events (wire contract §8, [ours]): how MDES's word on a tokenization reaches
//! the portal. The sender (in the demo, the sandbox's token requestor) POSTs
//! a JSON [`TokenEvent`] to `/token-events` with two headers:
//!
//! - `X-Pushprov-Timestamp`: Unix seconds when it was sent;
//! - `X-Pushprov-Signature`: `v1=` + hex HMAC-SHA256 under the shared secret
//!   (`token_events.secret`) of `"{timestamp}.{body}"`.
//!
//! The portal refuses a bad signature and a timestamp outside the replay
//! window; duplicates (same `eventId`) and out-of-order events are normal.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const TIMESTAMP_HEADER: &str = "X-Pushprov-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-Pushprov-Signature";
/// The path below the portal's public URL.
pub const PATH: &str = "/token-events";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenEvent {
    /// Unique per event; a repeated id is a duplicate delivery.
    pub event_id: String,
    /// The receipt the tokenization used.
    pub push_account_receipt: String,
    /// MDES's token reference, once a token exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_unique_reference: Option<String>,
    /// `ACTIVE`, `INACTIVE` (needs the cardholder's verification),
    /// `SUSPENDED`, `DELETED` or `DECLINED`.
    pub status: String,
    /// RFC 3339; orders events for one receipt.
    pub occurred_at: String,
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Pushprov-Signature` value for `body` sent at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("v1={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// The sender's side of the contract: a POST of `body` to `url` (the
/// portal's [`PATH`]) sent at `timestamp`, signed under `secret`.
pub fn signed_request(
    client: &reqwest::Client,
    url: &str,
    secret: &[u8],
    timestamp: i64,
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    let signature = sign(secret, timestamp, &body);
    client
        .post(url)
        .header("content-type", "application/json")
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature)
        .body(body)
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("signature or timestamp header missing or malformed")]
    Malformed,
    #[error("timestamp outside the replay window")]
    Stale,
    #[error("signature does not match")]
    Mismatch,
}

/// Checks the two headers against `body` (constant-time comparison).
pub fn verify(
    secret: &[u8],
    timestamp_header: Option<&str>,
    signature_header: Option<&str>,
    body: &[u8],
    now: i64,
    window_secs: i64,
) -> Result<(), SignatureError> {
    let timestamp: i64 = timestamp_header.and_then(|t| t.trim().parse().ok()).ok_or(SignatureError::Malformed)?;
    let signature = signature_header
        .and_then(|s| s.trim().strip_prefix("v1="))
        .and_then(|hex_sig| hex::decode(hex_sig).ok())
        .ok_or(SignatureError::Malformed)?;
    // Any i64 may come in the header: no arithmetic on it can overflow.
    let skew = now.checked_sub(timestamp).and_then(i64::checked_abs);
    if skew.is_none_or(|skew| skew > window_secs) {
        return Err(SignatureError::Stale);
    }
    mac(secret, timestamp, body).verify_slice(&signature).map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies() {
        let body = br#"{"eventId":"e1"}"#;
        let sig = sign(b"secret", 1000, body);
        assert_eq!(verify(b"secret", Some("1000"), Some(&sig), body, 1010, 300), Ok(()));
        assert_eq!(verify(b"other", Some("1000"), Some(&sig), body, 1010, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"secret", Some("1000"), Some(&sig), b"{}", 1010, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"secret", Some("1001"), Some(&sig), body, 1010, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(b"secret", Some("1000"), Some(&sig), body, 2000, 300), Err(SignatureError::Stale));
        assert_eq!(verify(b"secret", None, Some(&sig), body, 1010, 300), Err(SignatureError::Malformed));
        assert_eq!(verify(b"secret", Some("1000"), Some("v1=zz"), body, 1010, 300), Err(SignatureError::Malformed));
    }

    /// Issue 14 item 7: `now - timestamp` overflowed (a panic in debug).
    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        let body = b"{}";
        let cases = [
            (i64::MIN, 0),
            (i64::MIN, 1_700_000_000),
            (i64::MIN + 1, i64::MAX),
            (i64::MAX, 0),
            (i64::MAX, -1),
            (-1, 1_700_000_000),
        ];
        for (ts, now) in cases {
            let sig = sign(b"secret", ts, body);
            assert_eq!(
                verify(b"secret", Some(&ts.to_string()), Some(&sig), body, now, 300),
                Err(SignatureError::Stale),
                "{ts} at {now}"
            );
        }
    }
}
