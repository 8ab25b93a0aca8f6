//! `CreateRoom`: a pure builder turns the request into the room's initial events
//! ([`build`], unit-tested without a database), then one write transaction stores
//! the room and appends them.

use bailiff_domain::{DEFAULT_ROOM_VERSION, OwnedUserId, now_ms};
use bailiff_proto::membership as pb;
use ruma_common::RoomVersionId;
use ruma_events::room::create::RoomCreateEventContent;
use ruma_events::room::guest_access::{GuestAccess, RoomGuestAccessEventContent};
use ruma_events::room::history_visibility::{HistoryVisibility, RoomHistoryVisibilityEventContent};
use ruma_events::room::join_rules::{JoinRule, RoomJoinRulesEventContent};
use ruma_events::room::member::MembershipState;
use ruma_events::room::name::RoomNameEventContent;
use ruma_events::room::topic::{RoomTopicEventContent, TopicContentBlock};
use serde_json::Value;

use super::{Error, Result, RoomsService, json_object, optional_json_object, parse};
use crate::content;
use crate::ids;
use crate::power;
use crate::store::{self, NewEvent, RoomRow};

/// Member events and the create event go through their own operations.
pub(super) fn reserved_state_type(event_type: &str) -> bool {
    matches!(event_type, "m.room.member" | "m.room.create")
}

/// A room as a `CreateRoom` request describes it, before it has an ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewRoom {
    /// Who creates it (and joins it first).
    pub(crate) creator: OwnedUserId,
    /// `visibility` = `public`.
    pub(crate) public: bool,
    /// The user a server-notice room belongs to.
    pub(crate) server_notice_target: Option<OwnedUserId>,
    /// The room version (the default when the request names none).
    pub(crate) room_version: String,
    /// The initial events, in the order they are appended: create, the creator's join,
    /// power levels, preset state (unless `initial_state` sets it), `initial_state`,
    /// name, topic, invites.
    pub(crate) events: Vec<NewEvent>,
}

/// Checks a `CreateRoom` request and builds the room's initial events. Pure: no
/// database, no clock, no randomness.
pub(crate) fn build(request: &pb::CreateRoomRequest) -> Result<NewRoom> {
    if request.creator.is_empty() {
        return Err(Error::missing_param("creator is required"));
    }
    let creator_id = parse::user_id(&request.creator)?;
    let creator = creator_id.as_str();
    let public = match request.visibility.as_str() {
        "" | "private" => false,
        "public" => true,
        _ => return Err(Error::invalid_argument("Invalid visibility")),
    };
    let preset = match request.preset.as_str() {
        "" if public => "public_chat",
        "" => "private_chat",
        preset @ ("private_chat" | "public_chat" | "trusted_private_chat") => preset,
        _ => return Err(Error::invalid_argument("Invalid preset")),
    };
    let creation_content = optional_json_object(&request.creation_content, "creation_content")?;
    let pl_override = optional_json_object(
        &request.power_level_content_override,
        "power_level_content_override",
    )?;
    let mut initial_state = Vec::with_capacity(request.initial_state.len());
    for entry in &request.initial_state {
        if entry.r#type.is_empty() {
            return Err(Error::bad_json("initial_state entries need a type"));
        }
        if reserved_state_type(&entry.r#type) {
            return Err(Error::bad_json(format!(
                "{} cannot be set in initial_state",
                entry.r#type
            )));
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
            parse::user_id(invitee)?;
            invitees.push(invitee);
        }
    }

    let version = RoomVersionId::try_from(room_version.as_str())
        .map_err(|_| Error::invalid_argument("Invalid room_version"))?;

    let mut events = Vec::new();
    // m.room.create: ours merged over the request's `creation_content`, whose other
    // keys (custom ones included, which ruma's struct would drop) are kept.
    let mut create = RoomCreateEventContent::new_v1(creator_id.clone());
    create.room_version = version;
    let mut create_content = creation_content.unwrap_or_default();
    if let Value::Object(ours) = serde_json::to_value(&create).map_err(Error::Encode)? {
        create_content.extend(ours);
    }
    events.push(NewEvent::state(
        "m.room.create",
        "",
        creator,
        Value::Object(create_content).to_string(),
    ));
    // The creator joins.
    let mut member = content::member(MembershipState::Join);
    member.displayname.clone_from(&request.creator_displayname);
    events.push(NewEvent::state(
        "m.room.member",
        creator,
        creator,
        content::encode(&member)?,
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
    let (join_rule, guest_access) = if preset == "public_chat" {
        (JoinRule::Public, GuestAccess::Forbidden)
    } else {
        (JoinRule::Invite, GuestAccess::CanJoin)
    };
    for (event_type, content) in [
        (
            "m.room.join_rules",
            content::encode(&RoomJoinRulesEventContent::new(join_rule))?,
        ),
        (
            "m.room.history_visibility",
            content::encode(&RoomHistoryVisibilityEventContent::new(
                HistoryVisibility::Shared,
            ))?,
        ),
        (
            "m.room.guest_access",
            content::encode(&RoomGuestAccessEventContent::new(guest_access))?,
        ),
    ] {
        if !overridden(event_type) {
            events.push(NewEvent::state(event_type, "", creator, content));
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
            content::encode(&RoomNameEventContent::new(name.clone()))?,
        ));
    }
    if let Some(topic) = &request.topic {
        let mut content = RoomTopicEventContent::new(topic.clone());
        // Without the `m.topic` block: rooms keep the plain `topic` they have always had.
        content.topic_block = TopicContentBlock::default();
        events.push(NewEvent::state(
            "m.room.topic",
            "",
            creator,
            content::encode(&content)?,
        ));
    }
    for invitee in &invitees {
        let mut content = content::member(MembershipState::Invite);
        // `is_direct` is written only when true, as before.
        content.is_direct = request.is_direct.then_some(true);
        events.push(NewEvent::state(
            "m.room.member",
            *invitee,
            creator,
            content::encode(&content)?,
        ));
    }

    let server_notice_target = parse::optional_user_id(&request.server_notice_target)?;
    Ok(NewRoom {
        creator: creator_id.clone(),
        public,
        server_notice_target,
        room_version,
        events,
    })
}

