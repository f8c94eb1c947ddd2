use actix_web::{HttpResponse, get, web};

use crate::web::AppState;

/// Alive: the process answers.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Ready: the database answers too — 200, else 503 (what load balancers
/// read). The JSON body adds the token requestor catalogue's age: a stale
/// catalogue is worth an operator's look, not taking the instance out.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let status = match state.store.ping().await {
        Ok(()) => state.store.catalog_status().await,
        Err(e) => Err(e),
    };
    match status {
        Ok(status) => {
            let interval = state.settings.catalog.refresh_interval_secs;
            let age = crate::catalog::catalogue_age(&status, interval, state.store.clock().now_unix());
            HttpResponse::Ok().json(serde_json::json!({
                "status": "ready",
                "catalog": {
                    "last_refresh_age_secs": age.last_refresh_age_secs,
                    "refresh_interval_secs": interval,
                    "stale": age.overdue,
                },
            }))
        }
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            HttpResponse::ServiceUnavailable()
                .insert_header(crate::web::error::retry_after())
                .json(serde_json::json!({"status": "unavailable", "reason": "database unavailable"}))
        }
    }
}
