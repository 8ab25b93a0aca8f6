//! Password login.

use bailiff_proto::accounts::*;

use super::{AccountsService, present_device_id};
use crate::error::{Error, Result};
use crate::store::{NewSession, SessionOutcome};
use crate::tokens::{hash_token, new_device_id};

/// Generated device IDs are 26^10 strong, so a second collision in a row means something
/// is wrong; give up rather than loop.
const DEVICE_ID_ATTEMPTS: usize = 5;

pub(super) async fn login(svc: &AccountsService, request: LoginRequest) -> Result<LoginResponse> {
    let passwords = &svc.settings.passwords;
    // A localpart that makes no valid user ID names nobody: the same answer, at the same
    // cost, as any other unknown user.
    let user_id = svc.user_id(&request.localpart).ok();
    let user = match &user_id {
        Some(user_id) => svc.store().user(user_id).await?,
        None => None,
    };
    // Deactivation removed the password, so no password can match: Synapse answers
    // M_USER_DEACTIVATED for such an account whatever was typed, and so do we
    // (`docs/http-api.md` §7). The decoy keeps the cost the same as any refusal.
    if user.as_ref().is_some_and(|u| u.deactivated) {
        passwords.verify_decoy(&request.password).await?;
        return Err(Error::UserDeactivated);
    }
    let Some((user, stored)) = user.and_then(|u| {
        let stored = u.password_hash.clone()?;
        Some((u, stored))
    }) else {
        passwords.verify_decoy(&request.password).await?;
        return Err(Error::LoginRefused);
    };
    let matches = passwords.verify(&request.password, &stored).await?;
    if !matches || user.deactivated {
        return Err(Error::LoginRefused);
    }
    let user_id = user.user_id;

    let access_token = svc.settings.token_key.mint();
    let token_hash = hash_token(&access_token);
    let display_name = request.initial_device_display_name.as_deref();
    let chosen = present_device_id(request.device_id);
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
            .await?;
        match outcome {
            SessionOutcome::Created { revoked_previous } => {
                if revoked_previous {
                    svc.settings.invalidations.user_changed(&user_id).await;
                }
                return Ok(LoginResponse {
                    user_id: user_id.into(),
                    access_token,
                    device_id: device_id.into(),
                });
            }
            SessionOutcome::DeviceIdTaken => device_id = new_device_id(),
        }
    }
    Err(Error::NoFreeDeviceId(user_id))
}
