//! Room deletion: a job of kind `room_deletion` on the evacuation engine (Synapse's
//! `DELETE /_synapse/admin/v1|v2/rooms/{roomId}`, Dendrite's `purgeRoom`;
//! `docs/http-api.md` §7, "Room deletion, purge and block").
//!
//! Planning (`plan`, one write transaction) records the block first when asked (as
//! Synapse's `RoomShutdownHandler` does, even for an unknown room), creates the
//! notification room when `new_room_user_id` is given (`notification_room`), computes
//! the local joined members once and stores:
//!
//! - leave chunks `0..leave_chunks` (users, 500 each), applied like an evacuateRoom
//!   chunk (`super::leaves`: self-leaves keeping the prior content) and, in the same
//!   transaction, joining those users to the notification room: one effect per member,
//!   counted by the chunk's `pending → done` flip;
//! - with `purge`, one purge chunk (number `leave_chunks`, size 1, no items). It waits
//!   for every leave chunk to settle (the last one to settle queues it), then deletes the
//!   room's rows in bounded steps (`crate::store::purge`), each its own transaction.
//!   Steps are idempotent and the remaining rows are the progress, so a delivery
//!   reclaimed from a killed worker just continues. A delivery takes steps for
//!   `Settings::purge_slice`, then queues its continuation; the step that finds nothing
//!   left flips the chunk and completes the job in one transaction.
//!
//! The job's `total` is the members plus 1 for the purge chunk.

use bailiff_domain::{OwnedRoomId, OwnedUserId};

use super::job::Job;

mod api;
mod apply;
mod notification_room;
mod plan;
mod sql;

#[cfg(test)]
mod tests;

pub(crate) use api::{block_to_pb, deletion_to_pb};

/// Synapse's default name of the notification room (`RoomShutdownHandler`).
pub const DEFAULT_ROOM_NAME: &str = "Content Violation Notification";
/// Synapse's default message posted in it.
pub const DEFAULT_MESSAGE: &str = "Sharing illegal content on this server is not permitted and rooms in violation will be blocked.";

/// What a deletion is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteOptions {
    pub room_id: OwnedRoomId,
    /// The admin asking; recorded as the blocker.
    pub requester: OwnedUserId,
    pub block: bool,
    pub purge: bool,
    /// Creator of the notification room the members are moved to (a local user).
    pub new_room_user_id: Option<OwnedUserId>,
    pub room_name: Option<String>,
    pub message: Option<String>,
}

/// A deletion job and what it did so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub job: Job,
    pub room_id: String,
    /// Users of applied leave chunks, in join order.
    pub kicked_users: Vec<String>,
    /// Users of dead-lettered leave chunks.
    pub failed_to_kick_users: Vec<String>,
    pub new_room_id: Option<String>,
    pub block: bool,
    pub purge: bool,
    pub purged_rows: i64,
    /// True when a queued or running deletion of the room was returned instead.
    pub existing: bool,
}
