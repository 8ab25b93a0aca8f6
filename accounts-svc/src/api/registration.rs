//! Shared-secret registration: CreateNonce, ConsumeNonce, RegisterUser. The gateway has
//! already checked the MAC and validated and lower-cased the localpart.

use bailiff_proto::accounts::*;

use super::{AccountsService, NONCE_TTL_MS, present, present_device_id};
use crate::error::{Error, Result};
use crate::store::{NewSession, NewUser};
use crate::tokens::{hash_token, new_device_id, new_nonce};

pub(super) async fn create_nonce(svc: &AccountsService) -> Result<CreateNonceResponse> {
    let nonce = new_nonce();
    svc.store()
        .insert_nonce(&nonce, svc.clock().now_ms())
        .await?;
    Ok(CreateNonceResponse { nonce })
}

pub(super) async fn consume_nonce(
    svc: &AccountsService,
    request: ConsumeNonceRequest,
) -> Result<ConsumeNonceResponse> {
    if request.nonce.is_empty() {
        return Err(Error::NonceUnknown);
    }
    let issued_after = svc.clock().now_ms() - NONCE_TTL_MS;
    if svc
        .store()
        .consume_nonce(&request.nonce, issued_after)
        .await?
    {
        Ok(ConsumeNonceResponse {})
    } else {
        Err(Error::NonceUnknown)
    }
}

pub(super) async fn register(
    svc: &AccountsService,
    request: RegisterUserRequest,
) -> Result<RegisterUserResponse> {
    let localpart = request.localpart.as_str();
    if localpart.is_empty() {
        return Err(Error::EmptyLocalpart);
    }
    if localpart == svc.settings.reserved_localpart {
        return Err(Error::Reserved);
    }
    let user_id = svc.user_id(localpart)?;
    // Cheap early answer before spending a hash; the insert below still decides races.
    if svc.store().user(&user_id).await?.is_some() {
        return Err(Error::UserInUse);
    }
    let password_hash = if request.password.is_empty() {
        None
    } else {
        Some(svc.settings.passwords.hash(&request.password).await?)
    };
    let displayname = request.displayname.as_deref().unwrap_or(localpart);
    let (access_token, device_id) = if request.inhibit_login {
        (String::new(), None)
    } else {
        (
            svc.settings.token_key.mint(),
            Some(present_device_id(request.device_id).unwrap_or_else(new_device_id)),
        )
    };
    let token_hash = hash_token(&access_token);
    let session = device_id.as_deref().map(|device_id| NewSession {
        device_id,
        display_name: request.initial_device_display_name.as_deref(),
        token_hash: &token_hash,
    });
    let user_type = present(request.user_type);
    let user = NewUser {
        user_id: &user_id,
        password_hash: password_hash.as_deref(),
        displayname,
        user_type: user_type.as_deref(),
        is_admin: request.admin,
    };
    if !svc
        .store()
        .register(user, session, svc.clock().now_ms())
        .await?
    {
        return Err(Error::UserInUse);
    }
    Ok(RegisterUserResponse {
        user_id: user_id.into(),
        access_token,
        device_id: device_id.map(String::from).unwrap_or_default(),
    })
}
