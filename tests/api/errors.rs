use crate::helpers::{Engine, spawn_app, texts_by_testid};

fn assert_error_page(html: &str, status: u16) {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("[data-testid=error-page]").unwrap();
    let page = doc.select(&selector).next().unwrap_or_else(|| panic!("no error page in {html}"));
    assert_eq!(page.value().attr("data-status"), Some(status.to_string().as_str()));
}

#[tokio::test]
async fn unknown_page_is_a_404_page() {
    let app = spawn_app(Engine::Sqlite).await;
    let response = app.get("/no-such-page").await;
    assert_eq!(response.status().as_u16(), 404);
    assert!(response.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/html"));
    assert_error_page(&response.text().await.unwrap(), 404);
    let (status, html) = app.get_html("/static/no-such-file.css").await;
    assert_eq!(status, 404);
    assert_error_page(&html, 404);
}

#[tokio::test]
async fn wrong_method_is_a_405_page() {
    let app = spawn_app(Engine::Sqlite).await;
    let response = app.client.delete(app.url("/login")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_error_page(&response.text().await.unwrap(), 405);
    let response = app.client.get(app.url("/logout")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
}

#[tokio::test]
async fn oversized_form_is_a_413_page() {
    let app = spawn_app(Engine::Sqlite).await;
    let token = app.csrf_token("/login").await;
    let huge = "x".repeat(64 * 1024);
    let response = app.post_form("/login", &[("csrf_token", &token), ("login", &huge), ("password", "x")]).await;
    assert_eq!(response.status().as_u16(), 413);
    assert_error_page(&response.text().await.unwrap(), 413);
}

#[tokio::test]
async fn invalid_utf8_form_is_a_400_page() {
    let app = spawn_app(Engine::Sqlite).await;
    app.get("/login").await;
    let response = app
        .client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"login=%FF%FE&password=\xff\xfe&csrf_token=x".to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert!(status == 400 || status == 403, "got {status}");
    assert_error_page(&response.text().await.unwrap(), status);
}

#[tokio::test]
async fn wrong_content_type_is_a_400_page() {
    let app = spawn_app(Engine::Sqlite).await;
    app.get("/login").await;
    let response = app.client.post(app.url("/login")).json(&serde_json::json!({"login": "alice"})).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_error_page(&response.text().await.unwrap(), 400);
}

#[tokio::test]
async fn server_errors_are_an_html_500_page_without_detail() {
    let app = spawn_app(Engine::Sqlite).await;
    app.sign_in_as_alice().await;
    // A fault of ours, not an outage: a table the page reads is missing.
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(app.settings.database.url.as_deref().unwrap()).await.unwrap();
    sqlx::query("ALTER TABLE funding_accounts RENAME TO funding_accounts_gone").execute(&db).await.unwrap();
    let response = app.get("/cards").await;
    assert_eq!(response.status().as_u16(), 500);
    assert!(response.headers().get("retry-after").is_none(), "not a passing outage");
    let csp = response.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_string());
    assert!(csp.is_some_and(|c| c.contains("default-src 'none'")), "security headers on a 500");
    let html = response.text().await.unwrap();
    assert_error_page(&html, 500);
    assert_eq!(texts_by_testid(&html, "error-page").len(), 1);
    assert!(!html.to_lowercase().contains("sqlx") && !html.contains("pool"), "no internal detail: {html}");
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let app = spawn_app(Engine::Sqlite).await;
    for path in ["/login", "/no-such-page", "/static/app.css", "/healthz"] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers.get("content-security-policy").unwrap_or_else(|| panic!("CSP on {path}")).to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && csp.contains("form-action 'self'") && !csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(headers.get("referrer-policy").unwrap(), "no-referrer");
    }
}

/// The database out of reach (down, restarting, pool closed) is not a bug:
/// 503 with `Retry-After`, the same error page. A signed-in browser meets it
/// in the session middleware (loading the session); a request without a
/// session cookie meets it in the handler (`/readyz`). Handler errors from
/// the store are mapped the same way (`web::error` unit test).
#[tokio::test]
async fn an_unreachable_database_is_a_503_page_saying_when_to_come_back() {
    let app = spawn_app(Engine::Sqlite).await;
    app.sign_in_as_alice().await;
    app.store.close().await;
    let no_cookie = reqwest::Client::new();
    let readyz = no_cookie.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(readyz.status().as_u16(), 503);
    assert_eq!(readyz.headers().get("retry-after").unwrap(), "30");
    // The error page's stylesheet still loads (static files need no session).
    let css = app.get(&pushprov::web::assets::versioned_url("app.css")).await;
    assert_eq!(css.status().as_u16(), 200, "the stylesheet during an outage");
    assert!(css.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/css"));
    for path in ["/cards", "/login", "/readyz"] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 503, "{path}");
        assert_eq!(response.headers().get("retry-after").unwrap(), "30", "{path}");
        let html = response.text().await.unwrap();
        if path != "/readyz" {
            assert_error_page(&html, 503);
            assert!(!html.to_lowercase().contains("sqlx") && !html.contains("pool"), "no internal detail: {html}");
        }
    }
}
