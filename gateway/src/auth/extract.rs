//! `AuthedUser` and `AdminUser`: put one first in a handler's arguments and the §2
//! checks run before any path or body validation.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use bailiff_proto::accounts::AuthenticateRequest;
use http::request::Parts;
use matrix_status::{MatrixError, errcode};

use super::cache::{Entry, Identity, TokenHash, hash_token};
use super::token;
use crate::error::ApiError;
use crate::state::AppState;

/// The caller, authenticated by access token. Recording the request for whois happens
/// as a side effect of extracting this.
#[derive(Debug, Clone)]
pub struct AuthedUser {
    pub user_id: String,
    pub device_id: String,
    pub is_admin: bool,
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

/// `403 M_FORBIDDEN "You are not a server admin"`.
pub fn not_admin() -> ApiError {
    MatrixError::forbidden("You are not a server admin").into()
}

/// Resolves a token: cache first, then the token's tag (a token this deployment did not
/// mint is refused here, without a call), then accounts-svc. Unknown tokens that carry a
/// valid tag (logged out, user deactivated) are cached as such.
pub async fn authenticate(state: &AppState, access_token: &str) -> Result<Arc<Identity>, ApiError> {
    if access_token.is_empty() {
        return Err(MatrixError::unknown_token().into());
    }
    let hash = hash_token(access_token);
    match state.tokens.get(&hash) {
        Some(Entry::Valid(identity)) => return Ok(identity),
        Some(Entry::Unknown) => return Err(MatrixError::unknown_token().into()),
        None => {}
    }
    if !state.token_key().await?.verify(access_token) {
        return Err(MatrixError::unknown_token().into());
    }
    let generation = state.tokens.generation();
    let answer = state
        .accounts()
        .authenticate(AuthenticateRequest {
            access_token: access_token.to_owned(),
        })
        .await;
    match answer {
        Ok(response) => {
            let response = response.into_inner();
            let identity = Arc::new(Identity {
                user_id: response.user_id,
                device_id: response.device_id,
                is_admin: response.is_admin,
            });
            state
                .tokens
                .insert_if_current(hash, Entry::Valid(Arc::clone(&identity)), generation);
            Ok(identity)
        }
        Err(status) => {
            let error = MatrixError::from_status(&status);
            if error.errcode == errcode::UNKNOWN_TOKEN {
                state
                    .tokens
                    .insert_if_current(hash, Entry::Unknown, generation);
                Err(MatrixError::unknown_token().into())
            } else {
                Err(ApiError::from(status))
            }
        }
    }
}

impl FromRequestParts<AppState> for AuthedUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<AuthedUser>() {
            return Ok(user.clone());
        }
        let access_token = token::access_token(parts)?;
        let identity = authenticate(state, &access_token).await?;
        state
            .client_ips
            .record_request(parts, &identity.user_id, &identity.device_id);
        let user = AuthedUser {
            user_id: identity.user_id.clone(),
            device_id: identity.device_id.clone(),
            is_admin: identity.is_admin,
            access_token,
        };
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// An authenticated server admin; anyone else gets `403 M_FORBIDDEN`.
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthedUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = AuthedUser::from_request_parts(parts, state).await?;
        user.require_admin()?;
        Ok(Self(user))
    }
}