impl RoomsService {
    pub(crate) async fn create_room(
        &self,
        request: pb::CreateRoomRequest,
    ) -> Result<pb::CreateRoomResponse> {
        let room = build(&request)?;
        let room_id = ids::new_room_id(&self.server_name);
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        store::insert_room(
            &mut tx,
            &RoomRow {
                room_id: room_id.clone(),
                creator: room.creator.as_str().to_owned(),
                created_ts: now,
                room_version: room.room_version,
                is_public: i64::from(room.public),
                server_notice_target: room
                    .server_notice_target
                    .map(|target| target.as_str().to_owned()),
            },
        )
        .await?;
        let stored = store::append_events(&mut tx, &room_id, &room.events, now).await?;
        tx.commit().await?;
        self.committed(&stored).await;
        Ok(pb::CreateRoomResponse { room_id })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request() -> pb::CreateRoomRequest {
        pb::CreateRoomRequest {
            creator: "@alice:hs".into(),
            ..Default::default()
        }
    }

    fn kinds(room: &NewRoom) -> Vec<(&str, &str)> {
        room.events
            .iter()
            .map(|e| (e.event_type.as_str(), e.state_key.as_deref().unwrap_or("-")))
            .collect()
    }

    fn content(room: &NewRoom, event_type: &str, state_key: &str) -> Value {
        room.events
            .iter()
            .find(|e| e.event_type == event_type && e.state_key.as_deref() == Some(state_key))
            .and_then(|e| serde_json::from_str(&e.content).ok())
            .unwrap_or(Value::Null)
    }

    #[test]
    fn a_private_room_gets_its_events_in_order() {
        let room = build(&pb::CreateRoomRequest {
            name: Some("N".into()),
            invite: vec!["@bob:hs".into(), "@bob:hs".into(), "@alice:hs".into()],
            is_direct: true,
            ..request()
        })
        .expect("valid");
        assert!(!room.public);
        assert_eq!(room.room_version, DEFAULT_ROOM_VERSION);
        assert_eq!(
            kinds(&room),
            [
                ("m.room.create", ""),
                ("m.room.member", "@alice:hs"),
                ("m.room.power_levels", ""),
                ("m.room.join_rules", ""),
                ("m.room.history_visibility", ""),
                ("m.room.guest_access", ""),
                ("m.room.name", ""),
                ("m.room.member", "@bob:hs"),
            ]
        );
        assert_eq!(
            content(&room, "m.room.join_rules", ""),
            json!({"join_rule": "invite"})
        );
        assert_eq!(
            content(&room, "m.room.member", "@bob:hs"),
            json!({"membership": "invite", "is_direct": true})
        );
        assert_eq!(
            content(&room, "m.room.member", "@alice:hs"),
            json!({"membership": "join"})
        );
    }

    #[test]
    fn initial_state_replaces_preset_state_but_not_reserved_types() {
        let room = build(&pb::CreateRoomRequest {
            visibility: "public".into(),
            initial_state: vec![pb::StateEventContent {
                r#type: "m.room.join_rules".into(),
                state_key: String::new(),
                content: r#"{"join_rule":"knock"}"#.into(),
            }],
            ..request()
        })
        .expect("valid");
        assert!(room.public);
        assert_eq!(
            content(&room, "m.room.join_rules", ""),
            json!({"join_rule": "knock"})
        );
        let reserved = build(&pb::CreateRoomRequest {
            initial_state: vec![pb::StateEventContent {
                r#type: "m.room.member".into(),
                state_key: "@alice:hs".into(),
                content: "{}".into(),
            }],
            ..request()
        });
        assert!(matches!(reserved, Err(Error::BadJson(_))));
    }

    fn stored<'a>(room: &'a NewRoom, event_type: &str, state_key: &str) -> &'a str {
        room.events
            .iter()
            .find(|e| e.event_type == event_type && e.state_key.as_deref() == Some(state_key))
            .map_or("", |e| e.content.as_str())
    }

    #[test]
    fn typed_contents_are_stored_with_sorted_keys_and_nothing_extra() {
        let room = build(&pb::CreateRoomRequest {
            name: Some("N".into()),
            topic: Some("T".into()),
            creator_displayname: Some("Alice".into()),
            creation_content: r#"{"m.federate":false,"x.custom":1,"creator":"@eve:hs"}"#.into(),
            invite: vec!["@bob:hs".into()],
            is_direct: true,
            visibility: "public".into(),
            ..request()
        })
        .expect("valid");
        let expected = [
            (
                "m.room.create",
                "",
                r#"{"creator":"@alice:hs","m.federate":false,"room_version":"10","x.custom":1}"#,
            ),
            (
                "m.room.member",
                "@alice:hs",
                r#"{"displayname":"Alice","membership":"join"}"#,
            ),
            ("m.room.join_rules", "", r#"{"join_rule":"public"}"#),
            (
                "m.room.history_visibility",
                "",
                r#"{"history_visibility":"shared"}"#,
            ),
            ("m.room.guest_access", "", r#"{"guest_access":"forbidden"}"#),
            ("m.room.name", "", r#"{"name":"N"}"#),
            ("m.room.topic", "", r#"{"topic":"T"}"#),
            (
                "m.room.member",
                "@bob:hs",
                r#"{"is_direct":true,"membership":"invite"}"#,
            ),
        ];
        for (event_type, state_key, content) in expected {
            assert_eq!(
                stored(&room, event_type, state_key),
                content,
                "{event_type}"
            );
        }
        let private = build(&request()).expect("valid");
        assert_eq!(
            stored(&private, "m.room.guest_access", ""),
            r#"{"guest_access":"can_join"}"#
        );
        assert_eq!(
            stored(&private, "m.room.member", "@alice:hs"),
            r#"{"membership":"join"}"#
        );
    }

    #[test]
    fn a_malformed_room_version_is_refused() {
        let bad = build(&pb::CreateRoomRequest {
            room_version: "not a version!".into(),
            ..request()
        });
        assert!(matches!(bad, Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn bad_requests_are_refused_before_any_event() {
        assert!(matches!(
            build(&pb::CreateRoomRequest::default()),
            Err(Error::MissingParam(_))
        ));
        assert!(matches!(
            build(&pb::CreateRoomRequest {
                preset: "open_bar".into(),
                ..request()
            }),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            build(&pb::CreateRoomRequest {
                creation_content: "[1]".into(),
                ..request()
            }),
            Err(Error::BadJson(_))
        ));
    }
}
