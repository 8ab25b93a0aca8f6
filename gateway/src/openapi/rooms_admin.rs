//! The operations of Synapse rooms administration (`routes::rooms_admin`).

use utoipa::openapi::path::HttpMethod;

use super::builder::{Access, Op, Schemas};
use super::operations::{CLIENT, ROOM_ID, SYNAPSE, USER_ID};
use crate::routes::Empty;
use crate::routes::rooms_admin::{
    accountdata, details, directory, joined_rooms, list, members, membership_counts as counts,
    memberships, public_rooms, state,
};

/// Every operation of the area, in the area's route order.
pub(super) fn operations(s: &mut Schemas) -> Vec<Op> {
    use Access::{Admin, User};
    use HttpMethod::{Get, Post, Put};
    vec![
        Op::new(
            Get,
            "/_synapse/admin/v1/rooms",
            "synapse_list_rooms",
            SYNAPSE,
            "One page of rooms, ordered, searched and filtered as Synapse",
        )
        .access(Admin)
        .query::<list::ListRoomsQuery>()
        .answer::<list::RoomList>(s, 200, "The page")
        .errors(&[400]),
        Op::new(
            Get,
            "/_synapse/admin/v1/rooms/{roomId}",
            "synapse_room_details",
            SYNAPSE,
            "One room",
        )
        .access(Admin)
        .path_param("roomId", ROOM_ID)
        .answer::<details::RoomDetails>(s, 200, "The room")
        .errors(&[400, 404]),
        Op::new(
            Get,
            "/_synapse/admin/v1/rooms/{roomId}/members",
            "synapse_room_members",
            SYNAPSE,
            "A room's joined members",
        )
        .access(Admin)
        .path_param("roomId", ROOM_ID)
        .answer::<members::RoomMembers>(s, 200, "The members")
        .errors(&[400, 404]),
        Op::new(
            Get,
            "/_synapse/admin/v1/rooms/{roomId}/state",
            "synapse_room_state",
            SYNAPSE,
            "A room's current state",
        )
        .access(Admin)
        .path_param("roomId", ROOM_ID)
        .query::<state::RoomStateQuery>()
        .answer::<state::RoomState>(s, 200, "The state events")
        .errors(&[400, 404]),
        Op::new(
            Get,
            "/_synapse/admin/v1/users/{userId}/joined_rooms",
            "synapse_user_joined_rooms",
            SYNAPSE,
            "The rooms a user is joined to",
        )
        .access(Admin)
        .path_param("userId", USER_ID)
        .answer::<joined_rooms::UserJoinedRooms>(s, 200, "The rooms")
        .errors(&[400]),
        Op::new(
            Get,
            "/_synapse/admin/v1/users/{userId}/memberships",
            "synapse_user_memberships",
            SYNAPSE,
            "A user's membership in every room they have one in",
        )
        .access(Admin)
        .path_param("userId", USER_ID)
        .answer::<memberships::UserMemberships>(s, 200, "The memberships")
        .errors(&[400]),
        Op::new(
            Get,
            "/_synapse/admin/v1/users/{userId}/accountdata",
            "synapse_user_account_data",
            SYNAPSE,
            "A local user's account data",
        )
        .access(Admin)
        .path_param("userId", USER_ID)
        .answer::<accountdata::UserAccountData>(s, 200, "The account data")
        .errors(&[400, 404]),
        Op::new(
            Get,
            "/_synapse/admin/v1/users/{userId}/sent_invite_count",
            "synapse_user_sent_invite_count",
            SYNAPSE,
            "How many invites a user sent since a time",
        )
        .access(Admin)
        .path_param("userId", USER_ID)
        .query::<counts::CountsQuery>()
        .answer::<counts::SentInviteCount>(s, 200, "The count")
        .errors(&[400]),
        Op::new(
            Get,
            "/_synapse/admin/v1/users/{userId}/cumulative_joined_room_count",
            "synapse_user_cumulative_joined_room_count",
            SYNAPSE,
            "How many distinct rooms a user joined since a time",
        )
        .access(Admin)
        .path_param("userId", USER_ID)
        .query::<counts::CountsQuery>()
        .answer::<counts::CumulativeJoinedRoomCount>(s, 200, "The count")
        .errors(&[400]),
        Op::new(
            Get,
            "/publicRooms",
            "public_rooms",
            CLIENT,
            "The rooms published in the directory",
        )
        .client()
        .access(User)
        .query::<public_rooms::PublicRoomsQuery>()
        .answer::<public_rooms::PublicRooms>(s, 200, "One page of published rooms")
        .errors(&[400]),
        Op::new(
            Post,
            "/publicRooms",
            "search_public_rooms",
            CLIENT,
            "The rooms published in the directory, with a search filter",
        )
        .client()
        .access(User)
        .body::<public_rooms::PublicRoomsBody>(s, false)
        .answer::<public_rooms::PublicRooms>(s, 200, "One page of published rooms"),
        Op::new(
            Get,
            "/directory/list/room/{roomId}",
            "room_visibility",
            CLIENT,
            "Whether a room is published in the directory",
        )
        .client()
        .access(User)
        .path_param("roomId", ROOM_ID)
        .answer::<directory::Visibility>(s, 200, "The visibility")
        .errors(&[400, 404]),
        Op::new(
            Put,
            "/directory/list/room/{roomId}",
            "set_room_visibility",
            CLIENT,
            "Publish or withdraw a room (admin, or a member with enough power)",
        )
        .client()
        .access(User)
        .path_param("roomId", ROOM_ID)
        .body::<directory::VisibilityBody>(s, true)
        .answer::<Empty>(s, 200, "Done")
        .errors(&[403, 404]),
    ]
}
