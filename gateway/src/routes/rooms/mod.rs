//! Client-server room endpoints (API.md §5): each forwards to membership-svc's `Rooms`
//! service after the gateway has authenticated the caller and validated identifiers and
//! bodies. Event JSON, pagination tokens and sync layout are rendered here; tokens are
//! opaque (membership-svc mints and checks them).

use axum::extract::RawQuery;
use bailiff_proto::accounts::GetUserRequest;
use bailiff_proto::membership as pb;
use bailiff_proto::membership::rooms_client::RoomsClient;
use matrix_status::MatrixError;
use serde_json::{Map, Value, json};

use crate::extract::{PathParams, ids};
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

/// The `{roomId}` path parameter, decoded and validated (`400 M_INVALID_PARAM`).
pub(crate) fn room_id_param(params: &PathParams, name: &str) -> Result<String, MatrixError> {
    let raw = params.get(name)?;
    Ok(ids::parse_room_id(&raw)?.to_string())
}

/// The display name of a local user, for their member events; `None` when unknown.
pub(crate) async fn displayname(state: &AppState, user_id: &str) -> Option<String> {
    let answer = state
        .accounts()
        .get_user(GetUserRequest {
            user_id: user_id.to_owned(),
        })
        .await
        .ok()?
        .into_inner();
    Some(answer.displayname).filter(|name| !name.is_empty())
}

/// Decoded query parameters (`?a=1&b=2`), first value wins.
#[derive(Debug, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn new(RawQuery(raw): RawQuery) -> Self {
        let pairs = raw
            .map(|raw| {
                url::form_urlencoded::parse(raw.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self(pairs)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A non-negative integer parameter; anything else is `400 M_INVALID_PARAM`.
    pub(crate) fn integer(&self, key: &str) -> Result<Option<u64>, MatrixError> {
        self.get(key)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    MatrixError::invalid_param(format!("Query parameter {key} must be an integer"))
                })
            })
            .transpose()
    }

    /// A `true`/`false` parameter; anything else is `400 M_INVALID_PARAM`.
    pub(crate) fn boolean(&self, key: &str) -> Result<Option<bool>, MatrixError> {
        self.get(key)
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(MatrixError::invalid_param(format!(
                    "Query parameter {key} must be true or false"
                ))),
            })
            .transpose()
    }
}

fn parse_object(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Value::Object(object),
        _ => Value::Object(Map::new()),
    }
}

/// A room event in the client-server format.
pub(crate) fn client_event(event: pb::Event) -> Value {
    let mut object = json!({
        "event_id": event.event_id,
        "type": event.r#type,
        "sender": event.sender,
        "room_id": event.room_id,
        "origin_server_ts": event.origin_server_ts,
        "content": parse_object(&event.content),
    });
    if let Some(state_key) = event.state_key {
        object["state_key"] = state_key.into();
    }
    let mut unsigned = if event.unsigned.is_empty() {
        Map::new()
    } else {
        match parse_object(&event.unsigned) {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    };
    let age = bailiff_domain::now_ms()
        .saturating_sub(event.origin_server_ts)
        .max(0);
    unsigned.insert("age".into(), age.into());
    object["unsigned"] = Value::Object(unsigned);
    object
}

/// A list of events in the client-server format.
pub(crate) fn client_events(events: Vec<pb::Event>) -> Vec<Value> {
    events.into_iter().map(client_event).collect()
}

/// A stripped state event (`invite_state`): type, state key, sender, content.
pub(crate) fn stripped_event(event: pb::StrippedEvent) -> Value {
    json!({
        "type": event.r#type,
        "state_key": event.state_key,
        "sender": event.sender,
        "content": parse_object(&event.content),
    })
}

/// An account data event: type and content.
pub(crate) fn account_data_event(event: pb::AccountDataEvent) -> Value {
    json!({ "type": event.r#type, "content": parse_object(&event.content) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_events_for_clients() {
        let event = client_event(pb::Event {
            event_id: "$e".into(),
            room_id: "!r:hs".into(),
            r#type: "m.room.name".into(),
            sender: "@a:hs".into(),
            state_key: Some(String::new()),
            content: r#"{"name":"x"}"#.into(),
            origin_server_ts: 1,
            unsigned: r#"{"transaction_id":"t"}"#.into(),
            stream_pos: 9,
        });
        assert_eq!(event["state_key"], "");
        assert_eq!(event["content"]["name"], "x");
        assert_eq!(event["unsigned"]["transaction_id"], "t");
        assert!(event["unsigned"]["age"].is_i64());
        assert!(event.get("stream_pos").is_none());
        let message = client_event(pb::Event {
            content: "garbage".into(),
            ..Default::default()
        });
        assert!(message.get("state_key").is_none());
        assert_eq!(message["content"], json!({}));
    }

    #[test]
    fn query_parameters() {
        let query = Query::new(RawQuery(Some(
            "timeout=30&full_state=true&since=s%31&x=-1".into(),
        )));
        assert_eq!(query.integer("timeout").ok().flatten(), Some(30));
        assert_eq!(query.boolean("full_state").ok().flatten(), Some(true));
        assert_eq!(query.get("since"), Some("s1"));
        assert!(query.integer("x").is_err());
        assert!(query.boolean("since").is_err());
        assert_eq!(query.integer("missing").ok().flatten(), None);
    }
}
