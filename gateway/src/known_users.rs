//! Local users known to exist. Accounts are never deleted (deactivation keeps the row),
//! so "this user exists" stays true once accounts-svc has said it, and checks that only
//! need existence (the target of a server notice or of a password reset) can skip the
//! call after the first.
//! Only positive answers are kept: a user registered a moment after a refusal must be
//! found at once.

use bailiff_proto::accounts::GetUserRequest;
use bailiff_proto::accounts::accounts_client::AccountsClient;
use bailiff_proto::transport::Transport;
use matrix_status::{MatrixError, errcode};
use ruma_common::UserId;

use crate::error::ApiError;

/// Users remembered per gateway; beyond this the least recently used are asked again.
const CAPACITY: u64 = 100_000;

/// The set; cheap to clone.
#[derive(Clone)]
pub struct KnownUsers(moka::sync::Cache<String, ()>);

impl Default for KnownUsers {
    fn default() -> Self {
        Self(moka::sync::Cache::new(CAPACITY))
    }
}

impl KnownUsers {
    /// `Ok` when `user_id` (a local user) exists; `unknown()` when accounts-svc does not
    /// know it (each endpoint words that refusal its own way); any other failure as is.
    pub async fn require(
        &self,
        accounts: &AccountsClient<Transport>,
        user_id: &UserId,
        unknown: impl FnOnce() -> MatrixError,
    ) -> Result<(), ApiError> {
        if self.0.contains_key(user_id.as_str()) {
            return Ok(());
        }
        let answer = accounts
            .clone()
            .get_user(GetUserRequest {
                user_id: user_id.to_string(),
            })
            .await;
        match answer {
            Ok(_) => {
                self.0.insert(user_id.to_string(), ());
                Ok(())
            }
            Err(status) => {
                let error = ApiError::from(status);
                Err(if error.0.errcode == errcode::NOT_FOUND {
                    unknown().into()
                } else {
                    error
                })
            }
        }
    }
}
