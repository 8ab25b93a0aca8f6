//! `GET /_matrix/client/{r0,v3}/joined_rooms`.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::GetJoinedRoomsRequest;
use serde_json::{Value, json};

use super::rooms;
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::state::AppState;

pub async fn get(State(state): State<AppState>, user: AuthedUser) -> ApiResult<Json<Value>> {
    let joined = rooms(&state)
        .get_joined_rooms(GetJoinedRoomsRequest {
            user_id: user.user_id.clone(),
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "joined_rooms": joined.room_ids })))
}
