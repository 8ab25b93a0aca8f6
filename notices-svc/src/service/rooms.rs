//! Each user's one notice room: found in the cache or the database, or created (through
//! membership-svc) by whichever request wins the claim; the others wait for its room.

use std::sync::Arc;

use bailiff_domain::{OwnedRoomId, OwnedUserId, RoomId, UserId, now_ms};
use bailiff_proto::membership as mpb;
use serde_json::json;

use super::wait::{new_token, stale_before, wait_for};
use super::{NoticesService, SERVER_NOTICE_TAG};
use crate::error::{Error, Result};
use crate::store::{NoticeRoom, RoomClaim};

impl NoticesService {
    /// The user's notice room: from the cache, the database, or created.
    pub(super) async fn room_for(&self, user: &OwnedUserId) -> Result<OwnedRoomId> {
        if let Some(room) = self.inner.cache.get(user) {
            return Ok(room);
        }
        let lock = {
            let mut resolving = self
                .inner
                .resolving
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(resolving.entry(user.clone()).or_default())
        };
        let result = {
            let _guard = lock.lock().await;
            match self.inner.cache.get(user) {
                Some(room) => Ok(room),
                None => self.resolve_room(user).await.inspect(|room| {
                    self.inner.cache.insert(user.clone(), room.clone());
                }),
            }
        };
        let mut resolving = self
            .inner
            .resolving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if resolving
            .get(user)
            .is_some_and(|current| Arc::ptr_eq(current, &lock))
        {
            resolving.remove(user);
        }
        result
    }

    /// Reads the mapping or wins the claim and creates the room; losers wait for the
    /// winner's room ID. Then brings the system member event up to date.
    async fn resolve_room(&self, user: &UserId) -> Result<OwnedRoomId> {
        let store = &self.inner.store;
        let token = new_token();
        let outcome = wait_for(|| async {
            if let Some(room) = store.room_of(user).await? {
                return Ok(Some(Some(room)));
            }
            let now = now_ms();
            Ok(
                match store
                    .claim_room(user, &token, now, stale_before(now))
                    .await?
                {
                    RoomClaim::Room(room) => Some(Some(room)),
                    RoomClaim::Claimed => Some(None),
                    RoomClaim::Busy => None,
                },
            )
        })
        .await?;
        let room = match outcome {
            Some(room) => room,
            None => match self.create_or_adopt(user, &token).await {
                Ok(room) => room,
                Err(error) => {
                    if let Err(release) = store.release_room(user, &token).await {
                        tracing::warn!(error = %release, "could not release a room claim");
                    }
                    return Err(error);
                }
            },
        };
        self.sync_system_profile(user, &room).await?;
        Ok(room.room_id)
    }

    /// Under the claim: adopts the room membership-svc already knows for this user (a
    /// previous holder died after creating it), or creates one; then records it.
    async fn create_or_adopt(&self, user: &UserId, token: &str) -> Result<NoticeRoom> {
        let existing = self
            .rooms()
            .find_server_notice_room(mpb::FindServerNoticeRoomRequest {
                user_id: user.to_string(),
            })
            .await?
            .into_inner()
            .room_id;
        let (room_id, displayname) = match existing {
            // Unknown display name: the profile check that follows fixes it if needed.
            Some(room_id) => (room_id_answered(room_id)?, None),
            None => (self.create_room(user).await?, Some(self.display_name())),
        };
        self.tag_room(user, &room_id).await?;
        let store = &self.inner.store;
        if store.set_room(user, token, &room_id, displayname).await? {
            return Ok(NoticeRoom {
                room_id,
                system_displayname: displayname.unwrap_or_default().to_owned(),
            });
        }
        // Our claim was taken over (we were too slow): the recorded room wins.
        tracing::warn!(%user, "notice room claim lost; using the recorded room");
        store
            .room_of(user)
            .await?
            .ok_or_else(|| Error::ClaimLostWithoutRoom(user.to_string()))
    }

    async fn create_room(&self, user: &UserId) -> Result<OwnedRoomId> {
        let system = self.inner.system_user.as_str();
        let target = user.as_str();
        let notices = &self.inner.config.server_notices;
        let created = self
            .rooms()
            .create_room(mpb::CreateRoomRequest {
                creator: system.to_owned(),
                name: Some(notices.room_name.clone()),
                topic: None,
                invite: vec![user.to_string()],
                preset: "private_chat".into(),
                is_direct: false,
                visibility: "private".into(),
                // Partial contents that membership-svc merges into the room's own, which
                // ruma's full content structs (with their required fields) cannot express.
                creation_content: json!({"m.federate": false}).to_string(),
                initial_state: Vec::new(),
                power_level_content_override: json!({
                    "users": {system: 100, target: -10},
                    "events_default": 0,
                })
                .to_string(),
                server_notice_target: user.to_string(),
                creator_displayname: Some(notices.display_name.clone()),
                room_version: String::new(),
            })
            .await?
            .into_inner();
        room_id_answered(created.room_id)
    }

    async fn tag_room(&self, user: &UserId, room_id: &RoomId) -> Result<()> {
        self.rooms()
            .add_room_tag(mpb::AddRoomTagRequest {
                user_id: user.to_string(),
                room_id: room_id.to_string(),
                tag: SERVER_NOTICE_TAG.into(),
                content: json!({"order": 1.0}).to_string(),
            })
            .await?;
        Ok(())
    }

    /// Puts the configured display name in the system user's member event when the
    /// recorded one differs (the configuration changed, or the room was adopted).
    async fn sync_system_profile(&self, user: &UserId, room: &NoticeRoom) -> Result<()> {
        let wanted = self.display_name();
        if room.system_displayname == wanted {
            return Ok(());
        }
        self.rooms()
            .join_room(mpb::JoinRoomRequest {
                room_id: room.room_id.to_string(),
                user_id: self.inner.system_user.clone(),
                displayname: Some(wanted.to_owned()),
                avatar_url: None,
                update_profile: true,
            })
            .await?;
        Ok(self
            .inner
            .store
            .set_system_displayname(user, wanted)
            .await?)
    }
}

/// A room ID as membership-svc answered it.
fn room_id_answered(value: String) -> Result<OwnedRoomId> {
    OwnedRoomId::try_from(value.as_str()).map_err(|_| Error::BadAnswer {
        what: "room ID",
        value,
    })
}
