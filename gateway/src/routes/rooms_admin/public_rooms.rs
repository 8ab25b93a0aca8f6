//! `GET` and `POST /_matrix/client/{r0,v3}/publicRooms`: the rooms published in the
//! directory, most joined members first (`docs/http-api.md` §8). Paging tokens are
//! offsets; unknown parameters and body keys are ignored; `server` is this server.

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::membership::{ListRoomsRequest, RoomOrder, RoomStats};
use matrix_status::MatrixError;
use serde::{Deserialize, Serialize};

use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::synapse_query as query;
use crate::extract::typed::Field;
use crate::extract::{JsonBody, typed};
use crate::routes::rooms::rooms;
use crate::state::AppState;

/// Rooms per page when the client gives no `limit`.
const DEFAULT_LIMIT: i64 = 100;

/// The `GET` query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicRoomsQuery {
    /// Page size.
    pub limit: Option<String>,
    /// A `next_batch` or `prev_batch` of an earlier answer.
    pub since: Option<String>,
}

/// The `POST` body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PublicRoomsBody {
    #[schema(value_type = Option<i64>)]
    #[serde(default)]
    pub limit: Field<i64>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub since: Field<String>,
    /// `{"generic_search_term": "…"}`: name, alias or room ID, as the admin list.
    #[schema(value_type = Option<PublicRoomsFilter>)]
    #[serde(default)]
    pub filter: Field<PublicRoomsFilter>,
}

/// The `POST` filter.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct PublicRoomsFilter {
    pub generic_search_term: Option<String>,
}

/// One published room.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicRoom {
    pub room_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical_alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    pub num_joined_members: i64,
    pub world_readable: bool,
    pub guest_can_join: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room_type: Option<String>,
}

impl From<RoomStats> for PublicRoom {
    fn from(room: RoomStats) -> Self {
        Self {
            world_readable: room.history_visibility.as_deref() == Some("world_readable"),
            guest_can_join: room.guest_access.as_deref() == Some("can_join"),
            room_id: room.room_id,
            name: room.name,
            topic: room.topic,
            canonical_alias: room.canonical_alias,
            avatar_url: room.avatar,
            num_joined_members: room.joined_members,
            join_rule: room.join_rules,
            room_type: room.room_type,
        }
    }
}

/// The answer; the batch tokens are present only when there is such a page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicRooms {
    pub chunk: Vec<PublicRoom>,
    pub total_room_count_estimate: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_batch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_batch: Option<String>,
}

/// `GET`.
pub async fn get(
    State(state): State<AppState>,
    _user: AuthedUser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<PublicRooms>> {
    let params: PublicRoomsQuery = typed::query(raw.as_deref())?;
    let limit = query::limit(params.limit.as_deref(), DEFAULT_LIMIT)?;
    let from = offset(params.since.as_deref())?;
    Ok(Json(page(&state, from, limit, None).await?))
}

/// `POST`.
pub async fn post(
    State(state): State<AppState>,
    _user: AuthedUser,
    body: JsonBody,
) -> ApiResult<Json<PublicRooms>> {
    let body: PublicRoomsBody = body.parse()?;
    let limit = body
        .limit
        .optional("limit")?
        .map_or(DEFAULT_LIMIT, |limit| limit.clamp(0, query::MAX_LIMIT));
    let from = offset(body.since.optional("since")?.as_deref())?;
    let search = body
        .filter
        .optional("filter")?
        .and_then(|filter| filter.generic_search_term)
        .filter(|term| !term.is_empty());
    Ok(Json(page(&state, from, limit, search).await?))
}

/// A `since` token: the offset it stands for.
fn offset(since: Option<&str>) -> Result<i64, MatrixError> {
    match since.filter(|s| !s.is_empty()) {
        None => Ok(0),
        Some(token) => token
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| MatrixError::invalid_param("Invalid since token")),
    }
}

async fn page(
    state: &AppState,
    from: i64,
    limit: i64,
    search_term: Option<String>,
) -> ApiResult<PublicRooms> {
    let answer = rooms(state)
        .list_rooms(ListRoomsRequest {
            from,
            limit,
            order_by: RoomOrder::JoinedMembers.into(),
            reverse: false,
            search_term,
            public_rooms: Some(true),
            empty_rooms: None,
        })
        .await?
        .into_inner();
    let total = answer.total;
    let end = from.saturating_add(limit);
    Ok(PublicRooms {
        chunk: answer.rooms.into_iter().map(PublicRoom::from).collect(),
        total_room_count_estimate: total,
        next_batch: (end < total).then(|| end.to_string()),
        prev_batch: (from > 0).then(|| (from - limit).max(0).to_string()),
    })
}
