//! Operations that append events or account data: each runs in one write transaction
//! (started with `begin_write`, so checks and writes are serialized with every other
//! writer) and announces its commit on the replica bus. Room creation is in `create`,
//! membership changes in `membership`; this module sends events and account data.

use bailiff_domain::{Membership, now_ms};
use bailiff_proto::membership as pb;
use serde_json::{Map, Value, json};

use super::create::reserved_state_type;
use super::{
    Error, Result, RoomsService, json_object, optional_json_object, parse, room_not_found,
};
use crate::power::PowerLevels;
use crate::store::{self, NewEvent};

impl RoomsService {
    pub(crate) async fn send_event(
        &self,
        request: pb::SendEventRequest,
    ) -> Result<pb::SendEventResponse> {
        let (room_id, sender) = (
            parse::room_id(&request.room_id)?,
            parse::user_id(&request.sender)?,
        );
        let (room_id, sender) = (room_id.as_str(), sender.as_str());
        if request.r#type.is_empty() {
            return Err(Error::invalid_argument("Event type is required"));
        }
        let content = json_object(&request.content, "Event content")?;
        let is_state = request.state_key.is_some();
        if is_state && reserved_state_type(&request.r#type) {
            return Err(Error::forbidden(format!(
                "{} events cannot be sent this way",
                request.r#type
            )));
        }
        let txn = (!request.txn_id.is_empty())
            .then(|| (request.device_id.clone(), request.txn_id.clone()));
        if let Some((device, txn_id)) = &txn {
            let mut conn = self.store.conn().await?;
            if let Some(event_id) = store::txn_event(&mut conn, sender, device, txn_id).await? {
                return Ok(pb::SendEventResponse { event_id });
            }
        }
        let mut tx = self.store.begin_write().await?;
        if let Some((device, txn_id)) = &txn
            && let Some(event_id) = store::txn_event(&mut tx, sender, device, txn_id).await?
        {
            return Ok(pb::SendEventResponse { event_id });
        }
        if store::get_room(&mut tx, room_id).await?.is_none() {
            return Err(room_not_found());
        }
        require_joined(&mut tx, room_id, sender).await?;
        let levels = power_levels(&mut tx, room_id).await?;
        let (user_level, needed) = (
            levels.user_level(sender),
            levels.event_level(&request.r#type, is_state),
        );
        if user_level < needed {
            return Err(Error::forbidden(format!(
                "You don't have permission to post that to the room. user_level ({user_level}) < send_level ({needed})"
            )));
        }
        let event = NewEvent {
            event_type: request.r#type.clone(),
            state_key: request.state_key.clone(),
            sender: sender.to_owned(),
            content: Value::Object(content).to_string(),
            txn: txn.clone(),
        };
        let now = now_ms();
        let stored = store::append_events(&mut tx, room_id, &[event], now).await?;
        let event_id = stored
            .first()
            .map(|e| e.event_id.clone())
            .unwrap_or_default();
        if let Some((device, txn_id)) = &txn {
            store::insert_txn(&mut tx, sender, device, txn_id, room_id, &event_id, now).await?;
        }
        tx.commit().await?;
        self.committed(&stored).await;
        Ok(pb::SendEventResponse { event_id })
    }

    pub(crate) async fn set_room_account_data(
        &self,
        request: pb::SetRoomAccountDataRequest,
    ) -> Result<pb::SetRoomAccountDataResponse> {
        if request.r#type.is_empty() {
            return Err(Error::invalid_argument("Account data type is required"));
        }
        let content = json_object(&request.content, "Account data content")?;
        let (room_id, user_id) = (
            parse::room_id(&request.room_id)?,
            parse::user_id(&request.user_id)?,
        );
        let mut tx = self.store.begin_write().await?;
        let pos = store::set_room_account_data(
            &mut tx,
            user_id.as_str(),
            room_id.as_str(),
            &request.r#type,
            &Value::Object(content).to_string(),
        )
        .await?;
        tx.commit().await?;
        self.notifier.committed(pos).await;
        Ok(pb::SetRoomAccountDataResponse {})
    }

    pub(crate) async fn add_room_tag(
        &self,
        request: pb::AddRoomTagRequest,
    ) -> Result<pb::AddRoomTagResponse> {
        if request.tag.is_empty() {
            return Err(Error::invalid_argument("Tag is required"));
        }
        let tag_content =
            optional_json_object(&request.content, "Tag content")?.unwrap_or_default();
        let (room_id, user_id) = (
            parse::room_id(&request.room_id)?,
            parse::user_id(&request.user_id)?,
        );
        let mut tx = self.store.begin_write().await?;
        let existing =
            store::room_account_data(&mut tx, user_id.as_str(), room_id.as_str(), "m.tag").await?;
        let mut tags = tags_of(existing.as_deref());
        tags.insert(request.tag.clone(), Value::Object(tag_content));
        // A map, not ruma's `TagEventContent`: each tag keeps the client's own keys,
        // which ruma's `TagInfo` (only `order`) would drop.
        let content = json!({"tags": tags}).to_string();
        let pos = store::set_room_account_data(
            &mut tx,
            user_id.as_str(),
            room_id.as_str(),
            "m.tag",
            &content,
        )
        .await?;
        tx.commit().await?;
        self.notifier.committed(pos).await;
        Ok(pb::AddRoomTagResponse {})
    }

    /// Announces a commit so waiting syncs re-check.
    pub(super) async fn committed(&self, stored: &[store::EventRow]) {
        if let Some(last) = stored.last() {
            self.notifier.committed(last.stream_pos).await;
        }
    }
}

/// The `tags` object of an `m.tag` content (empty when absent or malformed).
pub(crate) fn tags_of(content: Option<&str>) -> Map<String, Value> {
    content
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
        .and_then(|c| c.get("tags").and_then(Value::as_object).cloned())
        .unwrap_or_default()
}

pub(super) fn first_id(stored: Vec<store::EventRow>) -> String {
    stored
        .into_iter()
        .next()
        .map(|e| e.event_id)
        .unwrap_or_default()
}

pub(super) async fn require_joined(
    conn: &mut sqlx::AnyConnection,
    room_id: &str,
    user_id: &str,
) -> Result<()> {
    let membership = store::membership_of(conn, room_id, user_id).await?;
    if membership.is_some_and(|m| m.membership == Membership::Join) {
        Ok(())
    } else {
        Err(Error::forbidden(format!(
            "User {user_id} not in room {room_id}"
        )))
    }
}

pub(super) async fn power_levels(
    conn: &mut sqlx::AnyConnection,
    room_id: &str,
) -> Result<PowerLevels> {
    let event = store::current_state_event(conn, room_id, "m.room.power_levels", "").await?;
    Ok(PowerLevels::from_content(
        event.as_ref().map(|e| e.content.as_str()),
    ))
}
