//! Operations that append events or account data: each runs in one write transaction
//! (started with `begin_write`, so checks and writes are serialized with every other
//! writer) and announces its commit on the replica bus.

use bailiff_domain::now_ms;
use bailiff_proto::membership as pb;
use matrix_status::{MatrixError, errcode};
use serde_json::{Map, Value, json};

use super::{Error, Result, RoomsService, json_object, optional_json_object, room_not_found};
use crate::ids;
use crate::power::{self, PowerLevels};
use crate::store::{self, NewEvent, RoomRow};

/// Room version of new rooms.
const DEFAULT_ROOM_VERSION: &str = "10";

/// Member events and the create event go through their own operations.
fn reserved_state_type(event_type: &str) -> bool {
    matches!(event_type, "m.room.member" | "m.room.create")
}

impl RoomsService {
    pub(crate) async fn create_room(
        &self,
        request: pb::CreateRoomRequest,
    ) -> Result<pb::CreateRoomResponse> {
        let creator = request.creator.as_str();
        if creator.is_empty() {
            return Err(MatrixError::missing_param("creator is required").into());
        }
        let public = match request.visibility.as_str() {
            "" | "private" => false,
            "public" => true,
            _ => return Err(MatrixError::invalid_param("Invalid visibility").into()),
        };
        let preset = match request.preset.as_str() {
            "" if public => "public_chat",
            "" => "private_chat",
            preset @ ("private_chat" | "public_chat" | "trusted_private_chat") => preset,
            _ => return Err(MatrixError::invalid_param("Invalid preset").into()),
        };
        let creation_content = optional_json_object(&request.creation_content, "creation_content")?;
        let pl_override = optional_json_object(
            &request.power_level_content_override,
            "power_level_content_override",
        )?;
        let mut initial_state = Vec::with_capacity(request.initial_state.len());
        for entry in &request.initial_state {
            if entry.r#type.is_empty() {
                return Err(MatrixError::bad_json("initial_state entries need a type").into());
            }
            if reserved_state_type(&entry.r#type) {
                return Err(MatrixError::bad_json(format!(
                    "{} cannot be set in initial_state",
                    entry.r#type
                ))
                .into());
            }
            let content = json_object(&entry.content, "initial_state content")?;
            initial_state.push((entry.r#type.clone(), entry.state_key.clone(), content));
        }
        let room_version = if request.room_version.is_empty() {
            DEFAULT_ROOM_VERSION.to_owned()
        } else {
            request.room_version.clone()
        };
        let mut invitees: Vec<&str> = Vec::new();
        for invitee in &request.invite {
            if invitee != creator && !invitee.is_empty() && !invitees.contains(&invitee.as_str()) {
                invitees.push(invitee);
            }
        }

        let room_id = ids::new_room_id(&self.server_name);
        let mut events = Vec::new();
        // m.room.create
        let mut create = creation_content.unwrap_or_default();
        create.insert("creator".into(), creator.into());
        create.insert("room_version".into(), room_version.clone().into());
        events.push(NewEvent::state(
            "m.room.create",
            "",
            creator,
            Value::Object(create).to_string(),
        ));
        // The creator joins.
        let mut member = json!({"membership": "join"});
        if let Some(name) = &request.creator_displayname {
            member["displayname"] = name.clone().into();
        }
        events.push(NewEvent::state(
            "m.room.member",
            creator,
            creator,
            member.to_string(),
        ));
        // Power levels.
        let ops: Vec<&str> = if preset == "trusted_private_chat" {
            invitees.clone()
        } else {
            Vec::new()
        };
        let levels = power::initial_content(creator, preset, &ops, pl_override.as_ref());
        events.push(NewEvent::state(
            "m.room.power_levels",
            "",
            creator,
            levels.to_string(),
        ));
        // Preset state, unless initial_state sets the same key.
        let overridden = |event_type: &str| {
            initial_state
                .iter()
                .any(|(t, k, _)| t == event_type && k.is_empty())
        };
        let join_rule = if preset == "public_chat" {
            "public"
        } else {
            "invite"
        };
        let guest_access = if preset == "public_chat" {
            "forbidden"
        } else {
            "can_join"
        };
        for (event_type, content) in [
            ("m.room.join_rules", json!({"join_rule": join_rule})),
            (
                "m.room.history_visibility",
                json!({"history_visibility": "shared"}),
            ),
            ("m.room.guest_access", json!({"guest_access": guest_access})),
        ] {
            if !overridden(event_type) {
                events.push(NewEvent::state(
                    event_type,
                    "",
                    creator,
                    content.to_string(),
                ));
            }
        }
        for (event_type, state_key, content) in initial_state {
            events.push(NewEvent::state(
                event_type,
                state_key,
                creator,
                Value::Object(content).to_string(),
            ));
        }
        if let Some(name) = &request.name {
            events.push(NewEvent::state(
                "m.room.name",
                "",
                creator,
                json!({"name": name}).to_string(),
            ));
        }
        if let Some(topic) = &request.topic {
            events.push(NewEvent::state(
                "m.room.topic",
                "",
                creator,
                json!({"topic": topic}).to_string(),
            ));
        }
        for invitee in &invitees {
            let mut content = json!({"membership": "invite"});
            if request.is_direct {
                content["is_direct"] = true.into();
            }
            events.push(NewEvent::state(
                "m.room.member",
                *invitee,
                creator,
                content.to_string(),
            ));
        }

        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        store::insert_room(
            &mut tx,
            &RoomRow {
                room_id: room_id.clone(),
                creator: creator.to_owned(),
                created_ts: now,
                room_version,
                is_public: i64::from(public),
                server_notice_target: Some(request.server_notice_target.clone())
                    .filter(|target| !target.is_empty()),
            },
        )
        .await?;
        let stored = store::append_events(&mut tx, &room_id, &events, now).await?;
        tx.commit().await?;
        self.committed(&stored).await;
        Ok(pb::CreateRoomResponse { room_id })
    }

    pub(crate) async fn join_room(
        &self,
        request: pb::JoinRoomRequest,
    ) -> Result<pb::JoinRoomResponse> {
        let (room_id, user_id) = (request.room_id.as_str(), request.user_id.as_str());
        let mut tx = self.store.begin_write().await?;
        if store::get_room(&mut tx, room_id).await?.is_none() {
            return Err(room_not_found());
        }
        let current = store::membership_of(&mut tx, room_id, user_id).await?;
        match current.as_ref().map(|m| m.membership.as_str()) {
            // A profile change (`update_profile`) falls through to a new join event.
            Some("join")
                if request.update_profile && profile_differs(current.as_ref(), &request) => {}
            Some("join") => {
                let event_id = current.map(|m| m.event_id).unwrap_or_default();
                return Ok(pb::JoinRoomResponse {
                    room_id: room_id.to_owned(),
                    event_id,
                });
            }
            Some("ban") => {
                return Err(MatrixError::forbidden("You are banned from this room").into());
            }
            Some("invite") => {}
            _ => {
                let rules =
                    store::current_state_event(&mut tx, room_id, "m.room.join_rules", "").await?;
                let public = rules
                    .and_then(|e| serde_json::from_str::<Value>(&e.content).ok())
                    .and_then(|c| {
                        c.get("join_rule")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    })
                    .is_some_and(|rule| rule == "public");
                if !public {
                    return Err(MatrixError::forbidden("You are not invited to this room.").into());
                }
            }
        }
        let mut content = json!({"membership": "join"});
        if let Some(name) = &request.displayname {
            content["displayname"] = name.clone().into();
        }
        if let Some(avatar) = &request.avatar_url {
            content["avatar_url"] = avatar.clone().into();
        }
        let event = NewEvent::state("m.room.member", user_id, user_id, content.to_string());
        let stored = store::append_events(&mut tx, room_id, &[event], now_ms()).await?;
        tx.commit().await?;
        self.committed(&stored).await;
        Ok(pb::JoinRoomResponse {
            room_id: room_id.to_owned(),
            event_id: first_id(stored),
        })
    }

    pub(crate) async fn leave_room(
        &self,
        request: pb::LeaveRoomRequest,
    ) -> Result<pb::LeaveRoomResponse> {
        let (room_id, user_id) = (request.room_id.as_str(), request.user_id.as_str());
        let mut tx = self.store.begin_write().await?;
        let Some(room) = store::get_room(&mut tx, room_id).await? else {
            return Err(room_not_found());
        };
        let current = store::membership_of(&mut tx, room_id, user_id).await?;
        match current.as_ref().map(|m| m.membership.as_str()) {
            None => return Err(MatrixError::forbidden("You are not a member of this room").into()),
            Some("leave" | "ban") => {
                return Ok(pb::LeaveRoomResponse {
                    event_id: String::new(),
                });
            }
            Some("invite") if room.server_notice_target.as_deref() == Some(user_id) => {
                return Err(MatrixError::new(
                    403,
                    errcode::CANNOT_LEAVE_SERVER_NOTICE_ROOM,
                    "You cannot reject this invite",
                )
                .into());
            }
            _ => {}
        }
        let mut content = json!({"membership": "leave"});
        if let Some(reason) = &request.reason {
            content["reason"] = reason.clone().into();
        }
        let event = NewEvent::state("m.room.member", user_id, user_id, content.to_string());
        let stored = store::append_events(&mut tx, room_id, &[event], now_ms()).await?;
        tx.commit().await?;
        self.committed(&stored).await;
        Ok(pb::LeaveRoomResponse {
            event_id: first_id(stored),
        })
    }

    pub(crate) async fn invite_user(
        &self,
        request: pb::InviteUserRequest,
    ) -> Result<pb::InviteUserResponse> {
        let (room_id, sender, target) = (
            request.room_id.as_str(),
            request.sender.as_str(),
            request.target.as_str(),
        );
        let mut tx = self.store.begin_write().await?;
        if store::get_room(&mut tx, room_id).await?.is_none() {
            return Err(room_not_found());
        }
        require_joined(&mut tx, room_id, sender).await?;
        let levels = power_levels(&mut tx, room_id).await?;
        if levels.user_level(sender) < levels.invite_level() {
            return Err(MatrixError::forbidden("You don't have permission to invite users").into());
        }
        let current = store::membership_of(&mut tx, room_id, target).await?;
        match current.as_ref().map(|m| m.membership.as_str()) {
            Some("join") => {
                return Err(
                    MatrixError::forbidden(format!("{target} is already in the room.")).into(),
                );
            }
            Some("ban") => {
                return Err(
                    MatrixError::forbidden(format!("{target} is banned from the room")).into(),
                );
            }
            Some("invite") => {
                return Ok(pb::InviteUserResponse {
                    event_id: current.map(|m| m.event_id).unwrap_or_default(),
                });
            }
            _ => {}
        }
        let mut content = json!({"membership": "invite"});
        if request.is_direct {
            content["is_direct"] = true.into();
        }
        if let Some(name) = &request.target_displayname {
            content["displayname"] = name.clone().into();
        }
        if let Some(reason) = &request.reason {
            content["reason"] = reason.clone().into();
        }
        let event = NewEvent::state("m.room.member", target, sender, content.to_string());
        let stored = store::append_events(&mut tx, room_id, &[event], now_ms()).await?;
        tx.commit().await?;
        self.committed(&stored).await;
        Ok(pb::InviteUserResponse {
            event_id: first_id(stored),
        })
    }

    pub(crate) async fn send_event(
        &self,
        request: pb::SendEventRequest,
    ) -> Result<pb::SendEventResponse> {
        let room_id = request.room_id.as_str();
        let sender = request.sender.as_str();
        if request.r#type.is_empty() {
            return Err(MatrixError::invalid_param("Event type is required").into());
        }
        let content = json_object(&request.content, "Event content")?;
        let is_state = request.state_key.is_some();
        if is_state && reserved_state_type(&request.r#type) {
            return Err(MatrixError::forbidden(format!(
                "{} events cannot be sent this way",
                request.r#type
            ))
            .into());
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
            return Err(MatrixError::forbidden(format!(
                "You don't have permission to post that to the room. user_level ({user_level}) < send_level ({needed})"
            ))
            .into());
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
            return Err(MatrixError::invalid_param("Account data type is required").into());
        }
        let content = json_object(&request.content, "Account data content")?;
        let mut tx = self.store.begin_write().await?;
        let pos = store::set_room_account_data(
            &mut tx,
            &request.user_id,
            &request.room_id,
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
            return Err(MatrixError::invalid_param("Tag is required").into());
        }
        let tag_content =
            optional_json_object(&request.content, "Tag content")?.unwrap_or_default();
        let mut tx = self.store.begin_write().await?;
        let existing =
            store::room_account_data(&mut tx, &request.user_id, &request.room_id, "m.tag").await?;
        let mut tags = tags_of(existing.as_deref());
        tags.insert(request.tag.clone(), Value::Object(tag_content));
        let content = json!({"tags": tags}).to_string();
        let pos = store::set_room_account_data(
            &mut tx,
            &request.user_id,
            &request.room_id,
            "m.tag",
            &content,
        )
        .await?;
        tx.commit().await?;
        self.notifier.committed(pos).await;
        Ok(pb::AddRoomTagResponse {})
    }

