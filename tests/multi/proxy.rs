//! A tiny HTTP proxy on 127.0.0.1 the test controls: each request goes to
//! the target the test last named (the round-robin switch between portal
//! instances), and it can count and hold pushes (the MDES stand-in).

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Control {
    target: Mutex<String>,
    /// requestId of every pushMultipleAccounts received, in order.
    pushes: Mutex<Vec<String>>,
    /// Hold every push (never answer it) while true.
    hold_pushes: Mutex<bool>,
    /// Which target served each request: (path, target).
    served: Mutex<Vec<(String, String)>>,
    /// Hold every push's ANSWER (forwarded, answered by the sandbox, not yet
    /// returned to the portal) while true; its receipts are kept here.
    hold_answers: tokio::sync::watch::Sender<bool>,
    receipts: Mutex<Vec<String>>,
    /// A fault for requests whose path contains the first string.
    fault: Mutex<Option<(String, Fault)>>,
}

#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Never answer (the caller times out).
    Hang,
    /// Answer this status with an empty body, as a load balancer in front
    /// of MDES would.
    Status(u16),
}

#[derive(Clone)]
pub struct Proxy {
    pub url: String,
    pub control: Arc<Control>,
    handle: Arc<Mutex<Option<actix_web::dev::ServerHandle>>>,
}

impl Proxy {
    pub async fn start() -> Proxy {
        let control = Arc::new(Control::default());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let proxy = Proxy { url, control, handle: Arc::new(Mutex::new(None)) };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: std::net::TcpListener) {
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(0).build().unwrap();
        let state = self.control.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::from(state.clone()))
                .app_data(web::Data::new(client.clone()))
                .app_data(web::PayloadConfig::default().limit(1 << 20))
                .default_service(web::to(forward))
        })
        .workers(2)
        .shutdown_timeout(0)
        .listen(listener)
        .unwrap()
        .run();
        *self.handle.lock().unwrap() = Some(server.handle());
        tokio::spawn(server);
    }

    /// Closes the port: connections are refused until [`Proxy::reopen`].
    pub async fn close(&self) {
        let handle = self.handle.lock().unwrap().take();
        if let Some(handle) = handle {
            handle.stop(false).await;
        }
    }

    pub async fn reopen(&self) {
        let address = self.url.trim_start_matches("http://").to_string();
        self.serve(std::net::TcpListener::bind(address).unwrap());
    }

    pub fn hold_answers(&self, hold: bool) {
        self.control.hold_answers.send_replace(hold);
    }

    /// Receipts seen in push answers.
    pub fn receipts(&self) -> Vec<String> {
        self.control.receipts.lock().unwrap().clone()
    }

    /// Requests whose path contains `op` meet `fault` (None: no fault).
    pub fn fault(&self, op: &str, fault: Option<Fault>) {
        *self.control.fault.lock().unwrap() = fault.map(|f| (op.to_string(), f));
    }

    /// From now on, new requests go to `target` (`http://127.0.0.1:port`).
    pub fn route_to(&self, target: &str) {
        *self.control.target.lock().unwrap() = target.to_string();
    }

    pub fn hold_pushes(&self, hold: bool) {
        *self.control.hold_pushes.lock().unwrap() = hold;
    }

    pub fn pushes(&self) -> Vec<String> {
        self.control.pushes.lock().unwrap().clone()
    }

    /// Distinct requestIds pushed: the number of pushes MDES would count.
    pub fn distinct_pushes(&self) -> usize {
        let mut ids = self.pushes();
        ids.sort();
        ids.dedup();
        ids.len()
    }

    /// The targets that served requests for exactly `path`.
    pub fn served_exactly(&self, path: &str) -> Vec<String> {
        self.control.served.lock().unwrap().iter().filter(|(p, _)| p == path).map(|(_, t)| t.clone()).collect()
    }

    /// The targets that served requests whose path starts with `prefix`.
    pub fn served(&self, prefix: &str) -> Vec<String> {
        self.control.served.lock().unwrap().iter().filter(|(p, _)| p.starts_with(prefix)).map(|(_, t)| t.clone()).collect()
    }
}

/// Every answer closes its connection: no caller keeps an idle connection
/// to the proxy in its pool, so once [`Proxy::close`] returns the very next
/// call is refused (no waiting for pools to notice).
async fn forward(
    req: HttpRequest,
    body: web::Bytes,
    control: web::Data<Control>,
    client: web::Data<reqwest::Client>,
) -> HttpResponse {
    let mut response = relay(req, body, control, client).await;
    response.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
    response
}

async fn relay(
    req: HttpRequest,
    body: web::Bytes,
    control: web::Data<Control>,
    client: web::Data<reqwest::Client>,
) -> HttpResponse {
    let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
    if path.ends_with("/pushMultipleAccounts") {
        let id = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["requestId"].as_str().map(str::to_string))
            .unwrap_or_default();
        control.pushes.lock().unwrap().push(id);
        if *control.hold_pushes.lock().unwrap() {
            // Never answered: the caller's own timeout ends it.
            return std::future::pending().await;
        }
    }
    let fault = control.fault.lock().unwrap().clone().filter(|(op, _)| path.contains(op.as_str()));
    match fault.map(|(_, f)| f) {
        Some(Fault::Hang) => return std::future::pending().await,
        Some(Fault::Status(status)) => {
            return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish();
        }
        None => {}
    }
    let target = control.target.lock().unwrap().clone();
    control.served.lock().unwrap().push((path.clone(), target.clone()));
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap();
    let mut out = client.request(method, format!("{target}{path}"));
    for (name, value) in req.headers() {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            out = out.header(name.as_str(), value.as_bytes());
        }
    }
    let answer = match out.body(body.to_vec()).send().await {
        Ok(answer) => answer,
        Err(_) => return HttpResponse::BadGateway().body("proxy: target unreachable"),
    };
    let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(answer.status().as_u16()).unwrap());
    for (name, value) in answer.headers() {
        if !matches!(name.as_str(), "content-length" | "transfer-encoding" | "connection") {
            response.append_header((name.as_str(), value.as_bytes()));
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    if path.ends_with("/pushMultipleAccounts") {
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let issued = json["pushAccountReceipts"].as_array().cloned().unwrap_or_default();
        let issued = issued.iter().filter_map(|r| r["pushAccountReceipt"].as_str().map(str::to_string));
        control.receipts.lock().unwrap().extend(issued);
        let mut held = control.hold_answers.subscribe();
        let _ = held.wait_for(|hold| !hold).await;
    }
    response.body(bytes)
}
