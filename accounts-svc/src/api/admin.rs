//! Users administration: ListUsers, GetUserRecord, PutUser, DeactivateUser. The HTTP
//! checks (types, order of §5.3 in `docs/http-api.md`) happen in the gateway; the
//! decisions that need the stored user (create or modify, self-demotion, reactivation,
//! external IDs in use) happen here.

use bailiff_proto::accounts::*;

use super::{AccountsService, user_id};
use crate::error::{Error, Result};
use crate::store::{self, FlagFilter as Filter, NewUser, UserChange, UserOrder, UserQuery};

fn filter(value: i32) -> Filter {
    match FlagFilter::try_from(value) {
        Ok(FlagFilter::Only) => Filter::Only,
        Ok(FlagFilter::Exclude) => Filter::Exclude,
        Ok(FlagFilter::Any) | Err(_) => Filter::Any,
    }
}

/// Offsets and page sizes beyond `i64` cannot name rows anyway.
fn clamp(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(super) fn record(user: store::UserRecord) -> UserRecord {
    UserRecord {
        user_id: user.user_id.into(),
        displayname: user.displayname,
        avatar_url: user.avatar_url,
        user_type: user.user_type,
        admin: user.admin,
        deactivated: user.deactivated,
        locked: user.locked,
        suspended: user.suspended,
        erased: user.erased,
        shadow_banned: user.shadow_banned,
        is_guest: user.is_guest,
        creation_ts_ms: user.creation_ts_ms,
        last_seen_ts_ms: user.last_seen_ts_ms,
        threepids: user
            .threepids
            .into_iter()
            .map(|t| Threepid {
                medium: t.medium,
                address: t.address,
                added_at: t.added_at,
                validated_at: t.validated_at,
            })
            .collect(),
        external_ids: user
            .external_ids
            .into_iter()
            .map(|e| ExternalId {
                auth_provider: e.auth_provider,
                external_id: e.external_id,
            })
            .collect(),
    }
}

pub(super) async fn list_users(
    svc: &AccountsService,
    request: ListUsersRequest,
) -> Result<ListUsersResponse> {
    let order = if request.order_by.is_empty() {
        UserOrder::Name
    } else {
        UserOrder::parse(&request.order_by).ok_or(Error::UnknownOrder(request.order_by))?
    };
    let query = UserQuery {
        name: request.name.filter(|n| !n.is_empty()),
        user_id: request.user_id.filter(|u| !u.is_empty()),
        guests: filter(request.guests),
        deactivated: filter(request.deactivated),
        locked: filter(request.locked),
        admins: filter(request.admins),
        not_user_types: request.not_user_types,
        order,
        backwards: request.backwards,
        from: clamp(request.from),
        limit: clamp(request.limit),
    };
    let page = svc.store().list_users(&query).await?;
    Ok(ListUsersResponse {
        users: page.users.into_iter().map(record).collect(),
        total: u64::try_from(page.total).unwrap_or_default(),
    })
}

pub(super) async fn get_user_record(
    svc: &AccountsService,
    request: GetUserRecordRequest,
) -> Result<UserRecord> {
    let user_id = user_id(request.user_id)?;
    let user = svc
        .store()
        .user_record(&user_id)
        .await?
        .ok_or(Error::UserNotFound)?;
    Ok(record(user))
}

fn threepids(list: Vec<Threepid>) -> Vec<store::Threepid> {
    list.into_iter()
        .map(|t| store::Threepid {
            medium: t.medium,
            address: t.address,
            added_at: t.added_at,
            validated_at: t.validated_at,
        })
        .collect()
}

fn external_ids(list: Vec<ExternalId>) -> Vec<store::ExternalId> {
    list.into_iter()
        .map(|e| store::ExternalId {
            auth_provider: e.auth_provider,
            external_id: e.external_id,
        })
        .collect()
}

pub(super) async fn put_user(
    svc: &AccountsService,
    request: PutUserRequest,
) -> Result<PutUserResponse> {
    let user_id = user_id(request.user_id)?;
    let existing = svc.store().user(&user_id).await?;
    let external = request
        .set_external_ids
        .then(|| external_ids(request.external_ids));
    if let Some(ids) = &external
        && svc.store().external_ids_taken(&user_id, ids).await?
    {
        return Err(Error::ExternalIdInUse);
    }
    let password_hash = match &request.password {
        Some(password) => Some(svc.settings.passwords.hash(password).await?),
        None => None,
    };
    let mut change = UserChange {
        displayname: request.displayname,
        avatar_url: request.set_avatar_url.then_some(request.avatar_url),
        user_type: request.set_user_type.then_some(request.user_type),
        admin: request.admin,
        password_hash: None,
        locked: request.locked,
        suspended: request.suspended,
        deactivated: None,
        erase: false,
        threepids: request.set_threepids.then(|| threepids(request.threepids)),
        external_ids: external,
    };
    let now = svc.clock().now_ms();
    let Some(existing) = existing else {
        // Create: Synapse registers the localpart, then applies the rest.
        if user_id.localpart() == svc.settings.reserved_localpart {
            return Err(Error::Reserved);
        }
        let localpart = user_id.localpart().to_owned();
        let displayname = change
            .displayname
            .take()
            .filter(|d| !d.is_empty())
            .unwrap_or(localpart);
        let new = NewUser {
            user_id: &user_id,
            password_hash: password_hash.as_deref(),
            displayname: &displayname,
            user_type: None,
            is_admin: false,
        };
        if !svc.store().create_user(new, &change, now).await? {
            return Err(Error::UserInUse);
        }
        let user = svc
            .store()
            .user_record(&user_id)
            .await?
            .ok_or(Error::UserNotFound)?;
        return Ok(PutUserResponse {
            created: true,
            deactivated_now: false,
            user: Some(record(user)),
        });
    };
    if request.admin == Some(false) && existing.is_admin && request.requester == user_id.as_str() {
        return Err(Error::DemoteSelf);
    }
    let deactivated_now = request.deactivated == Some(true) && !existing.deactivated;
    if deactivated_now {
        change.deactivated = Some(true);
    } else if request.deactivated == Some(false) && existing.deactivated {
        if password_hash.is_none() {
            return Err(Error::ReactivateWithoutPassword);
        }
        change.deactivated = Some(false);
    }
    // A password on an account being deactivated would be removed at once.
    if !deactivated_now {
        change.password_hash = password_hash.map(|hash| (hash, request.logout_devices));
    }
    if !svc.store().modify_user(&user_id, &change, now).await? {
        return Err(Error::UserNotFound);
    }
    svc.settings.invalidations.user_changed(&user_id).await;
    let user = svc
        .store()
        .user_record(&user_id)
        .await?
        .ok_or(Error::UserNotFound)?;
    Ok(PutUserResponse {
        created: false,
        deactivated_now,
        user: Some(record(user)),
    })
}

pub(super) async fn deactivate_user(
    svc: &AccountsService,
    request: DeactivateUserRequest,
) -> Result<DeactivateUserResponse> {
    let user_id = user_id(request.user_id)?;
    let change = UserChange {
        deactivated: Some(true),
        erase: request.erase,
        ..UserChange::default()
    };
    if !svc
        .store()
        .modify_user(&user_id, &change, svc.clock().now_ms())
        .await?
    {
        return Err(Error::UserNotFound);
    }
    svc.settings.invalidations.user_changed(&user_id).await;
    Ok(DeactivateUserResponse {})
}
