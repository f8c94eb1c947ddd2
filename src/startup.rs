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

use crate::clock::Clock;
use crate::config::Settings;
use crate::mdes::MdesClient;
#[cfg(feature = "sandbox")]
use crate::sandbox::{DemoIssuer, SandboxKeys, SandboxSetup, SandboxState};
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
    /// The application on the system clock: what the binary runs.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// The same, reading "now" from `clock`: tests hand it a
    /// [`crate::clock::ManualClock`]'s clock to move time instead of waiting.
    pub async fn build_with_clock(mut settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let secrets = Secrets::resolve(&settings)?;
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).with_context(|| format!("cannot listen on {address}"))?;
        let port = listener.local_addr()?.port();
        // Port 0 (tests) means "any": the public URL must name the real one.
        settings.server.port = port;
        let mdes = Arc::new(mdes_client(&settings)?);
        let store = open_store(&settings, &secrets).await?.with_clock(clock);
        if settings.demo.enabled {
            crate::demo::seed_if_empty(&store).await.context("loading demo data")?;
        }
        #[cfg(feature = "sandbox")]
        let mounted = mount_sandbox(&settings, secrets.token_event_key)?;
        #[cfg(not(feature = "sandbox"))]
        let mounted: MountedRoutes = None;
        let settings = Arc::new(settings);
        let server = run(listener, settings.clone(), store.clone(), mdes.clone(), secrets, mounted)?;
        if settings.catalog.scheduled {
            tokio::spawn(crate::catalog::run_schedule(
                store.clone(),
                mdes,
                settings.catalog.clone(),
                crate::catalog::lease_owner(),
            ));
        }
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

/// The MDES client: against the mounted sandbox in the demo (its keys
/// generated at first run), else as `mdes.*` says. Keys are loaded and
/// checked here, so a bad key stops start-up with a line naming the setting.
pub fn mdes_client(settings: &Settings) -> anyhow::Result<MdesClient> {
    #[cfg(feature = "sandbox")]
    let mdes_settings = if settings.sandbox.is_enabled(settings.demo.enabled) {
        let dir = settings.sandbox.keys_dir(&settings.data_dir);
        let keys = SandboxKeys::ensure(&dir).map_err(|e| anyhow::anyhow!("sandbox keys in {}: {e}", dir.display()))?;
        settings.sandbox.portal_mdes_settings(&settings.mdes, &settings.public_url(), &keys)
    } else {
        settings.mdes.clone()
    };
    // Without the sandbox, settings that ask for it were refused when they
    // were loaded (`Settings::validate`).
    #[cfg(not(feature = "sandbox"))]
    let mdes_settings = settings.mdes.clone();
    MdesClient::from_settings(&mdes_settings).map_err(|e| anyhow::anyhow!("invalid setting {e}"))
}

/// Routes served in the portal's server beside its own: the mounted
/// sandbox's, when there is one.
type MountedRoutes = Option<Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>>;

/// The sandbox mounted in the portal's own server (when `sandbox.enabled`),
/// reached over HTTP at `{public_url}/sandbox/mdes` like Mastercard.
#[cfg(feature = "sandbox")]
fn mount_sandbox(settings: &Settings, token_event_key: [u8; 32]) -> anyhow::Result<MountedRoutes> {
    if !settings.sandbox.is_enabled(settings.demo.enabled) {
        return Ok(None);
    }
    let state = SandboxState::build(&sandbox_setup(settings, token_event_key), &settings.public_url(), false)?;
    Ok(Some(Arc::new(move |cfg: &mut web::ServiceConfig| crate::sandbox::routes(state.clone())(cfg))))
}

