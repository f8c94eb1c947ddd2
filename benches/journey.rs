//! The journey benchmark (issue 9): how many cardholders per second per core, and where the
//! time goes. Not a test: it prints figures and writes them as JSON; nothing is asserted.
//!
//! ```sh
//! cargo bench --bench journey                       # SQLite, 16 and 64 concurrent cardholders
//! cargo bench --bench journey -- --postgres         # PostgreSQL (a fresh database, dropped after)
//! cargo bench --bench journey -- --concurrency 64 --seconds 20 --step-up otp
//! ```
//!
//! Options: `--concurrency 16,64` (one journey phase per value), `--seconds 15` (per journey
//! phase), `--page-seconds 5` (TR page and bare handler phases), `--sessions 1000` (live
//! sessions before RSS is read), `--step-up password|otp`, `--postgres [URL]`, `--json PATH`
//! (default `{target}/bench/journey.json`).
//!
//! Everything runs in this process on the same cores: the portal (actix workers), the built-in
//! MDES sandbox and demo token requestors (in the portal's server, as in the demo), the load
//! generator (reqwest), and the baselines. Under `cargo test --all-targets` (no `--bench`
//! argument) it exits at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pushprov::config::Settings;
use pushprov::domain::{AccountNumber, AccountRange, Login};
use pushprov::sandbox::api::MDES_REQUESTS;
use pushprov::startup::Application;
use pushprov::store::{AccountHolderData, AccountKind, NewCardholder, NewFundingAccount, Store};
use serde_json::json;

const WALLET: &str = "50100000001";
const PASSWORD: &str = "bench-password-2026";

// ---- options ---------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Options {
    postgres: Option<String>,
    concurrency: Vec<usize>,
    seconds: u64,
    page_seconds: u64,
    sessions: usize,
    otp: bool,
    json: PathBuf,
}

fn options(args: &[String]) -> Options {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let mut o = Options {
        postgres: None,
        concurrency: vec![16, 64],
        seconds: 15,
        page_seconds: 5,
        sessions: 1000,
        otp: false,
        json: Path::new(&target).join("bench/journey.json"),
    };
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().unwrap_or_else(|| panic!("{name} needs a value")).clone();
        match a.as_str() {
            "--postgres" => {
                o.postgres = Some(match it.peek() {
                    Some(v) if v.starts_with("postgres") => it.next().unwrap().clone(),
                    _ => std::env::var("PUSHPROV_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into()),
                })
            }
            "--concurrency" => {
                o.concurrency = value(a).split(',').map(|c| c.trim().parse().expect("--concurrency N[,N]")).collect()
            }
            "--seconds" => o.seconds = value(a).parse().expect("--seconds N"),
            "--page-seconds" => o.page_seconds = value(a).parse().expect("--page-seconds N"),
            "--sessions" => o.sessions = value(a).parse().expect("--sessions N"),
            "--step-up" => o.otp = value(a) == "otp",
            "--json" => o.json = PathBuf::from(value(a)),
            "--bench" => {}
            other => panic!("unknown option {other} (see benches/journey.rs)"),
        }
    }
    o
}

// ---- a minimal browser: one session cookie, no redirects followed ------------------------------

#[derive(Clone)]
struct Browser {
    client: reqwest::Client,
    base: String,
    cookie_name: String,
    cookie: Option<String>,
}

struct Page {
    status: u16,
    location: String,
    body: String,
}

