//! `GET /_synapse/admin/v2/rooms/{roomId}/delete_status` (admin): every deletion of the
//! room, oldest first. None: `404 M_NOT_FOUND "No delete task for room_id '…' found"`
//! (Synapse's text).

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::ListRoomDeletionsRequest;
use matrix_status::MatrixError;
use serde::Serialize;

use super::DeleteStatus;
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::routes::job_status::evacuations;
use crate::state::AppState;

/// The room's deletions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeleteStatuses {
    pub results: Vec<DeleteStatus>,
}

/// The statuses of the room's deletions.
pub async fn get(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<DeleteStatuses>> {
    let room_id = params.room_id("roomId")?;
    let deletions = evacuations(&state)
        .list_room_deletions(ListRoomDeletionsRequest {
            room_id: room_id.to_string(),
        })
        .await?
        .into_inner()
        .deletions;
    if deletions.is_empty() {
        return Err(MatrixError::not_found(format!(
            "No delete task for room_id '{room_id}' found"
        ))
        .into());
    }
    let results = deletions
        .into_iter()
        .map(DeleteStatus::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(DeleteStatuses { results }))
}
