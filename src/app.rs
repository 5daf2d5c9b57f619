//! The application: its state, its router, and `serve` on a listener the
//! caller binds (tests bind `127.0.0.1:0`).

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::clock::SharedClock;
use crate::metrics::Metrics;
use crate::store::Db;

/// Settings that are not business data.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Mark cookies `Secure`. On by default; browsers accept secure cookies on
    /// `http://localhost` and `http://127.0.0.1` too.
    pub secure_cookies: bool,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Public lookups per client address per minute.
    pub lookups_per_ip: u32,
    /// Public lookups per tenant per minute, all clients together.
    pub lookups_per_tenant: u32,
    /// How often the background worker looks for due work, besides being
    /// woken by each new webhook.
    pub worker_interval_ms: u64,
    /// How long a node may hold a claimed provider event before another
    /// node (or this one after a restart) takes it again. Longer than one
    /// provider call with its timeout.
    pub event_lease_s: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            secure_cookies: true,
            trusted_proxies: vec![],
            lookups_per_ip: 30,
            lookups_per_tenant: 600,
            worker_interval_ms: 1000,
            event_lease_s: 60,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<crate::http::rate_limit::RateLimiter>,
    /// Wakes the background worker (a new provider event arrived).
    pub worker_wake: Arc<tokio::sync::Notify>,
    /// Stores verified provider events, many per transaction under load.
    pub intake: crate::collect::intake::Intake,
    /// The tenants' webhook secrets, kept a few seconds.
    pub webhook_secrets: Arc<crate::http::webhooks::SecretsCache>,
}

impl AppState {
    pub fn new(db: Db, clock: SharedClock, settings: Settings) -> AppState {
        let worker_wake: Arc<tokio::sync::Notify> = Arc::default();
        let intake = crate::collect::intake::Intake::start(db.clone(), clock.clone(), worker_wake.clone());
        AppState {
            db,
            clock,
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::default()),
            limiter: Arc::default(),
            worker_wake,
            intake,
            webhook_secrets: Arc::default(),
        }
    }

    pub fn wake_worker(&self) {
        self.worker_wake.notify_one();
    }
}

/// Serves, with the background worker, until `shutdown` resolves, then
/// finishes the requests in flight and stops the worker.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(crate::collect::worker::run(state.clone(), stopped));
    let app = crate::http::router(state);
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = stop.send(true);
    let _ = worker.await;
    served
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
