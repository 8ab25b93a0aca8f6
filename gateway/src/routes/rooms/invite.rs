//! `POST /_matrix/client/{r0,v3}/rooms/{roomId}/invite` with `{"user_id"}`.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::InviteUserRequest;
use serde_json::{Value, json};

use super::{displayname, room_id_param, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams, ids};
use crate::state::AppState;

pub async fn post(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Value>> {
    let room_id = room_id_param(&params, "roomId")?;
    let body = body.object()?;
    let target = ids::parse_user_id(body.required_str("user_id")?)?;
    let reason = body.optional_str("reason")?.map(str::to_owned);
    let target_displayname = if ids::is_local(&target, state.server_name()) {
        displayname(&state, target.as_str()).await
    } else {
        None
    };
    rooms(&state)
        .invite_user(InviteUserRequest {
            room_id,
            sender: user.user_id.clone(),
            target: target.to_string(),
            reason,
            is_direct: false,
            target_displayname,
        })
        .await?;
    Ok(Json(json!({})))
}
