//! `GET /_matrix/client/{r0,v3}/user/{userId}/account_data/{type}`: the caller's own
//! global account data.
//!
//! Ketesa reads its `io.element.synapse.admin_client_config` entry after login and
//! swallows any error (`shared/SYNAPSE-ADMIN.md` §2.2). bailiff keeps room account data
//! (tags) only, so every type is `404 M_NOT_FOUND`, Synapse's answer for a type never
//! set; another user's data is `403`, as in Synapse.

use matrix_status::MatrixError;

use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::routes::Empty;

/// The caller's account data of one type: never set here.
pub async fn get(user: AuthedUser, params: PathParams) -> ApiResult<axum::Json<Empty>> {
    let target = params.user_id("userId")?;
    if target != user.user_id {
        return Err(MatrixError::forbidden("Cannot get account data for other users.").into());
    }
    params.get("type")?;
    Err(MatrixError::not_found("Account data not found").into())
}
