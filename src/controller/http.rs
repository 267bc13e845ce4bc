//! `/metrics`, `/healthz` and `/readyz` (axum).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::Leadership;
use crate::metrics::Metrics;

/// What the probes report.
#[derive(Debug, Default)]
pub struct Health {
    /// Every cache has its first full list.
    caches_synced: AtomicBool,
    /// Known once leader election (if any) has started.
    leadership: OnceLock<Leadership>,
}

impl Health {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_leadership(&self, leadership: Leadership) {
        let _ = self.leadership.set(leadership);
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
    let role = match s.health.leadership.get() {
        None | Some(Leadership::Always) => "ready\n",
        Some(l) if l.leading() => "ready (leader)\n",
        Some(_) => "ready (standby)\n",
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get(router: Router, path: &str) -> (StatusCode, String) {
        let response = router
            .oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn readyz_waits_for_the_caches_and_says_whether_leading() {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let health = Arc::new(Health::new());
        let router = router(Arc::new(Metrics::new()), health.clone());
        health.set_leadership(Leadership::Lease(rx));
        assert_eq!(
            get(router.clone(), "/readyz").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(get(router.clone(), "/healthz").await.0, StatusCode::OK);
        health.set_synced();
        assert_eq!(
            get(router.clone(), "/readyz").await,
            (StatusCode::OK, "ready (standby)\n".into())
        );
        tx.send(true).unwrap();
        assert_eq!(
            get(router, "/readyz").await,
            (StatusCode::OK, "ready (leader)\n".into())
        );
    }

    #[tokio::test]
    async fn metrics_are_served_in_the_openmetrics_format() {
        let metrics = Arc::new(Metrics::new());
        metrics.reconciled("FargateService", std::time::Duration::from_millis(30));
        metrics.failed("FargateService", "Throttled");
        let router = router(metrics, Arc::new(Health::new()));
        let (status, text) = get(router, "/metrics").await;
        assert_eq!(status, StatusCode::OK);
        for series in [
            r#"fargate_operator_reconciles_total{kind="FargateService"} 1"#,
            r#"fargate_operator_reconcile_errors_total{kind="FargateService",reason="Throttled"} 1"#,
            r#"fargate_operator_reconcile_duration_seconds_count{kind="FargateService"} 1"#,
            "# EOF",
        ] {
            assert!(text.contains(series), "{series} missing from\n{text}");
        }
    }
}
