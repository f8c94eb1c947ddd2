//! Driving the built-in sandbox: Mastercard's official Python libraries
//! (`scripts/golden/sandbox_client.py`) for the proof, our own signer and
//! encryptor where a test needs many calls or a hand-made mistake.

use pushprov::config::Settings;
use pushprov::mdes::encryption::{EncryptionOptions, Encryptor};
use pushprov::mdes::keys;
use pushprov::mdes::oauth::Signer;
use pushprov::sandbox::SandboxKeys;
use serde_json::{Value, json};

use crate::helpers::{Engine, TestApp, spawn_app_with};

pub struct Sandbox {
    pub app: TestApp,
    pub keys: SandboxKeys,
    pub signer: Signer,
    pub encryptor: Encryptor,
}

pub async fn sandbox_app() -> Sandbox {
    sandbox_app_with(|_| {}).await
}

pub async fn sandbox_app_with(customise: impl FnOnce(&mut Settings)) -> Sandbox {
    let app = spawn_app_with(Engine::Sqlite, |s| {
        // The catalogue's start-up refresh would add calls of its own.
        s.catalog.scheduled = false;
        customise(s)
    })
    .await;
    let dir = app.settings.sandbox.keys_dir(&app.settings.data_dir);
    let keys = SandboxKeys::ensure(&dir).expect("sandbox keys");
    let signer = Signer::new(
        app.settings.sandbox.consumer_key.clone(),
        keys::load_private_key_pem_file(&keys.issuer_signing.private_key).unwrap(),
    );
    let cert = keys::load_encryption_key("test", &keys.encryption.certificate).unwrap();
    let encryptor = Encryptor::new(&cert, EncryptionOptions::default()).unwrap();
    Sandbox { app, keys, signer, encryptor }
}

pub fn account(id: &str, pan: &str) -> Value {
    json!({"pushAccountId": id, "fundingAccountData": {"cardAccountData":
        {"accountNumber": pan, "expiryMonth": "12", "expiryYear": "30"}}})
}

pub fn push_request(trid: &str, accounts: Vec<Value>) -> Value {
    json!({
        "requestId": uuid::Uuid::new_v4().to_string(),
        "tokenRequestorId": trid,
        "pushFundingAccounts": {"encryptedPayload": {"encryptedData": accounts}},
        "signatureData": {"callbackURL": "https://bank.example/push/callback?ref=abc123",
            "locale": "en_US", "completeWebsiteActivation": true, "accountHolderDataSupplied": false}
    })
}

pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Sandbox {
    pub fn mdes_url(&self, op: &str) -> String {
        format!("{}/sandbox/mdes{op}", self.app.address)
    }

    /// Sends `body` with the given Authorization header (None: no header).
    pub async fn send(&self, method: &str, op: &str, auth: Option<&str>, body: Vec<u8>) -> Answer {
        let mut req = self
            .app
            .client
            .request(method.parse().unwrap(), self.mdes_url(op))
            .header("content-type", "application/json")
            .body(body);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        Answer { status, body }
    }

    /// Signed with our signer (the official one is proven in other tests).
    pub async fn call(&self, method: &str, op: &str, body: Vec<u8>) -> Answer {
        let auth = self.signer.authorization_header(method, &self.mdes_url(op), &body).unwrap();
        self.send(method, op, Some(&auth), body).await
    }

    /// Encrypts with our encryptor and sends a pushMultipleAccounts.
    pub async fn push(&self, mut request: Value) -> Answer {
        self.encryptor.encrypt_request(&mut request).unwrap();
        self.call("POST", "/connect/1/0/pushMultipleAccounts", serde_json::to_vec(&request).unwrap()).await
    }

    /// Runs `sandbox_client.py` (Mastercard's libraries) and returns what it printed.
    pub async fn official(&self, method: &str, op: &str, request: Option<Value>, extra: &[&str]) -> Value {
        let mut args: Vec<String> = vec![
            "--url".into(),
            self.mdes_url(op),
            "--method".into(),
            method.into(),
            "--consumer-key".into(),
            self.app.settings.sandbox.consumer_key.clone(),
            "--signing-key".into(),
            self.keys.issuer_signing.private_key.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let stdin = request.map(|r| r.to_string()).unwrap_or_default();
        tokio::task::spawn_blocking(move || python_client(&args, &stdin)).await.unwrap()
    }

    pub fn encryption_cert(&self) -> String {
        self.keys.encryption.certificate.display().to_string()
    }
}

/// Fails (never skips) when python3 or Mastercard's packages are missing:
/// `scripts/test` installs them.
pub fn python_client(args: &[String], stdin: &str) -> Value {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::golden::run("sandbox_client.py", &args, &std::env::current_dir().expect("current folder"), stdin)
}

/// The first error of either error shape: (source, reasonCode).
pub fn first_error(body: &Value) -> (String, String) {
    let e = body
        .pointer("/Errors/Error/0")
        .map(|e| (e["Source"].as_str().unwrap_or("").to_string(), e["ReasonCode"].as_str().unwrap_or("").to_string()))
        .or_else(|| {
            body.pointer("/errors/0")
                .map(|e| (e["source"].as_str().unwrap_or("").to_string(), e["reasonCode"].as_str().unwrap_or("").to_string()))
        });
    e.unwrap_or_else(|| panic!("no error in {body}"))
}
