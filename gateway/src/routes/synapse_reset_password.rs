//! `POST /_synapse/admin/v1/reset_password/{userId}` (admin), Synapse's form:
//! `logout_devices` defaults to true, no password policy.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::ResetPasswordRequest;
use matrix_status::MatrixError;
use serde::Deserialize;

use super::Empty;
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, PathParams, ids};
use crate::state::AppState;

/// The body; `new_password` is checked before `logout_devices`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetPasswordBody {
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub new_password: Field<String>,
    /// Defaults to true.
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub logout_devices: Field<bool>,
}

fn unknown_user() -> MatrixError {
    MatrixError::not_found("Unknown user")
}

/// Checks in the pinned order (path, body, remote, unknown user), then resets.
pub async fn post(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Empty>> {
    let target = params.user_id("userId")?;
    let body: ResetPasswordBody = body.parse()?;
    let new_password = body.new_password.required("new_password")?;
    let logout_devices = body
        .logout_devices
        .optional("logout_devices")?
        .unwrap_or(true);
    if !ids::is_local(&target, state.server_name()) {
        return Err(unknown_user().into());
    }
    state
        .known_users
        .require(&state.accounts(), &target, unknown_user)
        .await?;
    let keep_device_id = (admin.user_id == target).then(|| admin.device_id.clone());
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
    Ok(Json(Empty {}))
}
