//! `POST` or `GET /_dendrite/admin/evacuateUser/{userID}` (admin): a local user leaves
//! every joined room and rejects every invite, as a durable job (membership-svc
//! `EvacuateUser`). Returns when the job is finished, or at once with `?async=true`.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use bailiff_proto::membership::EvacuateUserRequest;
use http::Method;
use matrix_status::MatrixError;

use super::job_status::{evacuation_reply, evacuations};
use super::{Empty, EvacuateQuery};
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams, ids, typed};
use crate::state::AppState;

/// Both methods: path, locality, `?async=`, then (POST) the body.
pub async fn handle(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    method: Method,
    params: PathParams,
    RawQuery(query): RawQuery,
    body: JsonBody,
) -> ApiResult<Response> {
    let user_id = params.user_id("userID")?;
    if !ids::is_local(&user_id, state.server_name()) {
        return Err(MatrixError::invalid_param("can only evacuate local users").into());
    }
    let query: EvacuateQuery = typed::query(query.as_deref())?;
    // A body sent with GET is ignored; with POST it must be empty or an object.
    if method == Method::POST {
        body.parse::<Empty>()?;
    }
    let asynchronous = query.asynchronous();
    // An unknown local user has no rooms: the job is empty and complete at once.
    let job = evacuations(&state)
        .evacuate_user(EvacuateUserRequest {
            user_id: user_id.to_string(),
            wait: !asynchronous,
        })
        .await?
        .into_inner();
    evacuation_reply(job, asynchronous)
}
