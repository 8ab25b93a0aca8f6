//! `POST /_synapse/admin/v1/deactivate/{userId}` (admin): remote `400 M_UNKNOWN "Can
//! only deactivate local users"`, unknown `404 M_NOT_FOUND "User not found"`, then the
//! body (may be empty; `erase` not a boolean `400 M_BAD_JSON "Param 'erase' must be a
//! boolean, if given"`). accounts-svc revokes every token and device, removes the
//! password and threepids and (with `erase`) the profile; then the user leaves every room
//! and rejects every invite through the evacuation job, waited for. Answers
//! `{"id_server_unbind_result": "success"}` (bailiff binds nothing at identity servers).

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::{DeactivateUserRequest, GetUserRequest};
use matrix_status::MatrixError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{accounts, evacuate, local_user};
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, PathParams};
use crate::state::AppState;

/// The body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct DeactivateBody {
    /// Also clear the display name and avatar and mark the user erased (default false).
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub erase: Field<bool>,
}

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeactivateResponse {
    /// Always `success`.
    pub id_server_unbind_result: String,
}

/// Deactivate, then evacuate.
pub async fn post(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<DeactivateResponse>> {
    let user_id = local_user(&state, &params, "Can only deactivate local users")?;
    accounts(&state)
        .get_user(GetUserRequest {
            user_id: user_id.to_string(),
        })
        .await?;
    let body: DeactivateBody = body.parse()?;
    let erase = match body.erase.raw() {
        None => false,
        Some(Value::Bool(erase)) => *erase,
        Some(_) => {
            return Err(MatrixError::bad_json("Param 'erase' must be a boolean, if given").into());
        }
    };
    accounts(&state)
        .deactivate_user(DeactivateUserRequest {
            user_id: user_id.to_string(),
            erase,
        })
        .await?;
    evacuate(&state, &user_id).await?;
    Ok(Json(DeactivateResponse {
        id_server_unbind_result: "success".to_owned(),
    }))
}
