//! `POST /_dendrite/admin/resetPassword/{userID}` (admin), Dendrite's form: `{userID}` is
//! a full ID or a bare localpart, `logout_devices` defaults to false, and the password
//! must be 8 to 512 bytes.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::ResetPasswordRequest;
use matrix_status::{MatrixError, errcode};
use serde::{Deserialize, Serialize};

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams, ids};
use crate::state::AppState;

/// Longest accepted password.
pub const MAX_PASSWORD_BYTES: usize = 512;
/// Shortest accepted password.
pub const MIN_PASSWORD_BYTES: usize = 8;

/// The body; `null` fields count as absent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetPasswordBody {
    /// 8 to 512 bytes.
    pub password: Option<String>,
    /// Defaults to false.
    pub logout_devices: Option<bool>,
}

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResetPasswordResponse {
    /// Always true.
    pub password_updated: bool,
}

/// Checks in the pinned order (path, remote, unknown user, body, password policy), then resets.
pub async fn post(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<ResetPasswordResponse>> {
    let target = ids::parse_user_id_or_localpart(&params.get("userID")?, state.server_name())?;
    if !ids::is_local(&target, state.server_name()) {
        return Err(
            MatrixError::invalid_param("Can not reset the password of a remote user").into(),
        );
    }
    state
        .known_users
        .require(&state.accounts(), &target, || {
            MatrixError::not_found("User does not exist")
        })
        .await?;
    let body: ResetPasswordBody = body.parse()?;
    let logout_devices = body.logout_devices.unwrap_or(false);
    let password = body.password.unwrap_or_default();
    if password.is_empty() {
        return Err(MatrixError::missing_param("Expecting non-empty password.").into());
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(MatrixError::bad_json("password too long: max 512 characters").into());
    }
    if password.len() < MIN_PASSWORD_BYTES {
        return Err(MatrixError::bad_request(
            errcode::WEAK_PASSWORD,
            "password too weak: min 8 characters",
        )
        .into());
    }
    let keep_device_id = (admin.user_id == target).then(|| admin.device_id.clone());
    state
        .accounts()
        .reset_password(ResetPasswordRequest {
            user_id: target.to_string(),
            new_password: password,
            logout_devices,
            keep_device_id,
        })
        .await?;
    if logout_devices {
        state.forget_user(target.as_str());
    }
    Ok(Json(ResetPasswordResponse {
        password_updated: true,
    }))
}
