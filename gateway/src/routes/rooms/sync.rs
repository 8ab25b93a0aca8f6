//! `GET /_matrix/client/{r0,v3}/sync` (`since`, `timeout`, `full_state`, and an inline
//! JSON `filter`'s `room.timeline.limit`). Long-polling happens in membership-svc, which
//! is woken by commits on any replica.
//!
//! Answer structs list their fields in key order, as the untyped answer was rendered.
//! What this server never has (presence, to-device, device lists, ephemeral events) is
//! rendered empty.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::membership::{SyncRequest, Timeline};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{AccountDataEvent, ClientEvent, StrippedEvent, client_events, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::{QueryBool, QueryInt, typed};
use crate::state::AppState;

/// Longest long-poll a client may ask for.
const MAX_TIMEOUT_MS: u64 = 120_000;

/// The query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncQuery {
    /// `next_batch` of the previous sync; absent for an initial sync.
    pub since: Option<String>,
    /// Milliseconds to wait for news, at most 120000.
    #[param(value_type = Option<u64>, minimum = 0)]
    pub timeout: Option<QueryInt>,
    #[param(value_type = Option<bool>)]
    pub full_state: Option<QueryBool>,
    /// Inline JSON filter; only `room.timeline.limit` is read, anything unreadable is
    /// ignored.
    pub filter: Option<String>,
}

impl SyncQuery {
    /// `room.timeline.limit` of an inline filter, clamped to 1..=100; 0 when absent.
    fn timeline_limit(&self) -> u32 {
        let limit = self
            .filter
            .as_deref()
            .and_then(|filter| serde_json::from_str::<Value>(filter).ok())
            .and_then(|filter| {
                filter
                    .pointer("/room/timeline/limit")
                    .and_then(Value::as_u64)
            });
        // Clamped to 1..=100, so the conversion cannot fail.
        limit.map_or(0, |limit| u32::try_from(limit.clamp(1, 100)).unwrap_or(100))
    }
}

/// `{"events": [...]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientEvents {
    pub events: Vec<ClientEvent>,
}

/// `{"events": [...]}` of account data.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountData {
    pub events: Vec<AccountDataEvent>,
}

/// `{"events": [...]}` of stripped state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StrippedState {
    pub events: Vec<StrippedEvent>,
}

/// `{"events": []}`: a section this server never fills.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct NoEvents {
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
}

/// A room's timeline slice.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SyncTimeline {
    pub events: Vec<ClientEvent>,
    pub limited: bool,
    pub prev_batch: String,
}

impl From<Option<Timeline>> for SyncTimeline {
    fn from(timeline: Option<Timeline>) -> Self {
        let timeline = timeline.unwrap_or_default();
        Self {
            events: client_events(timeline.events),
            limited: timeline.limited,
            prev_batch: timeline.prev_batch,
        }
    }
}

/// Always zero: notifications are not counted.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct UnreadNotifications {
    pub highlight_count: u64,
    pub notification_count: u64,
}

/// A joined room.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JoinedRoom {
    pub account_data: AccountData,
    pub ephemeral: NoEvents,
    pub state: ClientEvents,
    /// Always empty.
    #[schema(value_type = Object)]
    pub summary: Map<String, Value>,
    pub timeline: SyncTimeline,
    pub unread_notifications: UnreadNotifications,
}

/// A room the user is invited to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitedRoom {
    pub invite_state: StrippedState,
}

/// A room the user left (or was kicked or banned from).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LeftRoom {
    pub account_data: AccountData,
    pub state: ClientEvents,
    pub timeline: SyncTimeline,
}

/// The rooms, by room ID.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SyncRooms {
    pub invite: BTreeMap<String, InvitedRoom>,
    pub join: BTreeMap<String, JoinedRoom>,
    /// Always empty.
    #[schema(value_type = Object)]
    pub knock: Map<String, Value>,
    pub leave: BTreeMap<String, LeftRoom>,
}

/// Device list changes; always empty.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DeviceLists {
    pub changed: Vec<String>,
    pub left: Vec<String>,
}

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SyncResponse {
    pub account_data: NoEvents,
    pub device_lists: DeviceLists,
    /// Always empty.
    #[schema(value_type = Object)]
    pub device_one_time_keys_count: Map<String, Value>,
    pub next_batch: String,
    pub presence: NoEvents,
    pub rooms: SyncRooms,
    pub to_device: NoEvents,
}

fn account_data(events: Vec<bailiff_proto::membership::AccountDataEvent>) -> AccountData {
    AccountData {
        events: events.into_iter().map(AccountDataEvent::from).collect(),
    }
}

/// One sync.
pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<SyncResponse>> {
    let query: SyncQuery = typed::query(query.as_deref())?;
    let timeout_ms = query
        .timeout
        .map_or(0, |QueryInt(timeout)| timeout.min(MAX_TIMEOUT_MS));
    let full_state = query.full_state.is_some_and(|QueryBool(full)| full);
    let timeline_limit = query.timeline_limit();
    let sync = rooms(&state)
        .sync(SyncRequest {
            user_id: user.user_id.to_string(),
            device_id: user.device_id.clone(),
            since: query.since.unwrap_or_default(),
            full_state,
            timeout_ms,
            timeline_limit,
        })
        .await?
        .into_inner();
    let join = sync
        .join
        .into_iter()
        .map(|room| {
            let body = JoinedRoom {
                account_data: account_data(room.account_data),
                ephemeral: NoEvents::default(),
                state: ClientEvents {
                    events: client_events(room.state),
                },
                summary: Map::new(),
                timeline: SyncTimeline::from(room.timeline),
                unread_notifications: UnreadNotifications::default(),
            };
            (room.room_id, body)
        })
        .collect();
    let invite = sync
        .invite
        .into_iter()
        .map(|room| {
            let events = room
                .invite_state
                .into_iter()
                .map(StrippedEvent::from)
                .collect();
            let body = InvitedRoom {
                invite_state: StrippedState { events },
            };
            (room.room_id, body)
        })
        .collect();
    let leave = sync
        .leave
        .into_iter()
        .map(|room| {
            let body = LeftRoom {
                account_data: account_data(room.account_data),
                state: ClientEvents {
                    events: client_events(room.state),
                },
                timeline: SyncTimeline::from(room.timeline),
            };
            (room.room_id, body)
        })
        .collect();
    Ok(Json(SyncResponse {
        account_data: NoEvents::default(),
        device_lists: DeviceLists::default(),
        device_one_time_keys_count: Map::new(),
        next_batch: sync.next_batch,
        presence: NoEvents::default(),
        rooms: SyncRooms {
            invite,
            join,
            knock: Map::new(),
            leave,
        },
        to_device: NoEvents::default(),
    }))
}
