//! The roles a process can run, and the one table that says how to start each service
//! role: adding a service is one entry in [`SERVICES`].

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;

use bailiff_config::{Config, RoleConfig};
use bailiff_database::Database;
use bailiff_proto::channel::{self, GrpcChannel};
use futures::FutureExt;
use futures::future::BoxFuture;
use replica_bus::ReplicaBus;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A part of the system that can run as its own process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Role {
    /// The public HTTP edge.
    Gateway,
    /// accounts-svc over gRPC.
    Accounts,
    /// membership-svc over gRPC.
    Membership,
    /// notices-svc over gRPC.
    Notices,
}

impl Role {
    /// Every role: what a process runs when none is named.
    pub const ALL: [Role; 4] = [
        Role::Gateway,
        Role::Accounts,
        Role::Membership,
        Role::Notices,
    ];

    /// The name used on the command line, in logs and in health reports.
    pub fn name(self) -> &'static str {
        match self {
            Role::Gateway => "gateway",
            Role::Accounts => "accounts",
            Role::Membership => "membership",
            Role::Notices => "notices",
        }
    }
}

/// What the process hands a service role when it starts it.
pub(crate) struct ServiceContext {
    pub config: Arc<Config>,
    pub db: Database,
    pub bus: ReplicaBus,
    /// Channels to the other service roles: in process when they run here (started
    /// earlier in [`SERVICES`]), over the network when they do not.
    pub peers: Peers,
    pub tasks: TaskTracker,
    pub shutdown: CancellationToken,
}

/// Channels to service roles: in process for those started here, lazily connected
/// network channels to the configured addresses for the others.
#[derive(Clone)]
pub(crate) struct Peers {
    config: Arc<Config>,
    local: BTreeMap<Role, GrpcChannel>,
}

impl Peers {
    pub fn new(config: Arc<Config>) -> Self {
        Self {
            config,
            local: BTreeMap::new(),
        }
    }

    /// Records a role started in this process.
    pub fn insert_local(&mut self, role: Role, channel: GrpcChannel) {
        self.local.insert(role, channel);
    }

    /// The channel to `role`.
    pub fn channel(&self, role: Role) -> anyhow::Result<GrpcChannel> {
        if let Some(channel) = self.local.get(&role) {
            return Ok(channel.clone());
        }
        let Some(service) = service(role) else {
            anyhow::bail!("the {} serves no gRPC", role.name());
        };
        let address = &(service.endpoint)(&self.config).address;
        channel::connect_lazy(address)
            .with_context(|| format!("bad {} address {address:?}", role.name()))
    }
}

/// How the composition root starts, serves, reaches and migrates one service role.
pub(crate) struct ServiceRole {
    pub role: Role,
    /// Fully qualified gRPC service names, for health reporting.
    pub grpc_names: &'static [&'static str],
    /// Its configuration section: where it listens, where other processes reach it.
    pub endpoint: fn(&Config) -> &RoleConfig,
    /// Migrates, starts background work on the context's tracker, returns the routes.
    pub start: fn(ServiceContext) -> BoxFuture<'static, anyhow::Result<tonic::service::Routes>>,
    /// Applies its migrations (for `bailiff migrate`).
    pub migrate: for<'a> fn(&'a Database) -> BoxFuture<'a, Result<(), sqlx::Error>>,
}

/// Every service role, in start order: a role comes after the roles it calls, so they
/// are reachable in process when they run here.
pub(crate) static SERVICES: [ServiceRole; 3] = [
    ServiceRole {
        role: Role::Accounts,
        grpc_names: &["matrix.admin.accounts.v1.Accounts"],
        endpoint: |config| &config.accounts,
        start: |cx| async move { Ok(accounts_svc::start(cx.into()).await?) }.boxed(),
        migrate: |db| accounts_svc::migrate(db).boxed(),
    },
    ServiceRole {
        role: Role::Membership,
        grpc_names: &[
            "matrix.admin.membership.v1.Rooms",
            "matrix.admin.membership.v1.Evacuations",
        ],
        endpoint: |config| &config.membership,
        start: |cx| async move { Ok(membership_svc::start(cx.into()).await?) }.boxed(),
        migrate: |db| membership_svc::migrate(db).boxed(),
    },
    ServiceRole {
        role: Role::Notices,
        grpc_names: &["matrix.admin.notices.v1.Notices"],
        endpoint: |config| &config.notices,
        start: |cx| {
            async move {
                let membership = cx.peers.channel(Role::Membership)?;
                Ok(notices_svc::start(notices_svc::Deps {
                    config: cx.config,
                    db: cx.db,
                    membership,
                    tasks: cx.tasks,
                    shutdown: cx.shutdown,
                })
                .await?)
            }
            .boxed()
        },
        migrate: |db| notices_svc::migrate(db).boxed(),
    },
];

/// The table entry of a service role; `None` for the gateway.
pub(crate) fn service(role: Role) -> Option<&'static ServiceRole> {
    SERVICES.iter().find(|service| service.role == role)
}

impl From<ServiceContext> for accounts_svc::Deps {
    fn from(cx: ServiceContext) -> Self {
        Self {
            config: cx.config,
            db: cx.db,
            bus: cx.bus,
            tasks: cx.tasks,
            shutdown: cx.shutdown,
        }
    }
}

impl From<ServiceContext> for membership_svc::Deps {
    fn from(cx: ServiceContext) -> Self {
        Self {
            config: cx.config,
            db: cx.db,
            bus: cx.bus,
            tasks: cx.tasks,
            shutdown: cx.shutdown,
        }
    }
}
