//! The internal HTTP listener of every process: `/metrics` (Prometheus text),
//! `/livez` and `/readyz`. It is never the public port, so scrapes and probes do not
//! compete with client traffic or leak operational detail to clients.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Whether this process should receive traffic. Turns false first on shutdown, and
/// while a dependency (database, Redis) is unreachable.
#[derive(Debug, Default)]
pub struct Readiness {
    shutting_down: AtomicBool,
    dependencies_down: AtomicBool,
}

impl Readiness {
    /// True when the process should receive traffic.
    pub fn is_ready(&self) -> bool {
        !self.shutting_down.load(Ordering::Acquire)
            && !self.dependencies_down.load(Ordering::Acquire)
    }

    /// Marks the process as draining; it never becomes ready again.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
    }

    /// Records the latest dependency check.
    pub fn set_dependencies_up(&self, up: bool) {
        self.dependencies_down.store(!up, Ordering::Release);
    }
}

/// Serves the internal endpoints until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    readiness: Arc<Readiness>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/livez", get(|| async { (StatusCode::OK, "ok\n") }))
        .route("/readyz", get(ready))
        .with_state(readiness);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

async fn metrics() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        bailiff_telemetry::metrics::METRICS.encode(),
    )
}

async fn ready(State(readiness): State<Arc<Readiness>>) -> impl IntoResponse {
    if readiness.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}
