//! The transport every generated gRPC client runs on (the gateway's and notices-svc's).
//!
//! `GrpcChannel`'s error type is `Box<dyn Error + Send + Sync>` itself, which trips a
//! compiler limitation (the handler futures cannot be proven `Send`: "implementation of
//! `From` is not general enough"). Wrapping the error in a concrete type avoids that;
//! the source chain is kept, so tonic still recognises connection failures
//! (`UNAVAILABLE` → `503 M_UNAVAILABLE`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::channel::GrpcChannel;
use tonic::body::Body;
use tower::{BoxError, Service};

/// A transport failure (the peer could not be reached, the connection broke, …).
#[derive(Debug)]
pub struct TransportError(pub BoxError);

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

/// What generated clients are instantiated with: `AccountsClient<Transport>`, …
#[derive(Clone)]
pub struct Transport(GrpcChannel);

impl From<GrpcChannel> for Transport {
    fn from(channel: GrpcChannel) -> Self {
        Self(channel)
    }
}

/// Wraps a channel for use by a generated client.
pub fn transport(channel: GrpcChannel) -> Transport {
    Transport(channel)
}

type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Body>, TransportError>> + Send>>;

impl Service<http::Request<Body>> for Transport {
    type Response = http::Response<Body>;
    type Error = TransportError;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx).map_err(TransportError)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let future = self.0.call(request);
        Box::pin(async move { future.await.map_err(TransportError) })
    }
}
