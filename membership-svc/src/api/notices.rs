//! `SendNotices`: server notices in bulk for notices-svc. One write transaction for a
//! whole batch, so concurrent notices share one stream lock and one commit instead of
//! queueing on it one by one. Per item: re-invite the target unless invited or joined,
//! then append the event with the same checks as `SendEvent`.

use std::collections::HashMap;

use bailiff_database::now_ms;
use bailiff_proto::membership as pb;
use matrix_status::MatrixError;
use serde_json::{Value, json};

use super::{Error, Result, RoomsService, json_object};
use crate::power::PowerLevels;
use crate::store::{self, NewEvent};

fn failed(error: MatrixError) -> pb::NoticeResult {
    pb::NoticeResult {
        event_id: String::new(),
        errcode: error.errcode.to_owned(),
        http_status: u32::from(error.status),
        error: error.message,
    }
}

/// Everything about an item that needs no database.
fn check_item(item: &pb::NoticeItem) -> std::result::Result<String, MatrixError> {
    if item.r#type.is_empty() {
        return Err(MatrixError::invalid_param("Event type is required"));
    }
    if item.state_key.is_some() && matches!(item.r#type.as_str(), "m.room.member" | "m.room.create")
    {
        return Err(MatrixError::forbidden(format!(
            "{} events cannot be sent this way",
            item.r#type
        )));
    }
    match json_object(&item.content, "Event content") {
        Ok(content) => Ok(Value::Object(content).to_string()),
        Err(Error::Matrix(error)) => Err(error),
        Err(Error::Db(_)) => Err(MatrixError::internal()),
    }
}

impl RoomsService {
    pub(crate) async fn send_notices(
        &self,
        request: pb::SendNoticesRequest,
    ) -> Result<pb::SendNoticesResponse> {
        let items = request.items;
        let mut results: Vec<pb::NoticeResult> = vec![pb::NoticeResult::default(); items.len()];
        let mut contents: Vec<Option<String>> = Vec::with_capacity(items.len());
        for (item, result) in items.iter().zip(results.iter_mut()) {
            match check_item(item) {
                Ok(content) => contents.push(Some(content)),
                Err(error) => {
                    *result = failed(error);
                    contents.push(None);
                }
            }
        }
        // Rooms in first-appearance order, each with its items in order.
        let mut rooms: Vec<(&str, Vec<usize>)> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            if contents[index].is_none() {
                continue;
            }
            match rooms.iter_mut().find(|(room, _)| *room == item.room_id) {
                Some((_, indexes)) => indexes.push(index),
                None => rooms.push((item.room_id.as_str(), vec![index])),
            }
        }
        if rooms.is_empty() {
            return Ok(pb::SendNoticesResponse { results });
        }

        let now = now_ms();
        let mut last_pos = None;
        let mut tx = self.store.begin_write().await?;
        for (room_id, indexes) in rooms {
            if store::get_room(&mut tx, room_id).await?.is_none() {
                for index in indexes {
                    results[index] = failed(MatrixError::not_found("Room not found"));
                }
                continue;
            }
            let levels_event =
                store::current_state_event(&mut tx, room_id, "m.room.power_levels", "").await?;
            let levels =
                PowerLevels::from_content(levels_event.as_ref().map(|e| e.content.as_str()));
            // Membership per user as this batch changes it.
            let mut members: HashMap<String, String> = HashMap::new();
            let mut events: Vec<NewEvent> = Vec::new();
            // Item index -> index of its event in `events`.
            let mut placed: Vec<(usize, usize)> = Vec::new();
            for index in indexes {
                let item = &items[index];
                for user in [&item.sender, &item.target] {
                    if !members.contains_key(user.as_str()) {
                        let membership = store::membership_of(&mut tx, room_id, user)
                            .await?
                            .map(|m| m.membership)
                            .unwrap_or_default();
                        members.insert(user.clone(), membership);
                    }
                }
                let sender = item.sender.as_str();
                if members.get(sender).map(String::as_str) != Some("join") {
                    results[index] = failed(MatrixError::forbidden(format!(
                        "User {sender} not in room {room_id}"
                    )));
                    continue;
                }
                let is_state = item.state_key.is_some();
                let (user_level, needed) = (
                    levels.user_level(sender),
                    levels.event_level(&item.r#type, is_state),
                );
                if user_level < needed {
                    results[index] = failed(MatrixError::forbidden(format!(
                        "You don't have permission to post that to the room. user_level ({user_level}) < send_level ({needed})"
                    )));
                    continue;
                }
                let target = item.target.as_str();
                match members.get(target).map(String::as_str) {
                    Some("invite" | "join") => {}
                    Some("ban") => {
                        results[index] = failed(MatrixError::forbidden(format!(
                            "{target} is banned from the room"
                        )));
                        continue;
                    }
                    _ if target.is_empty() => {}
                    _ => {
                        if user_level < levels.invite_level() {
                            results[index] = failed(MatrixError::forbidden(
                                "You don't have permission to invite users",
                            ));
                            continue;
                        }
                        events.push(NewEvent::state(
                            "m.room.member",
                            target,
                            sender,
                            json!({"membership": "invite"}).to_string(),
                        ));
                        members.insert(target.to_owned(), "invite".into());
                    }
                }
                placed.push((index, events.len()));
                events.push(NewEvent {
                    event_type: item.r#type.clone(),
                    state_key: item.state_key.clone(),
                    sender: sender.to_owned(),
                    content: contents[index].take().unwrap_or_default(),
                    txn: None,
                });
            }
            let stored = store::append_events(&mut tx, room_id, &events, now).await?;
            for (index, position) in placed {
                if let Some(event) = stored.get(position) {
                    results[index].event_id = event.event_id.clone();
                }
            }
            if let Some(last) = stored.last() {
                last_pos = Some(last.stream_pos);
            }
        }
        tx.commit().await?;
        if let Some(pos) = last_pos {
            self.notifier.committed(pos).await;
        }
        Ok(pb::SendNoticesResponse { results })
    }
}
