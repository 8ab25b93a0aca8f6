//! Password login.

use bailiff_database::fault;
use bailiff_proto::accounts::*;
use matrix_status::MatrixError;

use super::{AccountsService, hashing_fault, present};
use crate::store::{NewSession, SessionOutcome};
use crate::tokens::{hash_token, new_device_id};

/// Generated device IDs are 26^10 strong, so a second collision in a row means something
/// is wrong; give up rather than loop.
const DEVICE_ID_ATTEMPTS: usize = 5;

pub(super) async fn login(
    svc: &AccountsService,
    request: LoginRequest,
) -> Result<LoginResponse, MatrixError> {
    // One answer for every failure, so a caller cannot tell which users exist.
    let refused = || MatrixError::forbidden("Invalid username or password");
    let user_id = svc.user_id(&request.localpart);
    let passwords = &svc.settings.passwords;
    let user = svc.store().user(&user_id).await.map_err(fault)?;
    let Some((user, stored)) = user.and_then(|u| {
        let stored = u.password_hash.clone()?;
        Some((u, stored))
    }) else {
        passwords
            .verify_decoy(&request.password)
            .await
            .map_err(hashing_fault)?;
        return Err(refused());
    };
    let matches = passwords
        .verify(&request.password, &stored)
        .await
        .map_err(hashing_fault)?;
    if !matches || user.deactivated {
        return Err(refused());
    }

    let access_token = svc.settings.token_key.mint();
    let token_hash = hash_token(&access_token);
    let display_name = request.initial_device_display_name.as_deref();
    let chosen = present(request.device_id);
    let client_chose_device = chosen.is_some();
    let mut device_id = chosen.unwrap_or_else(new_device_id);
    for _ in 0..DEVICE_ID_ATTEMPTS {
        let session = NewSession {
            device_id: &device_id,
            display_name,
            token_hash: &token_hash,
        };
        let outcome = svc
            .store()
            .open_session(&user_id, session, client_chose_device, svc.clock().now_ms())
            .await
            .map_err(fault)?;
        match outcome {
            SessionOutcome::Created { revoked_previous } => {
                if revoked_previous {
                    svc.settings.invalidations.user_changed(&user_id).await;
                }
                return Ok(LoginResponse {
                    user_id,
                    access_token,
                    device_id,
                });
            }
            SessionOutcome::DeviceIdTaken => device_id = new_device_id(),
        }
    }
    tracing::error!(user_id, "could not find a free device ID");
    Err(MatrixError::internal())
}
