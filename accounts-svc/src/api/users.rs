//! User administration: GetUser, ResetPassword, SetAdmin.

use bailiff_database::fault;
use bailiff_proto::accounts::*;
use matrix_status::MatrixError;

use super::{AccountsService, hashing_fault, present};

fn not_found() -> MatrixError {
    MatrixError::not_found("User not found")
}

pub(super) async fn get_user(
    svc: &AccountsService,
    request: GetUserRequest,
) -> Result<GetUserResponse, MatrixError> {
    let user = svc
        .store()
        .user(&request.user_id)
        .await
        .map_err(fault)?
        .ok_or_else(not_found)?;
    Ok(GetUserResponse {
        user_id: user.user_id,
        is_admin: user.is_admin,
        deactivated: user.deactivated,
        displayname: user.displayname,
    })
}

pub(super) async fn reset_password(
    svc: &AccountsService,
    request: ResetPasswordRequest,
) -> Result<ResetPasswordResponse, MatrixError> {
    // Checked before hashing so an unknown user costs nothing.
    if svc
        .store()
        .user(&request.user_id)
        .await
        .map_err(fault)?
        .is_none()
    {
        return Err(not_found());
    }
    let hash = svc
        .settings
        .passwords
        .hash(&request.new_password)
        .await
        .map_err(hashing_fault)?;
    let keep = present(request.keep_device_id);
    let found = svc
        .store()
        .reset_password(
            &request.user_id,
            &hash,
            request.logout_devices,
            keep.as_deref(),
        )
        .await
        .map_err(fault)?;
    if !found {
        return Err(not_found());
    }
    if request.logout_devices {
        svc.settings
            .invalidations
            .user_changed(&request.user_id)
            .await;
    }
    Ok(ResetPasswordResponse {})
}

pub(super) async fn set_admin(
    svc: &AccountsService,
    request: SetAdminRequest,
) -> Result<SetAdminResponse, MatrixError> {
    if !svc
        .store()
        .set_admin(&request.user_id, request.admin)
        .await
        .map_err(fault)?
    {
        return Err(not_found());
    }
    svc.settings
        .invalidations
        .user_changed(&request.user_id)
        .await;
    Ok(SetAdminResponse {})
}
