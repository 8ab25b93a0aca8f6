//! Read operations: members, state, pagination, memberships, room facts.

use bailiff_domain::Membership;
use bailiff_proto::convert;
use bailiff_proto::membership as pb;
use serde_json::Value;
use sqlx::AnyConnection;

use super::write::tags_of;
use super::{Error, Result, RoomsService, parse, room_not_found, to_pb};
use crate::ids;
use crate::store::{self, Dir, EventRow};

/// Default and largest page of /messages.
const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 1000;

/// How much of a room a requester may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    /// Joined (or a trusted internal caller): everything, current state.
    Current,
    /// Left after having been joined: up to and including their leave event.
    Until(i64),
}

impl View {
    pub(crate) fn upper_bound(self) -> i64 {
        match self {
            View::Current => i64::MAX,
            View::Until(pos) => pos,
        }
    }
}

/// 404 for an unknown room, 403 unless the requester is joined or left after joining.
/// An empty requester is a trusted internal caller.
pub(crate) async fn view(conn: &mut AnyConnection, room_id: &str, requester: &str) -> Result<View> {
    let room_id = parse::room_id(room_id)?;
    let requester = parse::optional_user_id(requester)?;
    if store::get_room(conn, room_id.as_str()).await?.is_none() {
        return Err(room_not_found());
    }
    let Some(requester) = requester else {
        return Ok(View::Current);
    };
    let (room_id, requester) = (room_id.as_str(), requester.as_str());
    let forbidden = || {
        Error::forbidden(format!(
            "User {requester} not in room {room_id}, and room previews are disabled"
        ))
    };
    match store::membership_of(conn, room_id, requester).await? {
        Some(m) if m.membership == Membership::Join => Ok(View::Current),
        Some(m) if matches!(m.membership, Membership::Leave | Membership::Ban) => {
            if store::ever_joined_before(conn, room_id, requester, m.stream_pos).await? {
                Ok(View::Until(m.stream_pos))
            } else {
                Err(forbidden())
            }
        }
        _ => Err(forbidden()),
    }
}

async fn state_for(conn: &mut AnyConnection, room_id: &str, view: View) -> Result<Vec<EventRow>> {
    Ok(match view {
        View::Current => store::current_state(conn, room_id).await?,
        View::Until(pos) => store::state_at(conn, room_id, pos).await?,
    })
}

fn parse_token(token: &str, what: &str) -> Result<i64> {
    ids::parse_token(token).ok_or_else(|| Error::invalid_argument(format!("Invalid {what} token")))
}

impl RoomsService {
    pub(crate) async fn get_joined_rooms(
        &self,
        request: pb::GetJoinedRoomsRequest,
    ) -> Result<pb::GetJoinedRoomsResponse> {
        let user_id = parse::user_id(&request.user_id)?;
        let mut conn = self.store.conn().await?;
        let room_ids =
            store::rooms_with_membership(&mut conn, user_id.as_str(), Membership::Join).await?;
        Ok(pb::GetJoinedRoomsResponse { room_ids })
    }

    pub(crate) async fn get_joined_members(
        &self,
        request: pb::GetJoinedMembersRequest,
    ) -> Result<pb::GetJoinedMembersResponse> {
        let mut conn = self.store.conn().await?;
        if view(&mut conn, &request.room_id, &request.requester).await? != View::Current {
            return Err(Error::forbidden("You aren't a member of the room"));
        }
        let rows =
            store::member_rows_of_room(&mut conn, &request.room_id, Some(Membership::Join)).await?;
        let joined = rows
            .into_iter()
            .map(|row| {
                let content: Value = serde_json::from_str(&row.content).unwrap_or(Value::Null);
                let text = |key: &str| content.get(key).and_then(Value::as_str).map(str::to_owned);
                pb::JoinedMember {
                    display_name: text("displayname"),
                    avatar_url: text("avatar_url"),
                    user_id: row.user_id,
                }
            })
            .collect();
        Ok(pb::GetJoinedMembersResponse { joined })
    }

    pub(crate) async fn get_members(
        &self,
        request: pb::GetMembersRequest,
    ) -> Result<pb::GetMembersResponse> {
        let mut conn = self.store.conn().await?;
        let view = view(&mut conn, &request.room_id, &request.requester).await?;
        let only = convert::optional_membership(request.membership)
            .map_err(|error| Error::invalid_argument(error.to_string()))?;
        let except = convert::optional_membership(request.not_membership)
            .map_err(|error| Error::invalid_argument(error.to_string()))?;
        let state = state_for(&mut conn, &request.room_id, view).await?;
        let chunk = state
            .into_iter()
            .filter(|e| e.event_type == "m.room.member")
            .filter(|e| {
                let membership = e.membership();
                only.is_none_or(|only| membership == Some(only))
                    && except.is_none_or(|except| membership != Some(except))
            })
            .map(|e| to_pb(e, None))
            .collect();
        Ok(pb::GetMembersResponse { chunk })
    }

    pub(crate) async fn get_state(
        &self,
        request: pb::GetStateRequest,
    ) -> Result<pb::GetStateResponse> {
        let mut conn = self.store.conn().await?;
        let view = view(&mut conn, &request.room_id, &request.requester).await?;
        let events = state_for(&mut conn, &request.room_id, view)
            .await?
            .into_iter()
            .map(|e| to_pb(e, None))
            .collect();
        Ok(pb::GetStateResponse { events })
    }

