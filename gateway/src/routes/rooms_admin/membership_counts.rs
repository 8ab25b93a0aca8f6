//! Two counts Ketesa's user page reads, both counted from the user's member events at or
//! after `from_ts` (milliseconds; absent means 0) in one `GetUserMembershipCounts` call
//! (`docs/http-api.md` §7, "Stubs"):
//!
//! - `GET /_synapse/admin/v1/users/{userId}/sent_invite_count`: invites the user sent;
//! - `GET /_synapse/admin/v1/users/{userId}/cumulative_joined_room_count`: distinct rooms
//!   the user joined, even those left since.

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::membership::{GetUserMembershipCountsRequest, GetUserMembershipCountsResponse};
use serde::{Deserialize, Serialize};

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::synapse_query as query;
use crate::extract::{PathParams, typed};
use crate::routes::rooms::rooms;
use crate::state::AppState;

/// The query of both counts; unknown parameters are ignored.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountsQuery {
    /// Count from this time (milliseconds since the epoch; default 0).
    pub from_ts: Option<String>,
}

/// The answer of `sent_invite_count`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SentInviteCount {
    pub invite_count: i64,
}

/// The answer of `cumulative_joined_room_count`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CumulativeJoinedRoomCount {
    pub cumulative_joined_room_count: i64,
}

/// Both counts of the user in the path, from the query's `from_ts`.
async fn counts(
    state: &AppState,
    params: &PathParams,
    raw: Option<&str>,
) -> ApiResult<GetUserMembershipCountsResponse> {
    let user_id = params.user_id("userId")?;
    let query: CountsQuery = typed::query(raw)?;
    let from_ts = query::non_negative("from_ts", query.from_ts.as_deref(), 0)?;
    Ok(rooms(state)
        .get_user_membership_counts(GetUserMembershipCountsRequest {
            user_id: user_id.to_string(),
            from_ts,
        })
        .await?
        .into_inner())
}

/// `sent_invite_count`.
pub async fn sent_invites(
    State(state): State<AppState>,
    _admin: AdminUser,
    params: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<SentInviteCount>> {
    let counts = counts(&state, &params, raw.as_deref()).await?;
    Ok(Json(SentInviteCount {
        invite_count: counts.sent_invites,
    }))
}

/// `cumulative_joined_room_count`.
pub async fn cumulative_joined_rooms(
    State(state): State<AppState>,
    _admin: AdminUser,
    params: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<CumulativeJoinedRoomCount>> {
    let counts = counts(&state, &params, raw.as_deref()).await?;
    Ok(Json(CumulativeJoinedRoomCount {
        cumulative_joined_room_count: counts.cumulative_joined_rooms,
    }))
}
