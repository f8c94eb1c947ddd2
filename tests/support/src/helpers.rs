//! Black-box harness: each test gets the real application on port 0 with a
//! fresh database (SQLite file in a temp folder, or a new PostgreSQL
//! database), and an HTTP client that keeps cookies and does not follow
//! redirects.

use std::sync::Arc;

use pushprov::clock::ManualClock;
use pushprov::config::Settings;
use pushprov::startup::Application;
use pushprov::store::Store;
use reqwest::redirect::Policy;
use scraper::{Html, Selector};
use tokio::sync::OnceCell;

/// The PostgreSQL server tests use (trust auth on this machine and in CI).
pub fn postgres_server() -> String {
    std::env::var("PUSHPROV_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub cookies: Arc<reqwest::cookie::Jar>,
    pub store: Store,
    pub settings: Settings,
    /// The application's time: it stands still until a test moves it with
    /// `app.clock.advance(secs)`, so no test waits for a timeout.
    pub clock: ManualClock,
    _dir: tempfile::TempDir,
}

/// Runs a test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::Engine::Sqlite).await
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::helpers::Engine::Postgres).await
                }
            }
        )*
    };
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |_| {}).await
}

pub async fn spawn_app_with(engine: Engine, customise: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = test_settings(dir.path(), engine).await;
    customise(&mut settings);
    start(settings, dir).await
}

/// Sandbox keys, generated once per test process (RSA key generation is the
/// slowest part of starting the app) and shared by every test app.
pub async fn shared_keys_dir() -> std::path::PathBuf {
    static KEYS: OnceCell<std::path::PathBuf> = OnceCell::const_new();
    KEYS.get_or_init(|| async {
        let dir = std::env::temp_dir().join(format!("pushprov-test-keys-{}", std::process::id()));
        let for_thread = dir.clone();
        tokio::task::spawn_blocking(move || pushprov::sandbox::SandboxKeys::ensure(&for_thread))
            .await
            .unwrap()
            .expect("sandbox keys");
        dir
    })
    .await
    .clone()
}

pub async fn test_settings(dir: &std::path::Path, engine: Engine) -> Settings {
    let mut settings = Settings::default();
    settings.sandbox.keys_dir = Some(shared_keys_dir().await);
    settings.server.port = 0;
    settings.data_dir = dir.to_path_buf();
    settings.log.filter = "warn".into();
    settings.database.url = Some(match engine {
        Engine::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
        Engine::Postgres => fresh_postgres_database().await,
    });
    settings
}

pub async fn start(settings: Settings, dir: tempfile::TempDir) -> TestApp {
    let clock = ManualClock::new();
    let app = Application::build_with_clock(settings.clone(), clock.clock()).await.expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let store = app.store();
    tokio::spawn(app.run_until_stopped());
    let (client, cookies) = browser_client();
    TestApp { address, client, cookies, store, settings, clock, _dir: dir }
}

/// A client like a browser for these tests: its own cookie jar, redirects
/// not followed (tests check where they lead).
fn browser_client() -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
    let cookies = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder().redirect(Policy::none()).cookie_provider(cookies.clone()).build().expect("client");
    (client, cookies)
}

/// A second browser on the same app: its own cookies, same server.
pub fn start_second_client(app: &TestApp) -> TestApp {
    let (client, cookies) = browser_client();
    TestApp {
        address: app.address.clone(),
        client,
        cookies,
        store: app.store.clone(),
        settings: app.settings.clone(),
        clock: app.clock.clone(),
        _dir: tempfile::tempdir().expect("temp dir"),
    }
}

