//! The domain's types, shared by the gateway, the services and the stores, so that a value
//! is parsed once at the edge and carried typed from there on ("parse, don't validate").
//!
//! - Matrix identifiers are ruma's owned IDs, re-exported here so every crate names them
//!   the same way; the gateway parses them (`gateway/src/extract/ids.rs`), the stores
//!   decode them from rows.
//! - [`Membership`], [`JobKind`], [`JobStatus`] and [`ChunkState`] replace the string
//!   literals that used to travel through the code. Each keeps its wire and column
//!   spelling in one `as_str`, and parsing an unknown spelling is an error, never a default.
//! - [`DEFAULT_ROOM_VERSION`] is the version of every room created here: membership-svc
//!   builds rooms with it and the gateway's capabilities advertise it.
//! - [`now_ms`] is the one clock reading of the project: milliseconds since the Unix epoch,
//!   the unit stored everywhere.

mod enums;
mod time;

pub use enums::{ChunkState, JobKind, JobStatus, Membership, UnknownVariant};
pub use ruma_common::{
    DeviceId, EventId, OwnedDeviceId, OwnedEventId, OwnedRoomId, OwnedServerName, OwnedUserId,
    RoomId, ServerName, UserId,
};
pub use time::now_ms;

/// The room version of new rooms. It is also the only one the client-server API creates:
/// `createRoom` takes no `room_version`, so `GET /capabilities` lists exactly this one.
pub const DEFAULT_ROOM_VERSION: &str = "10";

#[cfg(test)]
mod tests;
