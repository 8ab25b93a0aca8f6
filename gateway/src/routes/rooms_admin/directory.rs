//! `GET` and `PUT /_matrix/client/{r0,v3}/directory/list/room/{roomId}`: whether the
//! room is published in the directory (`docs/http-api.md` §8). As Synapse
//! (`synapse/rest/client/directory.py`): anyone authenticated may read; `PUT` takes
//! `visibility` (default `public`) and needs a server admin or a joined member with
//! the power to send `m.room.canonical_alias`.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::{GetRoomStatsRequest, SetRoomVisibilityRequest};
use matrix_status::MatrixError;
use serde::{Deserialize, Serialize};

use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::typed::Field;
use crate::extract::{JsonBody, PathParams};
use crate::routes::Empty;
use crate::routes::rooms::rooms;
use crate::state::AppState;

/// The answer of `GET`, and the body of `PUT`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Visibility {
    /// `public` or `private`.
    pub visibility: String,
}

/// The body of `PUT`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct VisibilityBody {
    /// `public` (default) or `private`.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub visibility: Field<String>,
}

/// The room's visibility, or `404 M_NOT_FOUND "Room not found"`.
pub async fn get(
    State(state): State<AppState>,
    _user: AuthedUser,
    params: PathParams,
) -> ApiResult<Json<Visibility>> {
    let room_id = params.room_id("roomId")?;
    let room = rooms(&state)
        .get_room_stats(GetRoomStatsRequest {
            room_id: room_id.to_string(),
        })
        .await?
        .into_inner();
    let visibility = if room.public { "public" } else { "private" };
    Ok(Json(Visibility {
        visibility: visibility.to_owned(),
    }))
}

/// Publishes or withdraws the room.
pub async fn put(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Empty>> {
    let room_id = params.room_id("roomId")?;
    let body: VisibilityBody = body.parse()?;
    let public = match body.visibility.optional("visibility")?.as_deref() {
        None | Some("public") => true,
        Some("private") => false,
        Some(_) => return Err(MatrixError::invalid_param("Invalid visibility setting").into()),
    };
    // An admin may publish any room; anyone else is checked against the room's power
    // levels by membership-svc.
    let requester = if user.is_admin {
        String::new()
    } else {
        user.user_id.to_string()
    };
    rooms(&state)
        .set_room_visibility(SetRoomVisibilityRequest {
            room_id: room_id.to_string(),
            requester,
            public,
        })
        .await?;
    Ok(Json(Empty {}))
}
