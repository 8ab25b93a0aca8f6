//! What every handler can reach.

use std::sync::Arc;
use std::time::Duration;

use bailiff_config::Config;
use bailiff_proto::accounts::accounts_client::AccountsClient;
use bailiff_proto::channel::GrpcChannel;

use crate::grpc::{Transport, transport};

use crate::Deps;
use crate::auth::TokenCache;
use crate::client_ip::ClientIpRecorder;

/// Shared state of the gateway; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    accounts: AccountsClient<Transport>,
    /// Transport to membership-svc (`Rooms`, `Evacuations`).
    pub membership: GrpcChannel,
    /// Transport to notices-svc.
    pub notices: GrpcChannel,
    pub tokens: TokenCache,
    pub client_ips: ClientIpRecorder,
}

impl AppState {
    pub fn new(deps: &Deps) -> Self {
        let auth = &deps.config.auth;
        Self {
            config: Arc::clone(&deps.config),
            accounts: AccountsClient::new(transport(deps.accounts.clone())),
            membership: deps.membership.clone(),
            notices: deps.notices.clone(),
            tokens: TokenCache::new(
                Duration::from_millis(auth.token_cache_ttl_ms),
                auth.token_cache_capacity,
            ),
            client_ips: ClientIpRecorder::new(deps.config.trusted_proxy_networks()),
        }
    }

    /// A client for accounts-svc.
    pub fn accounts(&self) -> AccountsClient<Transport> {
        self.accounts.clone()
    }

    /// This server's name.
    pub fn server_name(&self) -> &str {
        &self.config.server_name
    }
}
