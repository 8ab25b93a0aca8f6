//! The operations of room deletion and purge (`routes::room_deletion`).

use utoipa::openapi::path::HttpMethod::{Delete, Get, Post, Put};

use super::builder::{Access, Op, Schemas};
use super::{DENDRITE, ROOM_ID, SYNAPSE};
use crate::routes::Empty;
use crate::routes::room_deletion::block::{BlockStatus, SetBlock};
use crate::routes::room_deletion::body::DeleteRoomBody;
use crate::routes::room_deletion::delete_status_by_room::DeleteStatuses;
use crate::routes::room_deletion::delete_v2::DeleteStarted;
use crate::routes::room_deletion::{DeleteStatus, ShutdownRoom};

/// Every operation of the area, in the area's route order.
pub(super) fn operations(s: &mut Schemas) -> Vec<Op> {
    vec![
        Op::new(
            Delete,
            "/_synapse/admin/v1/rooms/{roomId}",
            "delete_room_v1",
            SYNAPSE,
            "Delete a room (members leave, optional block and purge); answers when done",
        )
        .access(Access::Admin)
        .path_param("roomId", ROOM_ID)
        .body::<DeleteRoomBody>(s, false)
        .answer::<ShutdownRoom>(s, 200, "The deletion finished")
        .errors(&[404]),
        Op::new(
            Delete,
            "/_synapse/admin/v2/rooms/{roomId}",
            "delete_room_v2",
            SYNAPSE,
            "Start a room deletion job; answers its ID at once",
        )
        .access(Access::Admin)
        .path_param("roomId", ROOM_ID)
        .body::<DeleteRoomBody>(s, false)
        .answer::<DeleteStarted>(s, 200, "The job started")
        .errors(&[404]),
        Op::new(
            Get,
            "/_synapse/admin/v2/rooms/delete_status/{deleteId}",
            "delete_status_by_id",
            SYNAPSE,
            "A room deletion's status",
        )
        .access(Access::Admin)
        .path_param("deleteId", "The `delete_id` a deletion answered")
        .answer::<DeleteStatus>(s, 200, "The status")
        .errors(&[404]),
        Op::new(
            Get,
            "/_synapse/admin/v2/rooms/{roomId}/delete_status",
            "delete_status_by_room",
            SYNAPSE,
            "The statuses of a room's deletions",
        )
        .access(Access::Admin)
        .path_param("roomId", ROOM_ID)
        .answer::<DeleteStatuses>(s, 200, "The statuses, oldest first")
        .errors(&[400, 404]),
        Op::new(
            Get,
            "/_synapse/admin/v1/rooms/{roomId}/block",
            "room_block_get",
            SYNAPSE,
            "Whether a room is blocked, and by whom",
        )
        .access(Access::Admin)
        .path_param("roomId", ROOM_ID)
        .answer::<BlockStatus>(s, 200, "The block state")
        .errors(&[400]),
        Op::new(
            Put,
            "/_synapse/admin/v1/rooms/{roomId}/block",
            "room_block_put",
            SYNAPSE,
            "Block or unblock a room (known or not)",
        )
        .access(Access::Admin)
        .path_param("roomId", ROOM_ID)
        .body::<SetBlock>(s, true)
        .answer::<SetBlock>(s, 200, "The new block state"),
        Op::new(
            Post,
            "/_dendrite/admin/purgeRoom/{roomID}",
            "purge_room",
            DENDRITE,
            "Purge a room (members leave, then every row goes); answers when done",
        )
        .access(Access::Admin)
        .path_param("roomID", ROOM_ID)
        .body::<Empty>(s, false)
        .answer::<Empty>(s, 200, "The purge finished")
        .errors(&[404]),
    ]
}
