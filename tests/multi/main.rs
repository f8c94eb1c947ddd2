//! Several instances on one PostgreSQL database, and nothing lost when
//! something dies (docs/operations.md "Running several instances"). Process-level tests:
//! two portals behind a switch the test controls, the real `pushprov` binary
//! killed with SIGKILL, stopped with SIGTERM. One standalone sandbox serves
//! every portal, behind a stand-in that counts pushes by requestId and can
//! hold a push.

#![allow(dead_code)]

use pushprov_test_support::{helpers, wait};

mod database;
mod killed;
mod mdes_faults;
mod proxy;
mod two_instances;

use std::path::Path;

use pushprov::config::Settings;
use pushprov::secrets::Secrets;

use helpers::{Engine, test_settings};
use proxy::Proxy;

/// A standalone sandbox behind its stand-in proxy. `portal_url` is where the
/// TRs send token events (the portals' public URL).
pub struct World {
    pub sandbox: Proxy,
    pub portal: Proxy,
    pub dir: tempfile::TempDir,
    pub base: Settings,
}

/// Settings shared by every portal instance: one PostgreSQL database, one
/// data_dir (so the same demo secrets: cookie key, account-number key,
/// token-event secret), the MDES client pointed at the stand-in.
pub async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let mut base = test_settings(dir.path(), Engine::Postgres).await;
    let sandbox = Proxy::start().await;
    let portal = Proxy::start().await;
    base.server.public_url = Some(portal.url.clone());
    base.sandbox.enabled = Some(false);
    // Short, as MDES stand-ins on this machine answer in milliseconds: a
    // push MDES never answers times out after 1.2 s, and a push cut off by
    // a kill counts as interrupted after 4 s (`Journey::push_deadline_secs`).
    base.mdes.connect_timeout_ms = 250;
    base.mdes.request_timeout_ms = 1200;
    base.mdes.retry_backoff_ms = 0;
    // These tests count pushes as MDES would by requestId: they run with the
    // option that resends a push of unknown outcome under the same requestId
    // [ours] (the default, a new one, is tested in tests/api).
    base.provisioning.resend_same_request_id = true;
    let keys = pushprov::sandbox::SandboxKeys::ensure(&base.sandbox.keys_dir(&base.data_dir)).unwrap();
    base.mdes = base.sandbox.portal_mdes_settings(&base.mdes, &sandbox.url, &keys);
    // The sandbox: any free port, seen by callers through its stand-in.
    let mut sb = base.clone();
    sb.sandbox.enabled = Some(true);
    sb.sandbox.port = 0;
    sb.sandbox.public_url = Some(sandbox.url.clone());
    sb.sandbox.token_events_url = Some(format!("{}/token-events", portal.url));
    let secrets = Secrets::resolve(&sb).unwrap();
    let setup = pushprov::startup::sandbox_setup(&sb, secrets.token_event_key);
    let (port, server) = pushprov::sandbox::run_standalone(&setup).unwrap();
    tokio::spawn(server);
    sandbox.route_to(&format!("http://127.0.0.1:{port}"));
    World { sandbox, portal, dir, base }
}

pub fn data_dir(world: &World) -> &Path {
    world.dir.path()
}

/// A browser: cookies kept, redirects not followed.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap()
}

pub const WALLET: &str = "50100000001";

/// A cardholder's browser, against whatever portal instance the switch names.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    pub portal: String,
    pub sandbox: String,
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

pub fn input(html: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(&format!("input[name={name}]")).unwrap();
    doc.select(&selector).next().and_then(|e| e.value().attr("value")).map(str::to_string)
}

pub fn form_action(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("form").unwrap();
    doc.select(&selector).next().and_then(|f| f.value().attr("action")).expect("a form").to_string()
}

/// `data-view` of the record page, and its outcome codes.
pub fn record_view(html: &str) -> (String, Vec<String>) {
    let doc = scraper::Html::parse_document(html);
    let view = scraper::Selector::parse("[data-testid=provisioning]").unwrap();
    let outcome = scraper::Selector::parse("[data-testid=outcome]").unwrap();
    let v = doc.select(&view).next().and_then(|e| e.value().attr("data-view")).unwrap_or_default().to_string();
    let codes = doc.select(&outcome).filter_map(|e| e.value().attr("data-outcome")).map(str::to_string).collect();
    (v, codes)
}

