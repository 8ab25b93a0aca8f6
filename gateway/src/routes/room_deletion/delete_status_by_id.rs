//! `GET /_synapse/admin/v2/rooms/delete_status/{deleteId}` (admin): a deletion's status.
//! Unknown (or not a deletion): `404 M_NOT_FOUND "delete id '…' not found"`. Jobs are
//! never swept, so a status stays readable well past Synapse's 24 hours.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::GetJobRequest;

use super::DeleteStatus;
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::routes::job_status::evacuations;
use crate::state::AppState;

/// The status of one deletion.
pub async fn get(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<DeleteStatus>> {
    let job_id = params.get("deleteId")?;
    let deletion = evacuations(&state)
        .get_room_deletion(GetJobRequest { job_id })
        .await?
        .into_inner();
    Ok(Json(DeleteStatus::try_from(deletion)?))
}
