//! The composition root: starts any set of roles in this process, wires each to the
//! others in-process when they share it and over gRPC when they do not.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use bailiff_config::Config;
use bailiff_database::Database;
use bailiff_proto::channel::{self, GrpcChannel};
use futures::FutureExt;
use lingering_close::LingeringClose;
use replica_bus::ReplicaBus;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub mod health;
pub mod internal;
pub mod register_user;

use internal::Readiness;

/// A part of the system that can run as its own process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Role {
    Gateway,
    Accounts,
    Membership,
    Notices,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Gateway,
        Role::Accounts,
        Role::Membership,
        Role::Notices,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Gateway => "gateway",
            Role::Accounts => "accounts",
            Role::Membership => "membership",
            Role::Notices => "notices",
        }
    }
}

/// A started set of roles. Dropping it does not stop them: call [`Running::stop`].
pub struct Running {
    /// Where the gateway's public HTTP listener is bound, if this process runs it.
    pub http_addr: Option<SocketAddr>,
    /// Where each gRPC role listens, for roles served over the network.
    pub grpc_addrs: BTreeMap<Role, SocketAddr>,
    /// Where `/metrics`, `/livez` and `/readyz` are served, if enabled.
    pub internal_addr: Option<SocketAddr>,
    readiness: Arc<Readiness>,
    shutdown: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
}

impl Running {
    /// The token that stops every role when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until every role has stopped (after the token is cancelled, or on a fault).
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut result = Ok(());
        while let Some(joined) = self.tasks.join_next().await {
            let outcome = joined.context("role task panicked").and_then(|r| r);
            if let Err(error) = outcome {
                tracing::error!(error = %format!("{error:#}"), "role stopped with an error");
                // One role failing takes the process down, so an orchestrator restarts it.
                self.shutdown.cancel();
                if result.is_ok() {
                    result = Err(error);
                }
            }
        }
        result
    }

    /// Turns readiness and gRPC health off, then cancels every role: listeners stop
    /// accepting, in-flight requests finish, workers leave unfinished chunks to others.
    pub fn begin_shutdown(&self) {
        self.readiness.begin_shutdown();
        self.shutdown.cancel();
    }

    /// Shuts down and waits for every role.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.begin_shutdown();
        self.wait().await
    }
}

/// Starts `roles` (all of them when empty). Listeners bind before this returns, so
/// port 0 in the configuration yields a real port in [`Running`].
pub async fn start(config: Config, roles: &[Role]) -> anyhow::Result<Running> {
    let roles: Vec<Role> = if roles.is_empty() {
        Role::ALL.to_vec()
    } else {
        roles.to_vec()
    };
    let everything_here = Role::ALL.iter().all(|r| roles.contains(r));
    let config = Arc::new(config);
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let mut grpc_addrs = BTreeMap::new();

    let bus = match &config.redis.url {
        Some(url) => ReplicaBus::redis(url, &config.redis.key_prefix)
            .await
            .context("connecting the replica bus to Redis")?,
        None => ReplicaBus::in_process(),
    };

    // Each service role: build its routes, serve them on the network unless the whole
    // system is in this process, and keep an in-process channel for local callers.
    let mut local: BTreeMap<Role, GrpcChannel> = BTreeMap::new();
    let readiness = Arc::new(Readiness::default());
    let redis_client = match &config.redis.url {
        Some(url) => Some(redis::Client::open(url.as_str()).context("bad redis.url")?),
        None => None,
    };
    let mut watched: Vec<health::Dependencies> = Vec::new();

    if roles.contains(&Role::Accounts) {
        let db = open_database(&config).await?;
        let deps = health::Dependencies {
            service: "accounts",
            db: db.clone(),
            redis: redis_client.clone(),
        };
        let routes = accounts_svc::start(accounts_svc::Deps {
            config: Arc::clone(&config),
            db,
            bus: bus.clone(),
            shutdown: shutdown.clone(),
        })
        .await
        .context("starting accounts")?;
        local.insert(Role::Accounts, channel::in_process(routes.clone()));
        if !everything_here {
            let addr = serve_grpc(
                &mut tasks,
                Role::Accounts,
                config.accounts.listen,
                routes,
                deps,
                &readiness,
                &shutdown,
            )
            .await?;
            grpc_addrs.insert(Role::Accounts, addr);
        } else {
            watched.push(deps);
        }
    }

    if roles.contains(&Role::Membership) {
        let db = open_database(&config).await?;
        let deps = health::Dependencies {
            service: "membership",
            db: db.clone(),
            redis: redis_client.clone(),
        };
        let routes = membership_svc::start(membership_svc::Deps {
            config: Arc::clone(&config),
            db,
            bus: bus.clone(),
            shutdown: shutdown.clone(),
        })
        .await
        .context("starting membership")?;
        local.insert(Role::Membership, channel::in_process(routes.clone()));
        if !everything_here {
            let addr = serve_grpc(
                &mut tasks,
                Role::Membership,
                config.membership.listen,
                routes,
                deps,
                &readiness,
                &shutdown,
            )
            .await?;
            grpc_addrs.insert(Role::Membership, addr);
        } else {
            watched.push(deps);
        }
    }

    if roles.contains(&Role::Notices) {
        let db = open_database(&config).await?;
        let membership = channel_to(&local, &config, Role::Membership)?;
        let deps = health::Dependencies {
            service: "notices",
            db: db.clone(),
            redis: redis_client.clone(),
        };
        let routes = notices_svc::start(notices_svc::Deps {
            config: Arc::clone(&config),
            db,
            membership,
            shutdown: shutdown.clone(),
        })
        .await
        .context("starting notices")?;
        local.insert(Role::Notices, channel::in_process(routes.clone()));
        if !everything_here {
            let addr = serve_grpc(
                &mut tasks,
                Role::Notices,
                config.notices.listen,
                routes,
                deps,
                &readiness,
                &shutdown,
            )
            .await?;
            grpc_addrs.insert(Role::Notices, addr);
        } else {
            watched.push(deps);
        }
    }

    let mut http_addr = None;
    if roles.contains(&Role::Gateway) {
        let listener = TcpListener::bind(config.listen.http)
            .await
            .with_context(|| format!("binding the HTTP listener on {}", config.listen.http))?;
        http_addr = Some(listener.local_addr()?);
        let deps = gateway::Deps {
            config: Arc::clone(&config),
            accounts: channel_to(&local, &config, Role::Accounts)?,
            membership: channel_to(&local, &config, Role::Membership)?,
            notices: channel_to(&local, &config, Role::Notices)?,
            bus: bus.clone(),
        };
        let token = shutdown.clone();
        tasks.spawn(async move {
            gateway::serve(deps, listener, token)
                .await
                .context("gateway")
        });
    }

    // Roles served in-process share one watcher that drives readiness only.
    if !watched.is_empty() {
        tasks.spawn(health::watch(watched, None, Arc::clone(&readiness), shutdown.clone()).map(Ok));
    }

    let mut internal_addr = None;
    if let Some(addr) = config.listen.internal {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the internal listener on {addr}"))?;
        internal_addr = Some(listener.local_addr()?);
        let readiness = Arc::clone(&readiness);
        let token = shutdown.clone();
        tasks.spawn(async move {
            internal::serve(listener, readiness, token)
                .await
                .context("internal listener")
        });
    }

    Ok(Running {
        http_addr,
        grpc_addrs,
        internal_addr,
        readiness,
        shutdown,
        tasks,
    })
}

