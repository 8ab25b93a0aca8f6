//! `POST /_matrix/client/{r0,v3}/rooms/{roomId}/invite` with `{"user_id"}`.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::InviteUserRequest;
use serde::Deserialize;

use super::{displayname, rooms};
use crate::auth::{AuthedUser, Suspendable};
use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, PathParams, ids};
use crate::routes::Empty;
use crate::state::AppState;

/// The body; `user_id` is checked before `reason`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct InviteBody {
    /// A full user ID.
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub user_id: Field<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub reason: Field<String>,
}

/// Invites the user.
pub async fn post(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Empty>> {
    user.refuse_if_suspended(Suspendable::Invite)?;
    let room_id = params.room_id("roomId")?;
    let body: InviteBody = body.parse()?;
    let target = ids::parse_user_id(&body.user_id.required("user_id")?)?;
    let reason = body.reason.optional("reason")?;
    let target_displayname = if ids::is_local(&target, state.server_name()) {
        displayname(&state, &target).await
    } else {
        None
    };
    rooms(&state)
        .invite_user(InviteUserRequest {
            room_id: room_id.to_string(),
            sender: user.user_id.to_string(),
            target: target.to_string(),
            reason,
            is_direct: false,
            target_displayname,
        })
        .await?;
    Ok(Json(Empty {}))
}
