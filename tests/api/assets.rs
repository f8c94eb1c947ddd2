use crate::helpers::{Engine, spawn_app};

#[tokio::test]
async fn static_assets_have_etag_and_cache_control() {
    let app = spawn_app(Engine::Sqlite).await;
    let (_, html) = app.get_html("/login").await;
    let href = html.split("href=\"").find(|s| s.starts_with("/static/app.css?v=")).expect("versioned css link");
    let href = &href[..href.find('"').unwrap()];

    let response = app.get(href).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers().get("content-type").unwrap(), "text/css");
    assert_eq!(response.headers().get("cache-control").unwrap(), "public, max-age=31536000, immutable");
    let etag = response.headers().get("etag").unwrap().to_str().unwrap().to_string();

    let unversioned = app.get("/static/app.css").await;
    assert_eq!(unversioned.headers().get("cache-control").unwrap(), "public, max-age=300");

    let again = app.client.get(app.url("/static/app.css")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
}
