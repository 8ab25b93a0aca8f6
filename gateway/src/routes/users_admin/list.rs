//! `GET /_synapse/admin/v2/users` and `GET /_synapse/admin/v3/users` (admin): one page of
//! users, Synapse's filters and order (`docs/http-api.md` §7). The two versions differ
//! only in `deactivated`: v2 hides deactivated users unless `deactivated=true`; v3 shows
//! everyone unless asked, `true` meaning only deactivated and `false` none.

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::accounts::{FlagFilter, ListUsersRequest};
use serde::{Deserialize, Serialize};

use super::accounts;
use super::shapes::ListedUser;
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::synapse_query::QueryPairs;
use crate::state::AppState;

/// Synapse's default page size.
const DEFAULT_LIMIT: u64 = 100;

/// Synapse's `order_by` values, in its order (they appear in the error text).
pub const ORDER_BY: &[&str] = &[
    "name",
    "displayname",
    "is_guest",
    "admin",
    "deactivated",
    "user_type",
    "avatar_url",
    "shadow_banned",
    "creation_ts",
    "last_seen_ts",
    "locked",
];

/// The query (documentation form; parsed by [`Query`] for Synapse's texts).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Offset, default 0.
    pub from: Option<u64>,
    /// Page size, default 100, at most 10,000.
    pub limit: Option<u64>,
    /// Substring of the full user ID (ignored when `name` is given).
    pub user_id: Option<String>,
    /// Substring of the localpart or display name, case-insensitive.
    pub name: Option<String>,
    /// `false` hides guests.
    pub guests: Option<bool>,
    /// v2: `true` includes deactivated users. v3: `true` only them, `false` none.
    pub deactivated: Option<bool>,
    /// `true` includes locked users (default hides them).
    pub locked: Option<bool>,
    /// `true` only admins, `false` no admins.
    pub admins: Option<bool>,
    /// Repeatable: hide users of this type; empty means "no type".
    pub not_user_type: Option<String>,
    /// Sort key, default `name`; ties by name ascending.
    pub order_by: Option<String>,
    /// `f` (default) or `b`.
    pub dir: Option<String>,
}

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsersPage {
    pub users: Vec<ListedUser>,
    /// Matches over every page.
    pub total: u64,
    /// The next `from`, present only when more pages follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Which version's `deactivated` semantics apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V2,
    V3,
}

/// `GET /_synapse/admin/v2/users`.
pub async fn v2(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<UsersPage>> {
    list(&state, raw.as_deref(), Version::V2).await
}

/// `GET /_synapse/admin/v3/users`.
pub async fn v3(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<UsersPage>> {
    list(&state, raw.as_deref(), Version::V3).await
}

fn only_or_exclude(value: bool) -> FlagFilter {
    if value {
        FlagFilter::Only
    } else {
        FlagFilter::Exclude
    }
}

/// Parameters in Synapse's order: from, limit, user_id, name, guests, deactivated,
/// locked, admins, not_user_type, order_by, dir.
async fn list(state: &AppState, raw: Option<&str>, version: Version) -> ApiResult<Json<UsersPage>> {
    let query = QueryPairs::parse(raw);
    let from = query.non_negative("from")?.unwrap_or(0);
    let limit = query.limit(DEFAULT_LIMIT)?;
    let user_id = query.first("user_id").map(str::to_owned);
    let name = query.first("name").map(str::to_owned);
    let guests = match query.boolean("guests")? {
        Some(false) => FlagFilter::Exclude,
        _ => FlagFilter::Any,
    };
    let deactivated = match (version, query.boolean("deactivated")?) {
        (Version::V2, Some(true)) | (Version::V3, None) => FlagFilter::Any,
        (Version::V2, _) => FlagFilter::Exclude,
        (Version::V3, Some(value)) => only_or_exclude(value),
    };
    let locked = match query.boolean("locked")? {
        Some(true) => FlagFilter::Any,
        _ => FlagFilter::Exclude,
    };
    let admins = query
        .boolean("admins")?
        .map_or(FlagFilter::Any, only_or_exclude);
    let not_user_types = query.all("not_user_type");
    let order_by = query.one_of("order_by", ORDER_BY)?.unwrap_or("name");
    let backwards = query.backwards()?;
    let page = accounts(state)
        .list_users(ListUsersRequest {
            from,
            limit,
            name,
            user_id,
            guests: guests.into(),
            deactivated: deactivated.into(),
            locked: locked.into(),
            admins: admins.into(),
            not_user_types,
            order_by: order_by.to_owned(),
            backwards,
        })
        .await?
        .into_inner();
    let shown = u64::try_from(page.users.len()).unwrap_or(u64::MAX);
    let next_token =
        (from.saturating_add(limit) < page.total).then(|| from.saturating_add(shown).to_string());
    Ok(Json(UsersPage {
        users: page.users.into_iter().map(ListedUser::from).collect(),
        total: page.total,
        next_token,
    }))
}
