//! User administration: GetUser, ResetPassword, SetAdmin.

use bailiff_proto::accounts::*;

use super::{AccountsService, present_device_id, user_id};
use crate::error::{Error, Result};

pub(super) async fn get_user(
    svc: &AccountsService,
    request: GetUserRequest,
) -> Result<GetUserResponse> {
    let user_id = user_id(request.user_id)?;
    let user = svc
        .store()
        .user(&user_id)
        .await?
        .ok_or(Error::UserNotFound)?;
    Ok(GetUserResponse {
        user_id: user.user_id.into(),
        is_admin: user.is_admin,
        deactivated: user.deactivated,
        displayname: user.displayname,
    })
}

pub(super) async fn reset_password(
    svc: &AccountsService,
    request: ResetPasswordRequest,
) -> Result<ResetPasswordResponse> {
    let user_id = user_id(request.user_id)?;
    // Checked before hashing so an unknown user costs nothing.
    if svc.store().user(&user_id).await?.is_none() {
        return Err(Error::UserNotFound);
    }
    let hash = svc.settings.passwords.hash(&request.new_password).await?;
    let keep = present_device_id(request.keep_device_id);
    let found = svc
        .store()
        .reset_password(&user_id, &hash, request.logout_devices, keep.as_deref())
        .await?;
    if !found {
        return Err(Error::UserNotFound);
    }
    if request.logout_devices {
        svc.settings.invalidations.user_changed(&user_id).await;
    }
    Ok(ResetPasswordResponse {})
}

pub(super) async fn set_admin(
    svc: &AccountsService,
    request: SetAdminRequest,
) -> Result<SetAdminResponse> {
    let user_id = user_id(request.user_id)?;
    if !svc.store().set_admin(&user_id, request.admin).await? {
        return Err(Error::UserNotFound);
    }
    svc.settings.invalidations.user_changed(&user_id).await;
    Ok(SetAdminResponse {})
}
