//! Membership changes a user asks for: join, leave (or reject an invite), invite.

use bailiff_domain::{Membership, now_ms};
use bailiff_proto::membership as pb;
use ruma_events::room::member::MembershipState;
use serde_json::Value;

use super::write::{first_id, power_levels, require_joined};
use super::{Error, Result, RoomsService, parse, room_not_found};
use crate::content;
use crate::store::{self, NewEvent};

impl RoomsService {
    pub(crate) async fn join_room(
        &self,
        request: pb::JoinRoomRequest,
    ) -> Result<pb::JoinRoomResponse> {
        let (room_id, user_id) = (
            parse::room_id(&request.room_id)?,
            parse::user_id(&request.user_id)?,
        );
        let (room_id, user_id) = (room_id.as_str(), user_id.as_str());
        let mut tx = self.store.begin_write().await?;
        if store::get_room(&mut tx, room_id).await?.is_none() {
            return Err(room_not_found());
        }
        refuse_if_blocked(&mut tx, room_id).await?;
        let current = store::membership_of(&mut tx, room_id, user_id).await?;
        match current.as_ref().map(|m| m.membership) {
            // A profile change (`update_profile`) falls through to a new join event.
            Some(Membership::Join)
                if request.update_profile && profile_differs(current.as_ref(), &request) => {}
            Some(Membership::Join) => {
                let event_id = current.map(|m| m.event_id).unwrap_or_default();
                return Ok(pb::JoinRoomResponse {
                    room_id: room_id.to_owned(),
                    event_id,
                });
            }
            Some(Membership::Ban) => {
                return Err(Error::forbidden("You are banned from this room"));
            }
            Some(Membership::Invite) => {}
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
                    return Err(Error::forbidden("You are not invited to this room."));
                }
            }
        }
        let mut content = content::member(MembershipState::Join);
        content.displayname.clone_from(&request.displayname);
        content.avatar_url = request.avatar_url.as_deref().map(Into::into);
        let content = content::encode(&content)?;
        let event = NewEvent::state("m.room.member", user_id, user_id, content);
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
        let (room_id, user_id) = (
            parse::room_id(&request.room_id)?,
            parse::user_id(&request.user_id)?,
        );
        let (room_id, user_id) = (room_id.as_str(), user_id.as_str());
        let mut tx = self.store.begin_write().await?;
        let Some(room) = store::get_room(&mut tx, room_id).await? else {
            return Err(room_not_found());
        };
        let current = store::membership_of(&mut tx, room_id, user_id).await?;
        match current.as_ref().map(|m| m.membership) {
            None => return Err(Error::forbidden("You are not a member of this room")),
            Some(Membership::Leave | Membership::Ban) => {
                return Ok(pb::LeaveRoomResponse {
                    event_id: String::new(),
                });
            }
            Some(Membership::Invite) if room.server_notice_target.as_deref() == Some(user_id) => {
                return Err(Error::CannotLeaveServerNoticeRoom(
                    "You cannot reject this invite".into(),
                ));
            }
            _ => {}
        }
        let mut content = content::member(MembershipState::Leave);
        content.reason.clone_from(&request.reason);
        let content = content::encode(&content)?;
        let event = NewEvent::state("m.room.member", user_id, user_id, content);
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
            parse::room_id(&request.room_id)?,
            parse::user_id(&request.sender)?,
            parse::user_id(&request.target)?,
        );
        let (room_id, sender, target) = (room_id.as_str(), sender.as_str(), target.as_str());
        let mut tx = self.store.begin_write().await?;
        if store::get_room(&mut tx, room_id).await?.is_none() {
            return Err(room_not_found());
        }
        refuse_if_blocked(&mut tx, room_id).await?;
        require_joined(&mut tx, room_id, sender).await?;
        let levels = power_levels(&mut tx, room_id).await?;
        if levels.user_level(sender) < levels.invite_level() {
            return Err(Error::forbidden(
                "You don't have permission to invite users",
            ));
        }
        let current = store::membership_of(&mut tx, room_id, target).await?;
        match current.as_ref().map(|m| m.membership) {
            Some(Membership::Join) => {
                return Err(Error::forbidden(format!(
                    "{target} is already in the room."
                )));
            }
            Some(Membership::Ban) => {
                return Err(Error::forbidden(format!(
                    "{target} is banned from the room"
                )));
            }
            Some(Membership::Invite) => {
                return Ok(pb::InviteUserResponse {
                    event_id: current.map(|m| m.event_id).unwrap_or_default(),
                });
            }
            _ => {}
        }
        let mut content = content::member(MembershipState::Invite);
        // `is_direct` is written only when true, as before.
        content.is_direct = request.is_direct.then_some(true);
        content.displayname.clone_from(&request.target_displayname);
        content.reason.clone_from(&request.reason);
        let content = content::encode(&content)?;
        let event = NewEvent::state("m.room.member", target, sender, content);
        let stored = store::append_events(&mut tx, room_id, &[event], now_ms()).await?;
        tx.commit().await?;
        self.committed(&stored).await;
        Ok(pb::InviteUserResponse {
            event_id: first_id(stored),
        })
    }
}

/// `403 M_FORBIDDEN` when the room is blocked (`PUT /_synapse/admin/v1/rooms/{id}/block`
/// or a deletion with `block`): Synapse refuses every membership change but leave and ban
/// there (`synapse/handlers/room_member.py`), with this text.
async fn refuse_if_blocked(tx: &mut sqlx::AnyConnection, room_id: &str) -> Result<()> {
    if store::room_blocked_by(tx, room_id).await?.is_some() {
        return Err(Error::forbidden(
            "This room has been blocked on this server",
        ));
    }
    Ok(())
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
