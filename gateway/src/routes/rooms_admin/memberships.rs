//! `GET /_synapse/admin/v1/users/{userId}/memberships`: room → the user's current
//! membership, for every room they have one in (`SYNAPSE-ADMIN.md` §5.7).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use bailiff_proto::convert;
use bailiff_proto::membership::GetUserMembershipsRequest;
use serde::Serialize;

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::routes::rooms::rooms;
use crate::state::AppState;

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserMemberships {
    /// By room ID: `join`, `invite`, `leave`, `ban` or `knock`.
    pub memberships: BTreeMap<String, String>,
}

/// The user's memberships (none for an unknown user, as Synapse).
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    params: PathParams,
) -> ApiResult<Json<UserMemberships>> {
    let user_id = params.user_id("userId")?;
    let rows = rooms(&state)
        .get_user_memberships(GetUserMembershipsRequest {
            user_id: user_id.to_string(),
        })
        .await?
        .into_inner()
        .memberships;
    let memberships = rows
        .into_iter()
        .filter_map(|row| {
            // A number this build does not know is skipped rather than guessed.
            let membership = convert::membership(row.membership).ok()?;
            Some((row.room_id, membership.as_str().to_owned()))
        })
        .collect();
    Ok(Json(UserMemberships { memberships }))
}
