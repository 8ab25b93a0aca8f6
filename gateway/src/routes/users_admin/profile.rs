//! `GET /_matrix/client/{r0,v3}/profile/{userId}`: a local user's display name and
//! avatar (Ketesa reads its own after login). No token needed, as Synapse's default
//! (`require_auth_for_profile_requests: false`). Absent fields are left out, as the
//! client-server spec's profile has them optional; an unknown or remote user is
//! `404 M_NOT_FOUND "Profile was not found"`.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::GetUserRecordRequest;
use matrix_status::{MatrixError, errcode};
use serde::Serialize;

use super::accounts;
use crate::error::{ApiError, ApiResult};
use crate::extract::{PathParams, ids};
use crate::state::AppState;

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Profile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub displayname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

fn not_found() -> ApiError {
    MatrixError::not_found("Profile was not found").into()
}

/// The profile.
pub async fn get(State(state): State<AppState>, params: PathParams) -> ApiResult<Json<Profile>> {
    let user_id = params.user_id("userId")?;
    if !ids::is_local(&user_id, state.server_name()) {
        return Err(not_found());
    }
    let answer = accounts(&state)
        .get_user_record(GetUserRecordRequest {
            user_id: user_id.to_string(),
        })
        .await;
    match answer {
        Ok(record) => {
            let record = record.into_inner();
            Ok(Json(Profile {
                displayname: record.displayname,
                avatar_url: record.avatar_url,
            }))
        }
        Err(status) => {
            let error = ApiError::from(status);
            if error.matrix().errcode == errcode::NOT_FOUND {
                Err(not_found())
            } else {
                Err(error)
            }
        }
    }
}
