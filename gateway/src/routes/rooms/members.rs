//! `GET /_matrix/client/{r0,v3}/rooms/{roomId}/joined_members` and `…/members`
//! (`membership`, `not_membership` filters).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_domain::Membership;
use bailiff_proto::membership::{self as pb, GetJoinedMembersRequest, GetMembersRequest};
use serde::{Deserialize, Serialize};

use super::{ClientEvent, client_events, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::{PathParams, typed};
use crate::state::AppState;

/// The answer of `joined_members`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JoinedMembers {
    /// By user ID.
    pub joined: BTreeMap<String, JoinedMember>,
}

/// A joined member's profile; absent parts are `null`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JoinedMember {
    pub avatar_url: Option<String>,
    pub display_name: Option<String>,
}

/// The query of `members`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Only members with this membership.
    #[param(value_type = Option<String>)]
    pub membership: Option<Membership>,
    /// Only members without this membership.
    #[param(value_type = Option<String>)]
    pub not_membership: Option<Membership>,
}

/// The answer of `members`: their `m.room.member` events.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Members {
    pub chunk: Vec<ClientEvent>,
}

/// `joined_members`.
pub async fn joined(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
) -> ApiResult<Json<JoinedMembers>> {
    let room_id = params.room_id("roomId")?;
    let members = rooms(&state)
        .get_joined_members(GetJoinedMembersRequest {
            room_id: room_id.to_string(),
            requester: user.user_id.to_string(),
        })
        .await?
        .into_inner();
    let joined = members
        .joined
        .into_iter()
        .map(|m| {
            let member = JoinedMember {
                avatar_url: m.avatar_url,
                display_name: m.display_name,
            };
            (m.user_id, member)
        })
        .collect();
    Ok(Json(JoinedMembers { joined }))
}

/// `members`, filtered.
pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Members>> {
    let room_id = params.room_id("roomId")?;
    let query: MembersQuery = typed::query(query.as_deref())?;
    let filter = |m: Option<Membership>| {
        m.map_or(pb::Membership::Unspecified, pb::Membership::from)
            .into()
    };
    let members = rooms(&state)
        .get_members(GetMembersRequest {
            room_id: room_id.to_string(),
            requester: user.user_id.to_string(),
            membership: filter(query.membership),
            not_membership: filter(query.not_membership),
        })
        .await?
        .into_inner();
    Ok(Json(Members {
        chunk: client_events(members.chunk),
    }))
}
