//! What every handler can reach.

use std::sync::Arc;

use access_token::TokenKey;
use bailiff_config::Config;
use bailiff_proto::accounts::TokenKeyRequest;
use bailiff_proto::accounts::accounts_client::AccountsClient;
use bailiff_proto::channel::GrpcChannel;
use matrix_status::MatrixError;
use tokio::sync::OnceCell;

use bailiff_proto::transport::{Transport, transport};

use crate::Deps;
use crate::auth::TokenCache;
use crate::client_ip::ClientIpRecorder;
use crate::error::ApiError;
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
    pub tokens: TokenCache,
    pub client_ips: ClientIpRecorder,
    pub whois: WhoisCache,
    pub known_users: KnownUsers,
    /// Fetched from accounts-svc on first use; it never changes for a deployment.
    token_key: Arc<OnceCell<TokenKey>>,
}

impl AppState {
    pub fn new(deps: &Deps) -> Self {
        let auth = &deps.config.auth;
        Self {
            config: Arc::clone(&deps.config),
            accounts: AccountsClient::new(transport(deps.accounts.clone())),
            membership: deps.membership.clone(),
            notices: deps.notices.clone(),
            tokens: TokenCache::new(auth.token_cache_ttl, auth.token_cache_capacity),
            client_ips: ClientIpRecorder::new(deps.config.trusted_proxies.clone()),
            whois: WhoisCache::new(auth.whois_cache),
            known_users: KnownUsers::default(),
            token_key: Arc::default(),
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

    /// The key that tells tokens minted by this deployment from made-up ones. The first
    /// call asks accounts-svc; if that fails, the request fails as any call to an
    /// unreachable accounts-svc does, and the next call asks again.
    pub async fn token_key(&self) -> Result<&TokenKey, ApiError> {
        self.token_key
            .get_or_try_init(|| async {
                let reply = self.accounts().token_key(TokenKeyRequest {}).await?;
                TokenKey::from_bytes(&reply.into_inner().key).map_err(|error| {
                    tracing::error!(%error, "accounts-svc sent an unusable token key");
                    ApiError::from(MatrixError::internal())
                })
            })
            .await
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
