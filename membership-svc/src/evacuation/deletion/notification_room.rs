//! The notification room a deletion with `new_room_user_id` creates, as Synapse's
//! `RoomShutdownHandler.shutdown_room` does: created by that user with the
//! `public_chat` preset, the given name, `users_default: -10` (the moved users cannot
//! speak), and the message posted by its creator. Built by the `CreateRoom` builder
//! (`crate::api::create::build`) and stored in the planning transaction, so the room
//! exists exactly when the job does.

use bailiff_domain::UserId;
use bailiff_proto::membership as pb;
use serde_json::json;

use super::{DEFAULT_MESSAGE, DEFAULT_ROOM_NAME};
use crate::api::create;
use crate::content;
use crate::error::Error;
use crate::ids;
use crate::store::{self, NewEvent, RoomRow};

/// Creates the room in the caller's transaction. Returns its ID and the stream position
/// of its last event (for the sync wake-up after commit).
pub(super) async fn create(
    tx: &mut sqlx::AnyConnection,
    server_name: &str,
    creator: &UserId,
    room_name: Option<&str>,
    message: Option<&str>,
    now: i64,
) -> Result<(String, Option<i64>), Error> {
    // Synapse treats an empty name or message as absent (`if params["message"]`).
    let name = room_name
        .filter(|n| !n.is_empty())
        .unwrap_or(DEFAULT_ROOM_NAME);
    let message = message.filter(|m| !m.is_empty()).unwrap_or(DEFAULT_MESSAGE);
    let room = create::build(&pb::CreateRoomRequest {
        creator: creator.as_str().to_owned(),
        name: Some(name.to_owned()),
        preset: "public_chat".into(),
        power_level_content_override: json!({"users_default": -10}).to_string(),
        ..Default::default()
    })?;
    let room_id = ids::new_room_id(server_name);
    store::insert_room(
        tx,
        &RoomRow {
            room_id: room_id.clone(),
            creator: room.creator.as_str().to_owned(),
            created_ts: now,
            room_version: room.room_version,
            is_public: i64::from(room.public),
            server_notice_target: None,
        },
    )
    .await?;
    let mut events = room.events;
    events.push(NewEvent::message(
        "m.room.message",
        creator.as_str(),
        content::encode(&json!({"body": message, "msgtype": "m.text"}))?,
    ));
    let stored = store::append_events(tx, &room_id, &events, now).await?;
    Ok((room_id, stored.last().map(|e| e.stream_pos)))
}