/// The demo issuer (`crate::demo`) as the sandbox's built-in data set serves it.
#[cfg(feature = "sandbox")]
pub fn demo_issuer() -> DemoIssuer {
    use crate::demo;
    DemoIssuer {
        credit_range: demo::CREDIT_RANGE,
        debit_range: demo::DEBIT_RANGE,
        account_range: demo::ACCOUNT_RANGE,
        qa_range: demo::QA_RANGE,
        qa_card: demo::QA_SPEC_MINIMAL_CARD,
    }
}

/// What the sandbox is handed, mounted or alone: its own settings and what
/// it needs of the portal's. The sandbox reads nothing else of the portal.
#[cfg(feature = "sandbox")]
pub fn sandbox_setup(settings: &Settings, token_event_key: [u8; 32]) -> SandboxSetup {
    let sandbox = &settings.sandbox;
    SandboxSetup {
        settings: sandbox.clone(),
        keys_dir: sandbox.keys_dir(&settings.data_dir),
        host: settings.server.host.clone(),
        token_events_url: sandbox
            .token_events_url
            .clone()
            .unwrap_or_else(|| format!("{}{}", settings.public_url(), crate::token_events::PATH)),
        token_event_key,
        issuer: demo_issuer(),
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

fn run(
    listener: TcpListener,
    settings: Arc<Settings>,
    store: Store,
    mdes: Arc<MdesClient>,
    secrets: Secrets,
    mounted: MountedRoutes,
) -> anyhow::Result<Server> {
    let key = Key::from(&secrets.cookie_key);
    let secure = settings.secure_cookies();
    // The store keeps a session for the absolute limit; the `SignedIn`
    // extractor ends it earlier when idle, so it can tell the cardholder why.
    let state_ttl = actix_web::cookie::time::Duration::seconds(
        i64::try_from(settings.session.absolute_timeout_secs.max(settings.session.idle_timeout_secs)).unwrap_or(3600),
    );
    let state = web::Data::new(AppState {
        settings: settings.clone(),
        store: store.clone(),
        mdes,
        token_event_key: secrets.token_event_key,
        sign_in_form_key: portal::csrf::sign_in::derive_key(&secrets.cookie_key),
    });
    let form_limit = settings.server.max_form_bytes;
    // Graceful shutdown (SIGTERM/SIGINT): stop accepting at once, let
    // requests in flight finish. A push in flight must be able to store its
    // answer (else its record stays `Created` and needs a resend), so wait
    // at least as long as one push attempt can take.
    let m = &settings.mdes;
    let push_secs = (m.connect_timeout_ms + m.request_timeout_ms + m.retry_backoff_ms).div_ceil(1000) + 5;
    let shutdown_secs = push_secs.max(10);
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(SqlSessionStore::new(store.clone()), key.clone())
            .cookie_name(settings.session.cookie_name.clone())
            .cookie_secure(secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .session_lifecycle(
                BrowserSession::default()
                    .state_ttl(state_ttl)
                    // The row must outlive the absolute limit, which runs from sign-in, a
                    // state change: extending it when nothing changed would be a write per
                    // page for nothing.
                    .state_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
            )
            .build();
        App::new()
            .app_data(state.clone())
            .app_data(web::FormConfig::default().limit(form_limit).error_handler(portal::csrf::form_error))
            .app_data(web::PayloadConfig::default().limit(form_limit))
            .wrap(actix_web::middleware::from_fn(portal::error::errors_to_pages))
            .wrap(portal::error_pages())
            .wrap(portal::security_headers(secure))
            .wrap(tracing_actix_web::TracingLogger::<crate::telemetry::RedactedRootSpan>::new())
            .configure(|cfg| {
                if let Some(routes) = &mounted {
                    routes(cfg);
                }
            })
            .configure(portal::routes_without_session)
            .service(
                web::scope("")
                    .wrap(actix_web::middleware::from_fn(portal::csp::with_nonce))
                    .wrap(sessions)
                    .configure(portal::routes),
            )
            .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }))
    })
    .listen(listener)?
    .shutdown_timeout(shutdown_secs)
    .run();
    Ok(server)
}