    /// Announces a commit so waiting syncs re-check.
    async fn committed(&self, stored: &[store::EventRow]) {
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

fn first_id(stored: Vec<store::EventRow>) -> String {
    stored
        .into_iter()
        .next()
        .map(|e| e.event_id)
        .unwrap_or_default()
}

async fn require_joined(
    conn: &mut sqlx::AnyConnection,
    room_id: &str,
    user_id: &str,
) -> Result<()> {
    let membership = store::membership_of(conn, room_id, user_id).await?;
    if membership.is_some_and(|m| m.membership == "join") {
        Ok(())
    } else {
        Err(Error::Matrix(MatrixError::forbidden(format!(
            "User {user_id} not in room {room_id}"
        ))))
    }
}

async fn power_levels(conn: &mut sqlx::AnyConnection, room_id: &str) -> Result<PowerLevels> {
    let event = store::current_state_event(conn, room_id, "m.room.power_levels", "").await?;
    Ok(PowerLevels::from_content(
        event.as_ref().map(|e| e.content.as_str()),
    ))
}

/// Whether a join request carries a display name or avatar other than the current
/// member event's (for `JoinRoomRequest.update_profile`).
fn profile_differs(current: Option<&store::MemberRow>, request: &pb::JoinRoomRequest) -> bool {
    let content = current
        .and_then(|m| serde_json::from_str::<Value>(&m.content).ok())
        .unwrap_or(Value::Null);
    let differs = |key: &str, wanted: &Option<String>| {
        wanted
            .as_deref()
            .is_some_and(|w| content.get(key).and_then(Value::as_str) != Some(w))
    };
    differs("displayname", &request.displayname) || differs("avatar_url", &request.avatar_url)
}
