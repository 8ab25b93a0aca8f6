//! `DELETE /_synapse/admin/v1/rooms/{roomId}` (admin): the same deletion job as v2,
//! answered when it has finished, with what the shutdown did
//! (`{"kicked_users", "failed_to_kick_users", "local_aliases", "new_room_id"}`). A
//! deletion of the room already running is waited for, not started twice.

use axum::Json;
use axum::extract::State;

use super::ShutdownRoom;
use super::body::DeleteRoomBody;
use super::delete_v2::request;
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams};
use crate::routes::job_status::evacuations;
use crate::state::AppState;

/// Path, then body, then the job, waited for.
pub async fn delete(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<ShutdownRoom>> {
    let room_id = params.room_id("roomId")?;
    let body = DeleteRoomBody::read(body)?;
    let deletion = evacuations(&state)
        .delete_room(request(&room_id, &admin.user_id, body, true))
        .await?
        .into_inner();
    Ok(Json(deletion.into()))
}
