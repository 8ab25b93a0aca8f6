//! Resends a call that a server refused without reading it.
//!
//! A service pod that is shutting down answers the calls it has already accepted and
//! refuses newer streams on the same HTTP/2 connection with `GOAWAY` (or resets them with
//! `REFUSED_STREAM`). HTTP/2 guarantees such a stream was never processed, so it is safe
//! to send again: the channel reconnects, and behind a Kubernetes Service the new
//! connection lands on a replica that is still serving. Without this, every rolling
//! restart of a service would surface as 500s at the gateway.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use tonic::body::Body;
use tower::{BoxError, Layer, Service, ServiceExt};

/// How many times one call is sent at most.
const ATTEMPTS: usize = 4;

/// Wraps a channel so refused calls are sent again; see the module docs.
#[derive(Clone, Copy, Debug, Default)]
pub struct RetryRefusedLayer;

impl<S> Layer<S> for RetryRefusedLayer {
    type Service = RetryRefused<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryRefused { inner }
    }
}

/// The service made by [`RetryRefusedLayer`].
#[derive(Clone, Debug)]
pub struct RetryRefused<S> {
    inner: S,
}

impl<S> Service<http::Request<Body>> for RetryRefused<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The ready clone serves the first attempt; later attempts wait for readiness.
        let clone = self.inner.clone();
        let first = std::mem::replace(&mut self.inner, clone);
        Box::pin(send_until_accepted(first, request))
    }
}

async fn send_until_accepted<S>(
    mut service: S,
    request: http::Request<Body>,
) -> Result<http::Response<Body>, BoxError>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Error: Into<BoxError>,
{
    let (parts, body) = request.into_parts();
    // Every call here is unary, so its body is one small encoded message; holding it is
    // what makes a resend possible.
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(status) => return Err(BoxError::from(status)),
    };
    let mut attempt = 0;
    loop {
        let request = http::Request::from_parts(parts.clone(), Body::new(Full::new(bytes.clone())));
        let error: BoxError = match service.call(request).await {
            Ok(response) => return Ok(response),
            Err(error) => error.into(),
        };
        attempt += 1;
        if !was_refused(error.as_ref()) {
            return Err(error);
        }
        if attempt == ATTEMPTS {
            let status =
                tonic::Status::unavailable("the service refused the call while shutting down");
            return Err(BoxError::from(status));
        }
        tokio::time::sleep(Duration::from_millis(10 * attempt as u64)).await;
        if let Err(error) = service.ready().await {
            return Err(error.into());
        }
    }
}

/// True when the error chain holds an HTTP/2 refusal that guarantees the server never
/// processed the stream: a graceful `GOAWAY` the peer sent, or `REFUSED_STREAM`.
fn was_refused(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(h2) = error.downcast_ref::<h2::Error>() {
            return match h2.reason() {
                Some(h2::Reason::REFUSED_STREAM) => true,
                Some(h2::Reason::NO_ERROR) => h2.is_go_away() && h2.is_remote(),
                _ => false,
            };
        }
        current = error.source();
    }
    false
}
