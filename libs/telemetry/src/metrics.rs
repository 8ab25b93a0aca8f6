//! Every Prometheus metric the system exposes, defined in one place so names, labels
//! and buckets stay consistent, plus the text encoder served on `/metrics`.

use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of HTTP request metrics: the matched route template, method and status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

/// Labels of HTTP latency: route and method.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub method: String,
}

/// Labels of gRPC call metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GrpcLabels {
    pub method: String,
    pub code: i32,
}

/// A single free-form label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: String,
}

fn latency_histogram() -> Histogram {
    // 100 µs … ~13 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 18))
}

/// All metric families of a process.
pub struct Metrics {
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_latency: Family<RouteLabels, Histogram>,
    pub grpc_calls: Family<GrpcLabels, Counter>,
    pub grpc_latency: Family<GrpcLabels, Histogram>,
    /// Token cache lookups by outcome (`hit`, `miss`, `negative_hit`).
    pub token_cache: Family<KindLabel, Counter>,
    /// Evacuation jobs currently known, by state.
    pub jobs: Family<KindLabel, Gauge>,
    /// Chunks applied by workers, by outcome (`done`, `failed`, `retried`).
    pub chunks: Family<KindLabel, Counter>,
    /// Queue entries delivered but not acknowledged.
    pub queue_pending: Gauge,
    /// Entries in the dead-letter stream.
    pub queue_dead_letters: Gauge,
    /// Database pool connections by service and state (`size`, `idle`).
    pub db_pool: Family<PoolLabels, Gauge>,
    /// Connections open on the gateway's public HTTP listener.
    pub http_open_connections: Gauge,
    /// HTTP connections closed, or requests ended, by a timeout: `header`, `idle`, `body`.
    pub http_timeouts: Family<TimeoutLabel, Counter>,
    /// Requests answered `503` at once because the in-flight limit was reached.
    pub http_requests_shed: Counter,
    /// Connections and requests refused by a limit: `connections`, `header_bytes`,
    /// `uri_bytes`.
    pub http_refusals: Family<LimitLabel, Counter>,
    registry: Mutex<Registry>,
}

/// Labels of the database pool gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    pub service: String,
    pub state: String,
}

/// Which timeout ended an HTTP connection or request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TimeoutLabel {
    pub timeout: &'static str,
}

/// Which limit refused an HTTP connection or request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabel {
    pub limit: &'static str,
}

/// The process-wide metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Self {
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let grpc_calls = Family::<GrpcLabels, Counter>::default();
        let grpc_latency = Family::<GrpcLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let token_cache = Family::<KindLabel, Counter>::default();
        let jobs = Family::<KindLabel, Gauge>::default();
        let chunks = Family::<KindLabel, Counter>::default();
        let queue_pending = Gauge::default();
        let queue_dead_letters = Gauge::default();
        let db_pool = Family::<PoolLabels, Gauge>::default();
        let http_open_connections = Gauge::default();
        let http_timeouts = Family::<TimeoutLabel, Counter>::default();
        let http_requests_shed = Counter::default();
        let http_refusals = Family::<LimitLabel, Counter>::default();

        let mut registry = Registry::with_prefix("bailiff");
        registry.register(
            "http_requests",
            "HTTP requests by route, method and status",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            http_latency.clone(),
        );
        registry.register(
            "grpc_server_calls",
            "gRPC calls served, by method and status code",
            grpc_calls.clone(),
        );
        registry.register(
            "grpc_server_duration_seconds",
            "gRPC call latency",
            grpc_latency.clone(),
        );
        registry.register(
            "token_cache_lookups",
            "Gateway token cache lookups by outcome",
            token_cache.clone(),
        );
        registry.register("evacuation_jobs", "Evacuation jobs by state", jobs.clone());
        registry.register(
            "evacuation_chunks",
            "Evacuation chunks processed by outcome",
            chunks.clone(),
        );
        registry.register(
            "queue_pending",
            "Job queue entries delivered but not acknowledged",
            queue_pending.clone(),
        );
        registry.register(
            "queue_dead_letters",
            "Entries in the job queue's dead-letter stream",
            queue_dead_letters.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections by service and state",
            db_pool.clone(),
        );
        registry.register(
            "http_open_connections",
            "Connections open on the gateway's public HTTP listener",
            http_open_connections.clone(),
        );
        registry.register(
            "http_timeouts",
            "HTTP connections or requests ended by a timeout (header, idle, body)",
            http_timeouts.clone(),
        );
        registry.register(
            "http_requests_shed",
            "HTTP requests answered 503 at once because the in-flight limit was reached",
            http_requests_shed.clone(),
        );
        registry.register(
            "http_refusals",
            "HTTP connections or requests refused by a limit (connections, header_bytes, uri_bytes)",
            http_refusals.clone(),
        );
        Self {
            http_requests,
            http_latency,
            grpc_calls,
            grpc_latency,
            token_cache,
            jobs,
            chunks,
            queue_pending,
            queue_dead_letters,
            db_pool,
            http_open_connections,
            http_timeouts,
            http_requests_shed,
            http_refusals,
            registry: Mutex::new(registry),
        }
    }

    /// The OpenMetrics text of every metric.
    pub fn encode(&self) -> String {
        let registry = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &registry).is_err() {
            text.clear();
        }
        text
    }
}

/// Counts one HTTP request.
pub fn record_http_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    METRICS
        .http_requests
        .get_or_create(&HttpLabels {
            route: route.to_owned(),
            method: method.to_owned(),
            status,
        })
        .inc();
    METRICS
        .http_latency
        .get_or_create(&RouteLabels {
            route: route.to_owned(),
            method: method.to_owned(),
        })
        .observe(elapsed.as_secs_f64());
}

/// Counts one gRPC call served.
pub fn record_grpc_call(method: &str, code: i32, elapsed: Duration) {
    let labels = GrpcLabels {
        method: method.to_owned(),
        code,
    };
    METRICS.grpc_calls.get_or_create(&labels).inc();
    METRICS
        .grpc_latency
        .get_or_create(&labels)
        .observe(elapsed.as_secs_f64());
}

/// Counts a token cache lookup (`hit`, `miss`, `negative_hit`).
pub fn record_token_cache(outcome: &str) {
    METRICS
        .token_cache
        .get_or_create(&KindLabel {
            kind: outcome.to_owned(),
        })
        .inc();
}

/// Records the size of a database pool.
pub fn record_db_pool(service: &str, size: u32, idle: usize) {
    for (state, value) in [
        ("size", i64::from(size)),
        ("idle", i64::try_from(idle).unwrap_or(i64::MAX)),
    ] {
        METRICS
            .db_pool
            .get_or_create(&PoolLabels {
                service: service.to_owned(),
                state: state.to_owned(),
            })
            .set(value);
    }
}

/// Counts an HTTP connection or request ended by a timeout (`header`, `idle`, `body`).
pub fn record_http_timeout(timeout: &'static str) {
    METRICS
        .http_timeouts
        .get_or_create(&TimeoutLabel { timeout })
        .inc();
}

/// Counts an HTTP connection or request refused by a limit (`connections`,
/// `header_bytes`, `uri_bytes`).
pub fn record_http_refusal(limit: &'static str) {
    METRICS
        .http_refusals
        .get_or_create(&LimitLabel { limit })
        .inc();
}
