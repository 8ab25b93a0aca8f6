//! SeedUsers: bulk users for benchmarks and tests, one shared password hash.

use std::collections::HashSet;

use bailiff_database::fault;
use bailiff_proto::accounts::*;
use matrix_status::MatrixError;

use super::{AccountsService, hashing_fault};
use crate::store::SeedUser;
use crate::tokens::{hash_token, new_device_id};

/// Bounds one call's transaction and response size.
const MAX_SEED_USERS: usize = 100_000;

pub(super) async fn seed_users(
    svc: &AccountsService,
    request: SeedUsersRequest,
) -> Result<SeedUsersResponse, MatrixError> {
    if request.localparts.len() > MAX_SEED_USERS {
        return Err(MatrixError::invalid_param(format!(
            "at most {MAX_SEED_USERS} users per call"
        )));
    }
    if request.localparts.iter().any(|l| l.is_empty()) {
        return Err(MatrixError::invalid_param("localparts must not be empty"));
    }
    let mut seen = HashSet::new();
    let localparts: Vec<String> = request
        .localparts
        .into_iter()
        .filter(|l| seen.insert(l.clone()))
        .collect();
    let password_hash = svc
        .settings
        .passwords
        .hash(&request.password)
        .await
        .map_err(hashing_fault)?;

    let mut users = Vec::with_capacity(localparts.len());
    let mut seeded = Vec::with_capacity(localparts.len());
    for localpart in localparts {
        let user_id = svc.user_id(&localpart);
        let (access_token, device_id) = if request.with_tokens {
            (svc.settings.token_key.mint(), new_device_id())
        } else {
            (String::new(), String::new())
        };
        users.push(SeedUser {
            user_id: user_id.clone(),
            displayname: localpart,
            session: request
                .with_tokens
                .then(|| (device_id.clone(), hash_token(&access_token))),
        });
        seeded.push(SeededUser {
            user_id,
            access_token,
            device_id,
        });
    }
    svc.store()
        .seed_users(&users, &password_hash, svc.clock().now_ms())
        .await
        .map_err(fault)?;
    Ok(SeedUsersResponse { users: seeded })
}
