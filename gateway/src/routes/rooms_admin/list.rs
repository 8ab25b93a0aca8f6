//! `GET /_synapse/admin/v1/rooms`: one page of every room the server knows, with
//! Synapse's ordering, search and filters (`SYNAPSE-ADMIN.md` §5.9).

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::membership::{ListRoomsRequest, RoomOrder};
use matrix_status::MatrixError;
use serde::{Deserialize, Serialize};

use super::RoomRecord;
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::synapse_query as query;
use crate::extract::typed;
use crate::routes::rooms::rooms;
use crate::state::AppState;

/// Synapse's `order_by` values, in Synapse's order (its error text lists them so).
const ORDERS: &[(&str, RoomOrder)] = &[
    ("alphabetical", RoomOrder::Name),
    ("size", RoomOrder::JoinedMembers),
    ("name", RoomOrder::Name),
    ("canonical_alias", RoomOrder::CanonicalAlias),
    ("joined_members", RoomOrder::JoinedMembers),
    ("joined_local_members", RoomOrder::JoinedLocalMembers),
    ("version", RoomOrder::Version),
    ("creator", RoomOrder::Creator),
    ("encryption", RoomOrder::Encryption),
    ("federatable", RoomOrder::Federatable),
    ("public", RoomOrder::Public),
    ("join_rules", RoomOrder::JoinRules),
    ("guest_access", RoomOrder::GuestAccess),
    ("history_visibility", RoomOrder::HistoryVisibility),
    ("state_events", RoomOrder::StateEvents),
];

/// The query; unknown parameters are ignored.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRoomsQuery {
    /// Offset (default 0).
    pub from: Option<String>,
    /// Page size (default 100, at most 10,000; 0 counts only).
    pub limit: Option<String>,
    /// One of Synapse's sort fields (default `name`).
    pub order_by: Option<String>,
    /// `f` (the field's natural direction, default) or `b`.
    pub dir: Option<String>,
    /// Name or alias substring, or an exact room ID; must not be empty.
    pub search_term: Option<String>,
    /// `true` only published rooms, `false` only unpublished ones.
    pub public_rooms: Option<String>,
    /// `true` only rooms without joined members, `false` only rooms with some.
    pub empty_rooms: Option<String>,
}

/// The answer: `next_batch`/`prev_batch` are offsets, present only when there is such
/// a page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoomList {
    pub offset: i64,
    pub rooms: Vec<RoomRecord>,
    pub total_rooms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_batch: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_batch: Option<i64>,
}

/// Checks the query in Synapse's order, then lists.
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<RoomList>> {
    let params: ListRoomsQuery = typed::query(raw.as_deref())?;
    let from = query::non_negative("from", params.from.as_deref(), 0)?;
    let limit = query::limit(params.limit.as_deref(), 100)?;
    let names: Vec<&str> = ORDERS.iter().map(|(name, _)| *name).collect();
    let order = query::one_of("order_by", params.order_by.as_deref(), &names)?
        .and_then(|name| ORDERS.iter().find(|(n, _)| *n == name))
        .map_or(RoomOrder::Name, |(_, order)| *order);
    let reverse = query::backwards(params.dir.as_deref())?;
    if params.search_term.as_deref() == Some("") {
        return Err(MatrixError::invalid_param("search_term cannot be an empty string").into());
    }
    let public_rooms = query::boolean("public_rooms", params.public_rooms.as_deref())?;
    let empty_rooms = query::boolean("empty_rooms", params.empty_rooms.as_deref())?;
    let answer = rooms(&state)
        .list_rooms(ListRoomsRequest {
            from,
            limit,
            order_by: order.into(),
            reverse,
            search_term: params.search_term,
            public_rooms,
            empty_rooms,
        })
        .await?
        .into_inner();
    let total = answer.total;
    Ok(Json(RoomList {
        offset: from,
        rooms: answer.rooms.iter().map(RoomRecord::from).collect(),
        total_rooms: total,
        next_batch: (from.saturating_add(limit) < total).then(|| from.saturating_add(limit)),
        prev_batch: (from > 0).then(|| (from - limit).max(0)),
    }))
}
