//! The real `pushprov` binary as a child process on PostgreSQL, configured
//! by `PUSHPROV__…` variables: killed with SIGKILL mid-push and between the
//! push and the return, stopped with SIGTERM with a request in flight.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use pushprov::domain::ProvisioningState;
use pushprov::secrets::Secrets;
use pushprov::store::Store;

use crate::{Browser, World, alice_card, catalogue_loaded, record_view, world};

/// The portal as a process on a fixed port (kept across restarts).
struct Portal {
    child: Option<Child>,
    port: u16,
    binary: PathBuf,
    env: Vec<(String, String)>,
    dir: PathBuf,
}

impl Portal {
    fn new(world: &World) -> Self {
        // Our own copy: the shared target dir's binary may be rebuilt meanwhile.
        let binary = world.dir.path().join("pushprov-under-test");
        // `PUSHPROV_TEST_BIN` names another build of this source (for a
        // target dir shared by several checkouts); CI uses cargo's own.
        let built = std::env::var("PUSHPROV_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_pushprov").to_string());
        std::fs::copy(&built, &binary).expect("copy the pushprov binary");
        let port = stable_port();
        let s = &world.base;
        let m = &s.mdes;
        let env = [
            ("DATA_DIR", s.data_dir.display().to_string()),
            ("SERVER__HOST", "127.0.0.1".into()),
            ("SERVER__PORT", port.to_string()),
            ("SERVER__PUBLIC_URL", world.portal.url.clone()),
            ("DATABASE__URL", s.database.url.clone().unwrap()),
            ("DATABASE__MAX_CONNECTIONS", "4".into()),
            ("SANDBOX__ENABLED", "false".into()),
            ("MDES__BASE_URL", m.base_url.clone()),
            ("MDES__CONSUMER_KEY", m.consumer_key.clone()),
            ("MDES__SIGNING_KEY_PATH", m.signing_key_path.display().to_string()),
            ("MDES__ENCRYPTION_CERTIFICATE_PATH", m.encryption_certificate_path.display().to_string()),
            ("MDES__CONNECT_TIMEOUT_MS", m.connect_timeout_ms.to_string()),
            ("MDES__REQUEST_TIMEOUT_MS", m.request_timeout_ms.to_string()),
            ("MDES__RETRY_BACKOFF_MS", m.retry_backoff_ms.to_string()),
            ("LOG__FILTER", "warn".into()),
            ("PROVISIONING__RESEND_SAME_REQUEST_ID", s.provisioning.resend_same_request_id.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (format!("PUSHPROV__{k}"), v))
        .collect();
        world.portal.route_to(&format!("http://127.0.0.1:{port}"));
        Portal { child: None, port, binary, env, dir: world.dir.path().to_path_buf() }
    }

    async fn start(&mut self) {
        assert!(self.child.is_none());
        let child = Command::new(&self.binary)
            .arg("serve")
            .current_dir(&self.dir)
            .env_remove("RUST_LOG")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start pushprov");
        self.child = Some(child);
        // A process starting has no event to wait on but its port answering.
        let url = format!("http://127.0.0.1:{}/readyz", self.port);
        crate::wait::until("pushprov to become ready", async || {
            assert!(self.child.as_mut().unwrap().try_wait().unwrap().is_none(), "pushprov exited at start-up");
            reqwest::get(&url).await.is_ok_and(|r| r.status().is_success())
        })
        .await
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success());
    }

    /// SIGKILL: no shutdown of any kind.
    fn kill9(&mut self) {
        self.signal("-KILL");
        self.child.take().unwrap().wait().unwrap();
    }
}

