//! Token checks and revocation: Authenticate, Logout, LogoutAll.

use bailiff_database::fault;
use bailiff_proto::accounts::*;
use matrix_status::MatrixError;

use super::AccountsService;
use crate::tokens::hash_token;

pub(super) async fn authenticate(
    svc: &AccountsService,
    request: AuthenticateRequest,
) -> Result<AuthenticateResponse, MatrixError> {
    // A token that was not minted here cannot be in the table: no query for it.
    if !svc.settings.token_key.verify(&request.access_token) {
        return Err(MatrixError::unknown_token());
    }
    let owner = svc
        .store()
        .authenticate(&hash_token(&request.access_token))
        .await
        .map_err(fault)?
        .ok_or_else(MatrixError::unknown_token)?;
    Ok(AuthenticateResponse {
        user_id: owner.user_id,
        device_id: owner.device_id,
        is_admin: owner.is_admin,
    })
}

pub(super) async fn logout(
    svc: &AccountsService,
    request: LogoutRequest,
) -> Result<LogoutResponse, MatrixError> {
    if request.access_token.is_empty() {
        return Err(MatrixError::unknown_token());
    }
    let user_id = svc
        .store()
        .logout(&hash_token(&request.access_token))
        .await
        .map_err(fault)?
        .ok_or_else(MatrixError::unknown_token)?;
    svc.settings.invalidations.user_changed(&user_id).await;
    Ok(LogoutResponse {})
}

pub(super) async fn logout_all(
    svc: &AccountsService,
    request: LogoutAllRequest,
) -> Result<LogoutAllResponse, MatrixError> {
    svc.store()
        .logout_all(&request.user_id)
        .await
        .map_err(fault)?;
    svc.settings
        .invalidations
        .user_changed(&request.user_id)
        .await;
    Ok(LogoutAllResponse {})
}
