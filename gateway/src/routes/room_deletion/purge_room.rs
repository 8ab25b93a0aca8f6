//! `POST /_dendrite/admin/purgeRoom/{roomID}` (admin): Dendrite's purge, as a deletion
//! job with `purge` (local members leave first, then every row of the room goes);
//! answers Dendrite's `200 {}` when it has finished. Unknown room: `404 M_NOT_FOUND`.

use axum::Json;
use axum::extract::State;

use super::body::DeleteRoomBody;
use super::delete_v2::request;
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams};
use crate::routes::Empty;
use crate::routes::job_status::evacuations;
use crate::state::AppState;

/// Path, then (empty or object) body, then the job, waited for.
pub async fn post(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Empty>> {
    let room_id = params.room_id("roomID")?;
    body.parse::<Empty>()?;
    let purge = DeleteRoomBody {
        block: false,
        purge: true,
        force_purge: false,
        new_room_user_id: None,
        room_name: None,
        message: None,
    };
    evacuations(&state)
        .delete_room(request(&room_id, &admin.user_id, purge, true))
        .await?;
    Ok(Json(Empty {}))
}
