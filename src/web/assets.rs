//! Static assets, embedded in the binary. Pages link them with a content
//! hash in the query (`/static/app.css?v=…`), so a matching request may be
//! cached for a year; any other gets an ETag and a short lifetime.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::header::{self, ETag, EntityTag, Header as _, IfNoneMatch};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use rust_embed::RustEmbed;

use super::error::AppError;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/static/"]
struct Assets;

/// Short content hash per asset, computed once.
fn hashes() -> &'static HashMap<String, String> {
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        Assets::iter()
            .filter_map(|name| {
                let file = Assets::get(&name)?;
                Some((name.to_string(), hex::encode(&file.metadata.sha256_hash()[..8])))
            })
            .collect()
    })
}

/// `/static/{name}?v={hash}` for linking from templates.
pub fn versioned_url(name: &str) -> String {
    match hashes().get(name) {
        Some(hash) => format!("/static/{name}?v={hash}"),
        None => format!("/static/{name}"),
    }
}

pub async fn serve(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let file = Assets::get(&name).ok_or(AppError::NotFound)?;
    let hash = hashes().get(&name).cloned().unwrap_or_default();
    let versioned = req.query_string() == format!("v={hash}");
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "public, max-age=300" };
    let (mut response, not_modified) = revalidated(&req, hash);
    response.insert_header((header::CACHE_CONTROL, cache));
    if not_modified {
        return Ok(response.finish());
    }
    let mime = mime_guess::from_path(&name).first_or_octet_stream();
    Ok(response.content_type(mime.essence_str()).body(file.data.into_owned()))
}

/// The start of an answer for content named by `tag` (a hash of it): 304 Not Modified when the
/// request's `If-None-Match` already holds the tag, else 200; either way with the tag as a strong
/// `ETag`. The second value says which, so that the caller sends the body only with a 200.
/// Static assets and token requestor logos share it: both are named by their content.
pub fn revalidated(req: &HttpRequest, tag: String) -> (HttpResponseBuilder, bool) {
    let etag = EntityTag::new_strong(tag);
    // RFC 9110 §13.1.2: weak comparison, and `*` matches any current representation.
    let not_modified = match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&etag)),
        Err(_) => false,
    };
    let mut response = if not_modified { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response.insert_header(ETag(etag));
    (response, not_modified)
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::IF_NONE_MATCH;
    use actix_web::test::TestRequest;

    use super::revalidated;

    fn not_modified(if_none_match: Option<&str>) -> bool {
        let req = match if_none_match {
            Some(value) => TestRequest::default().insert_header((IF_NONE_MATCH, value)),
            None => TestRequest::default(),
        };
        let (mut response, not_modified) = revalidated(&req.to_http_request(), "abc123".into());
        let sent = response.finish();
        assert_eq!(sent.headers().get("etag").unwrap(), "\"abc123\"", "the tag is always sent, strong");
        assert_eq!(sent.status().as_u16(), if not_modified { 304 } else { 200 });
        not_modified
    }

    #[test]
    fn if_none_match_is_compared_as_rfc_9110_says() {
        assert!(!not_modified(None));
        assert!(not_modified(Some("\"abc123\"")));
        assert!(not_modified(Some("\"other\", \"abc123\"")), "any tag of the list");
        assert!(not_modified(Some("W/\"abc123\"")), "weak comparison");
        assert!(not_modified(Some("*")), "any current representation");
        assert!(!not_modified(Some("\"other\"")));
        assert!(!not_modified(Some("abc123")), "an unquoted tag is no tag");
    }
}
