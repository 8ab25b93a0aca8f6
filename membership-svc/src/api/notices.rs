//! `SendNotices`: server notices in bulk for notices-svc. One write transaction for a
//! whole batch, so concurrent notices share one stream lock and one commit instead of
//! queueing on it one by one; inside it a fixed number of statements whatever the batch
//! holds (rooms, power levels and memberships read set-wise, every room's events written
//! together), because the stream lock is held meanwhile. Per item: re-invite the target
//! unless invited or joined, then append the event with the same checks as `SendEvent`.

use std::collections::HashMap;

use bailiff_domain::{Membership, now_ms};
use bailiff_proto::membership as pb;
use ruma_events::room::member::MembershipState;
use serde_json::Value;

use super::{Error, Result, RoomsService, json_object};
use crate::content;
use crate::power::PowerLevels;
use crate::store::{self, NewEvent};

/// A room's events for this batch, and for each accepted item (its index in the
/// request) the index of its event among them.
type PlannedRoom<'a> = (&'a str, Vec<NewEvent>, Vec<(usize, usize)>);

fn failed(error: &Error) -> pb::NoticeResult {
    let error = error.to_matrix();
    pb::NoticeResult {
        event_id: String::new(),
        errcode: error.errcode.to_owned(),
        http_status: u32::from(error.status),
        error: error.message,
    }
}

/// Everything about an item that needs no database.
fn check_item(item: &pb::NoticeItem) -> Result<String> {
    if item.r#type.is_empty() {
        return Err(Error::invalid_argument("Event type is required"));
    }
    if item.state_key.is_some() && matches!(item.r#type.as_str(), "m.room.member" | "m.room.create")
    {
        return Err(Error::forbidden(format!(
            "{} events cannot be sent this way",
            item.r#type
        )));
    }
    json_object(&item.content, "Event content").map(|content| Value::Object(content).to_string())
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
                    *result = failed(&error);
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

        let invite = content::encode(&content::member(MembershipState::Invite))?;
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let room_ids: Vec<&str> = rooms.iter().map(|(room, _)| *room).collect();
        let mut user_ids: Vec<&str> = Vec::new();
        for item in &items {
            for user in [item.sender.as_str(), item.target.as_str()] {
                if !user.is_empty() && !user_ids.contains(&user) {
                    user_ids.push(user);
                }
            }
        }
        let existing = store::existing_rooms(&mut tx, &room_ids).await?;
        let mut all_levels =
            store::current_state_contents(&mut tx, &room_ids, "m.room.power_levels", "").await?;
        // Membership per (room, user), updated as this batch changes it.
        let mut members = store::memberships_in(&mut tx, &room_ids, &user_ids).await?;
        let mut planned: Vec<PlannedRoom> = Vec::new();
        for (room_id, indexes) in rooms {
            if !existing.contains(room_id) {
                for index in indexes {
                    results[index] = failed(&Error::not_found("Room not found"));
                }
                continue;
            }
            let levels = PowerLevels::from_content(all_levels.remove(room_id).as_deref());
            let membership = |members: &HashMap<(String, String), Membership>, user: &str| {
                members.get(&(room_id.to_owned(), user.to_owned())).copied()
            };
            let mut events: Vec<NewEvent> = Vec::new();
            // Item index -> index of its event in `events`.
            let mut placed: Vec<(usize, usize)> = Vec::new();
            for index in indexes {
                let item = &items[index];
                let sender = item.sender.as_str();
                if membership(&members, sender) != Some(Membership::Join) {
                    results[index] = failed(&Error::forbidden(format!(
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
                    results[index] = failed(&Error::forbidden(format!(
                        "You don't have permission to post that to the room. user_level ({user_level}) < send_level ({needed})"
                    )));
                    continue;
                }
                let target = item.target.as_str();
                match membership(&members, target) {
                    Some(Membership::Invite | Membership::Join) => {}
                    Some(Membership::Ban) => {
                        results[index] = failed(&Error::forbidden(format!(
                            "{target} is banned from the room"
                        )));
                        continue;
                    }
                    _ if target.is_empty() => {}
                    _ => {
                        if user_level < levels.invite_level() {
                            results[index] = failed(&Error::forbidden(
                                "You don't have permission to invite users",
                            ));
                            continue;
                        }
                        events.push(NewEvent::state(
                            "m.room.member",
                            target,
                            sender,
                            invite.clone(),
                        ));
                        members.insert((room_id.to_owned(), target.to_owned()), Membership::Invite);
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
            planned.push((room_id, events, placed));
        }
        let mut appends = Vec::with_capacity(planned.len());
        for (room_id, events, _) in &planned {
            let prior = store::load_prior_state(&mut tx, room_id, events).await?;
            appends.push((*room_id, events.as_slice(), prior));
        }
        let stored = store::append_to_rooms(&mut tx, appends, now).await?;
        let mut last_pos = None;
        for ((_, _, placed), stored) in planned.iter().zip(&stored) {
            for (index, position) in placed {
                if let Some(event) = stored.get(*position) {
                    results[*index].event_id = event.event_id.clone();
                }
            }
            if let Some(last) = stored.last() {
                last_pos = last_pos.max(Some(last.stream_pos));
            }
        }
        tx.commit().await?;
        if let Some(pos) = last_pos {
            self.notifier.committed(pos).await;
        }
        Ok(pb::SendNoticesResponse { results })
    }
}
