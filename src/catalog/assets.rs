//! Checking a getAsset answer before it is stored and served from our origin.
//! Only PNG and SVG logos are kept; everything else (PDF, HTML, text, bad
//! base64, oversize, a "PNG" that is not one) is skipped with a log line.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use crate::mdes::model::MediaContent;
use crate::store::Logo;

#[derive(Debug, Clone, Copy)]
pub struct AssetLimits {
    /// Largest decoded logo kept, in bytes.
    pub max_bytes: usize,
}

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The logo to store for one media content, or why not.
pub fn checked_logo(media: &MediaContent, limits: AssetLimits) -> Result<Logo, String> {
    let media_type = media.media_type.trim().to_ascii_lowercase();
    if media_type != "image/png" && media_type != "image/svg+xml" {
        return Err(format!("media type {media_type:?} is not a logo"));
    }
    // base64 is 4/3 of the bytes: refuse before decoding what cannot fit.
    if media.data.len() / 4 * 3 > limits.max_bytes + 3 {
        return Err(format!("larger than {} bytes", limits.max_bytes));
    }
    let content = B64.decode(media.data.trim()).map_err(|e| format!("invalid base64: {e}"))?;
    if content.len() > limits.max_bytes {
        return Err(format!("larger than {} bytes", limits.max_bytes));
    }
    if media_type == "image/png" && !content.starts_with(PNG_MAGIC) {
        return Err("not a PNG file".into());
    }
    if media_type == "image/svg+xml" {
        let text = std::str::from_utf8(&content).map_err(|_| "SVG is not UTF-8".to_string())?;
        if !text.contains("<svg") {
            return Err("not an SVG document".into());
        }
    }
    let sha256 = hex::encode(Sha256::digest(&content));
    Ok(Logo { media_type, content, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(media_type: &str, bytes: &[u8]) -> MediaContent {
        MediaContent { media_type: media_type.into(), data: B64.encode(bytes), height: None, width: None }
    }

    const LIMITS: AssetLimits = AssetLimits { max_bytes: 1024 };

    #[test]
    fn keeps_png_and_svg() {
        let png = [PNG_MAGIC, b"rest"].concat();
        assert_eq!(checked_logo(&media("image/png", &png), LIMITS).unwrap().content, png);
        assert!(checked_logo(&media("image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'/>"), LIMITS).is_ok());
    }

    /// The sample getAsset answer (`tests/fixtures/token-connect`): both its logos are kept.
    #[test]
    fn keeps_both_logos_of_the_sample_asset() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/token-connect/asset.json");
        let asset: crate::mdes::model::AssetResponse = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(asset.media_contents.len(), 2);
        for media in &asset.media_contents {
            checked_logo(media, AssetLimits { max_bytes: 256 * 1024 }).unwrap();
        }
    }

    #[test]
    fn refuses_everything_else() {
        assert!(checked_logo(&media("text/html", b"<html>"), LIMITS).is_err());
        assert!(checked_logo(&media("application/pdf", b"%PDF"), LIMITS).is_err());
        assert!(checked_logo(&media("image/png", b"GIF89a"), LIMITS).is_err(), "PNG magic checked");
        assert!(checked_logo(&media("image/svg+xml", b"hello"), LIMITS).is_err());
        assert!(checked_logo(&media("image/png", &[0u8; 4096]), LIMITS).is_err(), "oversize");
        let bad = MediaContent { media_type: "image/png".into(), data: "!!!not base64".into(), height: None, width: None };
        assert!(checked_logo(&bad, LIMITS).is_err());
    }
}
