//! `GET /_matrix/client/{r0,v3}/rooms/{roomId}/messages` (`from`, `to`, `dir`, `limit`).
//! Tokens from `/sync` are valid `from` values; malformed tokens are
//! `400 M_INVALID_PARAM` (membership-svc checks them).

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::membership::GetMessagesRequest;
use serde::{Deserialize, Serialize};

use super::{ClientEvent, client_events, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::{PathParams, QueryInt, typed};
use crate::state::AppState;

/// Largest page served.
const MAX_LIMIT: u64 = 1000;

/// The query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// A token from `/sync` or an earlier page; default: the start (forwards) or the end.
    pub from: Option<String>,
    /// Where to stop.
    pub to: Option<String>,
    /// Default `f` (Synapse's default).
    #[param(inline)]
    pub dir: Option<Direction>,
    /// Events per page, default 10, at most 1000.
    #[param(value_type = Option<u64>, minimum = 0)]
    pub limit: Option<QueryInt>,
}

/// Which way to page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub enum Direction {
    /// Forwards in time.
    #[default]
    #[serde(rename = "f")]
    Forwards,
    /// Backwards in time.
    #[serde(rename = "b")]
    Backwards,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Forwards => "f",
            Self::Backwards => "b",
        }
    }
}

/// A page. Fields are in key order, as the untyped answer was rendered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessagesPage {
    pub chunk: Vec<ClientEvent>,
    /// Absent at the end of the timeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    pub start: String,
    /// Member events of the senders, when lazy loading applies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub state: Vec<ClientEvent>,
}

/// A page of the timeline.
pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<MessagesPage>> {
    let room_id = params.room_id("roomId")?;
    let query: MessagesQuery = typed::query(query.as_deref())?;
    let limit = query
        .limit
        .map_or(10, |QueryInt(limit)| limit.min(MAX_LIMIT));
    let page = rooms(&state)
        .get_messages(GetMessagesRequest {
            room_id: room_id.to_string(),
            requester: user.user_id.to_string(),
            from: query.from.unwrap_or_default(),
            dir: query.dir.unwrap_or_default().as_str().to_owned(),
            // At most MAX_LIMIT, so the conversion cannot fail.
            limit: u32::try_from(limit).unwrap_or(u32::MAX).max(1),
            to: query.to.unwrap_or_default(),
        })
        .await?
        .into_inner();
    Ok(Json(MessagesPage {
        chunk: client_events(page.chunk),
        end: page.end,
        start: page.start,
        state: client_events(page.state),
    }))
}
