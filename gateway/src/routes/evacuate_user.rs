//! `POST` or `GET /_dendrite/admin/evacuateUser/{userID}` (admin): a local user leaves
//! every joined room and rejects every invite, as a durable job (membership-svc
//! `EvacuateUser`). Returns when the job is finished, or at once with `?async=true`.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use bailiff_proto::membership::EvacuateUserRequest;
use http::Method;
use matrix_status::MatrixError;

use super::job_status::{evacuation_reply, evacuations};
use super::rooms::Query;
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams, ids};
use crate::state::AppState;

pub async fn handle(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    method: Method,
    params: PathParams,
    query: RawQuery,
    body: JsonBody,
) -> ApiResult<Response> {
    let user_id = ids::parse_user_id(&params.get("userID")?)?;
    if !ids::is_local(&user_id, state.server_name()) {
        return Err(MatrixError::invalid_param("can only evacuate local users").into());
    }
    let asynchronous = Query::new(query).boolean("async")?.unwrap_or(false);
    // A body sent with GET is ignored; with POST it must be empty or an object.
    if method == Method::POST {
        body.object()?;
    }
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
