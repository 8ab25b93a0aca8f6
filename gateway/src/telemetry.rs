//! Per-request telemetry: a server span parented on the caller's `traceparent`, and the
//! request counter and latency histogram labelled by route template (never by raw path,
//! which would explode the label set with user and room IDs).
//!
//! This is our own middleware rather than tower-http's `TraceLayer`: the layer's
//! response hooks (`OnResponse`, `OnFailure`) receive the response, the latency and the
//! span, never the request. The span's final name (`GET /route`, which the OTel export
//! and its test in `tests/operations` rely on) and the metric labels need the request's
//! method and the route template, and the template is only known once routing has
//! matched, inside the layer. With `TraceLayer` both would have to be carried out in
//! response extensions by another middleware of ours, and its default hooks would add
//! log lines (every 5xx at `ERROR`) that this service does not emit.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use bailiff_telemetry::{metrics, propagation};
use tracing::Instrument;

/// Filled in by [`note_route`] once routing has matched, read by [`trace_requests`].
#[derive(Clone, Default)]
struct RouteSlot(Arc<Mutex<Option<String>>>);

/// Outermost middleware: opens the span, times the request, counts it.
pub async fn trace_requests(mut request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let slot = RouteSlot::default();
    request.extensions_mut().insert(slot.clone());
    let span = tracing::info_span!(
        "http.server",
        otel.kind = "server",
        http.request.method = %method,
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        trace_id = tracing::field::Empty,
    );
    propagation::set_parent_from_headers(&span, request.headers());
    let trace_id = propagation::trace_id(&span);
    if !trace_id.is_empty() {
        span.record("trace_id", trace_id.as_str());
    }
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let route = slot
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16();
    propagation::rename(&span, format!("{method} {route}"));
    span.record("http.route", route.as_str());
    span.record("http.response.status_code", status);
    let elapsed = started.elapsed();
    metrics::record_http_request(&route, &method, status, elapsed);
    // An access log line inside the span, so it carries the trace ID. Paths are not
    // logged: they may hold user IDs, and query strings may hold access tokens.
    span.in_scope(|| {
        tracing::debug!(
            status,
            elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "request"
        );
    });
    response
}

/// Route-level middleware: remembers which route template matched.
pub async fn note_route(request: Request, next: Next) -> Response {
    if let (Some(path), Some(slot)) = (
        request.extensions().get::<MatchedPath>(),
        request.extensions().get::<RouteSlot>(),
    ) {
        *slot
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(path.as_str().to_owned());
    }
    next.run(request).await
}
