//! `POST /_synapse/admin/v1/reset_password/{userId}` (admin), Synapse's form:
//! `logout_devices` defaults to true, no password policy.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::ResetPasswordRequest;
use matrix_status::MatrixError;
use serde_json::{Value, json};

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams, ids};
use crate::state::AppState;

fn unknown_user() -> MatrixError {
    MatrixError::not_found("Unknown user")
}

pub async fn post(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Value>> {
    let target = ids::parse_user_id(&params.get("userId")?)?;
    let body = body.object()?;
    let new_password = body.required_str("new_password")?.to_owned();
    let logout_devices = body.bool_or("logout_devices", true)?;
    if !ids::is_local(&target, state.server_name()) {
        return Err(unknown_user().into());
    }
    state
        .known_users
        .require(&state, target.as_str(), unknown_user)
        .await?;
    let keep_device_id = (admin.user_id == target.as_str()).then(|| admin.device_id.clone());
    state
        .accounts()
        .reset_password(ResetPasswordRequest {
            user_id: target.to_string(),
            new_password,
            logout_devices,
            keep_device_id,
        })
        .await?;
    if logout_devices {
        state.forget_user(target.as_str());
    }
    Ok(Json(json!({})))
}
