//! SeedUsers: bulk users for benchmarks and tests, one shared password hash.

use std::collections::HashSet;

use bailiff_proto::accounts::*;

use super::AccountsService;
use crate::error::{Error, Result};
use crate::store::SeedUser;
use crate::tokens::{hash_token, new_device_id};

/// Bounds one call's transaction and response size.
const MAX_SEED_USERS: usize = 100_000;

pub(super) async fn seed_users(
    svc: &AccountsService,
    request: SeedUsersRequest,
) -> Result<SeedUsersResponse> {
    if request.localparts.len() > MAX_SEED_USERS {
        return Err(Error::TooManySeedUsers {
            max: MAX_SEED_USERS,
        });
    }
    if request.localparts.iter().any(String::is_empty) {
        return Err(Error::EmptySeedLocalpart);
    }
    let mut seen = HashSet::new();
    let localparts: Vec<String> = request
        .localparts
        .into_iter()
        .filter(|l| seen.insert(l.clone()))
        .collect();
    // Every ID is checked before the password is hashed: a bad one costs nothing.
    let user_ids = localparts
        .iter()
        .map(|localpart| svc.user_id(localpart))
        .collect::<Result<Vec<_>>>()?;
    let password_hash = svc.settings.passwords.hash(&request.password).await?;

    let mut users = Vec::with_capacity(localparts.len());
    let mut seeded = Vec::with_capacity(localparts.len());
    for (localpart, user_id) in localparts.into_iter().zip(user_ids) {
        let session = request
            .with_tokens
            .then(|| (new_device_id(), svc.settings.token_key.mint()));
        seeded.push(SeededUser {
            user_id: user_id.to_string(),
            access_token: session
                .as_ref()
                .map(|(_, token)| token.clone())
                .unwrap_or_default(),
            device_id: session
                .as_ref()
                .map(|(device, _)| device.to_string())
                .unwrap_or_default(),
        });
        users.push(SeedUser {
            user_id,
            displayname: localpart,
            session: session.map(|(device, token)| (device, hash_token(&token))),
        });
    }
    svc.store()
        .seed_users(&users, &password_hash, svc.clock().now_ms())
        .await?;
    Ok(SeedUsersResponse { users: seeded })
}
