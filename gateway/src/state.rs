//! What every handler can reach. Parts handlers need on their own (the authenticator)
//! are axum substates ([`FromRef`]), so the modules that use them do not depend on this
//! one.

use std::sync::Arc;

use axum::extract::FromRef;
use bailiff_config::Config;
use bailiff_proto::accounts::accounts_client::AccountsClient;
use bailiff_proto::channel::GrpcChannel;
use bailiff_proto::transport::{Transport, transport};

use crate::Deps;
use crate::auth::revocation::Forget;
use crate::auth::{Authenticator, TokenCache};
use crate::client_ip::ClientIpRecorder;
use crate::known_users::KnownUsers;
use crate::whois_cache::WhoisCache;

/// Shared state of the gateway; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    accounts: AccountsClient<Transport>,
    /// Transport to membership-svc (`Rooms`, `Evacuations`).
    pub membership: GrpcChannel,
    /// Transport to notices-svc.
    pub notices: GrpcChannel,
    /// Token resolution; shares its token cache with [`AppState::tokens`].
    pub auth: Authenticator,
    pub tokens: TokenCache,
    pub client_ips: ClientIpRecorder,
    pub whois: WhoisCache,
    pub known_users: KnownUsers,
}

impl AppState {
    pub fn new(deps: &Deps) -> Self {
        let auth = &deps.config.auth;
        let accounts = AccountsClient::new(transport(deps.accounts.clone()));
        let tokens = TokenCache::new(auth.token_cache_ttl, auth.token_cache_capacity);
        let client_ips = ClientIpRecorder::new(deps.config.trusted_proxies.clone());
        Self {
            config: Arc::clone(&deps.config),
            auth: Authenticator::new(tokens.clone(), accounts.clone(), client_ips.clone()),
            accounts,
            membership: deps.membership.clone(),
            notices: deps.notices.clone(),
            tokens,
            client_ips,
            whois: WhoisCache::new(auth.whois_cache),
            known_users: KnownUsers::default(),
        }
    }

    /// Drops what this replica cached about a user whose tokens, devices or admin flag
    /// changed.
    pub fn forget_user(&self, user_id: &str) {
        self.tokens.invalidate_user(user_id);
        self.whois.invalidate_user(user_id);
    }

    /// Drops every cached answer (the bus may have lost an invalidation).
    pub fn forget_everyone(&self) {
        self.tokens.invalidate_all();
        self.whois.invalidate_all();
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

impl Forget for AppState {
    fn forget_user(&self, user_id: &str) {
        AppState::forget_user(self, user_id);
    }

    fn forget_everyone(&self) {
        AppState::forget_everyone(self);
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}
