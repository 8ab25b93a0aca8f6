//! The generated `Rooms` gRPC service over the store: permission checks, event
//! construction, pagination and sync.

use bailiff_proto::membership as pb;
use bailiff_proto::membership::rooms_server::Rooms;
use serde_json::{Map, Value};
use tonic::{Request, Response, Status};

pub(crate) use crate::error::{Error, Result};
use crate::notifier::SyncNotifier;
use crate::store::{EventRow, Store};

mod admin_rooms;
pub(crate) mod create;
mod membership;
mod notices;
mod parse;
mod read;
mod sync;
mod write;

#[cfg(test)]
mod tests;

/// Largest event content accepted, as Matrix limits whole events to 64 KiB.
const MAX_CONTENT_BYTES: usize = 65_536;

/// The service implementation; cheap to clone.
#[derive(Clone)]
pub struct RoomsService {
    pub(crate) store: Store,
    pub(crate) notifier: SyncNotifier,
    pub(crate) server_name: String,
}

impl RoomsService {
    /// The service over `store`, waking `/sync` through `notifier`; `server_name` names
    /// the rooms it creates.
    pub fn new(store: Store, notifier: SyncNotifier, server_name: impl Into<String>) -> Self {
        Self {
            store,
            notifier,
            server_name: server_name.into(),
        }
    }
}

fn reply<T>(result: Result<T>) -> std::result::Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

/// Parses event content (or another JSON payload) that must be an object.
pub(crate) fn json_object(text: &str, what: &str) -> Result<Map<String, Value>> {
    if text.len() > MAX_CONTENT_BYTES {
        return Err(Error::TooLarge(format!("{what} is too large")));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(Error::bad_json(format!("{what} must be a JSON object"))),
    }
}

/// Like [`json_object`], with "" meaning absent.
pub(crate) fn optional_json_object(text: &str, what: &str) -> Result<Option<Map<String, Value>>> {
    if text.is_empty() {
        Ok(None)
    } else {
        json_object(text, what).map(Some)
    }
}

pub(crate) fn room_not_found() -> Error {
    Error::not_found("Room not found")
}

/// A stored event as the proto carries it. `device` is the requesting device: its own
/// events get `unsigned.transaction_id`.
pub(crate) fn to_pb(row: EventRow, viewer: Option<(&str, &str)>) -> pb::Event {
    let mut unsigned = row.unsigned.unwrap_or_default();
    if let (Some((user, device)), Some(event_device), Some(txn_id)) =
        (viewer, row.device_id.as_deref(), row.txn_id.as_deref())
        && user == row.sender
        && device == event_device
    {
        let mut object = serde_json::from_str::<Map<String, Value>>(&unsigned).unwrap_or_default();
        object.insert("transaction_id".into(), txn_id.into());
        unsigned = Value::Object(object).to_string();
    }
    pb::Event {
        event_id: row.event_id,
        room_id: row.room_id,
        r#type: row.event_type,
        sender: row.sender,
        state_key: row.state_key,
        content: row.content,
        origin_server_ts: row.origin_server_ts,
        unsigned,
        stream_pos: row.stream_pos,
    }
}

#[tonic::async_trait]
impl Rooms for RoomsService {
    async fn create_room(
        &self,
        request: Request<pb::CreateRoomRequest>,
    ) -> std::result::Result<Response<pb::CreateRoomResponse>, Status> {
        reply(self.create_room(request.into_inner()).await)
    }

    async fn join_room(
        &self,
        request: Request<pb::JoinRoomRequest>,
    ) -> std::result::Result<Response<pb::JoinRoomResponse>, Status> {
        reply(self.join_room(request.into_inner()).await)
    }

    async fn leave_room(
        &self,
        request: Request<pb::LeaveRoomRequest>,
    ) -> std::result::Result<Response<pb::LeaveRoomResponse>, Status> {
        reply(self.leave_room(request.into_inner()).await)
    }

    async fn invite_user(
        &self,
        request: Request<pb::InviteUserRequest>,
    ) -> std::result::Result<Response<pb::InviteUserResponse>, Status> {
        reply(self.invite_user(request.into_inner()).await)
    }

    async fn send_event(
        &self,
        request: Request<pb::SendEventRequest>,
    ) -> std::result::Result<Response<pb::SendEventResponse>, Status> {
        reply(self.send_event(request.into_inner()).await)
    }

    async fn get_joined_rooms(
        &self,
        request: Request<pb::GetJoinedRoomsRequest>,
    ) -> std::result::Result<Response<pb::GetJoinedRoomsResponse>, Status> {
        reply(self.get_joined_rooms(request.into_inner()).await)
    }

    async fn get_joined_members(
        &self,
        request: Request<pb::GetJoinedMembersRequest>,
    ) -> std::result::Result<Response<pb::GetJoinedMembersResponse>, Status> {
        reply(self.get_joined_members(request.into_inner()).await)
    }

