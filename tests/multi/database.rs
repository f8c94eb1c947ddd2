//! The database restarted mid-run. On a throwaway PostgreSQL cluster of its
//! own (initdb + pg_ctl on a free port), so stopping it disturbs no other
//! test or engineer using the machine's PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pushprov::domain::ProvisioningState;

use crate::helpers::{Engine, spawn_app_with};

struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

/// initdb refuses root: as root, run the server tools as `postgres`.
fn as_owner(bin: &Path, args: &[&str]) -> std::process::Output {
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    let mut command = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    command.args(args).output().expect("run a PostgreSQL server tool")
}

impl Cluster {
    fn start() -> Cluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries in /usr/lib/postgresql")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .find(|p| p.join("initdb").exists())
            .expect("initdb");
        let dir = tempfile::tempdir().unwrap();
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status();
        let data = dir.path().join("data");
        let out = as_owner(&bin.join("initdb"), &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "postgres", "--no-sync"]);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = Cluster { dir, bin, port };
        cluster.ctl("start");
        cluster
    }

    fn ctl(&self, action: &str) {
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("log");
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.path().display());
        let mut args = vec!["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-w", "-t", "30"];
        if action == "start" {
            args.extend(["-o", &options]);
        } else {
            args.extend(["-m", "fast"]);
        }
        args.push(action);
        let out = as_owner(&self.bin.join("pg_ctl"), &args);
        assert!(out.status.success(), "pg_ctl {action}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = as_owner(&self.bin.join("pg_ctl"), &["-D", data.to_str().unwrap(), "-m", "immediate", "stop"]);
    }
}

/// While the database is down, pages fail cleanly (an HTML error page,
/// never a panic or a hung request) and a push stores nothing and sends
/// nothing; once it is back the same session goes on and the journey
/// completes, with no record half written.
#[tokio::test]
async fn the_database_restarted_mid_run() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    let url = cluster.url();
    let app = spawn_app_with(Engine::Sqlite, |s| {
        s.database.url = Some(url);
        s.catalog.scheduled = true;
    })
    .await;
    crate::catalogue_loaded(&app.store).await;
    app.sign_in_as_alice().await;
    let id = app.store.credentials(&pushprov::domain::Login::parse("alice").unwrap()).await.unwrap().unwrap().0;
    let card = app.store.funding_accounts(id).await.unwrap().into_iter().find(|a| a.last4 == "4792").unwrap().public_id;
    let review = format!("/add/review?tr={}&cards={card}", crate::WALLET);
    let (status, html) = app.get_html(&review).await;
    assert_eq!(status, 200);
    let form: Vec<(String, String)> = ["csrf_token", "submission_id", "tr", "cards"]
        .iter()
        .map(|k| (k.to_string(), crate::input(&html, k).unwrap()))
        .chain([("password".to_string(), "alice-demo-2026".to_string())])
        .collect();

    // Blocking the test's thread for a second is fine: pg_ctl needs nothing from it.
    cluster.ctl("stop");

    for path in ["/cards", "/readyz", review.as_str()] {
        let started = Instant::now();
        let response = app.get(path).await;
        let status = response.status().as_u16();
        let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = response.text().await.unwrap();
        // Temporarily unavailable (503, come back later), not a fault of ours (500).
        assert_eq!(status, 503, "{path} while the database is down");
        assert_eq!(retry_after.as_deref(), Some("30"), "{path}: says when to try again");
        assert!(started.elapsed() < Duration::from_secs(15), "{path} answered in time");
        if path != "/readyz" {
            assert!(kind.starts_with("text/html"), "{path}: an error page, not {kind}");
            assert!(body.contains("data-testid=\"error-page\""), "the portal's error page: {body}");
        }
    }
    let down = app.client.post(app.url("/add/push")).form(&form).send().await.unwrap();
    assert_eq!(down.status().as_u16(), 503, "a push with the database down is refused for now");
    assert!(down.text().await.unwrap().contains("data-testid=\"error-page\""));

    cluster.ctl("start");

    // The pool reconnects; the session (a row) survived.
    crate::wait::until_ok("/cards to answer after the restart", async || match app.get("/cards").await.status().as_u16() {
        200 => Ok(()),
        status => Err(status),
    })
    .await;
    assert!(app.store.provisionings_of(id).await.unwrap().is_empty(), "the failed push left no record");
    // The same form, posted again: one record, pushed once, a whole one.
    let pushed = app.client.post(app.url("/add/push")).form(&form).send().await.unwrap();
    assert_eq!(pushed.status().as_u16(), 303);
    let records = app.store.provisionings_of(id).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].state, ProvisioningState::Pushed);
    assert!(records[0].accounts.iter().all(|a| a.receipt.is_some()), "receipts stored with the state");
    drop(cluster);
}
