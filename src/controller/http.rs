//! `/metrics`, `/healthz` and `/readyz` (axum).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::Leadership;
use crate::metrics::Metrics;

/// What the probes report.
#[derive(Debug)]
pub struct Health {
    /// Every cache has its first full list.
    caches_synced: AtomicBool,
    leadership: Leadership,
}

impl Health {
    pub fn new(leadership: Leadership) -> Self {
        Self {
            caches_synced: AtomicBool::new(false),
            leadership,
        }
    }

    pub fn set_synced(&self) {
        self.caches_synced.store(true, Ordering::Release);
    }

    pub fn synced(&self) -> bool {
        self.caches_synced.load(Ordering::Acquire)
    }
}

#[derive(Clone)]
struct AppState {
    metrics: Arc<Metrics>,
    health: Arc<Health>,
}

/// The router (separate from [`serve`] so tests can call it without a socket).
pub fn router(metrics: Arc<Metrics>, health: Arc<Health>) -> Router {
    Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(AppState { metrics, health })
}

async fn metrics_handler(State(s): State<AppState>) -> impl IntoResponse {
    match s.metrics.encode() {
        Ok(text) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Ready once the caches are synced, leading or not (a standby replica is ready to take
/// over; only the leader reconciles).
async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    if !s.health.synced() {
        return (StatusCode::SERVICE_UNAVAILABLE, "caches not synced yet\n");
    }
    let role = match &s.health.leadership {
        Leadership::Always => "ready\n",
        l if l.leading() => "ready (leader)\n",
        _ => "ready (standby)\n",
    };
    (StatusCode::OK, role)
}

/// Serves the router on `addr` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds `addr` (port 0 picks a free one).
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}
