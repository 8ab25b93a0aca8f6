//! `AuthedUser` and `AdminUser`: put one first in a handler's arguments and the checks of
//! `docs/http-api.md` ("Authentication") run before any path or body validation.

use std::sync::Arc;

use access_token::TokenKey;
use axum::extract::{FromRef, FromRequestParts};
use bailiff_proto::accounts::AuthenticateRequest;
use bailiff_proto::accounts::TokenKeyRequest;
use bailiff_proto::accounts::accounts_client::AccountsClient;
use bailiff_proto::transport::Transport;
use http::request::Parts;
use matrix_status::{MatrixError, errcode};
use ruma_common::{OwnedUserId, UserId};
use tokio::sync::OnceCell;

use super::cache::{Entry, Identity, TokenCache, TokenHash, hash_token};
use super::token;
use crate::client_ip::ClientIpRecorder;
use crate::error::ApiError;

/// What authentication needs: the token cache, the deployment's token key, accounts-svc
/// and the whois sighting recorder. Handlers reach it through axum's `FromRef`, so this
/// module does not depend on the application state. Cheap to clone (one `Arc`), as every
/// request does.
#[derive(Clone)]
pub struct Authenticator(Arc<Shared>);

struct Shared {
    tokens: TokenCache,
    accounts: AccountsClient<Transport>,
    client_ips: ClientIpRecorder,
    /// Fetched from accounts-svc on first use; it never changes for a deployment.
    token_key: OnceCell<TokenKey>,
}

impl Authenticator {
    /// An authenticator over `tokens` (shared with whoever invalidates them).
    pub fn new(
        tokens: TokenCache,
        accounts: AccountsClient<Transport>,
        client_ips: ClientIpRecorder,
    ) -> Self {
        Self(Arc::new(Shared {
            tokens,
            accounts,
            client_ips,
            token_key: OnceCell::new(),
        }))
    }

    /// The key that tells tokens minted by this deployment from made-up ones. The first
    /// call asks accounts-svc; if that fails, the request fails as any call to an
    /// unreachable accounts-svc does, and the next call asks again.
    pub async fn token_key(&self) -> Result<&TokenKey, ApiError> {
        self.0
            .token_key
            .get_or_try_init(|| async {
                let reply = self
                    .0
                    .accounts
                    .clone()
                    .token_key(TokenKeyRequest {})
                    .await?;
                TokenKey::from_bytes(&reply.into_inner().key).map_err(|error| {
                    tracing::error!(%error, "accounts-svc sent an unusable token key");
                    ApiError::from(MatrixError::internal())
                })
            })
            .await
    }

    /// Resolves a token: cache first, then the token's tag (a token this deployment did
    /// not mint is refused here, without a call), then accounts-svc. Unknown tokens that
    /// carry a valid tag (logged out, user deactivated) are cached as such.
    pub async fn authenticate(&self, access_token: &str) -> Result<Arc<Identity>, ApiError> {
        if access_token.is_empty() {
            return Err(MatrixError::unknown_token().into());
        }
        let hash = hash_token(access_token);
        match self.0.tokens.get(&hash) {
            Some(Entry::Valid(identity)) => return Ok(identity),
            Some(Entry::Unknown) => return Err(MatrixError::unknown_token().into()),
            None => {}
        }
        if !self.token_key().await?.verify(access_token) {
            return Err(MatrixError::unknown_token().into());
        }
        let generation = self.0.tokens.generation();
        let answer = self
            .0
            .accounts
            .clone()
            .authenticate(AuthenticateRequest {
                access_token: access_token.to_owned(),
            })
            .await;
        match answer {
            Ok(response) => {
                let response = response.into_inner();
                let user_id = UserId::parse(&response.user_id).map_err(|error| {
                    tracing::error!(%error, "accounts-svc sent an invalid user ID");
                    ApiError::from(MatrixError::internal())
                })?;
                let identity = Arc::new(Identity {
                    user_id,
                    device_id: response.device_id,
                    is_admin: response.is_admin,
                    locked: response.locked,
                    suspended: response.suspended,
                });
                self.0.tokens.insert_if_current(
                    hash,
                    Entry::Valid(Arc::clone(&identity)),
                    generation,
                );
                Ok(identity)
            }
            Err(status) => {
                let error = MatrixError::from_status(&status);
                if error.errcode == errcode::UNKNOWN_TOKEN {
                    self.0
                        .tokens
                        .insert_if_current(hash, Entry::Unknown, generation);
                    Err(MatrixError::unknown_token().into())
                } else {
                    Err(ApiError::from(status))
                }
            }
        }
    }
}

/// The caller, authenticated by access token. Recording the request for whois happens
/// as a side effect of extracting this.
#[derive(Debug, Clone)]
pub struct AuthedUser {
    pub user_id: OwnedUserId,
    pub device_id: String,
    pub is_admin: bool,
    /// Suspended (MSC3823): may read, may not act; see [`AuthedUser::refuse_if_suspended`].
    pub suspended: bool,
    access_token: String,
}

impl AuthedUser {
    /// The token this request carried (needed to log it out).
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// The token's cache key.
    pub fn token_hash(&self) -> TokenHash {
        hash_token(&self.access_token)
    }

    /// `403 M_FORBIDDEN` unless the caller is a server admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin {
            Ok(())
        } else {
            Err(not_admin())
        }
    }
}

/// `401 M_USER_LOCKED "User account has been locked"`, `soft_logout: true` (MSC3939).
pub fn user_locked() -> ApiError {
    MatrixError::new(401, errcode::USER_LOCKED, "User account has been locked")
        .with_extra("soft_logout", serde_json::Value::Bool(true))
        .into()
}

/// `403 M_FORBIDDEN "You are not a server admin"`.
pub fn not_admin() -> ApiError {
    MatrixError::forbidden("You are not a server admin").into()
}

impl<S> FromRequestParts<S> for AuthedUser
where
    S: Send + Sync,
    Authenticator: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<AuthedUser>() {
            return Ok(user.clone());
        }
        let auth = Authenticator::from_ref(state);
        let access_token = token::access_token(parts)?;
        let identity = auth.authenticate(&access_token).await?;
        // `docs/http-api.md` §7: a locked user (admin or not) is refused on every
        // authenticated request, with `soft_logout` so clients keep their session.
        if identity.locked {
            return Err(user_locked());
        }
        auth.0
            .client_ips
            .record_request(parts, identity.user_id.as_str(), &identity.device_id);
        let user = AuthedUser {
            user_id: identity.user_id.clone(),
            device_id: identity.device_id.clone(),
            is_admin: identity.is_admin,
            suspended: identity.suspended,
            access_token,
        };
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// An authenticated server admin; anyone else gets `403 M_FORBIDDEN`.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthedUser);

impl<S> FromRequestParts<S> for AdminUser
where
    S: Send + Sync,
    Authenticator: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let user = AuthedUser::from_request_parts(parts, state).await?;
        user.require_admin()?;
        Ok(Self(user))
    }
}