/// Runs `roles` until SIGTERM or Ctrl-C, then shuts down within the grace period.
pub async fn serve_until_signal(config: Config, roles: &[Role]) -> anyhow::Result<()> {
    let grace = config.shutdown.grace_period;
    let running = start(config, roles).await?;
    if let Some(addr) = running.http_addr {
        tracing::info!(%addr, "gateway listening");
    }
    for (role, addr) in &running.grpc_addrs {
        tracing::info!(role = role.name(), %addr, "gRPC listening");
    }
    let readiness = Arc::clone(&running.readiness);
    let token = running.shutdown_token();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        readiness.begin_shutdown();
        token.cancel();
        // A role that does not finish within the grace period is abandoned.
        tokio::time::sleep(grace).await;
        tracing::warn!("grace period over; exiting");
        std::process::exit(1);
    });
    running.wait().await
}

/// Applies every service's migrations.
pub async fn migrate_all(config: &Config) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    accounts_svc::migrate(&db)
        .await
        .context("accounts migrations")?;
    membership_svc::migrate(&db)
        .await
        .context("membership migrations")?;
    notices_svc::migrate(&db)
        .await
        .context("notices migrations")?;
    Ok(())
}

async fn open_database(config: &Config) -> anyhow::Result<Database> {
    Database::connect(&config.database.url, config.database.pool_size())
        .await
        .context("opening the database")
}

fn channel_to(
    local: &BTreeMap<Role, GrpcChannel>,
    config: &Config,
    role: Role,
) -> anyhow::Result<GrpcChannel> {
    if let Some(channel) = local.get(&role) {
        return Ok(channel.clone());
    }
    let address = match role {
        Role::Accounts => &config.accounts.address,
        Role::Membership => &config.membership.address,
        Role::Notices => &config.notices.address,
        Role::Gateway => anyhow::bail!("the gateway serves no gRPC"),
    };
    channel::connect_lazy(address)
        .with_context(|| format!("bad {} address {address:?}", role.name()))
}

/// Serves a role's gRPC routes, with health and reflection, on `listen`, and watches
/// its dependencies to keep health current.
#[allow(clippy::too_many_arguments)]
async fn serve_grpc(
    tasks: &mut JoinSet<anyhow::Result<()>>,
    role: Role,
    listen: SocketAddr,
    routes: tonic::service::Routes,
    deps: health::Dependencies,
    readiness: &Arc<Readiness>,
    shutdown: &CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {} gRPC on {listen}", role.name()))?;
    let addr = listener.local_addr()?;
    let (reporter, health) = tonic_health::server::health_reporter();
    tasks.spawn(
        health::watch(
            vec![deps],
            Some((reporter, service_names(role))),
            Arc::clone(readiness),
            shutdown.clone(),
        )
        .map(Ok),
    );
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(bailiff_proto::FILE_DESCRIPTOR_SET)
        .build_v1()
        .context("building gRPC reflection")?;
    let token = shutdown.clone();
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
    tasks.spawn(async move {
        tonic::transport::Server::builder()
            .layer(bailiff_telemetry::grpc::ServerLayer)
            .add_routes(routes)
            .add_service(health)
            .add_service(reflection)
            .serve_with_incoming_shutdown(incoming, token.cancelled_owned())
            .await
            .with_context(|| format!("{} gRPC server", role.name()))
    });
    Ok(addr)
}

/// Fully qualified gRPC service names a role serves, for health reporting.
fn service_names(role: Role) -> &'static [&'static str] {
    match role {
        Role::Accounts => &["matrix.admin.accounts.v1.Accounts"],
        Role::Membership => &[
            "matrix.admin.membership.v1.Rooms",
            "matrix.admin.membership.v1.Evacuations",
        ],
        Role::Notices => &["matrix.admin.notices.v1.Notices"],
        Role::Gateway => &[],
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
