//! No PAN beyond the last four digits in any page, URL, header, log line or
//! trace (PCI DSS 3.4.1). A test binary of its own because it owns the
//! process-wide tracing subscriber: every log line of every component in this
//! process (portal, MDES client, sandbox, demo TR) at TRACE level is kept and
//! scanned, along with everything the browser-side client saw.

use pushprov_test_support::logs::Logs;
use pushprov_test_support::{helpers, steps};

use std::sync::OnceLock;

use helpers::{Engine, demo_numbers};
use steps::*;

fn capture_all_logs() -> Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            // Timestamps are digit noise for the scan.
            .without_time()
            .with_writer(move || writer.clone())
            .init();
        logs
    })
    .clone()
}

/// Everything the client saw: URLs, headers and bodies.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    async fn record(&mut self, url: &str, response: reqwest::Response) -> String {
        self.0.push(url.to_string());
        for (name, value) in response.headers() {
            self.0.push(format!("{name}: {}", String::from_utf8_lossy(value.as_bytes())));
        }
        let body = response.text().await.unwrap_or_default();
        self.0.push(body.clone());
        body
    }
}

/// The number, or most of it, as a run of digits: a run holding its first 12
/// or its last 12 digits (far more than BIN plus last four). Runs of 12+
/// digits, not substrings: megabytes of TRACE logs full of hex and base64
/// (ids, nonces, signatures) would otherwise match shorter parts by chance.
fn leaks(text: &str, number: &str) -> bool {
    let head = &number[..12];
    let tail = &number[number.len() - 12..];
    text.split(|c: char| !c.is_ascii_digit()).filter(|run| run.len() >= 12).any(|run| run.contains(head) || run.contains(tail))
}

#[tokio::test]
async fn no_account_number_in_pages_urls_headers_or_logs() {
    let logs = capture_all_logs();
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let app = journey_app(engine, |_| {}).await;
        let mut seen = Seen::default();
        let mut request_ids = Vec::new();
        // One-time secrets of the journey: return-link tokens, receipts,
        // MDES signatures. None may reach a log line (issue 14 item 10).
        let mut secrets: Vec<String> = Vec::new();
        // Alice: cards and her current account; Quinn: each scenario that
        // reaches MDES.
        for (login, cards, trid) in [
            ("alice", vec!["4792", "4175"], WALLET),
            ("alice", vec!["4567"], WALLET),
            ("quinn", vec!["0105", "0203", "0301"], WALLET),
            ("quinn", vec!["0409"], WALLET),
            ("quinn", vec!["0507"], WALLET),
        ] {
            let client = helpers::start_second_client(&app);
            sign_in(&client, login).await;
            for path in ["/cards", "/add", "/add/requestors", "/cards/where"] {
                let response = client.get(path).await;
                seen.record(path, response).await;
            }
            let mut ids = Vec::new();
            for last4 in &cards {
                ids.push(card(&client, login, last4).await);
            }
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let response = push(&client, trid, &ids, &format!("{login}-demo-2026")).await;
            let record = helpers::location(&response);
            seen.record("/add/push", response).await;
            request_ids.push(record_of(&client, &record).await.request_id);
            let page = client.get(&record).await;
            let html = seen.record(&record, page).await;
            if view(&html) != "hand-off" {
                continue;
            }
            let tr_url = continue_to_tr(&client, &record).await;
            seen.0.push(tr_url.clone());
            let page = client.client.get(&tr_url).send().await.unwrap();
            seen.record(&tr_url, page).await;
            let callback = at_tr(&client, &tr_url, "accept").await;
            seen.0.push(callback.clone());
            // A browser without the session follows the link first: the
            // sign-in redirect (an error logged with its `next`) must not
            // log the link either.
            let stranger = helpers::start_second_client(&client);
            assert_eq!(stranger.client.get(&callback).send().await.unwrap().status().as_u16(), 303);
            let pushed = record_of(&client, &record).await;
            secrets.extend(pushed.accounts.iter().flat_map(|a| a.issued.iter().map(|i| i.receipt.clone())));
            secrets.extend(pushed.signature.clone());
            let token = callback.trim_start_matches(&format!("{}/provisioning/return/", client.address));
            secrets.push(token.split('?').next().unwrap().to_string());
            // The token of the hand-off link before this one, from the TR URL.
            secrets.push(callback_of(&tr_url).rsplit('/').next().unwrap().to_string());
            let back = come_back(&client, &callback).await;
            let (_, html) = outcomes_until(&client, &back, |codes| !codes.contains(&"pending".to_string())).await;
            seen.0.push(html);
        }
        let pages = seen.0.join("\n");
        // The scan itself: whole and mostly-whole numbers found, short chance runs not.
        assert!(leaks("x 5204731600014792 y", "5204731600014792"));
        assert!(leaks("…731600014792)", "5204731600014792") && leaks("520473160001xxxx", "5204731600014792"));
        assert!(!leaks("ab12c00014792f", "5204731600014792"));
        let log_text = logs.text();
        assert!(log_text.contains("pushMultipleAccounts"), "the logs were captured");
        // Every push is traced with its request id (MDES support asks for it)…
        for request_id in &request_ids {
            assert!(log_text.contains(request_id.as_str()), "request id {request_id} not in the logs");
        }
        assert!(secrets.len() >= 8, "secrets collected: {}", secrets.len());
        for secret in &secrets {
            assert!(secret.len() >= 16, "{secret}");
            let line = log_text.lines().find(|l| l.contains(secret.as_str()));
            assert!(
                line.is_none(),
                "a one-time secret in the logs: {}",
                line.unwrap_or_default().chars().take(400).collect::<String>()
            );
        }
        // …and no key material or Authorization header is.
        assert!(!log_text.contains("PRIVATE KEY") && !log_text.contains("oauth_signature="), "no keys or signatures in logs");
        assert!(pages.contains(r#"data-last4="4792""#), "the pages were captured");
        for number in demo_numbers() {
            assert!(!leaks(&pages, number), "{} digits of a demo account number in a page, URL or header", number.len());
            let line = log_text.lines().find(|l| leaks(l, number)).map(|l| l.replace(number, "<PAN>"));
            assert!(
                line.is_none(),
                "a demo account number in the logs, in: {}",
                line.unwrap_or_default().chars().take(600).collect::<String>()
            );
        }
    }
}
