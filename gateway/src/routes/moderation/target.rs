//! The check order the spec's moderation endpoints share (`docs/http-api.md` §9), and
//! the write both flags go through.
//!
//! The caller is an admin before anything is looked up (the `AdminUser` extractor), so
//! the endpoints cannot tell a non-admin which users exist. Then: a malformed user ID
//! `400 M_INVALID_PARAM`; a remote one `400 M_INVALID_PARAM`; for a change, the caller's
//! own account `403 M_FORBIDDEN`; an unknown or deactivated user `404 M_NOT_FOUND`;
//! another server admin `403 M_FORBIDDEN` (MSC4323 treats admins as equals, out of each
//! other's reach).

use bailiff_proto::accounts::{GetUserRecordRequest, PutUserRequest, UserRecord};
use matrix_status::MatrixError;
use ruma_common::OwnedUserId;

use crate::auth::AuthedUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{PathParams, ids};
use crate::state::AppState;

/// Which flag an endpoint reads and sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// MSC3823 suspension: read-only account.
    Suspended,
    /// MSC3939 lock: every request refused with `M_USER_LOCKED`.
    Locked,
}

impl Flag {
    /// The verb in refusals.
    fn verb(self) -> &'static str {
        match self {
            Self::Suspended => "suspend",
            Self::Locked => "lock",
        }
    }

    /// The flag's value in a record.
    pub fn of(self, record: &UserRecord) -> bool {
        match self {
            Self::Suspended => record.suspended,
            Self::Locked => record.locked,
        }
    }
}

/// Whether the endpoint only reads the flag or changes it: only a change refuses the
/// caller's own account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `GET`.
    Read,
    /// `PUT`.
    Change,
}

/// The target user after the checks of the module docs, with their record.
pub async fn moderated_user(
    state: &AppState,
    admin: &AuthedUser,
    params: &PathParams,
    flag: Flag,
    access: Access,
) -> ApiResult<(OwnedUserId, UserRecord)> {
    let user_id = params.user_id("userId")?;
    if !ids::is_local(&user_id, state.server_name()) {
        return Err(MatrixError::invalid_param("User does not belong to the local server").into());
    }
    if access == Access::Change && user_id == admin.user_id {
        return Err(
            MatrixError::forbidden(format!("You cannot {} your own account", flag.verb())).into(),
        );
    }
    let record = state
        .accounts()
        .get_user_record(GetUserRecordRequest {
            user_id: user_id.to_string(),
        })
        .await?
        .into_inner();
    if record.deactivated {
        return Err(MatrixError::not_found("User not found").into());
    }
    if record.admin && user_id != admin.user_id {
        return Err(
            MatrixError::forbidden(format!("Cannot {} another server admin", flag.verb())).into(),
        );
    }
    Ok((user_id, record))
}

/// Sets `flag` to `value` on an existing user through `PutUser`, which broadcasts the
/// change to every gateway; answers the flag as stored afterwards. Shared by the spec's
/// endpoints and Synapse's suspend.
pub async fn set_flag(
    state: &AppState,
    admin: &AuthedUser,
    user_id: &OwnedUserId,
    flag: Flag,
    value: bool,
) -> ApiResult<bool> {
    let (locked, suspended) = match flag {
        Flag::Locked => (Some(value), None),
        Flag::Suspended => (None, Some(value)),
    };
    let answer = state
        .accounts()
        .put_user(PutUserRequest {
            user_id: user_id.to_string(),
            requester: admin.user_id.to_string(),
            locked,
            suspended,
            ..PutUserRequest::default()
        })
        .await?
        .into_inner();
    // The broadcast reaches every replica within a second; this one forgets at once, so
    // the admin's next request here already sees the change.
    state.forget_user(user_id.as_str());
    let Some(record) = answer.user else {
        tracing::error!(%user_id, "accounts-svc answered PutUser without the user");
        return Err(ApiError::from(MatrixError::internal()));
    };
    Ok(flag.of(&record))
}
