//! A tiny HTTP/1.1 stand-in for MDES, on port 0, for the client tests. Plain `std::net`
//! threads so a test can script exactly what goes on the wire (HTML pages, bodies cut short,
//! silence) — things a real framework would "fix". Every request is checked with our OAuth
//! verifier and the real Mastercard gateway's answers are given when it fails.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pushprov::mdes::encryption::{EncryptionOptions, Encryptor};
use pushprov::mdes::oauth::{self, OAuthError, Signer};
use pushprov::mdes::{MdesClient, MdesSettings, keys};

pub fn fixture(name: &str) -> PathBuf {
    crate::repository_root().join("tests/fixtures/mdes").join(name)
}

/// A request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
    /// Outcome of OAuth verification with the issuer's public key.
    pub signature_ok: bool,
    pub request_id: Option<String>,
}

/// What to send back.
pub enum Reply {
    Json(u16, String),
    /// Bytes written as they are (head and body), then the connection is closed.
    Raw(String),
    /// Wait, then reply.
    After(Duration, Box<Reply>),
}

pub fn json(status: u16, body: serde_json::Value) -> Reply {
    Reply::Json(status, body.to_string())
}

type Script = Arc<dyn Fn(&Received, usize) -> Reply + Send + Sync>;

pub struct StandIn {
    pub base_url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl StandIn {
    pub fn hits(&self) -> usize {
        self.received.lock().unwrap().len()
    }
    pub fn last(&self) -> Received {
        self.received.lock().unwrap().last().cloned().expect("no request received")
    }
}

/// Options of the stand-in's gateway behaviour.
#[derive(Default, Clone, Copy)]
pub struct Gateway {
    /// Act as a proxy that alters the body in transit (to provoke INVALID_BODY_HASH).
    pub alter_body: bool,
}

pub fn start(script: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static) -> StandIn {
    start_on(TcpListener::bind("127.0.0.1:0").unwrap(), Gateway::default(), Arc::new(script))
}

pub fn start_with(gateway: Gateway, script: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static) -> StandIn {
    start_on(TcpListener::bind("127.0.0.1:0").unwrap(), gateway, Arc::new(script))
}

/// Serves on an address that is not listening yet: for the first `delay` connections are
/// refused, then the stand-in starts.
pub fn start_later(delay: Duration, script: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static) -> StandIn {
    let probe = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let received = Arc::new(Mutex::new(Vec::new()));
    let rec = received.clone();
    let script: Script = Arc::new(script);
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let listener = TcpListener::bind(addr).expect("re-bind the reserved port");
        serve(listener, Gateway::default(), script, rec);
    });
    StandIn { base_url: format!("http://{addr}/mdes"), received }
}

fn start_on(listener: TcpListener, gateway: Gateway, script: Script) -> StandIn {
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let rec = received.clone();
    std::thread::spawn(move || serve(listener, gateway, script, rec));
    StandIn { base_url: format!("http://{addr}/mdes"), received }
}

fn serve(listener: TcpListener, gateway: Gateway, script: Script, received: Arc<Mutex<Vec<Received>>>) {
    let issuer_key = keys::load_private_key_pem_file(&fixture("test-only-signing-key.pem")).unwrap().to_public_key();
    let port = listener.local_addr().unwrap().port();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let script = script.clone();
        let received = received.clone();
        let issuer_key = issuer_key.clone();
        std::thread::spawn(move || {
            let _ = handle(stream, port, gateway, &issuer_key, &script, &received);
        });
    }
}

fn handle(
    mut stream: TcpStream,
    port: u16,
    gateway: Gateway,
    issuer_key: &rsa::PublicKey,
    script: &Script,
    received: &Mutex<Vec<Received>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut content_length = 0usize;
    let mut authorization = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = v.trim().parse().unwrap_or(0),
                "authorization" => authorization = v.trim().to_owned(),
                _ => {}
            }
        }
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;
    if gateway.alter_body {
        body.push(b' ');
    }
    let url = format!("http://127.0.0.1:{port}{path}");
    let verdict = oauth::parse_authorization_header(&authorization)
        .and_then(|h| oauth::verify_request(&h, &method, &url, &body, issuer_key));
    let request_id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("requestId").and_then(|r| r.as_str()).map(str::to_owned));
    let rec = Received { method, path, body, signature_ok: verdict.is_ok(), request_id };
    let n = {
        let mut all = received.lock().unwrap();
        all.push(rec.clone());
        all.len()
    };
    // Like Mastercard's gateway: bad signatures and body hashes never reach Token Connect.
    let reply = match verdict {
        Ok(()) => script(&rec, n),
        Err(OAuthError::BodyHashMismatch { calculated, received }) => gateway_error(
            400,
            "INVALID_BODY_HASH",
            &format!(
                "The provided oauth_body_hash does not match the SHA256 hash of the request payload. Calculated: {calculated}, Received: {received}"
            ),
        ),
        Err(e) => gateway_error(401, "AUTHENTICATION_FAILED", &e.to_string()),
    };
    write_reply(&mut stream, reply)
}

fn gateway_error(status: u16, code: &str, description: &str) -> Reply {
    json(
        status,
        serde_json::json!({"Errors":{"Error":[{"Source":"Gateway","ReasonCode":code,"Description":description,"Recoverable":false,"Details":null}]}}),
    )
}

fn write_reply(stream: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    match reply {
        Reply::Json(status, body) => {
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes())?;
            stream.write_all(body.as_bytes())?;
        }
        Reply::Raw(raw) => stream.write_all(raw.as_bytes())?,
        Reply::After(delay, reply) => {
            std::thread::sleep(delay);
            return write_reply(stream, *reply);
        }
    }
    stream.flush()
}

/// Settings for a client of `base_url` with the test-only keys, short timeouts and fast
/// back-off.
pub fn settings(base_url: &str) -> MdesSettings {
    MdesSettings {
        base_url: base_url.to_owned(),
        consumer_key: "test-consumer-key!abc".into(),
        signing_key_path: fixture("test-only-signing.p12"),
        signing_key_password: Some("test-only-password".to_owned().into()),
        signing_key_alias: Some("test-alias".into()),
        encryption_certificate_path: fixture("test-only-encryption-cert.pem"),
        connect_timeout_ms: 1_000,
        request_timeout_ms: 1_000,
        retries: 2,
        retry_backoff_ms: 20,
        ..MdesSettings::default()
    }
}

pub fn client(base_url: &str) -> MdesClient {
    MdesClient::from_settings(&settings(base_url)).expect("client from test settings")
}

/// A client signing with the wrong key (the gateway must refuse it).
pub fn client_with_wrong_signing_key(base_url: &str) -> MdesClient {
    let s = settings(base_url);
    let wrong = keys::load_private_key_pem_file(&fixture("test-only-encryption-key.pem")).unwrap();
    let cert = keys::load_encryption_key("c", &fixture("test-only-encryption-cert.pem")).unwrap();
    let enc = Encryptor::new(&cert, EncryptionOptions::default()).unwrap();
    MdesClient::new(&s, Signer::new(s.consumer_key.clone(), wrong), enc).unwrap()
}

/// Decrypts the pushed accounts the way MDES would.
pub fn decrypt_push(body: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(body).unwrap();
    let key = keys::load_private_key_pem_file(&fixture("test-only-encryption-key.pem")).unwrap();
    pushprov::mdes::encryption::decrypt_request(&mut v, &key).unwrap();
    v["pushFundingAccounts"]["encryptedPayload"]["encryptedData"].clone()
}
