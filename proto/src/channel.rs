//! One client transport type for every service, whether it runs in this process or
//! behind the network.
//!
//! The embedded default plugs a service's generated server straight into its client, so
//! requests still pass through prost encoding, `tonic::Status` and any layers, but skip
//! HTTP/2 and TCP. The distributed mode uses a real `tonic::transport::Channel`. Callers
//! see the same `GrpcChannel` either way.

use std::convert::Infallible;
use std::time::Duration;

use bailiff_telemetry::grpc::{ClientLayer, ServerLayer};

use crate::refused::RetryRefusedLayer;
use tonic::body::Body;
use tower::util::BoxCloneSyncService;
use tower::{BoxError, Layer, Service, ServiceExt};

/// A cloneable, thread-safe gRPC transport usable by every generated client.
pub type GrpcChannel = BoxCloneSyncService<http::Request<Body>, http::Response<Body>, BoxError>;

/// Wraps a generated server (e.g. `AccountsServer<T>`) so a client can call it in-process.
/// The trace and metrics layers of a network hop apply here too.
pub fn in_process<S>(server: S) -> GrpcChannel
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let service = ClientLayer.layer(ServerLayer.layer(server));
    BoxCloneSyncService::new(service.map_err(|never| match never {}))
}

/// A network channel to `address` (e.g. `http://127.0.0.1:9001`) that connects lazily
/// and reconnects on its own, so a service that starts later is picked up. Calls a
/// draining server refused unread are sent again (see [`crate::refused`]).
pub fn connect_lazy(address: &str) -> Result<GrpcChannel, tonic::transport::Error> {
    let channel = tonic::transport::Endpoint::from_shared(address.to_owned())?
        .connect_timeout(Duration::from_secs(2))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(20))
        .keep_alive_while_idle(true)
        .connect_lazy();
    Ok(BoxCloneSyncService::new(
        ClientLayer
            .layer(RetryRefusedLayer.layer(channel))
            .map_err(BoxError::from),
    ))
}
