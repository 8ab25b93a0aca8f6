//! `POST` or `GET /_dendrite/admin/evacuateRoom/{roomID}` (admin): every local joined
//! member leaves the room, as a durable job (membership-svc `EvacuateRoom`). Returns
//! when the job is finished, or at once with `?async=true`.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use bailiff_proto::membership::EvacuateRoomRequest;
use http::Method;

use super::job_status::{evacuation_reply, evacuations};
use super::{Empty, EvacuateQuery};
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams, typed};
use crate::state::AppState;

/// Both methods: path, `?async=`, then (POST) the body.
pub async fn handle(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    method: Method,
    params: PathParams,
    RawQuery(query): RawQuery,
    body: JsonBody,
) -> ApiResult<Response> {
    let room_id = params.room_id("roomID")?;
    let query: EvacuateQuery = typed::query(query.as_deref())?;
    // A body sent with GET is ignored; with POST it must be empty or an object.
    if method == Method::POST {
        body.parse::<Empty>()?;
    }
    let asynchronous = query.asynchronous();
    let job = evacuations(&state)
        .evacuate_room(EvacuateRoomRequest {
            room_id: room_id.to_string(),
            wait: !asynchronous,
        })
        .await?
        .into_inner();
    evacuation_reply(job, asynchronous)
}
