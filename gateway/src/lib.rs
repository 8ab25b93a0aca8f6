//! The HTTP gateway: authenticates tokens, parses and validates requests, forwards them
//! over gRPC to the services, and renders Matrix errors.
//!
//! Layout: [`error`] renders errors; [`extract`] parses bodies, path parameters and
//! identifiers; [`edge`] accepts connections and holds slow or greedy clients to the
//! limits of the `http` configuration; [`auth`] resolves tokens; [`client_ip`] records sightings for whois;
//! [`cors`] adds CORS headers; [`routes`] holds one file per endpoint and the route table.

use std::sync::Arc;

use axum::Router;
use bailiff_config::Config;
use bailiff_proto::channel::GrpcChannel;
use replica_bus::ReplicaBus;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub mod auth;
pub mod client_ip;
pub mod cors;
pub mod drain;
pub mod edge;
pub mod error;
pub mod extract;
pub mod generation;
pub mod known_users;
pub mod mac;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod telemetry;
pub mod whois_cache;

pub use mac::registration_mac;
pub use state::AppState;

/// What the gateway needs from the process that hosts it.
pub struct Deps {
    /// Listener settings, auth rules, CORS and the limits of every endpoint.
    pub config: Arc<Config>,
    /// accounts-svc: users, devices, tokens, whois.
    pub accounts: GrpcChannel,
    /// membership-svc: rooms, events, sync, evacuations.
    pub membership: GrpcChannel,
    /// notices-svc: server notices.
    pub notices: GrpcChannel,
    /// Token revocations and `/sync` wake-ups arrive here.
    pub bus: ReplicaBus,
    /// Owns the revocation watcher and the client-IP flusher, so the process waits for
    /// them on shutdown.
    pub tasks: TaskTracker,
}

/// The complete HTTP application: routes, Matrix fallbacks for unknown paths and
/// methods, the edge's per-request limits, and CORS on every response.
///
/// From the outside in: telemetry, credentialed CORS, the CORS headers, the edge limits
/// (414, 431, shedding: inside CORS, so their refusals carry the headers), the body
/// reader (its 408 too), the `OPTIONS` answer, the routes.
pub fn app(state: AppState, settings: &edge::EdgeSettings) -> Router {
    let credential_origins =
        cors::CredentialOrigins::new(&state.config.cors.allow_credentials_origins);
    routes::router()
        .route_layer(axum::middleware::from_fn(telemetry::note_route))
        .method_not_allowed_fallback(error::method_not_allowed_fallback)
        .fallback(error::not_found_fallback)
        .layer(axum::middleware::from_fn(cors::answer_options))
        .layer(axum::middleware::from_fn_with_state(
            extract::body::BodyReadTimeout(settings.body_read_timeout),
            extract::body::buffer_body,
        ))
        .layer(edge::limits::EdgeLimitsLayer::new(settings))
        .layer(cors::headers())
        .layer(axum::middleware::from_fn_with_state(
            credential_origins,
            cors::allow_credentials,
        ))
        .layer(axum::middleware::from_fn(telemetry::trace_requests))
        .with_state(state)
}

/// Serves HTTP on `listener` until `shutdown` is cancelled and connections have
/// stopped arriving ([`drain`]), then lets in-flight requests finish.
pub async fn serve(
    deps: Deps,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let state = AppState::new(&deps);
    let background = CancellationToken::new();

    // Subscribe before serving, so no revocation published from now on is missed.
    let revocations = deps.bus.subscribe(auth::revocation::AUTH_TOPIC);
    let watcher = deps.tasks.spawn(auth::revocation::watch(
        revocations,
        state.clone(),
        background.clone(),
    ));
    let flusher = deps.tasks.spawn(state.client_ips.clone().run_flusher(
        state.accounts(),
        state.whois.clone(),
        deps.config.auth.client_ip_flush,
        background.clone(),
    ));

    // `/.well-known/matrix/client` announces the bound address when no public URL is set.
    let settings = edge::EdgeSettings::new(&deps.config.http);
    let mut router = app(state, &settings);
    if let Ok(addr) = listener.local_addr() {
        router = router.layer(axum::Extension(
            routes::ui_compat::well_known::ListenerAddr(addr),
        ));
    }
    let result = edge::listener::serve(listener, router, &settings, shutdown).await;

    // Requests are done: flush what they recorded, then stop the helpers.
    background.cancel();
    let _ = flusher.await;
    let _ = watcher.await;
    result
}
