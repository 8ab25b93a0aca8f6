//! Serving a service role on the network: its routes plus gRPC health and reflection.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use lingering_close::LingeringClose;
use tokio::net::TcpListener;

use crate::health;
use crate::internal::Readiness;
use crate::roles::ServiceRole;
use crate::running::Supervisor;

/// Binds `service`'s listener, serves `routes` with health and reflection on it, and
/// watches the role's dependencies to keep health current; both run on the role tracker.
pub(crate) async fn serve(
    supervisor: &Supervisor,
    service: &'static ServiceRole,
    listen: SocketAddr,
    routes: tonic::service::Routes,
    dependencies: health::Dependencies,
    readiness: &Arc<Readiness>,
) -> anyhow::Result<SocketAddr> {
    let name = service.role.name();
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {name} gRPC on {listen}"))?;
    let addr = listener.local_addr()?;
    let (reporter, health) = tonic_health::server::health_reporter();
    supervisor.roles.spawn(health::watch(
        vec![dependencies],
        Some((reporter, service.grpc_names)),
        Arc::clone(readiness),
        supervisor.shutdown.clone(),
    ));
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(bailiff_proto::FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("building gRPC reflection")?;
    let token = supervisor.shutdown.clone();
    // Nagle's algorithm on accepted sockets (tonic only sets TCP_NODELAY on listeners it
    // binds itself) delays small responses by up to a delayed-ACK period (~40 ms) when a
    // client has one call in flight at a time.
    // Each connection closes lingering, so a draining server's last answers are not
    // reset away by a stream the client opened before it saw the GOAWAY.
    let incoming = tokio_stream::StreamExt::map(
        tokio_stream::wrappers::TcpListenerStream::new(listener),
        |stream| {
            stream.map(|stream| {
                let _ = stream.set_nodelay(true);
                LingeringClose::new(stream)
            })
        },
    );
    supervisor.spawn_server(async move {
        tonic::transport::Server::builder()
            .layer(bailiff_telemetry::grpc::ServerLayer)
            .add_routes(routes)
            .add_service(health)
            .add_service(reflection)
            .serve_with_incoming_shutdown(incoming, token.cancelled_owned())
            .await
            .with_context(|| format!("{name} gRPC server"))
    });
    Ok(addr)
}
