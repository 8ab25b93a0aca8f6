//! `GET /_synapse/admin/v2/users/{userId}` (admin): one user's record, `creation_ts` in
//! seconds. Malformed `400 M_INVALID_PARAM`, remote `400 M_UNKNOWN "Can only look up
//! local users"`, unknown `404 M_NOT_FOUND "User not found"`.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::GetUserRecordRequest;

use super::shapes::UserDetails;
use super::{accounts, local_user};
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::state::AppState;

/// The record.
pub async fn get(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<UserDetails>> {
    let user_id = local_user(&state, &params, "Can only look up local users")?;
    let record = accounts(&state)
        .get_user_record(GetUserRecordRequest {
            user_id: user_id.to_string(),
        })
        .await?
        .into_inner();
    Ok(Json(UserDetails::from(record)))
}
