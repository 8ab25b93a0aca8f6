//! `DELETE /_synapse/admin/v2/rooms/{roomId}` (admin): starts a room deletion job and
//! answers `200 {"delete_id"}` at once. A deletion of the room already queued or running
//! is refused as Synapse refuses it (`400 "Purge already in progress for …"`).

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::DeleteRoomRequest;
use matrix_status::{MatrixError, errcode};
use serde::Serialize;

use super::body::DeleteRoomBody;
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams};
use crate::routes::job_status::evacuations;
use crate::state::AppState;

/// The answer: the job to poll.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeleteStarted {
    /// Poll `GET /_synapse/admin/v2/rooms/delete_status/{delete_id}` with it.
    pub delete_id: String,
}

/// Path, then body, then the job.
pub async fn delete(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<DeleteStarted>> {
    let room_id = params.room_id("roomId")?;
    let body = DeleteRoomBody::read(body)?;
    let deletion = evacuations(&state)
        .delete_room(request(&room_id, &admin.user_id, body, false))
        .await?
        .into_inner();
    let job = deletion.job.ok_or_else(MatrixError::internal)?;
    if job.existing {
        return Err(MatrixError::new(
            400,
            errcode::UNKNOWN,
            format!("Purge already in progress for {room_id}"),
        )
        .into());
    }
    Ok(Json(DeleteStarted {
        delete_id: job.job_id,
    }))
}

/// The `DeleteRoom` request of a delete endpoint's body.
pub(super) fn request(
    room_id: &bailiff_domain::RoomId,
    admin: &bailiff_domain::UserId,
    body: DeleteRoomBody,
    wait: bool,
) -> DeleteRoomRequest {
    DeleteRoomRequest {
        room_id: room_id.to_string(),
        requester: admin.to_string(),
        block: body.block,
        purge: body.purge,
        new_room_user_id: body.new_room_user_id.map(|user| user.to_string()),
        room_name: body.room_name,
        message: body.message,
        wait,
    }
}