/// Creates an empty database on the test server, named after this process
/// (`pushprov_t_<pid>_<uuid>`). Databases left by earlier runs whose process
/// has gone are dropped once per test process, before any is created; those
/// of test processes still running (another checkout's suite) are left alone.
async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    static CLEANED: OnceCell<()> = OnceCell::const_new();
    let server = postgres_server();
    let admin_url = format!("{server}/postgres");
    CLEANED
        .get_or_init(|| async {
            let mut conn = sqlx::PgConnection::connect(&admin_url).await.expect("PostgreSQL must be running for the tests");
            let old: Vec<(String,)> = sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'pushprov_t_%'")
                .fetch_all(&mut conn)
                .await
                .expect("list databases");
            for (name,) in old {
                let owner = name.strip_prefix("pushprov_t_").and_then(|rest| rest.split_once('_')).map(|(pid, _)| pid);
                if owner.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists()) {
                    continue;
                }
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
            }
        })
        .await;
    let name = format!("pushprov_t_{}_{}", std::process::id(), uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin_url).await.expect("PostgreSQL must be running for the tests");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    format!("{server}/{name}")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_html(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).form(form).send().await.expect("request")
    }

    /// The CSRF token of the form on a page.
    pub async fn csrf_token(&self, path: &str) -> String {
        let (_, html) = self.get_html(path).await;
        csrf_in(&html).unwrap_or_else(|| panic!("no csrf_token on {path}"))
    }

    /// Signs in through the sign-in form; returns the response to the POST.
    pub async fn sign_in(&self, login: &str, password: &str) -> reqwest::Response {
        let token = self.csrf_token("/login").await;
        self.post_form("/login", &[("csrf_token", &token), ("login", login), ("password", password), ("next", "/cards")]).await
    }

    pub async fn sign_in_as_alice(&self) {
        let response = self.sign_in("alice", "alice-demo-2026").await;
        assert_eq!(response.status().as_u16(), 303, "demo sign-in must succeed");
    }

    /// The session cookie's value as the client holds it.
    pub fn session_cookie(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.address.parse().expect("url");
        let header = self.cookies.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.strip_prefix(&format!("{}=", self.settings.session.cookie_name)).map(str::to_string))
    }
}

pub fn csrf_in(html: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let selector = Selector::parse("input[name=csrf_token]").expect("selector");
    doc.select(&selector).next().and_then(|e| e.value().attr("value")).map(str::to_string)
}

/// The text of every element with `data-testid="{id}"`.
pub fn texts_by_testid(html: &str, id: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let selector = Selector::parse(&format!("[data-testid=\"{id}\"]")).expect("selector");
    doc.select(&selector).map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// Every demo account number, to prove none reaches a page or log.
pub fn demo_numbers() -> Vec<&'static str> {
    pushprov::demo::all_account_numbers()
}

/// Attribute `attr` of every element with `data-testid="{id}"`: the codes
/// pages carry (`data-outcome`, `data-error`, `data-reason`, …). Tests read
/// these rather than the words, which are the issuer's to change.
pub fn attrs_by_testid(html: &str, id: &str, attr: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let selector = Selector::parse(&format!("[data-testid=\"{id}\"]")).expect("selector");
    doc.select(&selector).filter_map(|e| e.value().attr(attr)).map(str::to_string).collect()
}

/// The outcome codes of a record page, in account order.
pub fn outcome_codes(html: &str) -> Vec<String> {
    attrs_by_testid(html, "outcome", "data-outcome")
}

/// A token event (wire contract §8) about the token made with `receipt`.
pub fn token_event(event_id: &str, receipt: &str, status: &str, at: &str) -> serde_json::Value {
    serde_json::json!({
        "eventId": event_id,
        "pushAccountReceipt": receipt,
        "tokenUniqueReference": "DWSPMC000000000132d72d4fcb2f4136a0532d3093ff1a45",
        "status": status,
        "occurredAt": at,
    })
}

/// The token-event key of the portal whose data folder is `data_dir`.
pub fn token_event_key(data_dir: &std::path::Path) -> Vec<u8> {
    hex::decode(std::fs::read_to_string(data_dir.join("token-events.key")).expect("token-event key").trim()).expect("hex key")
}

/// POSTs `event` to the token-event endpoint `url`, signed as of `timestamp` with the key of
/// the portal whose data folder is `data_dir`; the HTTP status of the answer.
pub async fn post_token_event(
    client: &reqwest::Client,
    url: &str,
    data_dir: &std::path::Path,
    event: &serde_json::Value,
    timestamp: i64,
) -> u16 {
    let body = serde_json::to_vec(event).expect("event JSON");
    pushprov::token_events::signed_request(client, url, &token_event_key(data_dir), timestamp, body)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

/// Waits until the catalogue is in `store`: the portal loads it from its sandbox in the
/// background after start-up.
pub async fn catalogue_loaded(store: &Store) {
    crate::wait::until("the catalogue loaded from the sandbox", async || {
        !store.token_requestors().await.expect("token requestors").is_empty()
    })
    .await
}
