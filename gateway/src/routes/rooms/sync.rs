//! `GET /_matrix/client/{r0,v3}/sync` (`since`, `timeout`, `full_state`, and an inline
//! JSON `filter`'s `room.timeline.limit`). Long-polling happens in membership-svc, which
//! is woken by commits on any replica.

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::membership::{SyncRequest, Timeline};
use serde_json::{Map, Value, json};

use super::{Query, account_data_event, client_events, rooms, stripped_event};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::state::AppState;

/// Longest long-poll a client may ask for.
const MAX_TIMEOUT_MS: u64 = 120_000;

pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    query: RawQuery,
) -> ApiResult<Json<Value>> {
    let query = Query::new(query);
    let timeout_ms = query.integer("timeout")?.unwrap_or(0).min(MAX_TIMEOUT_MS);
    let full_state = query.boolean("full_state")?.unwrap_or(false);
    let timeline_limit = query
        .get("filter")
        .and_then(|filter| serde_json::from_str::<Value>(filter).ok())
        .and_then(|filter| {
            filter
                .pointer("/room/timeline/limit")
                .and_then(Value::as_u64)
        })
        .map_or(0, |limit| limit.clamp(1, 100) as u32);
    let sync = rooms(&state)
        .sync(SyncRequest {
            user_id: user.user_id.clone(),
            device_id: user.device_id.clone(),
            since: query.get("since").unwrap_or_default().to_owned(),
            full_state,
            timeout_ms,
            timeline_limit,
        })
        .await?
        .into_inner();

    let join: Map<String, Value> = sync
        .join
        .into_iter()
        .map(|room| {
            let body = json!({
                "timeline": timeline(room.timeline),
                "state": { "events": client_events(room.state) },
                "account_data": {
                    "events": room.account_data.into_iter().map(account_data_event).collect::<Vec<_>>()
                },
                "ephemeral": { "events": [] },
                "unread_notifications": { "notification_count": 0, "highlight_count": 0 },
                "summary": {},
            });
            (room.room_id, body)
        })
        .collect();
    let invite: Map<String, Value> = sync
        .invite
        .into_iter()
        .map(|room| {
            let events: Vec<Value> = room.invite_state.into_iter().map(stripped_event).collect();
            (
                room.room_id,
                json!({ "invite_state": { "events": events } }),
            )
        })
        .collect();
    let leave: Map<String, Value> = sync
        .leave
        .into_iter()
        .map(|room| {
            let body = json!({
                "timeline": timeline(room.timeline),
                "state": { "events": client_events(room.state) },
                "account_data": {
                    "events": room.account_data.into_iter().map(account_data_event).collect::<Vec<_>>()
                },
            });
            (room.room_id, body)
        })
        .collect();
    Ok(Json(json!({
        "next_batch": sync.next_batch,
        "rooms": { "join": join, "invite": invite, "leave": leave, "knock": {} },
        "presence": { "events": [] },
        "account_data": { "events": [] },
        "to_device": { "events": [] },
        "device_lists": { "changed": [], "left": [] },
        "device_one_time_keys_count": {},
    })))
}

fn timeline(timeline: Option<Timeline>) -> Value {
    let timeline = timeline.unwrap_or_default();
    json!({
        "events": client_events(timeline.events),
        "limited": timeline.limited,
        "prev_batch": timeline.prev_batch,
    })
}
