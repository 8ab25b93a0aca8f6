//! The routes of Synapse rooms administration (`docs/http-api.md` §7, "Rooms") and the
//! room directory (§8): one file per endpoint, each forwarding to membership-svc's
//! `Rooms` service (the room statistics it keeps with every write) after the admin
//! check and Synapse's query checks ([`crate::extract::synapse_query`]).

use axum::routing::get;
use bailiff_proto::membership as pb;
use serde::Serialize;

use super::{GET, GET_POST, GET_PUT, Route, client, route};

pub mod accountdata;
pub mod details;
pub mod directory;
pub mod joined_rooms;
pub mod list;
pub mod members;
pub mod membership_counts;
pub mod memberships;
pub mod public_rooms;
pub mod state;

/// The area's routes.
pub(super) fn routes() -> Vec<Route> {
    vec![
        route("/_synapse/admin/v1/rooms", GET, get(list::get)),
        route("/_synapse/admin/v1/rooms/{roomId}", GET, get(details::get)),
        route(
            "/_synapse/admin/v1/rooms/{roomId}/members",
            GET,
            get(members::get),
        ),
        route(
            "/_synapse/admin/v1/rooms/{roomId}/state",
            GET,
            get(state::get),
        ),
        route(
            "/_synapse/admin/v1/users/{userId}/joined_rooms",
            GET,
            get(joined_rooms::get),
        ),
        route(
            "/_synapse/admin/v1/users/{userId}/memberships",
            GET,
            get(memberships::get),
        ),
        route(
            "/_synapse/admin/v1/users/{userId}/accountdata",
            GET,
            get(accountdata::get),
        ),
        route(
            "/_synapse/admin/v1/users/{userId}/sent_invite_count",
            GET,
            get(membership_counts::sent_invites),
        ),
        route(
            "/_synapse/admin/v1/users/{userId}/cumulative_joined_room_count",
            GET,
            get(membership_counts::cumulative_joined_rooms),
        ),
        client(
            "/publicRooms",
            GET_POST,
            get(public_rooms::get).post(public_rooms::post),
        ),
        client(
            "/directory/list/room/{roomId}",
            GET_PUT,
            get(directory::get).put(directory::put),
        ),
    ]
}

/// A room as the admin rooms list shows it (`SYNAPSE-ADMIN.md` §5.9): `version` is a
/// string and `creator` never null, as Element Admin's schema requires.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoomRecord {
    pub room_id: String,
    pub name: Option<String>,
    pub canonical_alias: Option<String>,
    pub joined_members: i64,
    pub joined_local_members: i64,
    pub version: String,
    pub creator: String,
    /// The encryption algorithm; `null` when unencrypted.
    pub encryption: Option<String>,
    pub federatable: bool,
    /// Published in the room directory.
    pub public: bool,
    pub join_rules: Option<String>,
    pub guest_access: Option<String>,
    pub history_visibility: Option<String>,
    pub state_events: i64,
    /// `null` unless e.g. `m.space`.
    pub room_type: Option<String>,
}

impl From<&pb::RoomStats> for RoomRecord {
    fn from(room: &pb::RoomStats) -> Self {
        Self {
            room_id: room.room_id.clone(),
            name: room.name.clone(),
            canonical_alias: room.canonical_alias.clone(),
            joined_members: room.joined_members,
            joined_local_members: room.joined_local_members,
            version: room.room_version.clone(),
            creator: room.creator.clone(),
            encryption: room.encryption.clone(),
            federatable: room.federatable,
            public: room.public,
            join_rules: room.join_rules.clone(),
            guest_access: room.guest_access.clone(),
            history_visibility: room.history_visibility.clone(),
            state_events: room.state_events,
            room_type: room.room_type.clone(),
        }
    }
}
