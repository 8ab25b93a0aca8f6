//! W3C trace context in and out of carriers we own: HTTP/gRPC headers and the string
//! maps stored inside queue entries.

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::header::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes the context of `span` into outgoing headers (`traceparent`, `tracestate`).
pub fn inject_headers(span: &tracing::Span, headers: &mut http::HeaderMap) {
    let context = span.context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut HeaderInjector(headers));
    });
}

/// Makes `span` a child of the context carried by incoming headers, if any.
pub fn set_parent_from_headers(span: &tracing::Span, headers: &http::HeaderMap) {
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(headers))
    });
    let _ = span.set_parent(parent);
}

/// The context of `span` as a string map, to store inside a queue entry.
pub fn context_map(span: &tracing::Span) -> HashMap<String, String> {
    let context = span.context();
    let mut map = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut map);
    });
    map
}

/// Makes `span` a child of a context stored by [`context_map`].
pub fn set_parent_from_map(span: &tracing::Span, map: &HashMap<String, String>) {
    let parent =
        opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(map));
    let _ = span.set_parent(parent);
}

/// The trace ID of `span` as 32 hex characters, for logs and error reports; empty when
/// the span is not sampled or telemetry is not initialised.
pub fn trace_id(span: &tracing::Span) -> String {
    use opentelemetry::trace::TraceContextExt;
    let context = span.context();
    let span_context = context.span().span_context().clone();
    if span_context.is_valid() {
        span_context.trace_id().to_string()
    } else {
        String::new()
    }
}

/// Renames the exported span once it has started (tracing-opentelemetry applies
/// `otel.name` only before the span starts, and an HTTP span's route is known later).
pub fn rename(span: &tracing::Span, name: String) {
    use opentelemetry::trace::TraceContextExt;
    span.context().span().update_name(name);
}
