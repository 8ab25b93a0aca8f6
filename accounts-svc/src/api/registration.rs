//! Shared-secret registration: CreateNonce, ConsumeNonce, RegisterUser. The gateway has
//! already checked the MAC and validated and lower-cased the localpart.

use bailiff_database::fault;
use bailiff_proto::accounts::*;
use matrix_status::{MatrixError, errcode};

use super::{AccountsService, NONCE_TTL_MS, hashing_fault, present};
use crate::store::{NewSession, NewUser};
use crate::tokens::{hash_token, new_device_id, new_nonce};

pub(super) async fn create_nonce(
    svc: &AccountsService,
) -> Result<CreateNonceResponse, MatrixError> {
    let nonce = new_nonce();
    svc.store()
        .insert_nonce(&nonce, svc.clock().now_ms())
        .await
        .map_err(fault)?;
    Ok(CreateNonceResponse { nonce })
}

pub(super) async fn consume_nonce(
    svc: &AccountsService,
    request: ConsumeNonceRequest,
) -> Result<ConsumeNonceResponse, MatrixError> {
    let unrecognised = || MatrixError::bad_request(errcode::UNKNOWN, "unrecognised nonce");
    if request.nonce.is_empty() {
        return Err(unrecognised());
    }
    let issued_after = svc.clock().now_ms() - NONCE_TTL_MS;
    if svc
        .store()
        .consume_nonce(&request.nonce, issued_after)
        .await
        .map_err(fault)?
    {
        Ok(ConsumeNonceResponse {})
    } else {
        Err(unrecognised())
    }
}

pub(super) async fn register(
    svc: &AccountsService,
    request: RegisterUserRequest,
) -> Result<RegisterUserResponse, MatrixError> {
    let in_use = || MatrixError::bad_request(errcode::USER_IN_USE, "User ID already taken.");
    let localpart = request.localpart.as_str();
    if localpart.is_empty() {
        return Err(MatrixError::bad_request(
            errcode::INVALID_USERNAME,
            "User ID cannot be empty",
        ));
    }
    if localpart == svc.settings.reserved_localpart {
        return Err(MatrixError::bad_request(
            errcode::EXCLUSIVE,
            "This user ID is reserved.",
        ));
    }
    let user_id = svc.user_id(localpart);
    // Cheap early answer before spending a hash; the insert below still decides races.
    if svc.store().user(&user_id).await.map_err(fault)?.is_some() {
        return Err(in_use());
    }
    let password_hash = if request.password.is_empty() {
        None
    } else {
        Some(
            svc.settings
                .passwords
                .hash(&request.password)
                .await
                .map_err(hashing_fault)?,
        )
    };
    let displayname = request.displayname.as_deref().unwrap_or(localpart);
    let (access_token, device_id) = if request.inhibit_login {
        (String::new(), String::new())
    } else {
        (
            svc.settings.token_key.mint(),
            present(request.device_id).unwrap_or_else(new_device_id),
        )
    };
    let token_hash = hash_token(&access_token);
    let session = (!request.inhibit_login).then(|| NewSession {
        device_id: &device_id,
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
    let created = svc
        .store()
        .register(user, session, svc.clock().now_ms())
        .await
        .map_err(fault)?;
    if !created {
        return Err(in_use());
    }
    Ok(RegisterUserResponse {
        user_id,
        access_token,
        device_id,
    })
}
