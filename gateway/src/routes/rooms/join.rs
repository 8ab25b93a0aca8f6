//! `POST /_matrix/client/{r0,v3}/join/{roomIdOrAlias}` and `…/rooms/{roomId}/join`.
//! Room aliases are not supported: a well-formed alias is `404 M_NOT_FOUND`.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::JoinRoomRequest;
use matrix_status::MatrixError;
use ruma_common::{OwnedRoomId, RoomAliasId};
use serde::Serialize;

use super::{ReasonBody, displayname, rooms};
use crate::auth::{AuthedUser, Suspendable};
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams, ids};
use crate::state::AppState;

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JoinResponse {
    pub room_id: String,
}

/// `/join/{roomIdOrAlias}`.
pub async fn by_id_or_alias(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<JoinResponse>> {
    user.refuse_if_suspended(Suspendable::Join)?;
    let raw = params.get("roomIdOrAlias")?;
    let room_id = if raw.starts_with('#') {
        RoomAliasId::parse(&raw).map_err(|_| MatrixError::invalid_param("Invalid room alias"))?;
        return Err(MatrixError::not_found(format!("Room alias {raw} not found")).into());
    } else {
        ids::parse_room_id(&raw)?
    };
    join(state, user, room_id, body).await
}

/// `/rooms/{roomId}/join`.
pub async fn by_room_id(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<JoinResponse>> {
    user.refuse_if_suspended(Suspendable::Join)?;
    let room_id = params.room_id("roomId")?;
    join(state, user, room_id, body).await
}

async fn join(
    state: AppState,
    user: AuthedUser,
    room_id: OwnedRoomId,
    body: JsonBody,
) -> ApiResult<Json<JoinResponse>> {
    // The reason is checked but not recorded.
    let _: ReasonBody = body.parse()?;
    let name = displayname(&state, &user.user_id).await;
    let joined = rooms(&state)
        .join_room(JoinRoomRequest {
            room_id: room_id.to_string(),
            user_id: user.user_id.to_string(),
            displayname: name,
            avatar_url: None,
            update_profile: false,
        })
        .await?
        .into_inner();
    Ok(Json(JoinResponse {
        room_id: joined.room_id,
    }))
}
