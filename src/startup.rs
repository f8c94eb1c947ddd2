//! Building the application from settings: storage, secrets, demo data,
//! and the HTTP server. Tests call [`Application::build`] with port 0.

use std::net::TcpListener;
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, TtlExtensionPolicy};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::config::Settings;
use crate::secrets::Secrets;
use crate::store::{SqlSessionStore, Store, Vault};
use crate::web::error::AppError;
use crate::web::{self as portal, AppState};

pub struct Application {
    port: u16,
    server: Server,
    store: Store,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let secrets = Secrets::resolve(&settings)?;
        let store = open_store(&settings, &secrets).await?;
        if settings.demo.enabled {
            crate::demo::seed_if_empty(&store).await.context("loading demo data")?;
        }
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).with_context(|| format!("cannot listen on {address}"))?;
        let port = listener.local_addr()?.port();
        let server = run(listener, Arc::new(settings), store.clone(), secrets)?;
        Ok(Self { port, server, store })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The store, for tests that inspect what a request changed.
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Connects and migrates the database.
pub async fn open_store(settings: &Settings, secrets: &Secrets) -> anyhow::Result<Store> {
    let url = settings.database_url();
    let store = Store::connect(&url, settings.database.max_connections, Vault::new(&secrets.account_number_key))
        .await
        .context("cannot open the database (setting database.url)")?;
    store.migrate().await.context("database migration failed")?;
    Ok(store)
}

fn run(listener: TcpListener, settings: Arc<Settings>, store: Store, secrets: Secrets) -> anyhow::Result<Server> {
    let key = Key::from(&secrets.cookie_key);
    let secure = settings.secure_cookies();
    // The store keeps a session for the absolute limit; the `SignedIn`
    // extractor ends it earlier when idle, so it can tell the cardholder why.
    let state_ttl = actix_web::cookie::time::Duration::seconds(
        i64::try_from(settings.session.absolute_timeout_secs.max(settings.session.idle_timeout_secs))
            .unwrap_or(3600),
    );
    let state = web::Data::new(AppState { settings: settings.clone(), store: store.clone() });
    let form_limit = settings.server.max_form_bytes;
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(SqlSessionStore::new(store.clone()), key.clone())
            .cookie_name(settings.session.cookie_name.clone())
            .cookie_secure(secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .session_lifecycle(
                BrowserSession::default()
                    .state_ttl(state_ttl)
                    .state_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
            )
            .build();
        App::new()
            .app_data(state.clone())
            .app_data(web::FormConfig::default().limit(form_limit).error_handler(portal::csrf::form_error))
            .app_data(web::PayloadConfig::default().limit(form_limit))
            .wrap(sessions)
            .wrap(actix_web::middleware::from_fn(portal::error::errors_to_pages))
            .wrap(portal::error_pages())
            .wrap(portal::security_headers(secure))
            .wrap(tracing_actix_web::TracingLogger::default())
            .configure(portal::routes)
            .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }))
    })
    .listen(listener)?
    .shutdown_timeout(10)
    .run();
    Ok(server)
}
