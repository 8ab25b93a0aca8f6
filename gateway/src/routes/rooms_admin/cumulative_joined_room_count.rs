//! `GET /_synapse/admin/v1/users/{userId}/cumulative_joined_room_count?from_ts=`: Distinct rooms the user joined (even those left since) at or after
//! `from_ts` (milliseconds; absent means 0), counted from the member events
//! (`SYNAPSE-ADMIN.md` §6). Ketesa's user page reads it.

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::membership::GetUserMembershipCountsRequest;
use serde::{Deserialize, Serialize};

use super::query;
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{PathParams, typed};
use crate::routes::rooms::rooms;
use crate::state::AppState;

/// The query; unknown parameters are ignored.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CumulativeJoinedRoomCountQuery {
    /// Count from this time (milliseconds since the epoch; default 0).
    pub from_ts: Option<String>,
}

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CumulativeJoinedRoomCount {
    pub cumulative_joined_room_count: i64,
}

/// The count.
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    params: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<CumulativeJoinedRoomCount>> {
    let user_id = params.user_id("userId")?;
    let params: CumulativeJoinedRoomCountQuery = typed::query(raw.as_deref())?;
    let from_ts = query::non_negative("from_ts", params.from_ts.as_deref(), 0)?;
    let counts = rooms(&state)
        .get_user_membership_counts(GetUserMembershipCountsRequest {
            user_id: user_id.to_string(),
            from_ts,
        })
        .await?
        .into_inner();
    Ok(Json(CumulativeJoinedRoomCount {
        cumulative_joined_room_count: counts.cumulative_joined_rooms,
    }))
}
