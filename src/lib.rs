//! The composition root: starts any set of roles in this process, wires each to the
//! others in-process when they share it and over gRPC when they do not.
//!
//! Layout: `roles` holds the role table, `running` owns the started tasks and
//! their shutdown, `grpc` serves a service role on the network, [`health`] and
//! [`internal`] drive probes and metrics, [`register_user`] is the operator command.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use bailiff_config::Config;
use bailiff_database::Database;
use bailiff_proto::channel;
use replica_bus::ReplicaBus;
use tokio::net::TcpListener;

mod grpc;
pub mod health;
pub mod internal;
pub mod register_user;
mod roles;
mod running;

pub use roles::Role;
pub use running::Running;

use internal::Readiness;
use roles::{Peers, SERVICES, ServiceContext};
use running::Supervisor;

/// Starts `roles` (all of them when empty). Listeners bind before this returns, so
/// port 0 in the configuration yields a real port in [`Running`].
pub async fn start(config: Config, roles: &[Role]) -> anyhow::Result<Running> {
    let roles: Vec<Role> = if roles.is_empty() {
        Role::ALL.to_vec()
    } else {
        roles.to_vec()
    };
    let supervisor = Supervisor::default();
    let readiness = Arc::new(Readiness::default());
    let mut running = Running {
        http_addr: None,
        grpc_addrs: BTreeMap::new(),
        internal_addr: None,
        readiness,
        supervisor,
    };
    match wire(Arc::new(config), &roles, &mut running).await {
        Ok(()) => Ok(running),
        Err(error) => {
            running.supervisor.abandon();
            Err(error)
        }
    }
}

/// Starts every role in `roles` and the listeners, recording addresses in `running`.
async fn wire(config: Arc<Config>, roles: &[Role], running: &mut Running) -> anyhow::Result<()> {
    let supervisor = running.supervisor.clone();
    let readiness = Arc::clone(&running.readiness);
    let everything_here = Role::ALL.iter().all(|r| roles.contains(r));

    let bus = match &config.redis.url {
        Some(url) => ReplicaBus::redis(
            url,
            &config.redis.key_prefix,
            &supervisor.plumbing,
            supervisor.plumbing_stop.clone(),
        )
        .await
        .context("connecting the replica bus to Redis")?,
        None => ReplicaBus::in_process(),
    };
    let redis_client = match &config.redis.url {
        Some(url) => Some(redis::Client::open(url.as_str()).context("bad redis.url")?),
        None => None,
    };

    // Each service role: start it, keep an in-process channel for local callers, and
    // serve it on the network unless the whole system is in this process.
    let mut peers = Peers::new(Arc::clone(&config));
    let mut watched: Vec<health::Dependencies> = Vec::new();
    for service in SERVICES.iter().filter(|s| roles.contains(&s.role)) {
        let name = service.role.name();
        let db = open_database(&config).await?;
        let routes = (service.start)(ServiceContext {
            config: Arc::clone(&config),
            db: db.clone(),
            bus: bus.clone(),
            peers: peers.clone(),
            tasks: supervisor.roles.clone(),
            shutdown: supervisor.shutdown.clone(),
        })
        .await
        .with_context(|| format!("starting {name}"))?;
        peers.insert_local(service.role, channel::in_process(routes.clone()));
        let dependencies = health::Dependencies {
            service: name,
            db,
            redis: redis_client.clone(),
        };
        if everything_here {
            watched.push(dependencies);
        } else {
            let listen = (service.endpoint)(&config).listen;
            let addr = grpc::serve(
                &supervisor,
                service,
                listen,
                routes,
                dependencies,
                &readiness,
            )
            .await?;
            running.grpc_addrs.insert(service.role, addr);
        }
    }

    if roles.contains(&Role::Gateway) {
        let listener = TcpListener::bind(config.listen.http)
            .await
            .with_context(|| format!("binding the HTTP listener on {}", config.listen.http))?;
        running.http_addr = Some(listener.local_addr()?);
        let deps = gateway::Deps {
            config: Arc::clone(&config),
            accounts: peers.channel(Role::Accounts)?,
            membership: peers.channel(Role::Membership)?,
            notices: peers.channel(Role::Notices)?,
            bus: bus.clone(),
            tasks: supervisor.roles.clone(),
        };
        let token = supervisor.shutdown.clone();
        supervisor.spawn_server(async move {
            gateway::serve(deps, listener, token)
                .await
                .context("gateway")
        });
    }

    // Roles served in-process share one watcher that drives readiness only.
    if !watched.is_empty() {
        supervisor.roles.spawn(health::watch(
            watched,
            None,
            Arc::clone(&readiness),
            supervisor.shutdown.clone(),
        ));
    }

    if let Some(addr) = config.listen.internal {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the internal listener on {addr}"))?;
        running.internal_addr = Some(listener.local_addr()?);
        let token = supervisor.shutdown.clone();
        supervisor.spawn_server(async move {
            internal::serve(listener, readiness, token)
                .await
                .context("internal listener")
        });
    }
    Ok(())
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
    tokio::select! {
        // A role failed and took the others down.
        result = running.wait() => return result,
        () = wait_for_signal() => {}
    }
    tracing::info!("shutting down");
    running.stop_within(grace).await
}

/// Applies every service's migrations.
pub async fn migrate_all(config: &Config) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    for service in &SERVICES {
        (service.migrate)(&db)
            .await
            .with_context(|| format!("{} migrations", service.role.name()))?;
    }
    Ok(())
}

async fn open_database(config: &Config) -> anyhow::Result<Database> {
    Database::connect(&config.database.url, config.database.pool_size())
        .await
        .context("opening the database")
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = ctrl_c.await;
            return;
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