    pub(crate) async fn get_state_event(
        &self,
        request: pb::GetStateEventRequest,
    ) -> Result<pb::GetStateEventResponse> {
        let mut conn = self.store.conn().await?;
        let view = view(&mut conn, &request.room_id, &request.requester).await?;
        let event = match view {
            View::Current => {
                store::current_state_event(
                    &mut conn,
                    &request.room_id,
                    &request.r#type,
                    &request.state_key,
                )
                .await?
            }
            View::Until(pos) => store::state_at(&mut conn, &request.room_id, pos)
                .await?
                .into_iter()
                .find(|e| {
                    e.event_type == request.r#type
                        && e.state_key.as_deref() == Some(&request.state_key)
                }),
        };
        match event {
            Some(event) => Ok(pb::GetStateEventResponse {
                event: Some(to_pb(event, None)),
            }),
            None => Err(Error::not_found("Event not found.")),
        }
    }

    pub(crate) async fn get_messages(
        &self,
        request: pb::GetMessagesRequest,
    ) -> Result<pb::GetMessagesResponse> {
        let dir = match request.dir.as_str() {
            "" | "b" => Dir::Backward,
            "f" => Dir::Forward,
            _ => return Err(Error::invalid_argument("dir must be 'f' or 'b'")),
        };
        let from = (!request.from.is_empty())
            .then(|| parse_token(&request.from, "from"))
            .transpose()?;
        let to = (!request.to.is_empty())
            .then(|| parse_token(&request.to, "to"))
            .transpose()?;
        let limit = match request.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let mut conn = self.store.conn().await?;
        let view = view(&mut conn, &request.room_id, &request.requester).await?;
        let upper = view.upper_bound();
        let (start, chunk) = match dir {
            Dir::Backward => {
                let from = match from {
                    Some(from) => from,
                    None => store::current_pos(&mut conn).await?,
                };
                let after = to.unwrap_or(0);
                let rows = store::events_between(
                    &mut conn,
                    &request.room_id,
                    after,
                    from.min(upper),
                    i64::from(limit),
                    Dir::Backward,
                )
                .await?;
                (from, rows)
            }
            Dir::Forward => {
                let from = from.unwrap_or(0);
                let upto = to.unwrap_or(i64::MAX).min(upper);
                let rows = store::events_between(
                    &mut conn,
                    &request.room_id,
                    from,
                    upto,
                    i64::from(limit),
                    Dir::Forward,
                )
                .await?;
                (from, rows)
            }
        };
        let end = chunk.last().map(|last| match dir {
            Dir::Backward => ids::token(last.stream_pos - 1),
            Dir::Forward => ids::token(last.stream_pos),
        });
        Ok(pb::GetMessagesResponse {
            chunk: chunk.into_iter().map(|e| to_pb(e, None)).collect(),
            start: ids::token(start),
            end,
            state: Vec::new(),
        })
    }

    pub(crate) async fn get_room_tags(
        &self,
        request: pb::GetRoomTagsRequest,
    ) -> Result<pb::GetRoomTagsResponse> {
        let (room_id, user_id) = (
            parse::room_id(&request.room_id)?,
            parse::user_id(&request.user_id)?,
        );
        let mut conn = self.store.conn().await?;
        let content =
            store::room_account_data(&mut conn, user_id.as_str(), room_id.as_str(), "m.tag")
                .await?;
        let tags = tags_of(content.as_deref());
        Ok(pb::GetRoomTagsResponse {
            // A map, not ruma's `TagEventContent`: each tag keeps the client's own keys,
            // which ruma's `TagInfo` (only `order`) would drop.
            content: serde_json::json!({ "tags": tags }).to_string(),
        })
    }

    pub(crate) async fn get_membership(
        &self,
        request: pb::GetMembershipRequest,
    ) -> Result<pb::GetMembershipResponse> {
        let (room_id, user_id) = (
            parse::room_id(&request.room_id)?,
            parse::user_id(&request.user_id)?,
        );
        let mut conn = self.store.conn().await?;
        if store::get_room(&mut conn, room_id.as_str())
            .await?
            .is_none()
        {
            return Err(room_not_found());
        }
        let row = store::membership_of(&mut conn, room_id.as_str(), user_id.as_str()).await?;
        Ok(match row {
            Some(row) => pb::GetMembershipResponse {
                membership: pb::Membership::from(row.membership).into(),
                event_id: row.event_id,
                content: row.content,
            },
            None => pb::GetMembershipResponse::default(),
        })
    }

    pub(crate) async fn get_room(
        &self,
        request: pb::GetRoomRequest,
    ) -> Result<pb::GetRoomResponse> {
        let room_id = parse::room_id(&request.room_id)?;
        let mut conn = self.store.conn().await?;
        let Some(room) = store::get_room(&mut conn, room_id.as_str()).await? else {
            return Err(room_not_found());
        };
        let members = store::member_rows_of_room(&mut conn, room_id.as_str(), None).await?;
        let count = |m: Membership| {
            i64::try_from(members.iter().filter(|r| r.membership == m).count()).unwrap_or(i64::MAX)
        };
        Ok(pb::GetRoomResponse {
            joined_members: count(Membership::Join),
            invited_members: count(Membership::Invite),
            room_id: room.room_id,
            creator: room.creator,
            created_ts: room.created_ts,
            room_version: room.room_version,
            server_notice_target: room.server_notice_target.unwrap_or_default(),
        })
    }

    pub(crate) async fn find_server_notice_room(
        &self,
        request: pb::FindServerNoticeRoomRequest,
    ) -> Result<pb::FindServerNoticeRoomResponse> {
        let user_id = parse::user_id(&request.user_id)?;
        let mut conn = self.store.conn().await?;
        let room_id = store::find_server_notice_room(&mut conn, user_id.as_str()).await?;
        Ok(pb::FindServerNoticeRoomResponse { room_id })
    }
}
