//! Tower layers that carry traces across gRPC hops and count calls.
//!
//! [`ClientLayer`] writes the caller's trace context into request headers;
//! [`ServerLayer`] opens a server span parented on it and counts the call by method and
//! status code. Both apply to in-process channels too, so the embedded default produces
//! the same traces as the distributed mode.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tower::{Layer, Service};
use tracing::Instrument;

use crate::metrics;
use crate::propagation;

/// Injects the current span's trace context into every outgoing gRPC request.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientLayer;

impl<S> Layer<S> for ClientLayer {
    type Service = ClientService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ClientService { inner }
    }
}

/// See [`ClientLayer`].
#[derive(Debug, Clone)]
pub struct ClientService<S> {
    inner: S,
}

impl<S, B> Service<http::Request<B>> for ClientService<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        propagation::inject_headers(&tracing::Span::current(), request.headers_mut());
        self.inner.call(request)
    }
}

/// Opens a `grpc.server` span per call, parented on the caller's context, and records
/// the call in the `bailiff_grpc_server_*` metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerLayer;

impl<S> Layer<S> for ServerLayer {
    type Service = ServerService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ServerService { inner }
    }
}

/// See [`ServerLayer`].
#[derive(Debug, Clone)]
pub struct ServerService<S> {
    inner: S,
}

impl<S, B, ResB> Service<http::Request<B>> for ServerService<S>
where
    S: Service<http::Request<B>, Response = http::Response<ResB>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let span = tracing::info_span!(
            "grpc.server",
            otel.kind = "server",
            otel.name = %method,
            rpc.system = "grpc",
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        propagation::set_parent_from_headers(&span, request.headers());
        let trace_id = propagation::trace_id(&span);
        if !trace_id.is_empty() {
            span.record("trace_id", trace_id.as_str());
        }
        let started = Instant::now();
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(
            async move {
                let result = future.await;
                // Unary errors travel as "trailers-only" responses with grpc-status in
                // the headers; successes carry it in trailers, which means OK.
                let code = match &result {
                    Ok(response) => response
                        .headers()
                        .get("grpc-status")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<i32>().ok())
                        .unwrap_or(0),
                    Err(_) => 2,
                };
                tracing::Span::current().record("rpc.grpc.status_code", code);
                metrics::record_grpc_call(&method, code, started.elapsed());
                result
            }
            .instrument(span),
        )
    }
}
