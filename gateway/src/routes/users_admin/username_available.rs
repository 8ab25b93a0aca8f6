//! `GET /_synapse/admin/v1/username_available?username=` (admin): whether a localpart
//! could be registered. Missing `400 M_MISSING_PARAM`; invalid `400 M_INVALID_USERNAME`;
//! reserved `400 M_EXCLUSIVE`; taken (deactivated users included: IDs are never reused)
//! `400 M_USER_IN_USE "User ID already taken."`; else `200 {"available": true}`.

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::accounts::GetUserRequest;
use matrix_status::{MatrixError, errcode};
use serde::{Deserialize, Serialize};

use super::accounts;
use crate::auth::AdminUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ids;
use crate::extract::synapse_query::QueryPairs;
use crate::state::AppState;

/// The query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsernameQuery {
    /// The localpart to check.
    pub username: String,
}

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Availability {
    /// Always `true` (unavailable names are errors, as in Synapse).
    pub available: bool,
}

/// The check.
pub async fn get(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Availability>> {
    let query = QueryPairs::parse(raw.as_deref());
    let username = query
        .first("username")
        .ok_or_else(|| MatrixError::missing_param("Missing string query parameter 'username'"))?;
    let localpart = username.to_lowercase();
    if localpart == state.config.server_notices.local_part {
        return Err(
            MatrixError::bad_request(errcode::EXCLUSIVE, "This user ID is reserved.").into(),
        );
    }
    ids::validate_new_localpart(&localpart, state.server_name())?;
    let answer = accounts(&state)
        .get_user(GetUserRequest {
            user_id: format!("@{localpart}:{}", state.server_name()),
        })
        .await;
    match answer {
        Ok(_) => {
            Err(MatrixError::bad_request(errcode::USER_IN_USE, "User ID already taken.").into())
        }
        Err(status) => {
            let error = ApiError::from(status);
            if error.matrix().errcode == errcode::NOT_FOUND {
                Ok(Json(Availability { available: true }))
            } else {
                Err(error)
            }
        }
    }
}
