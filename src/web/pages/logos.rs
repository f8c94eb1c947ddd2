//! Token requestor logos, served from our own origin (wire contract §9). PNG is
//! preferred; an SVG (untrusted markup from outside) is served only with a
//! policy under which it cannot run script even when opened directly — and
//! inside `<img>` browsers never run it anyway.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::web::AppState;
use crate::web::error::AppError;

pub async fn logo(state: web::Data<AppState>, req: HttpRequest, asset_id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let asset_id = asset_id.into_inner();
    if asset_id.len() > 64 || !asset_id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)) {
        return Err(AppError::NotFound);
    }
    let logos = state.store.logos(&asset_id).await?;
    let logo =
        logos.iter().find(|l| l.media_type == "image/png").or_else(|| logos.iter().find(|l| l.media_type == "image/svg+xml"));
    let Some(logo) = logo else {
        // Not fetched (yet): getAsset failed, or MDES gave an id with no
        // image. The neutral placeholder, never a broken image; not cached,
        // so the real logo shows once a refresh fetched it.
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, crate::web::assets::versioned_url("tr-placeholder.svg")))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish());
    };
    let tag = logo.sha256[..16.min(logo.sha256.len())].to_string();
    let (mut response, not_modified) = crate::web::assets::revalidated(&req, tag);
    // An asset id's content never changes: cache it for good.
    response
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; sandbox"))
        .insert_header((header::CONTENT_DISPOSITION, "inline"));
    if not_modified {
        return Ok(response.finish());
    }
    Ok(response.content_type(logo.media_type.as_str()).body(logo.content.clone()))
}
