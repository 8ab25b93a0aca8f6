//! Client-server room endpoints (`docs/http-api.md`): each forwards to membership-svc's
//! `Rooms` service after the gateway has authenticated the caller and validated
//! identifiers and bodies. Event JSON, pagination tokens and sync layout are rendered
//! here; tokens are opaque (membership-svc mints and checks them).
//!
//! Answer structs list their fields in key order, as the untyped answers were rendered,
//! so the wire stays byte-identical.

use bailiff_proto::accounts::GetUserRequest;
use bailiff_proto::membership as pb;
use bailiff_proto::membership::rooms_client::RoomsClient;
use ruma_common::UserId;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::state::AppState;
use bailiff_proto::transport::{Transport, transport};

pub mod create;
pub mod invite;
pub mod join;
pub mod joined_rooms;
pub mod leave;
pub mod members;
pub mod messages;
pub mod send;
pub mod state;
pub mod sync;
pub mod tags;

/// A client for membership-svc's `Rooms` service.
pub(crate) fn rooms(state: &AppState) -> RoomsClient<Transport> {
    RoomsClient::new(transport(state.membership.clone()))
}

/// The display name of a local user, for their member events; `None` when unknown.
pub(crate) async fn displayname(state: &AppState, user_id: &UserId) -> Option<String> {
    let answer = state
        .accounts()
        .get_user(GetUserRequest {
            user_id: user_id.to_string(),
        })
        .await
        .ok()?
        .into_inner();
    Some(answer.displayname).filter(|name| !name.is_empty())
}

/// The body of join and leave: an optional `reason`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReasonBody {
    pub reason: Option<String>,
}

/// Event content stored as JSON text; anything but an object reads as `{}`.
fn parse_object(text: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => object,
        _ => Map::new(),
    }
}

/// A room event in the client-server format.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientEvent {
    #[schema(value_type = Object)]
    pub content: Map<String, Value>,
    pub event_id: String,
    /// Milliseconds since the epoch.
    pub origin_server_ts: i64,
    pub room_id: String,
    pub sender: String,
    /// Present on state events only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_key: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    /// Always carries `age`; `transaction_id` for the sender's own events.
    #[schema(value_type = Object)]
    pub unsigned: Map<String, Value>,
}

impl From<pb::Event> for ClientEvent {
    fn from(event: pb::Event) -> Self {
        let mut unsigned = if event.unsigned.is_empty() {
            Map::new()
        } else {
            parse_object(&event.unsigned)
        };
        let age = bailiff_domain::now_ms()
            .saturating_sub(event.origin_server_ts)
            .max(0);
        unsigned.insert("age".into(), age.into());
        Self {
            content: parse_object(&event.content),
            event_id: event.event_id,
            origin_server_ts: event.origin_server_ts,
            room_id: event.room_id,
            sender: event.sender,
            state_key: event.state_key,
            kind: event.r#type,
            unsigned,
        }
    }
}

/// A list of events in the client-server format.
pub(crate) fn client_events(events: Vec<pb::Event>) -> Vec<ClientEvent> {
    events.into_iter().map(ClientEvent::from).collect()
}

/// A stripped state event (`invite_state`): type, state key, sender, content.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StrippedEvent {
    #[schema(value_type = Object)]
    pub content: Map<String, Value>,
    pub sender: String,
    pub state_key: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl From<pb::StrippedEvent> for StrippedEvent {
    fn from(event: pb::StrippedEvent) -> Self {
        Self {
            content: parse_object(&event.content),
            sender: event.sender,
            state_key: event.state_key,
            kind: event.r#type,
        }
    }
}

/// An account data event: type and content.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountDataEvent {
    #[schema(value_type = Object)]
    pub content: Map<String, Value>,
    #[serde(rename = "type")]
    pub kind: String,
}

impl From<pb::AccountDataEvent> for AccountDataEvent {
    fn from(event: pb::AccountDataEvent) -> Self {
        Self {
            content: parse_object(&event.content),
            kind: event.r#type,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn renders_events_for_clients() {
        let event = serde_json::to_value(ClientEvent::from(pb::Event {
            event_id: "$e".into(),
            room_id: "!r:hs".into(),
            r#type: "m.room.name".into(),
            sender: "@a:hs".into(),
            state_key: Some(String::new()),
            content: r#"{"name":"x"}"#.into(),
            origin_server_ts: 1,
            unsigned: r#"{"transaction_id":"t"}"#.into(),
            stream_pos: 9,
        }))
        .unwrap_or_default();
        assert_eq!(event["state_key"], "");
        assert_eq!(event["type"], "m.room.name");
        assert_eq!(event["content"]["name"], "x");
        assert_eq!(event["unsigned"]["transaction_id"], "t");
        assert!(event["unsigned"]["age"].is_i64());
        assert!(event.get("stream_pos").is_none());

        let message = serde_json::to_value(ClientEvent::from(pb::Event {
            content: "garbage".into(),
            ..Default::default()
        }))
        .unwrap_or_default();
        assert!(message.get("state_key").is_none());
        assert_eq!(message["content"], json!({}));
    }
}
