//! The browser harness: headless Chromium driven through chromedriver
//! (WebDriver), with the checks every page of a journey gets.
//!
//! Each test starts its own chromedriver on a free port and its own Chromium
//! with a fresh profile; at most [`parallel_browsers`] run at once. After
//! every navigation, [`Browser::step`]:
//! 1. waits for the page to load and checks it is a page of the app under
//!    test (not a Chromium error page: no blocked navigation);
//! 2. reads the browser's console log (`goog:loggingPrefs` browser=ALL) and
//!    fails on any Content Security Policy violation, or any other error;
//! 3. writes a PNG screenshot to `target/screenshots/<test>/<nn>-<step>.png`;
//! 4. injects axe-core through WebDriver (the page's CSP does not apply to
//!    WebDriver's scripts) and fails on any WCAG 2.1 A/AA violation.
//!
//! Nothing here skips: a missing Chromium, chromedriver or axe-core is a
//! failure that says how to install it (`./scripts/test` does).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Where the browser tests find their tools; each can be overridden.
fn chromium_path() -> String {
    std::env::var("PUSHPROV_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

fn chromedriver_path() -> String {
    std::env::var("PUSHPROV_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

fn axe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js")
}

/// The folder screenshots are written to: `target/screenshots/<test>/` in
/// the checkout, or `$PUSHPROV_SCREENSHOTS_DIR/<test>/`.
pub fn screenshots_root() -> PathBuf {
    match std::env::var_os("PUSHPROV_SCREENSHOTS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"),
    }
}

/// How many browsers may run at once (2 cores: 2 by default).
fn parallel_browsers() -> usize {
    std::env::var("PUSHPROV_BROWSER_PARALLEL").ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(2)
}

fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| Semaphore::new(parallel_browsers()))
}

fn axe_source() -> &'static str {
    static AXE: OnceLock<String> = OnceLock::new();
    AXE.get_or_init(|| {
        let path = axe_path();
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is missing ({}: {e}). Install it with `npm ci --prefix tests/browser` \
                 (./scripts/test does this); browser tests never skip.",
                path.display()
            )
        })
    })
}

/// The WCAG 2.1 A and AA rules of axe-core.
pub const WCAG_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// One chromedriver and its Chromium, killed together (their own process
/// group) when the test ends, passed or failed.
struct Driver {
    child: std::process::Child,
    url: String,
}

impl Driver {
    async fn start() -> Driver {
        for tool in [chromium_path(), chromedriver_path()] {
            assert!(
                Path::new(&tool).exists(),
                "{tool} is missing: install it with `apt-get update && apt-get install -y chromium chromium-driver` \
                 (./scripts/test does this); browser tests never skip"
            );
        }
        let port = free_port();
        let mut command = std::process::Command::new(chromedriver_path());
        command.arg(format!("--port={port}")).arg("--allowed-ips=127.0.0.1").stdout(Stdio::null()).stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver_path()));
        let url = format!("http://127.0.0.1:{port}");
        let driver = Driver { child, url };
        let client = reqwest::Client::new();
        // A process starting has no event to wait on but its port answering.
        crate::wait::until(&format!("chromedriver to become ready on port {port}"), async || {
            if let Ok(response) = client.get(format!("{}/status", driver.url)).send().await
                && let Ok(status) = response.json::<Value>().await
            {
                status["value"]["ready"] == json!(true)
            } else {
                false
            }
        })
        .await;
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver and the Chromium it started share its process group.
        let group = format!("-{}", self.child.id());
        let _ = std::process::Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().unwrap().port()
}

/// A page's axe-core result.
#[derive(Debug)]
pub struct AxeReport {
    pub violations: Vec<Value>,
    pub passes: usize,
}

pub struct Browser {
    pub client: Client,
    /// The app under test, e.g. `http://127.0.0.1:41234`.
    pub base: String,
    test: String,
    dir: PathBuf,
    steps: usize,
    http: reqwest::Client,
    // Dropped last: the browser processes, then the slot.
    _profile: tempfile::TempDir,
    driver: Driver,
    _slot: SemaphorePermit<'static>,
}