/// A free port BELOW the ephemeral range (32768+ on Linux): while the
/// portal is dead between a kill and its restart, no port-0 listener or
/// outgoing connection of a parallel test can take it.
fn stable_port() -> u16 {
    for _ in 0..1000 {
        let port = 20000 + rand::random::<u16>() % 12000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 20000..32000");
}

impl Drop for Portal {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The portal process started, Alice signed in, at the review of her card
/// ending 4792 for the Sandbox Wallet, with the form to push.
async fn alice_at_review(world: &World) -> (Portal, Store, Browser, Vec<(String, String)>) {
    let mut portal = Portal::new(world);
    portal.start().await;
    let store = test_store(world).await;
    catalogue_loaded(&store).await;
    let card = alice_card(&store, "4792").await;
    let browser = Browser::new(world);
    browser.sign_in("alice").await;
    let form = browser.review_form(&card).await;
    (portal, store, browser, form)
}

async fn test_store(world: &World) -> Store {
    pushprov::startup::open_store(&world.base, &Secrets::resolve(&world.base).unwrap()).await.unwrap()
}

async fn records(store: &Store) -> Vec<pushprov::store::ProvisioningRecord> {
    let id = store.credentials(&pushprov::domain::Login::parse("alice").unwrap()).await.unwrap().unwrap().0;
    store.provisionings_of(id).await.unwrap()
}

/// Posts the push and waits until MDES holds it: a push in flight, for the test to interrupt.
async fn held_at_mdes(
    world: &World,
    browser: &Browser,
    form: &[(String, String)],
) -> tokio::task::JoinHandle<Result<reqwest::Response, reqwest::Error>> {
    world.sandbox.hold_pushes(true);
    let post = browser.post_push_in_background(form);
    crate::wait::until("the push to reach MDES", async || world.sandbox.pushes().len() == 1).await;
    post
}

/// Killed mid-push (the push reached MDES, its answer never stored): after a
/// restart the record is `Created`; the cardholder's page says "sending" and,
/// once no push can still be running, "we could not confirm" with *Send
/// again*, which resends (here with the SAME requestId, the option these
/// tests run with) — one push as MDES counts them. Then killed again between the hand-off and
/// the return: the restarted portal takes the browser back and confirms.
#[tokio::test]
async fn killed_mid_push_and_before_the_return_the_journey_completes() {
    let world = world().await;
    let (mut portal, store, browser, form) = alice_at_review(&world).await;

    // The push reaches the stand-in, which holds it; the portal dies.
    let post = held_at_mdes(&world, &browser, &form).await;
    portal.kill9();
    world.sandbox.hold_pushes(false);
    assert!(post.await.unwrap().map(|r| r.status().as_u16() != 303).unwrap_or(true), "no answer from a killed portal");
    let record = records(&store).await.pop().expect("the record was stored before the push");
    assert_eq!(record.state, ProvisioningState::Created);

    portal.start().await;
    // The cardholder submits again (same form): the same record, no push yet.
    let again = browser.post_push(&form).await.unwrap();
    assert_eq!(again.status().as_u16(), 303);
    let path = crate::location(&again);
    assert_eq!(path, format!("/provisioning/{}", record.id));
    let (status, html) = browser.page(&path).await;
    let (view, _) = record_view(&html);
    if view == "in-progress" {
        assert_eq!(status, 200);
        assert_eq!(world.sandbox.pushes().len(), 1, "nothing resent while a push may still be running");
    }
    // Once the push deadline passes (4 s with the world's short MDES
    // timeouts: a process of its own keeps the system's time), the page says
    // it could not confirm and offers "Send again" — opening it never pushes
    // by itself.
    let page = crate::wait::until_ok("the page to stop saying in-progress", async || {
        let page = browser.page(&path).await;
        if record_view(&page.1).0 == "in-progress" { Err(page.1) } else { Ok(page) }
    })
    .await;
    assert_eq!((page.0, record_view(&page.1).0.as_str()), (200, "unconfirmed"), "{}", page.1);
    for _ in 0..3 {
        browser.page(&path).await;
    }
    assert_eq!(world.sandbox.pushes().len(), 1, "pages never push by themselves");
    // The session that stepped up sends it again (same requestId: the
    // option these tests run with).
    let resent = browser.record_action(&path, &page.1, "resend").await;
    assert_eq!((resent.status().as_u16(), crate::location(&resent)), (303, path.clone()));
    let view = record_view(&browser.page(&path).await.1).0;
    assert_eq!(view, "hand-off", "the interrupted push was resent and stored");
    assert_eq!(world.sandbox.pushes().len(), 2, "sent twice over the wire…");
    assert_eq!(world.sandbox.distinct_pushes(), 1, "…but one push: the same requestId");
    assert_eq!(world.sandbox.pushes()[1], record.request_id);

    // Handed off to the TR; the portal dies before the browser comes back.
    let tr_url = browser.continue_to_tr(&path).await;
    portal.kill9();
    portal.start().await;
    let callback = browser.accept_at_tr(&tr_url).await;
    assert_eq!(browser.come_back(&callback).await, path);
    browser.until_added(&path).await;
    assert_eq!(world.sandbox.distinct_pushes(), 1);
}

/// SIGTERM with a slow request in flight (a push MDES does not answer): the
/// request finishes with a clear page and a defined record (`PushFailed`,
/// `TIMEOUT`), new connections are refused, the process exits 0. After a
/// restart, "Try again" resends the SAME requestId (the first push may have
/// reached MDES): never two pushes.
#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish_and_a_timeout_retry_pushes_once() {
    let world = world().await;
    let (mut portal, store, browser, form) = alice_at_review(&world).await;

    let post = held_at_mdes(&world, &browser, &form).await;
    portal.signal("-TERM");
    // New connections are refused while the push is still in flight.
    let direct = format!("http://127.0.0.1:{}/healthz", portal.port);
    crate::wait::until("new connections to be refused while stopping", async || reqwest::get(&direct).await.is_err()).await;
    assert!(!post.is_finished(), "…while the request in flight is still running");
    let answer = post.await.unwrap().expect("the request in flight is answered");
    assert_eq!(answer.status().as_u16(), 303, "the push request finished");
    let status = portal.child.as_mut().unwrap().wait().unwrap();
    portal.child = None;
    assert!(status.success(), "graceful exit: {status}");
    world.sandbox.hold_pushes(false);

    let record = records(&store).await.pop().unwrap();
    assert_eq!(record.state, ProvisioningState::PushFailed);
    assert_eq!(record.error_reason.as_deref(), Some("TIMEOUT"));

    portal.start().await;
    let path = crate::location(&answer);
    let (status, html) = browser.page(&path).await;
    assert_eq!((status, record_view(&html).0.as_str()), (502, "failed"), "a clear page: {html}");
    assert!(html.contains("data-testid=\"retry\""), "a timeout may be retried");
    let retried = browser.record_action(&path, &html, "retry").await;
    assert_eq!(retried.status().as_u16(), 303);
    let (_, html) = browser.page(&path).await;
    assert_eq!(record_view(&html).0, "hand-off");
    assert_eq!(world.sandbox.pushes().len(), 2);
    assert_eq!(world.sandbox.distinct_pushes(), 1, "the retry resent the same requestId: one push");
}