    async fn get_members(
        &self,
        request: Request<pb::GetMembersRequest>,
    ) -> std::result::Result<Response<pb::GetMembersResponse>, Status> {
        reply(self.get_members(request.into_inner()).await)
    }

    async fn get_state(
        &self,
        request: Request<pb::GetStateRequest>,
    ) -> std::result::Result<Response<pb::GetStateResponse>, Status> {
        reply(self.get_state(request.into_inner()).await)
    }

    async fn get_state_event(
        &self,
        request: Request<pb::GetStateEventRequest>,
    ) -> std::result::Result<Response<pb::GetStateEventResponse>, Status> {
        reply(self.get_state_event(request.into_inner()).await)
    }

    async fn get_messages(
        &self,
        request: Request<pb::GetMessagesRequest>,
    ) -> std::result::Result<Response<pb::GetMessagesResponse>, Status> {
        reply(self.get_messages(request.into_inner()).await)
    }

    async fn set_room_account_data(
        &self,
        request: Request<pb::SetRoomAccountDataRequest>,
    ) -> std::result::Result<Response<pb::SetRoomAccountDataResponse>, Status> {
        reply(self.set_room_account_data(request.into_inner()).await)
    }

    async fn add_room_tag(
        &self,
        request: Request<pb::AddRoomTagRequest>,
    ) -> std::result::Result<Response<pb::AddRoomTagResponse>, Status> {
        reply(self.add_room_tag(request.into_inner()).await)
    }

    async fn get_room_tags(
        &self,
        request: Request<pb::GetRoomTagsRequest>,
    ) -> std::result::Result<Response<pb::GetRoomTagsResponse>, Status> {
        reply(self.get_room_tags(request.into_inner()).await)
    }

    async fn get_membership(
        &self,
        request: Request<pb::GetMembershipRequest>,
    ) -> std::result::Result<Response<pb::GetMembershipResponse>, Status> {
        reply(self.get_membership(request.into_inner()).await)
    }

    async fn get_room(
        &self,
        request: Request<pb::GetRoomRequest>,
    ) -> std::result::Result<Response<pb::GetRoomResponse>, Status> {
        reply(self.get_room(request.into_inner()).await)
    }

    async fn find_server_notice_room(
        &self,
        request: Request<pb::FindServerNoticeRoomRequest>,
    ) -> std::result::Result<Response<pb::FindServerNoticeRoomResponse>, Status> {
        reply(self.find_server_notice_room(request.into_inner()).await)
    }

    async fn send_notices(
        &self,
        request: Request<pb::SendNoticesRequest>,
    ) -> std::result::Result<Response<pb::SendNoticesResponse>, Status> {
        reply(self.send_notices(request.into_inner()).await)
    }

    async fn sync(
        &self,
        request: Request<pb::SyncRequest>,
    ) -> std::result::Result<Response<pb::SyncResponse>, Status> {
        reply(self.sync(request.into_inner()).await)
    }

    async fn list_rooms(
        &self,
        request: Request<pb::ListRoomsRequest>,
    ) -> std::result::Result<Response<pb::ListRoomsResponse>, Status> {
        reply(self.list_rooms(request.into_inner()).await)
    }

    async fn get_room_stats(
        &self,
        request: Request<pb::GetRoomStatsRequest>,
    ) -> std::result::Result<Response<pb::RoomStats>, Status> {
        reply(self.get_room_stats(request.into_inner()).await)
    }

    async fn get_room_joined_users(
        &self,
        request: Request<pb::GetRoomJoinedUsersRequest>,
    ) -> std::result::Result<Response<pb::GetRoomJoinedUsersResponse>, Status> {
        reply(self.get_room_joined_users(request.into_inner()).await)
    }

    async fn get_room_current_state(
        &self,
        request: Request<pb::GetRoomCurrentStateRequest>,
    ) -> std::result::Result<Response<pb::GetStateResponse>, Status> {
        reply(self.get_room_current_state(request.into_inner()).await)
    }

    async fn get_user_memberships(
        &self,
        request: Request<pb::GetUserMembershipsRequest>,
    ) -> std::result::Result<Response<pb::GetUserMembershipsResponse>, Status> {
        reply(self.get_user_memberships(request.into_inner()).await)
    }

    async fn get_user_room_account_data(
        &self,
        request: Request<pb::GetUserRoomAccountDataRequest>,
    ) -> std::result::Result<Response<pb::GetUserRoomAccountDataResponse>, Status> {
        reply(self.get_user_room_account_data(request.into_inner()).await)
    }

    async fn get_user_membership_counts(
        &self,
        request: Request<pb::GetUserMembershipCountsRequest>,
    ) -> std::result::Result<Response<pb::GetUserMembershipCountsResponse>, Status> {
        reply(self.get_user_membership_counts(request.into_inner()).await)
    }

    async fn set_room_visibility(
        &self,
        request: Request<pb::SetRoomVisibilityRequest>,
    ) -> std::result::Result<Response<pb::SetRoomVisibilityResponse>, Status> {
        reply(self.set_room_visibility(request.into_inner()).await)
    }
}