impl Browser {
    /// Starts Chromium for the test `test` against the app at `base`.
    pub async fn start(test: &str, base: &str) -> Browser {
        let slot = slots().acquire().await.expect("browser slot");
        let driver = Driver::start().await;
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--force-device-scale-factor=1".into(),
            "--window-size=1024,800".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium_path(), "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
            "pageLoadStrategy": "normal",
        });
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("Chromium did not start through chromedriver: {e}"));
        let dir = screenshots_root().join(test);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        Browser {
            client,
            base: base.trim_end_matches('/').to_string(),
            test: test.to_string(),
            dir,
            steps: 0,
            http: reqwest::Client::new(),
            _profile: profile,
            driver,
            _slot: slot,
        }
    }

    /// Ends the browser session (the processes are killed on drop in any case).
    pub async fn finish(self) {
        let _ = self.client.clone().close().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Types a URL in the address bar.
    pub async fn goto(&self, path: &str) {
        self.client.goto(&self.url(path)).await.unwrap_or_else(|e| panic!("[{}] goto {path}: {e}", self.test));
    }

    /// The current address relative to the app (`/path?query`).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        let full = url.as_str();
        match full.strip_prefix(&self.base) {
            Some(rest) => rest.to_string(),
            None => full.to_string(),
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        match crate::wait::within(Duration::from_secs(10), async || self.client.find(Locator::Css(css)).await).await {
            Ok(element) => element,
            Err(e) => self.fail(&format!("no element {css} on {}: {e}", self.path().await)).await,
        }
    }

    pub async fn testid(&self, id: &str) -> Element {
        self.find(&testid(id)).await
    }

    /// The visible text of the element with `data-testid="{id}"`, whitespace collapsed.
    pub async fn text(&self, id: &str) -> String {
        let text = self.testid(id).await.text().await.expect("text");
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    pub async fn texts(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        for element in self.client.find_all(Locator::Css(&testid(id))).await.expect("find_all") {
            out.push(element.text().await.expect("text").split_whitespace().collect::<Vec<_>>().join(" "));
        }
        out
    }

    pub async fn attr(&self, id: &str, name: &str) -> String {
        self.testid(id).await.attr(name).await.expect("attr").unwrap_or_default()
    }

    /// Types into the element with `data-testid="{id}"` (a mouse user clicks it first).
    pub async fn fill(&self, id: &str, text: &str) {
        let element = self.testid(id).await;
        element.click().await.expect("click field");
        element.send_keys(text).await.expect("type");
    }

    /// Clicks an element that does not navigate (a checkbox).
    pub async fn click_css(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks a link or button and waits for the page it leads to.
    pub async fn click_to_navigate(&self, css: &str) {
        let element = self.find(css).await;
        self.navigating(async { element.click().await.map(|_| ()) }, css).await;
    }

    pub async fn click(&self, id: &str) {
        self.click_to_navigate(&testid(id)).await
    }

    pub async fn back(&self) {
        self.navigating(self.client.back(), "back button").await
    }

    /// Runs `action` and waits until a new document has loaded: a marker is
    /// set on the old one, and is gone from the new.
    async fn navigating<F>(&self, action: F, what: &str)
    where
        F: std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
    {
        self.client.execute("window.__pushprovOldPage = true; return null;", vec![]).await.expect("mark page");
        if let Err(e) = action.await {
            self.fail(&format!("{what}: {e}")).await;
        }
        let loaded = crate::wait::within(Duration::from_secs(15), async || {
            let state =
                self.client.execute("return window.__pushprovOldPage === true ? 'old' : document.readyState;", vec![]).await;
            match &state {
                Ok(Value::String(s)) if s == "complete" => Ok(()),
                _ => Err(state),
            }
        });
        if let Err(state) = loaded.await {
            self.fail(&format!("{what} did not lead to a new page (state {state:?})")).await;
        }
    }

    /// Every check a page of the journey gets; `expected_path` is where the
    /// browser must be (a prefix of the path and query).
    pub async fn step(&mut self, name: &str, expected_path: &str) {
        self.step_inner(name, expected_path, None).await
    }

    /// [`step`](Self::step) for a page the server answers with an error
    /// `status` on purpose (an error page, a failed push): the console line
    /// Chromium writes for that status of this very page is expected, and
    /// must be there; anything else still fails.
    pub async fn step_with_status(&mut self, name: &str, expected_path: &str, status: u16) {
        self.step_inner(name, expected_path, Some(status)).await
    }

    async fn step_inner(&mut self, name: &str, expected_path: &str, status: Option<u16>) {
        self.wait_loaded().await;
        let here = self.path().await;
        if !here.starts_with(expected_path) {
            self.fail(&format!("step {name}: expected to be at {expected_path}, the browser is at {here}")).await;
        }
        match status {
            None => self.check_console(name).await,
            Some(status) => self.check_console_expecting(name, &self.url(&here), status).await,
        }
        if !here.starts_with("/sandbox/tr/") {
            let icon = self.client.execute("return document.querySelector('link[rel=icon]') !== null;", vec![]).await;
            assert_eq!(icon.ok(), Some(json!(true)), "step {name}: a portal page declares its icon ({here})");
        }
        self.screenshot(name).await;
        let report = self.axe().await;
        if !report.violations.is_empty() {
            let list = serde_json::to_string_pretty(&report.violations).unwrap();
            self.fail(&format!("step {name} ({here}): axe-core found WCAG 2.1 A/AA violations:\n{list}")).await;
        }
        assert!(report.passes > 0, "axe-core ran no rule on {here}");
        // Axe must not have left anything behind that the CSP objects to.
        self.check_console(name).await;
    }

    async fn wait_loaded(&self) {
        let loaded = crate::wait::within(Duration::from_secs(15), async || {
            match self.client.execute("return document.readyState;", vec![]).await {
                Ok(Value::String(s)) if s == "complete" => Ok(()),
                _ => Err(()),
            }
        });
        assert!(loaded.await.is_ok(), "[{}] the page did not finish loading", self.test);
    }

    /// The browser's console since the last read (reading empties it).
    pub async fn console(&self) -> Vec<Value> {
        let session = self.client.session_id().await.expect("session id").expect("a session");
        let response = self
            .http
            .post(format!("{}/session/{session}/se/log", self.driver.url))
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .expect("browser log");
        let body: Value = response.json().await.expect("browser log JSON");
        match body["value"].as_array() {
            Some(entries) => entries.clone(),
            None => panic!("chromedriver gave no browser log: {body}"),
        }
    }

    /// Fails on a Content Security Policy violation, a blocked request or
    /// navigation, or any other console error.
    pub async fn check_console(&self, step: &str) {
        let entries = self.console().await;
        self.check_entries(step, entries).await
    }

    async fn check_console_expecting(&self, step: &str, page: &str, status: u16) {
        let mut entries = self.console().await;
        let expected = format!("{page} - Failed to load resource: the server responded with a status of {status}");
        let before = entries.len();
        entries.retain(|e| !e["message"].as_str().unwrap_or_default().starts_with(&expected));
        if entries.len() == before {
            self.fail(&format!("step {step}: expected the page to be answered with HTTP {status}")).await;
        }
        self.check_entries(step, entries).await
    }

    async fn check_entries(&self, step: &str, mut entries: Vec<Value>) {
        // The demo TR's pages declare no icon, so Chromium asks for
        // /favicon.ico, which does not exist; that 404 alone is tolerated
        // (it may be logged after the TR page, so wherever it shows). The
        // portal's pages declare the issuer's logo: `step` checks they do.
        let favicon = format!("{}/favicon.ico - Failed to load resource: the server responded with a status of 404", self.base);
        entries.retain(|e| !(e["source"] == json!("network") && e["message"].as_str().unwrap_or_default().starts_with(&favicon)));
        let problems = console_problems(&entries);
        if !problems.is_empty() {
            self.fail(&format!("step {step}: the browser console reports:\n{}", problems.join("\n"))).await;
        }
    }

    pub async fn screenshot(&mut self, name: &str) -> PathBuf {
        self.steps += 1;
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a screenshot is a PNG");
        let path = self.dir.join(format!("{:02}-{name}.png", self.steps));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Runs axe-core's WCAG 2.1 A/AA rules on the current page.
    pub async fn axe(&self) -> AxeReport {
        let inject = format!("{}\n;return typeof window.axe === 'object';", axe_source());
        let injected = self.client.execute(&inject, vec![]).await.expect("inject axe-core");
        assert_eq!(injected, json!(true), "axe-core did not load into the page");
        let script = r#"
            const done = arguments[arguments.length - 1];
            window.axe
              .run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] })
              .then(r => done({
                violations: r.violations.map(v => ({
                  id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary),
                })),
                passes: r.passes.length,
              }))
              .catch(e => done({ error: String(e) }));
        "#;
        let result = self.client.execute_async(script, vec![json!(WCAG_TAGS)]).await.expect("axe.run");
        if let Some(error) = result.get("error") {
            panic!("axe-core failed: {error}");
        }
        AxeReport {
            violations: result["violations"].as_array().cloned().unwrap_or_default(),
            passes: result["passes"].as_u64().unwrap_or(0) as usize,
        }
    }

    // --- the keyboard ---

    pub async fn press(&self, key: Key) {
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key.into() })
            .then(KeyAction::Up { value: key.into() });
        self.client.perform_actions(keys).await.expect("key press");
    }

    /// Types `text` into whatever has focus, key by key.
    pub async fn type_keys(&self, text: &str) {
        let mut keys = KeyActions::new("keyboard".into());
        for c in text.chars() {
            keys = keys.then(KeyAction::Down { value: c }).then(KeyAction::Up { value: c });
        }
        self.client.perform_actions(keys).await.expect("typing");
    }

    /// Presses a key that leads to another page (Enter on a link, Space on a button).
    pub async fn press_to_navigate(&self, key: Key) {
        self.navigating(
            async {
                self.press(key).await;
                Ok(())
            },
            "key press",
        )
        .await
    }

    /// What has focus, and how it is drawn.
    pub async fn focused(&self) -> Value {
        let script = r#"
            const e = document.activeElement;
            if (!e || e === document.body) return { tag: 'BODY' };
            const s = getComputedStyle(e);
            const r = e.getBoundingClientRect();
            return {
              tag: e.tagName, testid: e.dataset.testid || null, text: (e.innerText || e.value || '').trim().slice(0, 60),
              matches: arguments[0] ? e.matches(arguments[0]) : false,
              outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
              focusVisible: e.matches(':focus-visible'),
              onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
                && r.top < window.innerHeight && r.left < window.innerWidth,
            };
        "#;
        self.client.execute(script, vec![Value::Null]).await.expect("focused element")
    }

    /// Presses Tab until the element matching `css` has focus (at most 40
    /// times), then checks the focus is visible: the element is on screen,
    /// matches `:focus-visible` and is drawn with an outline.
    pub async fn tab_to(&self, css: &str) {
        let mut path = Vec::new();
        for _ in 0..40 {
            self.press(Key::Tab).await;
            let script = "return document.activeElement ? document.activeElement.matches(arguments[0]) : false;";
            let here = self.client.execute(script, vec![json!(css)]).await.expect("focus check");
            let focused = self.focused().await;
            if here == json!(true) {
                self.assert_focus_visible(&focused, css).await;
                return;
            }
            path.push(format!("{}[{}] {}", focused["tag"], focused["testid"], focused["text"]));
        }
        self.fail(&format!("Tab never reached {css}; focus went through: {path:#?}")).await
    }

    pub async fn assert_focus_visible(&self, focused: &Value, what: &str) {
        if !focus_is_visible(focused) {
            self.fail(&format!("the keyboard focus on {what} is not visible: {focused}")).await;
        }
    }

    /// Screenshots the failure, then panics with `message`.
    pub async fn fail(&self, message: &str) -> ! {
        let png = self.client.screenshot().await.ok();
        if let Some(png) = png {
            let _ = std::fs::write(self.dir.join("failure.png"), png);
        }
        panic!("[{}] {message}\n(screenshots in {})", self.test, self.dir.display())
    }
}

/// Whether the focused element (as [`Browser::focused`] describes it) shows
/// its focus: on screen, `:focus-visible`, with an outline at least 1px wide.
pub fn focus_is_visible(focused: &Value) -> bool {
    focused["focusVisible"] == json!(true)
        && focused["onScreen"] == json!(true)
        && focused["outlineStyle"] != json!("none")
        && focused["outlineWidth"].as_f64().unwrap_or(0.0) >= 1.0
}

/// `[data-testid="{id}"]`
pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// The console entries that fail a step: every CSP violation, anything the
/// browser blocked or refused, and every error.
pub fn console_problems(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| {
            let message = e["message"].as_str().unwrap_or_default();
            e["level"] == json!("SEVERE")
                || e["source"] == json!("security")
                || message.contains("Content Security Policy")
                || message.contains("blocked")
                || message.contains("Refused")
        })
        .map(|e| format!("  {} {}: {}", e["level"].as_str().unwrap_or("?"), e["source"].as_str().unwrap_or("?"), e["message"]))
        .collect()
}