impl Browser {
    pub fn new(world: &World) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_provider(jar.clone()).build().unwrap();
        Self { client, jar, portal: world.portal.url.clone(), sandbox: world.sandbox.url.clone() }
    }

    /// The Cookie header the browser sends the portal.
    pub fn cookie_header(&self) -> String {
        use reqwest::cookie::CookieStore;
        self.jar.cookies(&self.portal.parse().unwrap()).map(|h| h.to_str().unwrap().to_string()).unwrap_or_default()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.portal)).send().await.expect("request")
    }

    pub async fn page(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn sign_in(&self, login: &str) {
        let (_, html) = self.page("/login").await;
        let csrf = input(&html, "csrf_token").expect("csrf");
        let password = format!("{login}-demo-2026");
        let r = self
            .client
            .post(format!("{}/login", self.portal))
            .form(&[("csrf_token", csrf.as_str()), ("login", login), ("password", &password), ("next", "/cards")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "sign-in as {login}");
    }

    /// The review form for `card` to the wallet, ready to post.
    pub async fn review_form(&self, card: &str) -> Vec<(String, String)> {
        let (status, html) = self.page(&format!("/add/review?tr={WALLET}&cards={card}")).await;
        assert_eq!(status, 200, "{html}");
        ["csrf_token", "submission_id", "tr", "cards"]
            .iter()
            .map(|k| (k.to_string(), input(&html, k).unwrap()))
            .chain([("password".to_string(), "alice-demo-2026".to_string())])
            .collect()
    }

    pub async fn post_push(&self, form: &[(String, String)]) -> Result<reqwest::Response, reqwest::Error> {
        self.client.post(format!("{}/add/push", self.portal)).form(form).send().await
    }

    /// Posts the push without waiting for its answer (the test holds it at
    /// MDES, or kills the portal meanwhile).
    pub fn post_push_in_background(
        &self,
        form: &[(String, String)],
    ) -> tokio::task::JoinHandle<Result<reqwest::Response, reqwest::Error>> {
        let (client, url, form) = (self.client.clone(), format!("{}/add/push", self.portal), form.to_vec());
        tokio::spawn(async move { client.post(url).form(&form).send().await })
    }

    /// A button of the record page at `path` (its `html`, for the CSRF token): `retry` ("Try
    /// again" after a failure) or `resend` ("Send again" after an unconfirmed push).
    pub async fn record_action(&self, path: &str, html: &str, action: &str) -> reqwest::Response {
        let csrf = input(html, "csrf_token").expect("csrf");
        self.client.post(format!("{}{path}/{action}", self.portal)).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap()
    }

    /// Continue → the TR (sign in, accept) → back at the callback; returns
    /// the callback URL the TR sent the browser to.
    pub async fn to_tr_and_accept(&self, record: &str) -> String {
        let tr_url = self.continue_to_tr(record).await;
        self.accept_at_tr(&tr_url).await
    }

    /// "Continue to …": the TR URL (from MDES's answer) the browser is sent to.
    pub async fn continue_to_tr(&self, record: &str) -> String {
        let r = self.get(&format!("{record}/continue")).await;
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
        let tr_url = location(&r);
        assert!(tr_url.starts_with(&format!("{}/sandbox/tr/", self.sandbox)), "{tr_url}");
        tr_url
    }

    /// At the demo TR: sign in, accept; returns the callback URL.
    pub async fn accept_at_tr(&self, tr_url: &str) -> String {
        self.at_tr(tr_url, "accept").await
    }

    /// At the demo TR: sign in, then `step` (accept, decline, cancel).
    pub async fn at_tr(&self, tr_url: &str, step: &str) -> String {
        let page = self.client.get(tr_url).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 200);
        let action = form_action(&page.text().await.unwrap());
        let terms = self
            .client
            .post(format!("{}{action}", self.sandbox))
            .form(&[("step", "sign_in"), ("name", "Alice")])
            .send()
            .await
            .unwrap();
        assert_eq!(terms.status().as_u16(), 200);
        let action = form_action(&terms.text().await.unwrap());
        let back = self.client.post(format!("{}{action}", self.sandbox)).form(&[("step", step)]).send().await.unwrap();
        assert_eq!(back.status().as_u16(), 303);
        let to = location(&back);
        assert!(to.starts_with(&format!("{}/provisioning/return/", self.portal)), "{to}");
        to
    }

    /// The browser at the callback URL: returns the record page path.
    pub async fn come_back(&self, callback: &str) -> String {
        let r = self.client.get(callback).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
        location(&r)
    }

    /// Polls the record page until every card is "added" (token events
    /// arrive in the background).
    pub async fn until_added(&self, record: &str) -> String {
        wait::until_ok("every card added", async || {
            let (_, html) = self.page(record).await;
            let (view, codes) = record_view(&html);
            if view == "confirmation" && !codes.is_empty() && codes.iter().all(|c| c == "added") {
                Ok(html)
            } else {
                Err(format!("{view} {codes:?}"))
            }
        })
        .await
    }
}

/// The public id of alice's card ending `last4`.
pub async fn alice_card(store: &pushprov::store::Store, last4: &str) -> String {
    let id = store.credentials(&pushprov::domain::Login::parse("alice").unwrap()).await.unwrap().unwrap().0;
    store.funding_accounts(id).await.unwrap().into_iter().find(|a| a.last4 == last4).unwrap().public_id
}

/// Waits until the catalogue is in the shared database.
pub use helpers::catalogue_loaded;