impl Browser {
    fn abs(&self, url: &str) -> String {
        if url.starts_with("http") { url.to_string() } else { format!("{}{url}", self.base) }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Result<Page, String> {
        let req = match &self.cookie {
            Some(c) => req.header("cookie", format!("{}={c}", self.cookie_name)),
            None => req,
        };
        let resp = req.send().await.map_err(|e| format!("transport: {e}"))?;
        let prefix = format!("{}=", self.cookie_name);
        for v in resp.headers().get_all("set-cookie") {
            if let Some(rest) = v.to_str().ok().and_then(|v| v.strip_prefix(&prefix)) {
                let value = rest.split(';').next().unwrap_or_default();
                self.cookie = (!value.is_empty()).then(|| value.to_string());
            }
        }
        let status = resp.status().as_u16();
        let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let body = resp.text().await.map_err(|e| format!("body: {e}"))?;
        Ok(Page { status, location, body })
    }

    async fn get(&mut self, url: &str) -> Result<Page, String> {
        let req = self.client.get(self.abs(url));
        self.send(req).await
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Result<Page, String> {
        let req = self.client.post(self.abs(url)).form(form);
        self.send(req).await
    }
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/").replace("&#x2F;", "/").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// `value` of the `<input name="{name}" value="…">` on a page.
fn input(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    Some(unescape(&html[start..start + html[start..].find('"')?]))
}

fn form_action(html: &str) -> Option<String> {
    let needle = "<form method=\"post\" action=\"";
    let start = html.find(needle)? + needle.len();
    Some(unescape(&html[start..start + html[start..].find('"')?]))
}

/// The one-time code the demo shows on the review page (`data-testid="demo-code"`).
fn demo_code(html: &str) -> Option<String> {
    let at = html.find("data-testid=\"demo-code\"")?;
    let text = &html[at..];
    let text = &text[text.find('>')? + 1..];
    let code: String = text.chars().take_while(|c| *c != '<').filter(char::is_ascii_digit).collect();
    (code.len() == 6).then_some(code)
}

fn expect(page: &Page, status: u16, step: &str) -> Result<(), String> {
    if page.status == status {
        Ok(())
    } else {
        // A failed push's record page says why (`failure-message`, `outcome-problem`); else the start.
        let why = ["data-testid=\"failure-message\"", "data-testid=\"outcome-problem\""]
            .iter()
            .filter_map(|id| page.body.find(id).map(|at| &page.body[at..]))
            .filter_map(|rest| rest.find('>').map(|gt| rest[gt + 1..].split('<').next().unwrap_or_default().trim().to_string()))
            .collect::<Vec<_>>()
            .join(" / ");
        let snippet: String = if why.is_empty() { page.body.chars().take(200).collect() } else { why };
        Err(format!("{step}: HTTP {} (wanted {status}) {} {snippet}", page.status, page.location))
    }
}

// ---- measurements ----------------------------------------------------------------------------

/// Latencies per step, microseconds.
#[derive(Default)]
struct Timings(BTreeMap<&'static str, Vec<u64>>);

impl Timings {
    fn add(&mut self, step: &'static str, since: Instant) {
        self.0.entry(step).or_default().push(since.elapsed().as_micros() as u64);
    }
    fn merge(&mut self, other: Timings) {
        for (k, mut v) in other.0 {
            self.0.entry(k).or_default().append(&mut v);
        }
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

fn summary(values: &[u64]) -> serde_json::Value {
    let mut v = values.to_vec();
    v.sort_unstable();
    json!({"n": v.len(), "p50_ms": percentile(&v, 0.50), "p95_ms": percentile(&v, 0.95), "p99_ms": percentile(&v, 0.99),
           "max_ms": v.last().map_or(0.0, |m| *m as f64 / 1000.0)})
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// CPU time (user + system) of this whole process so far, seconds: robust to other processes
/// sharing the cores, unlike wall-clock rates.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 =
        f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0) + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0 // USER_HZ is 100 on Linux
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

// ---- (a) crypto and argon2 ceilings ----------------------------------------------------------

/// Runs `op` on `threads` threads for `secs`; returns operations per second (all threads) and
/// CPU milliseconds per operation.
fn rate(threads: usize, secs: f64, op: impl Fn() + Sync) -> (f64, f64) {
    let total = AtomicU64::new(0);
    let cpu = cpu_secs();
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut n = 0;
                while start.elapsed().as_secs_f64() < secs {
                    op();
                    n += 1;
                }
                total.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    let n = total.load(Ordering::Relaxed) as f64;
    (n / start.elapsed().as_secs_f64(), 1000.0 * (cpu_secs() - cpu) / n)
}

struct Ceilings {
    /// CPU ms per operation: OAuth sign, OAEP decrypt, JWS sign, argon2.
    cpu_ms: [f64; 4],
    oauth_sign_per_s: f64,
    oaep_decrypt_per_s: f64,
    jws_sign_per_s: f64,
    argon2_per_s: f64,
    crypto_journeys_per_s: f64,
    crypto_and_argon2_journeys_per_s: f64,
    private_ops_per_s: f64,
}

fn crypto_ceilings(keys: &pushprov::sandbox::SandboxKeys, threads: usize) -> Ceilings {
    use pushprov::mdes::encryption::{EncryptionOptions, Encryptor, decrypt_payload};
    use pushprov::mdes::keys::{load_encryption_key, load_private_key_pem_file};
    use pushprov::mdes::{jws, oauth};
    let issuer = load_private_key_pem_file(&keys.issuer_signing.private_key).expect("issuer key");
    let signer = oauth::Signer::new("pushprov-demo-issuer", issuer);
    // A push body of realistic size (one encrypted card, holder data): ~1.5 kB.
    let body = vec![b'x'; 1500];
    let url = "http://127.0.0.1:8080/sandbox/mdes/connect/1/0/pushMultipleAccounts";
    let (oauth_sign_per_s, oauth_ms) = rate(threads, 1.0, || {
        signer.authorization_header("POST", url, &body).expect("sign");
    });
    let cert = load_encryption_key("bench", &keys.encryption.certificate).expect("encryption cert");
    let encryptor = Encryptor::new(&cert, EncryptionOptions::default()).expect("encryptor");
    let payload = encryptor.encrypt_bytes(&[b'{'; 600]).expect("encrypt");
    let decryption_key = load_private_key_pem_file(&keys.encryption.private_key).expect("encryption key");
    let (oaep_decrypt_per_s, oaep_ms) = rate(threads, 1.0, || {
        decrypt_payload(&payload, &decryption_key).expect("decrypt");
    });
    let jws_key = load_private_key_pem_file(&keys.jws.private_key).expect("jws key");
    let signature_payload = vec![b'x'; 400];
    let (jws_sign_per_s, jws_ms) = rate(threads, 1.0, || {
        jws::sign(&signature_payload, &jws_key, "sandbox-bench").expect("jws");
    });
    let (argon2_per_s, argon2_ms) = rate(threads, 1.5, || {
        pushprov::auth::hash_password(PASSWORD).expect("argon2");
    });
    // Private-key operations per journey: the portal's OAuth signature on the one MDES call
    // (pushMultipleAccounts), the sandbox's OAEP unwrap of the AES key, the sandbox's JWS
    // signature. (Public ops — the sandbox's OAuth check, the portal's OAEP wrap, the TR's
    // JWS check — cost ~1/30 of a private op each and are left out of the ceiling.)
    let seconds_per_journey = 1.0 / oauth_sign_per_s + 1.0 / oaep_decrypt_per_s + 1.0 / jws_sign_per_s;
    let argon2_seconds = 2.0 / argon2_per_s; // sign-in + password step-up
    Ceilings {
        cpu_ms: [oauth_ms, oaep_ms, jws_ms, argon2_ms],
        oauth_sign_per_s,
        oaep_decrypt_per_s,
        jws_sign_per_s,
        argon2_per_s,
        crypto_journeys_per_s: 1.0 / seconds_per_journey,
        crypto_and_argon2_journeys_per_s: 1.0 / (seconds_per_journey + argon2_seconds),
        private_ops_per_s: 3.0 / seconds_per_journey,
    }
}

// ---- (b) the bare actix-web handler ---------------------------------------------------------

async fn bare_handler() -> String {
    use actix_web::{App, HttpServer, web};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    let server =
        HttpServer::new(|| App::new().route("/", web::get().to(|| async { "ok" }))).listen(listener).expect("listen").run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}/")
}

/// `concurrency` loops GETting each one's URL with its cookie until `secs` pass.
/// Returns successes, errors, latencies (µs), wall seconds, CPU µs per request.
async fn hammer(browsers: Vec<(Browser, String)>, secs: u64) -> (u64, u64, Vec<u64>, f64, f64) {
    let cpu = cpu_secs();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let tasks: Vec<_> = browsers
        .into_iter()
        .map(|(mut b, url)| {
            tokio::spawn(async move {
                let (mut ok, mut errors, mut lat) = (0u64, 0u64, Vec::new());
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match b.get(&url).await {
                        Ok(p) if p.status == 200 => ok += 1,
                        _ => errors += 1,
                    }
                    lat.push(t.elapsed().as_micros() as u64);
                }
                (ok, errors, lat)
            })
        })
        .collect();
    let (mut ok, mut errors, mut lat) = (0, 0, Vec::new());
    for t in tasks {
        let (o, e, mut l) = t.await.unwrap();
        ok += o;
        errors += e;
        lat.append(&mut l);
    }
    let cpu_us = 1e6 * (cpu_secs() - cpu) / (ok + errors).max(1) as f64;
    (ok, errors, lat, start.elapsed().as_secs_f64(), cpu_us)
}

// ---- the journey -----------------------------------------------------------------------------

#[derive(Clone)]
struct Cardholder {
    login: String,
    card: String,
}

async fn sign_in(b: &mut Browser, login: &str, t: &mut Timings) -> Result<(), String> {
    let s = Instant::now();
    let page = b.get("/login").await?;
    t.add("GET /login", s);
    expect(&page, 200, "GET /login")?;
    let csrf = input(&page.body, "csrf_token").ok_or("no csrf on /login")?;
    let s = Instant::now();
    let page = b.post("/login", &[("csrf_token", &csrf), ("login", login), ("password", PASSWORD), ("next", "/cards")]).await?;
    t.add("POST /login (argon2)", s);
    expect(&page, 303, "POST /login")
}

/// One cardholder's whole journey in a fresh browser; returns the browser (still signed in).
async fn journey(mut b: Browser, who: &Cardholder, otp: bool, t: &mut Timings) -> Result<Browser, String> {
    b.cookie = None;
    sign_in(&mut b, &who.login, t).await?;
    let s = Instant::now();
    let page = b.get("/cards").await?;
    t.add("GET /cards", s);
    expect(&page, 200, "GET /cards")?;
    let s = Instant::now();
    let page = b.get(&format!("/add/requestors?cards={}", who.card)).await?;
    t.add("GET /add/requestors", s);
    expect(&page, 200, "GET /add/requestors")?;
    if !page.body.contains(WALLET) {
        return Err("the wallet is not offered".into());
    }
    let s = Instant::now();
    let review = b.get(&format!("/add/review?tr={WALLET}&cards={}", who.card)).await?;
    t.add("GET /add/review", s);
    expect(&review, 200, "GET /add/review")?;
    let field = |n| input(&review.body, n).ok_or_else(|| format!("no {n} on the review page"));
    let (csrf, submission, tr, cards) = (field("csrf_token")?, field("submission_id")?, field("tr")?, field("cards")?);
    let (step_field, secret) = if otp {
        ("code", demo_code(&review.body).ok_or("no demo code on the review page")?)
    } else {
        ("password", PASSWORD.to_string())
    };
    let s = Instant::now();
    let pushed = b
        .post(
            "/add/push",
            &[("csrf_token", &csrf), ("submission_id", &submission), ("tr", &tr), ("cards", &cards), (step_field, &secret)],
        )
        .await?;
    t.add(if otp { "POST /add/push (otp + MDES)" } else { "POST /add/push (argon2 + MDES)" }, s);
    expect(&pushed, 303, "POST /add/push")?;
    let record = pushed.location;
    let s = Instant::now();
    let page = b.get(&record).await?;
    t.add("GET /provisioning/{id}", s);
    expect(&page, 200, "GET /provisioning/{id}")?;
    if !page.body.contains("data-view=\"hand-off\"") {
        return Err(format!("record page is not the hand-off: {record}"));
    }
    let s = Instant::now();
    let page = b.get(&format!("{record}/continue")).await?;
    t.add("GET /provisioning/{id}/continue", s);
    expect(&page, 303, "continue")?;
    let tr_url = page.location;
    let s = Instant::now();
    let page = b.get(&tr_url).await?;
    t.add("TR GET push URI (JWS check)", s);
    expect(&page, 200, "TR push URI")?;
    let action = form_action(&page.body).ok_or("no TR form")?;
    let s = Instant::now();
    let page = b.post(&action, &[("step", "sign_in"), ("name", "Bench")]).await?;
    t.add("TR POST sign_in", s);
    expect(&page, 200, "TR sign in")?;
    let action = form_action(&page.body).ok_or("no TR terms form")?;
    let s = Instant::now();
    let page = b.post(&action, &[("step", "accept")]).await?;
    t.add("TR POST accept", s);
    expect(&page, 303, "TR accept")?;
    let callback = page.location;
    let s = Instant::now();
    let page = b.get(&callback).await?;
    t.add("GET /provisioning/return/{token}", s);
    expect(&page, 303, "return")?;
    let s = Instant::now();
    let page = b.get(&page.location).await?;
    t.add("GET /provisioning/{id} (confirmation)", s);
    expect(&page, 200, "confirmation")?;
    if !page.body.contains("data-view=\"confirmation\"") {
        return Err("no confirmation after the return".into());
    }
    Ok(b)
}

/// Steps whose time is the portal's own: no argon2, no MDES call, not the TR.
const PORTAL_ONLY: &[&str] = &[
    "GET /login",
    "GET /cards",
    "GET /add/requestors",
    "GET /add/review",
    "GET /provisioning/{id}",
    "GET /provisioning/{id}/continue",
    "GET /provisioning/return/{token}",
    "GET /provisioning/{id} (confirmation)",
];

struct JourneyPhase {
    concurrency: usize,
    journeys: u64,
    errors: u64,
    first_errors: Vec<String>,
    elapsed: f64,
    mdes_calls: u64,
    timings: Timings,
    sessions: Vec<Browser>,
    cpu_secs: f64,
}

async fn journeys(base: &Browser, people: &[Cardholder], concurrency: usize, secs: u64, otp: bool) -> JourneyPhase {
    let mdes_before = MDES_REQUESTS.load(Ordering::Relaxed);
    let cpu = cpu_secs();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            let who = people[i % people.len()].clone();
            let mut b = base.clone();
            tokio::spawn(async move {
                let (mut done, mut errors, mut first, mut t, mut live) = (0u64, 0u64, Vec::new(), Timings::default(), Vec::new());
                while Instant::now() < deadline {
                    match journey(b.clone(), &who, otp, &mut t).await {
                        Ok(signed_in) => {
                            done += 1;
                            live.push(signed_in);
                        }
                        Err(e) => {
                            errors += 1;
                            if first.len() < 3 {
                                first.push(e);
                            }
                        }
                    }
                    b.cookie = None;
                }
                (done, errors, first, t, live)
            })
        })
        .collect();
    let mut phase = JourneyPhase {
        concurrency,
        journeys: 0,
        errors: 0,
        first_errors: Vec::new(),
        elapsed: 0.0,
        mdes_calls: 0,
        timings: Timings::default(),
        sessions: Vec::new(),
        cpu_secs: 0.0,
    };
    for task in tasks {
        let (d, e, f, t, mut live) = task.await.unwrap();
        phase.journeys += d;
        phase.errors += e;
        phase.first_errors.extend(f);
        phase.timings.merge(t);
        phase.sessions.append(&mut live);
    }
    phase.elapsed = start.elapsed().as_secs_f64();
    phase.cpu_secs = cpu_secs() - cpu;
    phase.mdes_calls = MDES_REQUESTS.load(Ordering::Relaxed) - mdes_before;
    phase
}

// ---- setup -----------------------------------------------------------------------------------

fn luhn_complete(partial: &str) -> String {
    let sum: u32 = partial
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap();
            if i % 2 == 0 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    format!("{partial}{}", (10 - sum % 10) % 10)
}

/// `n` cardholders `bench-0000…`, each with one approved-scenario credit card in range 520473160
/// (numbers 5204731609xxxxx + Luhn digit: none is in the sandbox's scenario table).
async fn seed(store: &Store, n: usize) -> Vec<Cardholder> {
    let hash = pushprov::auth::hash_password(PASSWORD).expect("hash");
    let range = AccountRange::parse("520473160").unwrap();
    let mut people = Vec::new();
    for i in 0..n {
        let login = format!("bench-{i:04}");
        let id = store
            .insert_cardholder(&NewCardholder {
                login: &Login::parse(&login).unwrap(),
                password_hash: &hash,
                display_name: "Bench Cardholder",
                locale: "en_GB",
                holder: &AccountHolderData {
                    name: Some("Bench Cardholder".into()),
                    email: Some(format!("{login}@example.com")),
                    ..AccountHolderData::default()
                },
            })
            .await
            .expect("insert cardholder");
        let pan = luhn_complete(&format!("5204731609{i:05}"));
        let number = AccountNumber::parse_pan(&pan).expect("pan");
        let card = store
            .insert_funding_account(&NewFundingAccount {
                cardholder_id: id,
                kind: AccountKind::Card,
                product: "World Mastercard Credit",
                funding_type: "CREDIT",
                number: &number,
                account_range: &range,
                expiry: Some((12, 2030)),
                interbank_card_association_id: None,
                country_code: None,
                status: "ACTIVE",
            })
            .await
            .expect("insert card");
        people.push(Cardholder { login, card });
    }
    people
}

async fn fresh_postgres(server: &str) -> (String, String) {
    use sqlx::Connection;
    let name = format!("pushprov_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn =
        sqlx::PgConnection::connect(&format!("{server}/postgres")).await.expect("PostgreSQL must be running for --postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut conn).await.expect("create database");
    (format!("{server}/{name}"), name)
}

async fn drop_postgres(server: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(&format!("{server}/postgres")).await {
        let _ =
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))).execute(&mut conn).await;
    }
}

async fn live_sessions(url: &str) -> i64 {
    let sql = "SELECT COUNT(*) FROM sessions WHERE expires_at > $1";
    let now = pushprov::clock::Clock::system().now_unix();
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.expect("connect");
        sqlx::query_scalar::<_, i64>(sql).bind(now).fetch_one(&pool).await.expect("count")
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.expect("connect");
        sqlx::query_scalar::<_, i64>(sql).bind(now).fetch_one(&pool).await.expect("count")
    }
}

fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu =
        cpuinfo.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).unwrap_or("?").trim().to_string();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 =
        meminfo.lines().find(|l| l.starts_with("MemTotal")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    json!({"nproc": std::thread::available_parallelism().map_or(1, |n| n.get()), "cpu": cpu,
           "memory_gib": round(mem_kib as f64 / 1048576.0, 1), "loadavg_at_start": load.trim()})
}

// ---- main ------------------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it.
    if !args.iter().any(|a| a == "--bench") {
        println!("journey benchmark: run it with `cargo bench --bench journey` (skipped under cargo test)");
        return;
    }
    let opts = options(&args);
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(run(opts));
}

async fn run(opts: Options) {
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let machine = machine();
    println!("pushprov journey benchmark — {machine}");
    let max_c = *opts.concurrency.iter().max().unwrap_or(&16);

    // Keys are generated once and kept (RSA key generation is slow, and not what we measure).
    let keys_dir = std::env::temp_dir().join("pushprov-bench-keys");
    let keys = pushprov::sandbox::SandboxKeys::ensure(&keys_dir).expect("sandbox keys");

    // (a) crypto ceiling, before the server starts (nothing else of ours on the cores).
    let c = crypto_ceilings(&keys, threads);
    println!(
        "crypto ({threads} threads): OAuth sign {:.0}/s, OAEP decrypt {:.0}/s, JWS sign {:.0}/s → {:.0} private ops/s, 3 per journey → ceiling {:.1} journeys/s",
        c.oauth_sign_per_s, c.oaep_decrypt_per_s, c.jws_sign_per_s, c.private_ops_per_s, c.crypto_journeys_per_s
    );
    println!(
        "argon2id (m=19456 KiB, t=2): {:.1} hashes/s; 2 per journey with password step-up → crypto+argon2 ceiling {:.1} journeys/s",
        c.argon2_per_s, c.crypto_and_argon2_journeys_per_s
    );

    // The portal with its sandbox.
    let dir = tempfile::tempdir().expect("temp dir");
    let (db_url, pg_name) = match &opts.postgres {
        Some(server) => {
            let (url, name) = fresh_postgres(server).await;
            (url, Some(name))
        }
        None => (format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()), None),
    };
    let mut settings = Settings::default();
    settings.server.port = 0;
    settings.data_dir = dir.path().to_path_buf();
    settings.database.url = Some(db_url.clone());
    settings.sandbox.keys_dir = Some(keys_dir.clone());
    settings.log.filter = "error".into();
    if opts.otp {
        settings.provisioning.step_up = pushprov::provisioning::StepUp::Otp;
    }
    let cookie_name = settings.session.cookie_name.clone();
    let app = Application::build(settings).await.expect("application builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let store = app.store();
    tokio::spawn(app.run_until_stopped());
    // Wait for the first catalogue refresh (TRs and logos) from the sandbox
    // to finish: it is recorded after the last logo, and MDES is quiet then.
    pushprov_test_support::wait::until("the catalogue's first refresh", async || {
        store.catalog_status().await.is_ok_and(|status| status.last_success_at.is_some())
    })
    .await;
    let people = seed(&store, max_c.max(16)).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(4096)
        .build()
        .expect("client");
    let browser = Browser { client: client.clone(), base: base.clone(), cookie_name, cookie: None };
    println!(
        "portal at {base} on {}; {} cardholders seeded; setup {:.1}s",
        if pg_name.is_some() { "PostgreSQL" } else { "SQLite" },
        people.len(),
        started.elapsed().as_secs_f64()
    );

    // (b) bare handler vs the TR-selection page, same generator, same concurrency.
    let page_c = 16;
    let bare_url = bare_handler().await;
    let bare_browsers = (0..page_c).map(|_| (browser.clone(), bare_url.clone())).collect();
    let (bare_ok, bare_err, bare_lat, bare_secs, bare_cpu_us) = hammer(bare_browsers, opts.page_seconds).await;
    let bare_rps = bare_ok as f64 / bare_secs;
    let mut tr_browsers = Vec::new();
    let mut t = Timings::default();
    for who in people.iter().take(page_c) {
        let mut b = browser.clone();
        sign_in(&mut b, &who.login, &mut t).await.expect("sign in");
        tr_browsers.push((b.clone(), format!("/add/requestors?cards={}", who.card)));
    }
    let mdes_before = MDES_REQUESTS.load(Ordering::Relaxed);
    let (tr_ok, tr_err, tr_lat, tr_secs, tr_cpu_us) = hammer(tr_browsers.clone(), opts.page_seconds).await;
    let tr_mdes = MDES_REQUESTS.load(Ordering::Relaxed) - mdes_before;
    let tr_rps = tr_ok as f64 / tr_secs;
    println!(
        "bare actix-web handler: {bare_rps:.0} req/s; TR-selection page /add/requestors: {tr_rps:.0} req/s = {:.1}% of bare (target ≥ 30%); MDES calls during {tr_ok} page views: {tr_mdes}",
        100.0 * tr_rps / bare_rps
    );
    println!(
        "  CPU per request (whole process, generator included): bare {bare_cpu_us:.0} µs, TR page {tr_cpu_us:.0} µs → CPU-normalised ratio {:.1}%",
        100.0 * bare_cpu_us / tr_cpu_us
    );
    let mut signed_in: Vec<Browser> = tr_browsers.into_iter().map(|(b, _)| b).collect();

    // The journeys.
    let mut phases = Vec::new();
    let mut errors = bare_err + tr_err;
    for &cc in &opts.concurrency {
        let mut p = journeys(&browser, &people, cc, opts.seconds, opts.otp).await;
        let jps = p.journeys as f64 / p.elapsed;
        let mut portal: Vec<u64> = PORTAL_ONLY.iter().flat_map(|s| p.timings.0.get(s).cloned().unwrap_or_default()).collect();
        portal.sort_unstable();
        println!(
            "\n{cc} concurrent cardholders, {:.1}s: {} journeys = {jps:.2}/s = {:.1}% of crypto ceiling (target ≥ 70%), {:.1}% of crypto+argon2 ceiling; errors {}; MDES calls/journey {:.2}; portal-only page p99 {:.1} ms (target < 10 ms)",
            p.elapsed,
            p.journeys,
            100.0 * jps / c.crypto_journeys_per_s,
            100.0 * jps / c.crypto_and_argon2_journeys_per_s,
            p.errors,
            p.mdes_calls as f64 / p.journeys.max(1) as f64,
            percentile(&portal, 0.99)
        );
        let cpu_ms = 1000.0 * p.cpu_secs / p.journeys.max(1) as f64;
        let crypto_ms: f64 = c.cpu_ms[..3].iter().sum();
        let argon2_ms = c.cpu_ms[3] * if opts.otp { 1.0 } else { 2.0 };
        println!(
            "  CPU per journey (whole process): {cpu_ms:.0} ms — RSA private ops {crypto_ms:.0} ms ({:.0}%), argon2 {argon2_ms:.0} ms ({:.0}%), the rest {:.0} ms ({:.0}%)",
            100.0 * crypto_ms / cpu_ms,
            100.0 * argon2_ms / cpu_ms,
            cpu_ms - crypto_ms - argon2_ms,
            100.0 * (cpu_ms - crypto_ms - argon2_ms) / cpu_ms
        );
        for e in &p.first_errors {
            println!("  error: {e}");
        }
        println!("  {:<40} {:>6} {:>9} {:>9} {:>9}", "step", "n", "p50 ms", "p95 ms", "p99 ms");
        for (step, v) in &p.timings.0 {
            let s = summary(v);
            println!(
                "  {step:<40} {:>6} {:>9.1} {:>9.1} {:>9.1}",
                s["n"],
                s["p50_ms"].as_f64().unwrap(),
                s["p95_ms"].as_f64().unwrap(),
                s["p99_ms"].as_f64().unwrap()
            );
        }
        errors += p.errors;
        signed_in.append(&mut p.sessions);
        phases.push((p, jps, portal));
    }

    // Live sessions: every journey left its cardholder signed in; top up to the target.
    let mut live = live_sessions(&db_url).await;
    let topped_up_from = live;
    if (live as usize) < opts.sessions {
        let missing = opts.sessions - live as usize;
        let workers = threads * 2;
        let per = missing.div_ceil(workers);
        let tasks: Vec<_> = (0..workers)
            .map(|w| {
                let who: Vec<Cardholder> = people.iter().cycle().skip(w).step_by(workers).take(per).cloned().collect();
                let b = browser.clone();
                tokio::spawn(async move {
                    let mut out = Vec::new();
                    let mut t = Timings::default();
                    for c in who {
                        let mut b = b.clone();
                        b.cookie = None;
                        if sign_in(&mut b, &c.login, &mut t).await.is_ok() {
                            out.push(b);
                        }
                    }
                    out
                })
            })
            .collect();
        for t in tasks {
            signed_in.append(&mut t.await.unwrap());
        }
        live = live_sessions(&db_url).await;
    }
    // Still alive: a sample of the sessions opens "My cards".
    let mut sample_ok = 0;
    let step = (signed_in.len() / 20).max(1);
    for b in signed_in.iter_mut().step_by(step).take(20) {
        if b.get("/cards").await.is_ok_and(|p| p.status == 200) {
            sample_ok += 1;
        }
    }
    let rss_mib = rss_kib("VmRSS:") as f64 / 1024.0;
    let hwm_mib = rss_kib("VmHWM:") as f64 / 1024.0;
    println!(
        "\nlive sessions {live} (journeys left {topped_up_from}, topped up by sign-ins; {sample_ok}/20 sampled still signed in); RSS {rss_mib:.1} MiB (peak {hwm_mib:.1}) for the whole process — portal, sandbox and load generator (target < 100 MB)"
    );
    println!("errors: {errors} (must be 0); total run {:.0}s", started.elapsed().as_secs_f64());

    let report = json!({
        "machine": machine,
        "database": if pg_name.is_some() { "postgres" } else { "sqlite" },
        "step_up": if opts.otp { "otp" } else { "password" },
        "crypto": {
            "threads": threads,
            "oauth_pkcs1v15_sign_per_s": round(c.oauth_sign_per_s, 1),
            "oaep_sha512_decrypt_per_s": round(c.oaep_decrypt_per_s, 1),
            "jws_rs256_sign_per_s": round(c.jws_sign_per_s, 1),
            "private_ops_per_journey": 3,
            "private_ops_per_s": round(c.private_ops_per_s, 1),
            "ceiling_journeys_per_s": round(c.crypto_journeys_per_s, 2),
            "argon2id_per_s": round(c.argon2_per_s, 2),
            "argon2_per_journey": if opts.otp { 1 } else { 2 },
            "cpu_ms_per_op": {"oauth_sign": round(c.cpu_ms[0], 2), "oaep_decrypt": round(c.cpu_ms[1], 2), "jws_sign": round(c.cpu_ms[2], 2), "argon2id": round(c.cpu_ms[3], 2)},
            "ceiling_with_argon2_journeys_per_s": round(c.crypto_and_argon2_journeys_per_s, 2),
        },
        "bare_handler": {"requests_per_s": round(bare_rps, 0), "errors": bare_err, "latency": summary(&bare_lat)},
        "tr_selection_page": {"requests_per_s": round(tr_rps, 0), "ratio_to_bare": round(tr_rps / bare_rps, 3), "errors": tr_err,
                              "page_views": tr_ok, "mdes_calls": tr_mdes, "mdes_calls_per_page_view": tr_mdes as f64 / tr_ok.max(1) as f64,
                              "latency": summary(&tr_lat), "concurrency": page_c,
                              "cpu_us_per_request": round(tr_cpu_us, 0), "bare_cpu_us_per_request": round(bare_cpu_us, 0),
                              "cpu_normalised_ratio_to_bare": round(bare_cpu_us / tr_cpu_us, 3)},
        "journeys": phases.iter().map(|(p, jps, portal)| json!({
            "concurrency": p.concurrency, "seconds": round(p.elapsed, 2), "journeys": p.journeys, "journeys_per_s": round(*jps, 2),
            "ratio_to_crypto_ceiling": round(jps / c.crypto_journeys_per_s, 3),
            "ratio_to_crypto_and_argon2_ceiling": round(jps / c.crypto_and_argon2_journeys_per_s, 3),
            "errors": p.errors, "first_errors": p.first_errors, "mdes_calls_per_journey": round(p.mdes_calls as f64 / p.journeys.max(1) as f64, 3),
            "portal_only_pages": summary(portal),
            "cpu_ms_per_journey": round(1000.0 * p.cpu_secs / p.journeys.max(1) as f64, 1),
            "cpu_share_rsa_private_ops": round(c.cpu_ms[..3].iter().sum::<f64>() / (1000.0 * p.cpu_secs / p.journeys.max(1) as f64), 3),
            "cpu_share_argon2": round(c.cpu_ms[3] * if opts.otp { 1.0 } else { 2.0 } / (1000.0 * p.cpu_secs / p.journeys.max(1) as f64), 3),
            "steps": p.timings.0.iter().map(|(k, v)| (k.to_string(), summary(v))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
        "sessions": {"live": live, "sampled_still_signed_in": sample_ok, "rss_mib": round(rss_mib, 1), "peak_rss_mib": round(hwm_mib, 1)},
        "errors": errors,
        "run_seconds": round(started.elapsed().as_secs_f64(), 1),
    });
    if let Some(parent) = opts.json.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(&opts.json, serde_json::to_string_pretty(&report).unwrap()).expect("write JSON");
    println!("figures written to {}", opts.json.display());
    if let (Some(server), Some(name)) = (&opts.postgres, &pg_name) {
        drop_postgres(server, name).await;
    }
}
