//! The per-request limits of the edge, as a layer inside CORS so that each refusal is a
//! Matrix error with the CORS headers (`docs/http-api.md` §1, "Limits of the edge"):
//! - the path and query over `http.max_uri_bytes`: `414 M_TOO_LARGE`;
//! - the header fields over `http.max_header_bytes`: `431 M_TOO_LARGE`;
//! - `http.max_in_flight_requests` requests already in progress: `503 M_UNAVAILABLE`
//!   with `Retry-After`, at once. Nothing queues: a request either takes a slot or is
//!   answered. The slot is held until the handler has answered, body read included, so
//!   the bodies held in memory are bounded too.
//!
//! Both size checks apply to HTTP/1 and HTTP/2 alike; hyper and h2 only enforce the
//! larger hard bound of `super::EdgeSettings::head_buffer_bytes`.
//!
//! A hand-written tower layer, not `axum::middleware::from_fn`, so the hot path pays
//! for no boxed future: a semaphore permit and a walk over the header map.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use bailiff_telemetry::metrics::{self, METRICS};
use http::HeaderMap;
use pin_project_lite::pin_project;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::{Layer, Service};

use super::EdgeSettings;
use super::responses;
use crate::error::ApiError;

/// The size a header map counts for against `http.max_header_bytes`: each field's
/// name and value, plus the four bytes (`": "`, CRLF) that carry them in HTTP/1.
pub fn header_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum()
}

/// The size a request target counts for against `http.max_uri_bytes`: its path and
/// query.
pub fn uri_bytes(uri: &http::Uri) -> usize {
    uri.path_and_query()
        .map_or(0, |path_and_query| path_and_query.as_str().len())
}

/// Applies the per-request limits; see the module docs.
#[derive(Debug, Clone)]
pub struct EdgeLimitsLayer {
    in_flight: Arc<Semaphore>,
    max_header_bytes: usize,
    max_uri_bytes: usize,
}

impl EdgeLimitsLayer {
    pub fn new(settings: &EdgeSettings) -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight_requests)),
            max_header_bytes: settings.max_header_bytes,
            max_uri_bytes: settings.max_uri_bytes,
        }
    }
}

impl<S> Layer<S> for EdgeLimitsLayer {
    type Service = EdgeLimits<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EdgeLimits {
            inner,
            limits: self.clone(),
        }
    }
}

/// The service of [`EdgeLimitsLayer`].
#[derive(Debug, Clone)]
pub struct EdgeLimits<S> {
    inner: S,
    limits: EdgeLimitsLayer,
}

/// Why a request is refused before it reaches the body reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    UriTooLong,
    HeadersTooLarge,
    Shed,
}

impl Refusal {
    /// Counts the refusal and renders its Matrix error.
    fn into_response(self) -> Response {
        match self {
            Self::UriTooLong => {
                metrics::record_http_refusal("uri_bytes");
                ApiError(responses::uri_too_long()).into_response()
            }
            Self::HeadersTooLarge => {
                metrics::record_http_refusal("header_bytes");
                ApiError(responses::headers_too_large()).into_response()
            }
            Self::Shed => {
                METRICS.http_requests_shed.inc();
                responses::shed_response()
            }
        }
    }
}

impl<S> EdgeLimits<S> {
    /// The refusal `request` earns, if any, or its in-flight slot.
    fn admit(&self, request: &Request) -> Result<OwnedSemaphorePermit, Refusal> {
        if uri_bytes(request.uri()) > self.limits.max_uri_bytes {
            return Err(Refusal::UriTooLong);
        }
        if header_bytes(request.headers()) > self.limits.max_header_bytes {
            return Err(Refusal::HeadersTooLarge);
        }
        Arc::clone(&self.limits.in_flight)
            .try_acquire_owned()
            .map_err(|_| Refusal::Shed)
    }
}

impl<S> Service<Request> for EdgeLimits<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EdgeLimitsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.admit(&request) {
            Ok(permit) => EdgeLimitsFuture::Admitted {
                inner: self.inner.call(request),
                permit: Some(permit),
            },
            Err(refusal) => EdgeLimitsFuture::Refused {
                refusal: Some(refusal.into_response()),
            },
        }
    }
}

pin_project! {
    /// The answer of [`EdgeLimits`]: the inner service's, holding its in-flight slot, or
    /// a refusal.
    #[project = EdgeLimitsProjection]
    pub enum EdgeLimitsFuture<F> {
        Admitted {
            #[pin]
            inner: F,
            permit: Option<OwnedSemaphorePermit>,
        },
        Refused {
            refusal: Option<Response>,
        },
    }
}

impl<F> Future for EdgeLimitsFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            EdgeLimitsProjection::Admitted { inner, permit } => {
                let response = std::task::ready!(inner.poll(cx));
                permit.take();
                Poll::Ready(response)
            }
            EdgeLimitsProjection::Refused { refusal } => {
                Poll::Ready(Ok(refusal.take().unwrap_or_default()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_what_the_limits_say() {
        let mut headers = HeaderMap::new();
        headers.insert("host", http::HeaderValue::from_static("example.org"));
        assert_eq!(header_bytes(&headers), 4 + 11 + 4);
        let uri: http::Uri = "/a/b?c=d".parse().unwrap_or_default();
        assert_eq!(uri_bytes(&uri), 8);
        let absolute: http::Uri = "http://example.org/a?b".parse().unwrap_or_default();
        assert_eq!(uri_bytes(&absolute), 4);
    }
}
