//! Token checks and revocation: Authenticate, Logout, LogoutAll.

use bailiff_proto::accounts::*;

use super::{AccountsService, user_id};
use crate::error::{Error, Result};
use crate::tokens::hash_token;

pub(super) async fn authenticate(
    svc: &AccountsService,
    request: AuthenticateRequest,
) -> Result<AuthenticateResponse> {
    // A token that was not minted here cannot be in the table: no query for it.
    if !svc.settings.token_key.verify(&request.access_token) {
        return Err(Error::UnknownToken);
    }
    let owner = svc
        .store()
        .authenticate(&hash_token(&request.access_token))
        .await?
        .ok_or(Error::UnknownToken)?;
    Ok(AuthenticateResponse {
        user_id: owner.user_id.into(),
        device_id: owner.device_id.into(),
        is_admin: owner.is_admin,
        locked: owner.locked,
        suspended: owner.suspended,
    })
}

pub(super) async fn logout(
    svc: &AccountsService,
    request: LogoutRequest,
) -> Result<LogoutResponse> {
    if request.access_token.is_empty() {
        return Err(Error::UnknownToken);
    }
    let user_id = svc
        .store()
        .logout(&hash_token(&request.access_token))
        .await?
        .ok_or(Error::UnknownToken)?;
    svc.settings.invalidations.user_changed(&user_id).await;
    Ok(LogoutResponse {})
}

pub(super) async fn logout_all(
    svc: &AccountsService,
    request: LogoutAllRequest,
) -> Result<LogoutAllResponse> {
    let user_id = user_id(request.user_id)?;
    svc.store().logout_all(&user_id).await?;
    svc.settings.invalidations.user_changed(&user_id).await;
    Ok(LogoutAllResponse {})
}
